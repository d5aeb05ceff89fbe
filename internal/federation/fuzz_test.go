package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/userpool"
)

// FuzzFinishSAML posts arbitrary SAMLResponse values: every one is refused with an
// ErrProvider, none panics or is accepted (the seed corpus holds a genuine response, whose
// pending request the fuzzed copies do not match once altered, and which is consumed once).
func FuzzFinishSAML(f *testing.F) {
	c := &clock{t: time.Now().Truncate(time.Second)}
	fed := New(Config{Transport: http.DefaultTransport, Store: memstore.New(c.Now), SAML: testSAML, Crypto: hostcrypto.Pure{}, Now: c.Now, Rand: rand.Reader})
	const pool = "us-east-1_fuzz"
	ti := newIdP(f, fed, pool, c)
	ip := samlProvider(map[string]string{"MetadataFile": string(ti.metadata)})
	redirect, p, err := fed.Begin(context.Background(), pool, ip, acsURL, "rs")
	if err != nil {
		f.Fatal(err)
	}
	good := ti.sso(f, redirect)
	raw, _ := base64.StdEncoding.DecodeString(good)
	f.Add(raw, "")
	f.Add([]byte("<Response/>"), "PFJlc3BvbnNlLz4=")
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`), "%%%")
	f.Add([]byte{}, " \r\n")
	accepted := 0
	f.Fuzz(func(t *testing.T, doc []byte, form string) {
		// The form value as posted, then doc as a well-formed base64 form value.
		if _, err := fed.FinishSAML(context.Background(), pool, ip, acsURL, form, p); err == nil && form != good {
			t.Fatalf("form value %q accepted", form)
		} else if err != nil && (!errors.Is(err, ErrProvider) || len(err.Error()) > 1000) {
			t.Fatalf("error %v", err)
		}
		id, err := fed.FinishSAML(context.Background(), pool, ip, acsURL, base64.StdEncoding.EncodeToString(doc), p)
		if err == nil {
			// Only the genuine response can pass, and only once.
			if accepted++; accepted > 1 || id.UserID != "alice@corp.example" {
				t.Fatalf("accepted %d times: %+v", accepted, id)
			}
			return
		}
		if !errors.Is(err, ErrProvider) || len(err.Error()) > 1000 {
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzFinishOAuth answers the token request and the user info request with arbitrary bytes
// and hands FinishOAuth an arbitrary code: every answer is refused with a bounded
// ErrProvider, none panics (no answer can carry an ID token signed by the provider's key).
func FuzzFinishOAuth(f *testing.F) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": "k1", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": "AQAB"}}})
	var answer []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jwks" {
			w.Write(jwks)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	defer srv.Close()
	fed := New(Config{Transport: srv.Client().Transport, Crypto: hostcrypto.Pure{}, Now: time.Now, Rand: rand.Reader})
	providers := []*userpool.IdentityProvider{
		oidcProvider(map[string]string{"client_id": "rp", "client_secret": "s", "oidc_issuer": srv.URL,
			"authorize_url": srv.URL + "/auth", "token_url": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks",
			"attributes_url": srv.URL + "/userinfo", "attributes_request_method": "GET"}),
		{ProviderName: "Facebook", ProviderType: "Facebook", ProviderDetails: map[string]string{"client_id": "rp", "client_secret": "s",
			"token_url": srv.URL + "/token", "attributes_url": srv.URL + "/me?fields="}},
		{ProviderName: "LoginWithAmazon", ProviderType: "LoginWithAmazon", ProviderDetails: map[string]string{"client_id": "rp", "client_secret": "s",
			"token_url": srv.URL + "/token", "attributes_url": srv.URL + "/profile"}},
	}
	f.Add([]byte(`{"access_token":"a","id_token":"e30.e30.e30","token_type":"Bearer"}`), "code", uint8(0))
	f.Add([]byte(`{"error":{"message":"bad"}}`), "c", uint8(1))
	f.Add([]byte(`{"access_token":"a","sub":"x","user_id":"u"}`), "c", uint8(2))
	f.Add([]byte(`[1,2,3]`), "", uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, code string, which uint8) {
		answer = body
		ip := providers[int(which)%len(providers)]
		id, err := fed.FinishOAuth(context.Background(), "us-east-1_fuzz", ip, callbackURL, code, Pending{Nonce: "n", Verifier: "v"})
		if ip.ProviderType == "OIDC" && err == nil {
			t.Fatalf("accepted an unsigned answer: %+v", id)
		}
		if err != nil && (!errors.Is(err, ErrProvider) || len(err.Error()) > 1000) {
			t.Fatalf("error %v", err)
		}
	})
}
