package harness

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The managed-login form as a browser sees it: the form with the password field, its action
// and its hidden inputs (the CSRF token and the authorization request).
var (
	formRe   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	actionRe = regexp.MustCompile(`(?i)\baction="([^"]*)"`)
	nameRe   = regexp.MustCompile(`(?i)\bname="([^"]*)"`)
	valueRe  = regexp.MustCompile(`(?i)\bvalue="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`(?i)\btype="hidden"`)
)

// noRedirect makes a client return redirects instead of following them.
func noRedirect(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// CodeFlow signs user in through the managed login of the poolgate at base the way a browser
// and an OIDC library do: GET /oauth2/authorize (code, PKCE S256) → the login page → POST of
// its form with username and password → the redirect with the code → POST /oauth2/token. It
// returns the token response's access token.
func CodeFlow(ctx context.Context, hc *http.Client, base, user string) (string, error) {
	hc = noRedirect(hc)
	verifier := RandText(43)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {OAuthClientID}, "redirect_uri": {OAuthRedirect},
		"scope": {"openid"}, "state": {"bench"}, "code_challenge_method": {"S256"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
	next, err := url.Parse(base + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		return "", err
	}
	var cookies []*http.Cookie
	var code string
	for hop := 0; hop < 6 && code == ""; hop++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, body, err := do(hc, req)
		if err != nil {
			return "", err
		}
		cookies = append(cookies, resp.Cookies()...)
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			if next, err = next.Parse(resp.Header.Get("Location")); err != nil {
				return "", err
			}
		case resp.StatusCode == http.StatusOK:
			action, fields, err := loginForm(body)
			if err != nil {
				return "", err
			}
			fields.Set("username", user)
			fields.Set("password", Password)
			to, err := next.Parse(action)
			if err != nil {
				return "", err
			}
			post, _ := http.NewRequestWithContext(ctx, http.MethodPost, to.String(), strings.NewReader(fields.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			post.Header.Set("Origin", to.Scheme+"://"+to.Host)
			for _, c := range cookies {
				post.AddCookie(c)
			}
			resp, body, err := do(hc, post)
			if err != nil {
				return "", err
			}
			if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
				return "", fmt.Errorf("login POST: %d %s", resp.StatusCode, clip(body))
			}
			back, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				return "", err
			}
			if code = back.Query().Get("code"); code == "" {
				return "", fmt.Errorf("login POST redirected to %s", clip([]byte(back.String())))
			}
		default:
			return "", fmt.Errorf("GET %s: %d %s", next.Path, resp.StatusCode, clip(body))
		}
	}
	if code == "" {
		return "", errors.New("no code after 6 hops")
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {OAuthClientID},
		"redirect_uri": {OAuthRedirect}, "code_verifier": {verifier}}
	return token(ctx, hc, base, form, "", "")
}

// ClientCredentials gets an access token for MachineScope as MachineClientID
// (client_secret_basic).
func ClientCredentials(ctx context.Context, hc *http.Client, base string) (string, error) {
	return token(ctx, hc, base, url.Values{"grant_type": {"client_credentials"}, "scope": {MachineScope}}, MachineClientID, MachineSecret)
}

func token(ctx context.Context, hc *http.Client, base string, form url.Values, id, secret string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, body, err := do(hc, req)
	if err != nil {
		return "", err
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.AccessToken == "" {
		return "", fmt.Errorf("POST /oauth2/token (%s): %d %s", form.Get("grant_type"), resp.StatusCode, clip(body))
	}
	return out.AccessToken, nil
}

func do(hc *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, body, err
}

// loginForm returns the action and hidden fields of the form of page that has a password field.
func loginForm(page []byte) (string, url.Values, error) {
	for _, m := range formRe.FindAllSubmatch(page, -1) {
		if !strings.Contains(string(m[2]), `name="password"`) {
			continue
		}
		action := ""
		if a := actionRe.FindSubmatch(m[1]); a != nil {
			action = html.UnescapeString(string(a[1]))
		}
		fields := url.Values{}
		for _, in := range inputRe.FindAllSubmatch(m[2], -1) {
			n := nameRe.FindSubmatch(in[1])
			if n == nil || !hiddenRe.Match(in[1]) {
				continue
			}
			v := ""
			if vm := valueRe.FindSubmatch(in[1]); vm != nil {
				v = html.UnescapeString(string(vm[1]))
			}
			fields.Set(html.UnescapeString(string(n[1])), v)
		}
		return action, fields, nil
	}
	return "", nil, fmt.Errorf("no login form in the page: %s", clip(page))
}

func clip(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}
