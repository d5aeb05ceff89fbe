package oauth

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// logoPNG is a 2×2 PNG.
var logoPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGNk+M/AwMDAxMDAwMDAAAANHQEDgm7xJwAAAABJRU5ErkJggg==")

// styleHashes are the sha256 sources the page's policy allows for inline style sheets.
func styleHashes(t *testing.T, h http.Header) string {
	t.Helper()
	m := regexp.MustCompile(`style-src ([^;]*)`).FindStringSubmatch(h.Get("Content-Security-Policy"))
	if m == nil {
		t.Fatalf("no style-src in %q", h.Get("Content-Security-Policy"))
	}
	return m[1]
}

// TestPagesShowBranding: what SetUICustomization and a managed login style set is on the
// pages — the logo, the classic CSS on the customizable classes, the colours and scheme — and
// each inline style sheet is allowed by its hash and nothing else.
func TestPagesShowBranding(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	q := f.authQuery(nil)

	plain := b.do("GET", "/login?"+q.Encode(), nil)
	if strings.Contains(plain.Body.String(), "logo-customizable") || strings.Count(styleHashes(t, plain.Header()), "sha256-") != 1 {
		t.Fatalf("an unbranded page: logo or extra style sheet (policy %q)", plain.Header().Get("Content-Security-Policy"))
	}

	f.call("CreateUserPoolDomain", map[string]any{"UserPoolId": f.pool, "Domain": "branded-login"})
	out := f.call("SetUICustomization", map[string]any{"UserPoolId": f.pool,
		"CSS": ".submitButton-customizable { background-color: #ff6600; }", "ImageFile": logoPNG})
	logoURL := out["UICustomization"].(map[string]any)["ImageUrl"].(string)
	page := b.do("GET", "/login?"+q.Encode(), nil)
	body := page.Body.String()
	path := logoURL[strings.Index(logoURL, "/"+f.pool+"/"):]
	for _, want := range []string{`<img class="brand-logo logo-customizable" src="` + path + `"`, "background-color:#ff6600",
		`class="primary submitButton-customizable"`, `class="label-customizable"`, `class="inputField-customizable"`} {
		if !strings.Contains(strings.ReplaceAll(body, "background-color: #ff6600", "background-color:#ff6600"), want) {
			t.Errorf("the branded login page lacks %s", want)
		}
	}
	styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(body, -1)
	if len(styles) != 2 {
		t.Fatalf("%d style sheets, want the page's and the branding's", len(styles))
	}
	for _, s := range styles {
		if !strings.Contains(styleHashes(t, page.Header()), hashSource([]byte(s[1]))) {
			t.Errorf("a style sheet is not allowed by the policy's hashes")
		}
	}
	if !strings.Contains(page.Header().Get("Content-Security-Policy"), "img-src 'self' data:") {
		t.Errorf("the policy does not allow the logo: %q", page.Header().Get("Content-Security-Policy"))
	}

	// A managed login style of the client takes precedence: its colours and fixed scheme.
	f.call("CreateManagedLoginBranding", map[string]any{"UserPoolId": f.pool, "ClientId": f.client, "Settings": map[string]any{
		"categories": map[string]any{"global": map[string]any{"colorSchemeMode": "DARK"}},
		"components": map[string]any{
			"primaryButton":  map[string]any{"darkMode": map[string]any{"defaults": map[string]any{"backgroundColor": "22aa55ff"}}},
			"pageBackground": map[string]any{"darkMode": map[string]any{"color": "101820ff"}},
		}}})
	body = b.do("GET", "/login?"+q.Encode(), nil).Body.String()
	for _, want := range []string{`<html lang="en" data-scheme="dark">`, "--accent:#22aa55ff", "--bg:#101820ff"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page with a managed login style lacks %s", want)
		}
	}
}
