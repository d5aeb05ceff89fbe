package oauth

import (
	"fmt"

	"github.com/poolgate/poolgate/internal/markup"
)

// The pages' HTML, written by hand through markup.Writer: the layout every page shares, and
// one body per page. Each value goes through the verb of its place (%s text and attribute
// values, %u URLs); pages_test.go renders every page with hostile values in every field and
// holds the output to what html/template wrote (testdata/pages).

// pageBodies write each page's body, by page name.
var pageBodies = map[string]func(*markup.Writer, *page){
	"login":        loginBody,
	"new_password": newPasswordBody,
	"mfa":          mfaBody,
	"error":        errorBody,
	"signup":       signUpBody,
	"confirm":      confirmBody,
	"forgot":       forgotBody,
	"reset":        resetBody,
}

// renderPage is the HTML of page name showing p.
func renderPage(name string, p *page) ([]byte, error) {
	body := pageBodies[name]
	if body == nil {
		return nil, fmt.Errorf("oauth: no page %q", name)
	}
	var w markup.Writer
	// The style sheets and the script, and a few KB of markup and values.
	w.Grow(len(pageCSS) + len(p.Brand) + len(pageJS) + 8<<10)
	w.Print(`<!doctype html>
<html lang="en"`)
	if p.Scheme != "" {
		w.Print(` data-scheme="%s"`, p.Scheme)
	}
	w.Print(`>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>%s · poolgate</title>
`, p.Title)
	w.Style(markup.CSS(pageCSS))
	w.Print("\n")
	if p.Brand != "" {
		w.Style(p.Brand)
		w.Print("\n")
	}
	w.Print(`</head>
<body class="background-customizable">
<header class="topbar banner-customizable">
  `)
	if p.LogoURL != "" {
		w.Print(`<img class="brand-logo logo-customizable" src="%u" alt="%s">`, p.LogoURL, p.ClientName)
	} else {
		w.Print(`<span class="brand"><span class="logo" aria-hidden="true">◆</span> poolgate</span>`)
	}
	w.Print("\n  ")
	if p.ClientName != "" {
		w.Print(`<span class="pool-name">%s</span>`, p.ClientName)
	}
	w.Print(`
</header>
<main>
<section class="card" aria-labelledby="page-title">
<h1 id="page-title">%s</h1>
`, p.Title)
	if p.Notice != "" {
		w.Print(`<div class="notice" role="status">%s</div>`, p.Notice)
	}
	w.Print("\n")
	if p.Error != "" {
		w.Print(`<div class="alert errorMessage-customizable" role="alert">%s</div>`, p.Error)
	}
	w.Print("\n")
	body(&w, p)
	w.Print(`
</section>
</main>
<footer class="footer legalText-customizable">Managed login by poolgate</footer>
`)
	w.Script(markup.JS(pageJS))
	w.Print(`
</body>
</html>
`)
	return w.Bytes()
}

// writeLinks writes the links under a form, if any.
func writeLinks(w *markup.Writer, links []link) {
	if len(links) == 0 {
		return
	}
	w.Print(`<div class="links redirect-customizable">`)
	for _, l := range links {
		w.Print(`<a href="%u">%s</a>`, l.URL, l.Text)
	}
	w.Print(`</div>`)
}

// writeRules writes the password rules the page's script marks as met, if any.
func writeRules(w *markup.Writer, rules []rule) {
	if len(rules) == 0 {
		return
	}
	w.Print(`<ul id="password-rules" class="rules" aria-label="Password requirements">`)
	for _, r := range rules {
		w.Print(`<li data-rule="%s">%s</li>`, r.Rule, r.Text)
	}
	w.Print(`</ul>`)
}

// writeAttributes writes an input for each required attribute.
func writeAttributes(w *markup.Writer, attrs []attrInput) {
	w.Print("  ")
	for _, a := range attrs {
		w.Print(`
  <label class="label-customizable" for="attr-%s">%s</label>
  <input class="inputField-customizable" id="attr-%s" name="%s" value="%s" required maxlength="2048">
  `, a.Name, a.Label, a.Name, a.Field, a.Value)
	}
	w.Print("\n")
}

// autofocus is the autofocus attribute when on.
func autofocus(on bool) string {
	if on {
		return "autofocus"
	}
	return ""
}

func loginBody(w *markup.Writer, p *page) {
	w.Print("\n")
	if len(p.Providers) > 0 {
		w.Print(`<div class="providers">`)
		for _, l := range p.Providers {
			w.Print(`<a class="provider idpButton-customizable" href="%u">%s</a>`, l.URL, l.Text)
		}
		w.Print(`</div>
<div class="divider"><span>or</span></div>`)
	}
	w.Print(`
<form method="post" action="%u" autocomplete="on">
  <input type="hidden" name="_csrf" value="%s">
  <label class="label-customizable" for="username">Username</label>
  <input class="inputField-customizable" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="128" value="%s" `+
		autofocus(p.Username == "")+`>
  <label class="label-customizable" for="password">Password</label>
  <input class="inputField-customizable" id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" `+
		autofocus(p.Username != "")+`>
  <button type="submit" class="primary submitButton-customizable">Sign in</button>
</form>
`, p.Action, p.CSRF, p.Username)
	writeLinks(w, p.Links)
	w.Print("\n")
}

func newPasswordBody(w *markup.Writer, p *page) {
	w.Print(`
<p class="hint">Your account was created with a temporary password. Choose your own to continue.</p>
<form method="post" action="%u">
  <input type="hidden" name="_csrf" value="%s">
  <input type="hidden" name="session" value="%s">
  <label class="label-customizable" for="new_password">New password</label>
  <input class="inputField-customizable" id="new_password" name="new_password" type="password" autocomplete="new-password" required maxlength="256" autofocus data-rules="password-rules">
  `, p.Action, p.CSRF, p.Session)
	writeRules(w, p.Rules)
	w.Print("\n")
	writeAttributes(w, p.Attributes)
	w.Print(`  <button type="submit" class="primary submitButton-customizable">Change password and sign in</button>
</form>
`)
}

func signUpBody(w *markup.Writer, p *page) {
	usernameAutocomplete := "username"
	if p.UsernameLabel == "Email" {
		usernameAutocomplete = "email"
	}
	w.Print(`
<form method="post" action="%u" autocomplete="on">
  <input type="hidden" name="_csrf" value="%s">
  <label class="label-customizable" for="username">%s</label>
  <input class="inputField-customizable" id="username" name="username" autocomplete="`+usernameAutocomplete+`" autocapitalize="none" spellcheck="false" required maxlength="128" value="%s" autofocus>
`, p.Action, p.CSRF, p.UsernameLabel, p.Username)
	writeAttributes(w, p.Attributes)
	w.Print(`  <label class="label-customizable" for="password">Password</label>
  <input class="inputField-customizable" id="password" name="password" type="password" autocomplete="new-password" required maxlength="256" data-rules="password-rules">
  `)
	writeRules(w, p.Rules)
	w.Print(`
  <button type="submit" class="primary submitButton-customizable">Create account</button>
</form>
`)
	writeLinks(w, p.Links)
	w.Print("\n")
}

func confirmBody(w *markup.Writer, p *page) {
	w.Print(`
<form method="post" action="%u">
  <input type="hidden" name="_csrf" value="%s">
  <label class="label-customizable" for="username">Username</label>
  <input class="inputField-customizable" id="username" name="username" autocapitalize="none" spellcheck="false" required maxlength="128" value="%s" `+
		autofocus(p.Username == "")+`>
  <label class="label-customizable" for="code">Confirmation code</label>
  <input class="code inputField-customizable" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="10" `+
		autofocus(p.Username != "")+`>
  <button type="submit" class="primary" name="action" value="confirm">Confirm account</button>
  <button type="submit" class="secondary" name="action" value="resend" formnovalidate>Send the code again</button>
</form>
`, p.Action, p.CSRF, p.Username)
	writeLinks(w, p.Links)
	w.Print("\n")
}

func forgotBody(w *markup.Writer, p *page) {
	w.Print(`
<p class="hint">Enter your username and we will send you a code to reset your password.</p>
<form method="post" action="%u">
  <input type="hidden" name="_csrf" value="%s">
  <label class="label-customizable" for="username">Username</label>
  <input class="inputField-customizable" id="username" name="username" autocapitalize="none" spellcheck="false" required maxlength="128" value="%s" autofocus>
  <button type="submit" class="primary submitButton-customizable">Send a code</button>
</form>
`, p.Action, p.CSRF, p.Username)
	writeLinks(w, p.Links)
	w.Print("\n")
}

func resetBody(w *markup.Writer, p *page) {
	w.Print(`
<form method="post" action="%u">
  <input type="hidden" name="_csrf" value="%s">
  <input type="hidden" name="username" value="%s">
  <label class="label-customizable" for="code">Code</label>
  <input class="code inputField-customizable" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="10" autofocus>
  <label class="label-customizable" for="password">New password</label>
  <input class="inputField-customizable" id="password" name="password" type="password" autocomplete="new-password" required maxlength="256" data-rules="password-rules">
  `, p.Action, p.CSRF, p.Username)
	writeRules(w, p.Rules)
	w.Print(`
  <button type="submit" class="primary submitButton-customizable">Reset password</button>
</form>
`)
	writeLinks(w, p.Links)
	w.Print("\n")
}

func errorBody(w *markup.Writer, p *page) {
	w.Print(`
<p class="hint">%s</p>
`, p.Message)
}

func mfaBody(w *markup.Writer, p *page) {
	w.Print("\n")
	if v := p.MFA; v != nil {
		w.Print(`
<form method="post" action="%u" autocomplete="off">
  <input type="hidden" name="_csrf" value="%s">
  <input type="hidden" name="session" value="%s">
  <input type="hidden" name="challenge" value="%s">
  <input type="hidden" name="username" value="%s">
  `, p.Action, p.CSRF, p.Session, v.Challenge, p.Username)
		if v.Challenge == "SELECT_MFA_TYPE" {
			writeMFAChoices(w, v)
		} else {
			writeMFACode(w, v)
		}
		w.Print(`
</form>
`)
	}
	w.Print("\n")
}

// writeMFAChoices writes the SELECT_MFA_TYPE form's choices: a button per factor.
func writeMFAChoices(w *markup.Writer, v *mfaView) {
	w.Print(`
  <input type="hidden" name="choices" value="%s">
  <p class="hint">How do you want to verify your sign-in?</p>
  `, v.ChoiceList)
	for _, c := range v.Choices {
		w.Print(`<button type="submit" class="primary submitButton-customizable" name="answer" value="%s">%s</button>
  `, c.URL, c.Text)
	}
	w.Print("\n  ")
}

// writeMFACode writes the form's code input, after what the challenge shows: the secret being
// set up (MFA_SETUP), or where the code was sent (SMS_MFA, EMAIL_OTP).
func writeMFACode(w *markup.Writer, v *mfaView) {
	w.Print("\n  ")
	switch v.Challenge {
	case "MFA_SETUP":
		w.Print(`
  <input type="hidden" name="secret" value="%s">
  <p class="hint">Your account needs a second factor. Add this key to your authenticator app, then enter the code it shows.</p>
  `, v.Secret)
		if v.SecretGroups != "" {
			w.Print(`<label class="label-customizable" for="secret">Secret key</label>
  <output class="secret" id="secret">%s</output>`, v.SecretGroups)
		}
		w.Print("\n  ")
		if v.OTPAuthURI != "" {
			w.Print(`<p class="hint">Or open this link on the device with your app: <a class="otpauth" href="`)
			w.TrustedURLAttr(v.OTPAuthURI)
			w.Print(`">%s</a></p>`, string(v.OTPAuthURI))
		}
		w.Print("\n  ")
	case "SOFTWARE_TOKEN_MFA":
		w.Print(`
  <p class="hint">Enter the code from your authenticator app.</p>
  `)
	default:
		w.Print(`
  <input type="hidden" name="destination" value="%s">
  <p class="hint">We sent a code to %s.</p>
  `, v.Destination, v.Destination)
	}
	submit := "Sign in"
	if v.Challenge == "MFA_SETUP" {
		submit = "Verify and sign in"
	}
	w.Print(`
  <label class="label-customizable" for="code">Code</label>
  <input class="code inputField-customizable" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" required maxlength="10" autofocus>
  <button type="submit" class="primary submitButton-customizable">` + submit + `</button>
  `)
}
