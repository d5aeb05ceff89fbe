package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// maxURLValue bounds the parameters sent in URLs (see scnOAuthHostileInputs).
const maxURLValue = 4000

// scnOAuthHostileInputs: every managed-login endpoint, with each parameter at 129, 4,000 and
// 300,000 characters, with control characters and broken encodings, over GET and POST: never
// a 5xx or a hang, an answer of bounded size and headers, and no redirect to a URI the client
// did not register. The 300,000-character values go in bodies only: in a URL they are past
// what Cloudflare's edge lets reach a Worker (16 KB), and wrangler dev does not answer them.
func scnOAuthHostileInputs(t *testing.T, ep *Endpoint) {
	f := newOAuthFixture(t, ep, nil)
	hc := &http.Client{Transport: ep.httpClient().Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	good := f.authQuery(nil)
	params := map[string][]string{
		"/oauth2/authorize":      {"response_type", "client_id", "redirect_uri", "state", "scope", "nonce", "code_challenge", "code_challenge_method", "identity_provider", "idp_identifier", "prompt", "login_hint"},
		"/login":                 {"client_id", "redirect_uri", "state", "scope", "username", "password", "_csrf"},
		"/signup":                {"client_id", "redirect_uri", "username", "password", "_csrf"},
		"/confirmUser":           {"client_id", "redirect_uri", "username", "code", "_csrf"},
		"/forgotPassword":        {"client_id", "redirect_uri", "username", "_csrf"},
		"/confirmForgotPassword": {"client_id", "redirect_uri", "username", "code", "password", "_csrf"},
		"/forceChangePassword":   {"client_id", "redirect_uri", "session", "new_password", "_csrf"},
		"/mfa":                   {"client_id", "redirect_uri", "session", "challenge", "code", "answer", "secret", "choices", "_csrf"},
		"/oauth2/token":          {"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token", "scope"},
		"/oauth2/revoke":         {"token", "client_id", "client_secret", "token_type_hint"},
		"/oauth2/userInfo":       {"access_token"},
		"/logout":                {"client_id", "logout_uri", "redirect_uri", "response_type", "state"},
		"/oauth2/idpresponse":    {"code", "state", "error", "error_description"},
		"/saml2/idpresponse":     {"SAMLResponse", "RelayState"},
	}
	values := []string{strings.Repeat("a", 129), strings.Repeat("%", 4000), strings.Repeat("x", 300_000),
		"\x00\r\n<script>", "%zz%", "https://evil.example.com/cb"}
	requests, worst := 0, 0
	check := func(method, path string, q url.Values, body string, hdr map[string]string) {
		t.Helper()
		target := ep.URL + path
		if q != nil {
			target += "?" + q.Encode()
		}
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("%s %s (%d bytes): %v", method, path, len(target)+len(body), err)
			return
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		requests++
		worst = max(worst, resp.StatusCode)
		hdrBytes := 0
		for k, vs := range resp.Header {
			for _, v := range vs {
				hdrBytes += len(k) + len(v)
			}
		}
		loc := resp.Header.Get("Location")
		switch {
		case resp.StatusCode >= 500:
			t.Errorf("%s %s (%d bytes): %d", method, path, len(target)+len(body), resp.StatusCode)
		case n > 256<<10 || hdrBytes > 16<<10:
			t.Errorf("%s %s: an answer of %d bytes with %d bytes of headers", method, path, n, hdrBytes)
		case loc != "" && redirectHost(loc) == "evil.example.com":
			t.Errorf("%s %s redirected to %q", method, path, loc)
		}
	}
	for path, names := range params {
		for _, name := range names {
			for _, v := range values {
				q := url.Values{}
				for k, vs := range good {
					q[k] = vs
				}
				q.Set(name, v)
				if len(v) <= maxURLValue {
					check("GET", path, q, "", nil)
				}
				check("POST", path, nil, q.Encode(), nil)
			}
		}
	}
	// Broken bodies and headers of the token endpoint.
	huge, long := strings.Repeat("y", 300_000), strings.Repeat("z", 3*maxURLValue)
	for _, hdr := range []map[string]string{
		{"Authorization": "Basic " + long}, {"Authorization": "Basic !!!"}, {"Authorization": "Bearer " + long},
		{"Content-Type": "application/json"}, {"Cookie": "cognito=" + long},
	} {
		for _, path := range []string{"/oauth2/token", "/oauth2/userInfo", "/oauth2/revoke", "/oauth2/authorize", "/logout"} {
			check("POST", path, nil, "grant_type=client_credentials&%zz&="+huge, hdr)
		}
	}
	check("POST", "/oauth2/token", nil, strings.Repeat("a=b&", 200_000), nil)
	t.Logf("RESULT managed-login hostile inputs: %d requests, highest status %d", requests, worst)
	if requests < 700 {
		t.Errorf("only %d requests were answered", requests)
	}
}

// redirectHost is the host a Location sends the browser to ("" for a path on the same origin).
func redirectHost(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "unparseable"
	}
	return u.Host
}
