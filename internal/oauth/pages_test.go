package oauth

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite testdata/pages/*.html from this renderer")

// hostile is a value that breaks out of every place a page shows a value, unless escaped:
// element text, a quoted attribute value, a URL attribute.
const hostile = "javascript:alert(1)//\"><script>alert('x')</script><img src=x onerror=alert(1) a='&amp;+\x00\ufdd0"

// hostilePath is a relative URL that passes the scheme check but breaks out of its attribute
// unless escaped.
const hostilePath = "/ok?a=\"'<>&+%zz%41 é\x00`x"

// pageFixtures are every page with every field it shows filled: once as the pages show them,
// once with hostile values.
func pageFixtures() map[string]*page {
	links := []link{{"/signup?client_id=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=a+b", "Create an account"},
		{"/forgotPassword?client_id=abc", "Forgot your password?"}}
	rules := []rule{{"min:8", "At least 8 characters"}, {"lower", "A lowercase letter"}, {"symbol", "A symbol"}}
	attrs := []attrInput{{Name: "given_name", Field: "userAttributes.given_name", Label: "Given name", Value: "Zoë"},
		{Name: "custom:team", Field: "userAttributes.custom:team", Label: "Team", Value: ""}}
	action := "/login?client_id=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid+email"
	base := func(title string) page {
		return page{Title: title, ClientName: "My app <beta>", Notice: "We sent a code to a***@e***.com.", Error: "Incorrect username or password.",
			Action: action, CSRF: "c5rf-t0k3n_", Username: "alice@example.com", Links: links}
	}
	fx := map[string]*page{}
	add := func(name string, p page) { fx[name] = &p }

	p := base("Sign in")
	p.Providers = []link{{"/oauth2/authorize?client_id=abc&identity_provider=Google", "Google"}}
	p.LogoURL = "/logo/us-east-1_abc/abc.png"
	p.Scheme = "dark"
	p.Brand = ".banner-customizable{background-color:#123456}"
	add("login", p)
	p = base("Sign in")
	p.Username, p.Error, p.Notice, p.Links = "", "", "", nil
	add("login-empty", p)
	p = base("Choose a new password")
	p.Session, p.Rules, p.Attributes = "sess10n", rules, attrs
	add("new_password", p)
	p = base("Create an account")
	p.UsernameLabel, p.Rules, p.Attributes = "Email", rules, attrs
	add("signup", p)
	p.UsernameLabel = "Username"
	add("signup-username", p)
	add("confirm", base("Confirm your account"))
	p = base("Confirm your account")
	p.Username = ""
	add("confirm-empty", p)
	add("forgot", base("Forgot your password?"))
	p = base("Reset your password")
	p.Rules = rules
	add("reset", p)
	add("error", page{Title: "Sign-in error", Error: "invalid_request", Message: "The redirect_uri is not one of the client's."})
	for _, v := range []mfaView{
		{Challenge: "SOFTWARE_TOKEN_MFA"},
		{Challenge: "SMS_MFA", Destination: "+*******1234"},
		{Challenge: "EMAIL_OTP", Destination: "a***@e***.com"},
		{Challenge: "SELECT_MFA_TYPE", Choices: []link{{"SOFTWARE_TOKEN_MFA", "Authenticator app"}, {"EMAIL_OTP", "Email"}}, ChoiceList: "SOFTWARE_TOKEN_MFA EMAIL_OTP"},
		{Challenge: "MFA_SETUP", Secret: "JBSWY3DPEHPK3PXP", SecretGroups: "JBSW Y3DP EHPK 3PXP",
			OTPAuthURI: "otpauth://totp/My%20pool:alice%40example.com?issuer=My+pool&secret=JBSWY3DPEHPK3PXP"},
	} {
		p = base("Verify your sign-in")
		p.Session, p.MFA = "sess10n", &v
		add("mfa-"+v.Challenge, p)
	}

	for name, p := range hostilePages(hostile) {
		fx[name] = p
	}
	return fx
}

// hostilePages are every page with v in every field it shows (and in every branch of the MFA
// page), named "<page>-hostile[-<challenge>]".
func hostilePages(v string) map[string]*page {
	bad := func() *page {
		return &page{Title: v, ClientName: v, Notice: v, Error: v, Message: v,
			Action: v, CSRF: v, Username: v, Session: v, UsernameLabel: v, Scheme: v,
			LogoURL: v, Links: []link{{v, v}, {hostilePath, v}}, Providers: []link{{v, v}},
			Rules: []rule{{v, v}}, Attributes: []attrInput{{v, v, v, v}}}
	}
	fx := map[string]*page{}
	for _, name := range []string{"login", "new_password", "signup", "confirm", "forgot", "reset", "error"} {
		fx[name+"-hostile"] = bad()
	}
	for _, c := range []string{"SOFTWARE_TOKEN_MFA", "SMS_MFA", "SELECT_MFA_TYPE", "MFA_SETUP", v} {
		p := bad()
		p.MFA = &mfaView{Challenge: c, Destination: v, Choices: []link{{v, v}}, ChoiceList: v,
			Secret: v, SecretGroups: v, OTPAuthURI: "otpauth://totp/a%22b?secret=A&issuer=%3Cx%3E"}
		p.LogoURL = hostilePath
		if c == v {
			c = "unknown"
		}
		fx["mfa-hostile-"+c] = p
	}
	return fx
}

// pageOf is the page a fixture renders: its name up to the first '-'.
func pageOf(fixture string) string {
	for i, c := range fixture {
		if c == '-' {
			return fixture[:i]
		}
	}
	return fixture
}

// TestPagesGolden renders every fixture and compares it with testdata/pages: the pages were
// written by html/template, and the hand-written renderer must give the same bytes.
func TestPagesGolden(t *testing.T) {
	for name, p := range pageFixtures() {
		got, err := renderPage(pageOf(name), p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		file := filepath.Join("testdata", "pages", name+".html")
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, file, firstDifference(got, want))
		}
	}
}

// firstDifference shows where got and want part.
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return "got:  …" + string(got[from:min(len(got), i+80)]) + "\nwant: …" + string(want[from:min(len(want), i+80)])
}

// injections are values that try every way out of the places a page shows a value.
var injections = []string{
	hostile,
	`"><script>alert(1)</script>`,
	`' onmouseover='alert(1)`,
	`" autofocus onfocus="alert(1)`,
	"</title><script>alert(1)</script>",
	"</style><script>alert(1)</script>",
	"<!--<script>alert(1)//-->",
	"JaVaScRiPt:alert(1)",
	" javascript:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"a\x00\"><b>",
	"\xff\xfe\"<i>\xc0'",
	"\xe2\x80\"><u>",
}

// pageElements are the elements the pages are made of.
var pageElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true,
	"img": true, "span": true, "main": true, "section": true, "h1": true, "div": true, "form": true, "input": true,
	"label": true, "button": true, "ul": true, "li": true, "p": true, "a": true, "output": true, "footer": true, "script": true,
}

// TestPagesKeepValuesInTheirPlace renders every page with each injection in every field,
// parses it as a browser would, and finds only the pages' own elements and attributes: the
// one script and style sheet, no event handler, every link relative or refused, and the
// injection back whole wherever a value went.
func TestPagesKeepValuesInTheirPlace(t *testing.T) {
	for _, v := range injections {
		checkPagesWith(t, v)
	}
}

func FuzzPagesKeepValuesInTheirPlace(f *testing.F) {
	for _, v := range injections {
		f.Add(v)
	}
	f.Fuzz(checkPagesWith)
}

// checkPagesWith renders every page with v in every field and checks what a browser parses.
func checkPagesWith(t *testing.T, v string) {
	// What a value reads as once parsed: NUL and invalid UTF-8 arrive as U+FFFD, a carriage
	// return as a line feed.
	want := strings.Map(func(r rune) rune { return r }, strings.ReplaceAll(v, "\x00", "\uFFFD"))
	want = strings.ReplaceAll(strings.ReplaceAll(want, "\r\n", "\n"), "\r", "\n")
	for name, p := range hostilePages(v) {
		out, err := renderPage(pageOf(name), p)
		if err != nil {
			t.Fatalf("%s with %q: %v", name, v, err)
		}
		doc, err := html.Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s with %q: %v", name, v, err)
		}
		scripts, placed := 0, 0
		for n := range doc.Descendants() {
			switch n.Type {
			case html.ElementNode:
				if !pageElements[n.Data] {
					t.Errorf("%s with %q: an injected <%s>", name, v, n.Data)
				}
				if n.Data == "script" {
					scripts++
					if n.FirstChild == nil || n.FirstChild.Data != string(pageJS) {
						t.Errorf("%s with %q: a script that is not the page's", name, v)
					}
				}
				for _, a := range n.Attr {
					checkAttr(t, name, v, n.Data, a)
					if a.Val == want {
						placed++
					}
				}
			case html.TextNode:
				if n.Data == want {
					placed++
				}
			case html.CommentNode:
				t.Errorf("%s with %q: an injected comment", name, v)
			}
		}
		if scripts != 1 || (placed == 0 && v != "") {
			t.Errorf("%s with %q: %d scripts, the value whole in %d places", name, v, scripts, placed)
		}
	}
}

// pageAttrs are the attributes the pages use.
var pageAttrs = map[string]bool{
	"lang": true, "data-scheme": true, "charset": true, "name": true, "content": true, "class": true, "src": true,
	"alt": true, "aria-hidden": true, "aria-labelledby": true, "id": true, "role": true, "method": true, "action": true,
	"autocomplete": true, "type": true, "value": true, "for": true, "autocapitalize": true, "spellcheck": true,
	"required": true, "maxlength": true, "autofocus": true, "inputmode": true, "formnovalidate": true, "href": true,
	"data-rules": true, "aria-label": true, "data-rule": true, "pattern": true,
}

// checkAttr fails t when a is not one of the pages' attributes, or a URL attribute has a
// scheme, as a browser reads it, other than http, https, mailto or (the TOTP page's link)
// otpauth.
func checkAttr(t *testing.T, page, v, element string, a html.Attribute) {
	t.Helper()
	if !pageAttrs[a.Key] || a.Namespace != "" {
		t.Errorf("%s with %q: an injected attribute %s on <%s>", page, v, a.Key, element)
	}
	switch a.Key {
	case "href", "src", "action":
		// A browser drops leading controls and spaces, and tabs and line breaks anywhere.
		u := strings.TrimLeft(strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(a.Val), "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
		if scheme, _, ok := strings.Cut(u, ":"); ok && !strings.ContainsAny(scheme, "/?#") {
			switch strings.ToLower(scheme) {
			case "http", "https", "mailto":
			case "otpauth":
				if element != "a" || !strings.HasPrefix(u, "otpauth://totp/") {
					t.Errorf("%s with %q: <%s %s=%q>", page, v, element, a.Key, a.Val)
				}
			default:
				t.Errorf("%s with %q: <%s %s=%q>", page, v, element, a.Key, a.Val)
			}
		}
	}
}

// BenchmarkRenderPage renders the sign-in page with its links and providers.
func BenchmarkRenderPage(b *testing.B) {
	p := pageFixtures()["login"]
	for b.Loop() {
		if _, err := renderPage("login", p); err != nil {
			b.Fatal(err)
		}
	}
}
