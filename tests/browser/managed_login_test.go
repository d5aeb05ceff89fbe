package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
)

// TestManagedLoginPages drives the managed-login pages in Chromium: the inline style sheet
// and script run under the page's Content-Security-Policy (by their hashes), the form signs
// in, the Secure session cookie comes back on http://127.0.0.1 and signs in silently.
func TestManagedLoginPages(t *testing.T) {
	requireBrowser(t)
	s := startServer(t)
	base := s.srv.URL()
	// The app the pages send the browser back to.
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("the app got a code"))
	}))
	t.Cleanup(app.Close)
	callback := app.URL + "/callback"
	c, err := s.admin.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID),
		ClientName: aws.String("hosted"), CallbackURLs: []string{callback},
		AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode}, AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes: []string{"openid", "email"}, SupportedIdentityProviders: []string{"COGNITO"}})
	if err != nil {
		t.Fatal(err)
	}
	const email, password = "grace@example.com", "Compiler1Pass"
	if _, err := s.admin.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(email),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.AdminSetUserPassword(context.Background(), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
		Username: aws.String(email), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	authorize := base + "/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {aws.ToString(c.UserPoolClient.ClientId)},
		"redirect_uri": {callback}, "state": {"browser-state"}, "scope": {"openid email"}}.Encode()

	p := newPage(t)
	p.do(chromedp.Navigate(authorize))
	p.waitFor(`location.pathname === "/login" && document.querySelector("input[name=username]") !== null`)
	// The hashed style sheet applied: the card has its rounded corners.
	var radius string
	p.eval(`getComputedStyle(document.querySelector(".card")).borderTopLeftRadius`, &radius)
	if radius != "10px" {
		t.Fatalf("the page's style sheet did not apply (border radius %q): CSP hash?", radius)
	}
	p.shot("managed-login")

	// The hashed script runs: on the sign-up page, typing marks the rules met.
	p.click(`.links a[href^="/signup"]`)
	p.waitFor(`location.pathname === "/signup" && document.querySelector("#password") !== null`)
	p.fill("#password", "Abc1")
	p.waitFor(`document.querySelectorAll("#password-rules li.met").length === 3`)
	p.do(chromedp.Navigate(authorize))

	p.waitFor(`location.pathname === "/login" && document.querySelector("input[name=username]") !== null`)
	p.fill("input[name=username]", email)
	p.fill("input[name=password]", password)
	p.click("button[type=submit]")
	p.waitUntil(`location.href.startsWith(` + jsString(callback) + `)`)
	var landed string
	p.eval(`location.href`, &landed)
	u, _ := url.Parse(landed)
	if u.Query().Get("code") == "" || u.Query().Get("state") != "browser-state" {
		t.Fatalf("landed on %s", landed)
	}

	// The session cookie came back: a second authorization request completes without the form.
	p.do(chromedp.Navigate(strings.Replace(authorize, "browser-state", "second", 1)))
	p.waitUntil(`location.href.startsWith(` + jsString(callback) + `)`)
	p.eval(`location.href`, &landed)
	if u, _ := url.Parse(landed); u.Query().Get("code") == "" || u.Query().Get("state") != "second" {
		t.Fatalf("silent sign-in landed on %s", landed)
	}
	if errs := p.takeErrors(); len(errs) > 0 {
		t.Fatalf("page errors: %v", errs)
	}
}

// waitUntil polls a JS condition until it holds, and reports the page's address and text
// when it does not (these pages are not the sign-in app's views).
func (p *page) waitUntil(cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	var err error
	for {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(25*time.Second)))
		if err == nil || ctx.Err() != nil || !navigatedAway(err) {
			break
		}
	}
	if err != nil {
		var state string
		p.eval(`location.href + "\n" + document.body.innerText`, &state)
		p.t.Fatalf("waiting for %s: %v; the page: %s; page errors %v", cond, err, state, p.takeErrors())
	}
}
