package oauth

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/poolgate/poolgate/internal/markup"
)

// The pages are server-rendered and work without script. Their one style sheet and their one
// script (which only marks the password rules a typed password meets) are inlined and allowed
// by their hashes, so the Content-Security-Policy allows nothing else: no other script, no
// outside style, no framing (clickjacking), no <base>.

//go:embed assets/pages.css assets/rules.js
var assets embed.FS

var (
	pageCSS = mustRead("assets/pages.css")
	pageJS  = mustRead("assets/rules.js")
	// pageCSP is the policy of every page: the inline style sheet and script by their SHA-256.
	pageCSP = "default-src 'none'; style-src " + hashSource(pageCSS) + "%s; script-src " + hashSource(pageJS) +
		"; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)

// hashSource is a CSP hash source for an inline element's text.
func hashSource(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func mustRead(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// page is what every page shows; Body is the page's own data.
type page struct {
	Title      string
	ClientName string
	Notice     string
	Error      string
	// Brand is the pool's branding style sheet (branding.go), LogoURL its logo (root-relative)
	// and Scheme "light" or "dark" when the branding fixes the colour scheme.
	Brand   markup.CSS
	LogoURL string
	Scheme  string

	Action   string // the form's target (path and query)
	CSRF     string
	Username string
	Session  string
	Message  string
	Links    []link
	// Providers are the identity providers' sign-in links (the login page).
	Providers []link
	Rules     []rule
	// UsernameLabel names the username field of the sign-up page.
	UsernameLabel string
	// Attributes are the inputs of required attributes (the new-password page).
	Attributes []attrInput
	// MFA is the second-factor page's challenge (mfa.go).
	MFA *mfaView
}

type link struct{ URL, Text string }

// rule is one password rule as shown: its text, and what the page's script checks.
type rule struct{ Rule, Text string }

type attrInput struct{ Name, Field, Label, Value string }

// setPageHeaders sets the security headers of an HTML page; brandHash is the CSP source of
// its branding style sheet ("" when it has none).
func setPageHeaders(h http.Header, brandHash string) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", fmt.Sprintf(pageCSP, brandHash))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// render writes page name with status, branded for req's client (req nil, r may be nil: the
// default look).
func (s *Server) render(w http.ResponseWriter, r *http.Request, req *authRequest, status int, name string, p *page) {
	if req != nil {
		s.brand(r.Context(), req, p)
	}
	brandHash := ""
	if p.Brand != "" {
		brandHash = " " + hashSource([]byte(p.Brand))
	}
	body, err := renderPage(name, p)
	if err != nil {
		s.cfg.Logf("oauth: rendering %s: %v", name, err)
		status, body = http.StatusInternalServerError, []byte("The page could not be rendered.")
	}
	setPageHeaders(w.Header(), brandHash)
	w.WriteHeader(status)
	w.Write(body)
}

// errorPage answers a request whose redirect URI cannot be trusted (RFC 6749 §4.1.2.1:
// never redirect then) with a page naming the error.
func (s *Server) errorPage(w http.ResponseWriter, status int, e *oauthError) {
	s.render(w, nil, nil, status, "error", &page{Title: "Sign-in error", Error: e.Code, Message: e.Description})
}
