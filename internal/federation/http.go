package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/fetch"
)

const (
	// maxBody bounds what poolgate reads of any provider answer (token responses, user
	// info, discovery documents, key sets, SAML metadata).
	maxBody = 1 << 20
	// requestTimeout bounds one request to a provider.
	requestTimeout = 10 * time.Second
)

// checkEndpoint: provider URLs are https, or http to a loopback host (a provider run
// locally in tests), as CreateIdentityProvider requires of configured ones; the same rule
// holds for URLs learnt from a discovery document.
func checkEndpoint(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, providerErr("%s is not an absolute https URL", name)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return u, nil
		}
	}
	return nil, providerErr("%s is not an absolute https URL", name)
}

// send performs req through the host's transport and returns the body of a 2xx answer,
// at most maxBody bytes. Other statuses are ErrProvider errors carrying the provider's
// error text, bounded.
func (f *Federation) send(req *http.Request, what string) ([]byte, error) {
	if f.cfg.Transport == nil {
		return nil, providerErr("%s: this host has no outbound fetch", what)
	}
	// fetch follows no redirect: a provider's redirect is an answer like any other, so a
	// configured endpoint cannot send poolgate's requests elsewhere.
	resp, err := fetch.Do(f.cfg.Transport, req, requestTimeout)
	if err != nil {
		return nil, providerErr("%s: %v", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, providerErr("%s: reading the answer: %v", what, err)
	}
	if len(body) > maxBody {
		return nil, providerErr("%s: answer over %d bytes", what, maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, providerErr("%s: status %d%s", what, resp.StatusCode, errorText(body))
	}
	return body, nil
}

// errorText is the error a provider's answer names, if it is one of the usual JSON shapes:
// OAuth's {"error", "error_description"} or Graph API's {"error": {"message"}}.
func errorText(body []byte) string {
	var oauth struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(body, &oauth) != nil || len(oauth.Error) == 0 {
		return ""
	}
	var code string
	if json.Unmarshal(oauth.Error, &code) != nil {
		var graph struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(oauth.Error, &graph) != nil {
			return ""
		}
		code = graph.Message
	}
	text := ": " + code
	if oauth.Description != "" {
		text += " (" + oauth.Description + ")"
	}
	return text
}

// getJSON GETs rawURL (with a bearer token when given) and decodes the JSON answer into v.
func (f *Federation) getJSON(ctx context.Context, what, rawURL, bearer string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return providerErr("%s: %v", what, err)
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	body, err := f.send(req, what)
	if err != nil {
		return err
	}
	return decodeJSON(what, body, v)
}

// postForm POSTs form to rawURL, with HTTP Basic credentials when basicUser is set, and
// decodes the JSON answer into v.
func (f *Federation) postForm(ctx context.Context, what, rawURL string, form url.Values, basicUser, basicPass, bearer string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return providerErr("%s: %v", what, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basicUser != "" {
		// RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(basicUser), url.QueryEscape(basicPass))
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	body, err := f.send(req, what)
	if err != nil {
		return err
	}
	return decodeJSON(what, body, v)
}

func decodeJSON(what string, body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return providerErr("%s: the answer is not the JSON expected: %v", what, err)
	}
	return nil
}

// claimString renders one claim of a JSON object as an attribute value: strings as they
// are, booleans as "true"/"false", numbers as written, objects and arrays as JSON text.
func claimString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return fmt.Sprint(v), true
	case json.Number:
		return v.String(), true
	case nil:
		return "", false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func newGet(ctx context.Context, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, providerErr("%v", err)
	}
	return req, nil
}
