package userpool

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestIdentityProviderLifecycle(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)

	g := mObj(env.call("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "Google", "ProviderType": "Google",
		"ProviderDetails":  map[string]string{"client_id": "gid", "client_secret": "google-secret-value", "authorize_scopes": "openid email"},
		"AttributeMapping": map[string]string{"email": "email", "username": "sub"}}), "IdentityProvider")
	gd := mObj(g, "ProviderDetails")
	if g["ProviderType"] != "Google" || gd["client_secret"] != "google-secret-value" ||
		gd["authorize_url"] != "https://accounts.google.com/o/oauth2/v2/auth" || gd["token_url"] != "https://www.googleapis.com/oauth2/v4/token" ||
		gd["attributes_url"] != "https://www.googleapis.com/oauth2/v3/userinfo" || gd["jwks_uri"] != "https://www.googleapis.com/oauth2/v3/certs" ||
		gd["oidc_issuer"] != "https://accounts.google.com" || mObj(g, "AttributeMapping")["username"] != "sub" {
		t.Fatalf("Google provider: %v", g)
	}
	// The secret is sealed at rest and opened by Describe.
	raw, err := env.store.Get(context.Background(), providerKey(pool, "Google"))
	if err != nil || bytes.Contains(raw, []byte("google-secret-value")) {
		t.Fatalf("stored provider (%v) holds the secret in the clear: %s", err, raw)
	}
	d := mObj(env.call("DescribeIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "Google"}), "IdentityProvider")
	if mObj(d, "ProviderDetails")["client_secret"] != "google-secret-value" {
		t.Fatalf("DescribeIdentityProvider: %v", d)
	}

	// Each preset knows its provider; every endpoint may be overridden, http only on loopback.
	fb := mObj(mObj(env.call("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "Facebook", "ProviderType": "Facebook",
		"ProviderDetails": map[string]string{"client_id": "f", "client_secret": "s", "authorize_scopes": "public_profile"}}), "IdentityProvider"), "ProviderDetails")
	if fb["authorize_url"] != "https://www.facebook.com/v17.0/dialog/oauth" || fb["token_url"] != "https://graph.facebook.com/v17.0/oauth/access_token" ||
		fb["attributes_url"] != "https://graph.facebook.com/me?fields=" || fb["api_version"] != "v17.0" {
		t.Fatalf("Facebook details: %v", fb)
	}
	am := mObj(mObj(env.call("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "LoginWithAmazon", "ProviderType": "LoginWithAmazon",
		"ProviderDetails": map[string]string{"client_id": "a", "client_secret": "s", "authorize_scopes": "profile",
			"token_url": "http://127.0.0.1:9999/token"}}), "IdentityProvider"), "ProviderDetails")
	if fbp := mObj(env.call("DescribeIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "Facebook"}), "IdentityProvider"); mObj(fbp, "AttributeMapping")["username"] != "id" {
		t.Fatalf("Facebook's username mapping: %v", fbp["AttributeMapping"])
	}
	if am["authorize_url"] != "https://www.amazon.com/ap/oa" || am["token_url"] != "http://127.0.0.1:9999/token" ||
		am["attributes_url"] != "https://api.amazon.com/user/profile" {
		t.Fatalf("Amazon details: %v", am)
	}
	ap := mObj(mObj(env.call("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "SignInWithApple", "ProviderType": "SignInWithApple",
		"ProviderDetails": map[string]string{"client_id": "c", "team_id": "t", "key_id": "k", "private_key": "-----BEGIN PRIVATE KEY-----x",
			"authorize_scopes": "email name"}}), "IdentityProvider"), "ProviderDetails")
	if ap["authorize_url"] != "https://appleid.apple.com/auth/authorize" || ap["token_url"] != "https://appleid.apple.com/auth/token" ||
		ap["oidc_issuer"] != "https://appleid.apple.com" || ap["jwks_uri"] != "https://appleid.apple.com/auth/keys" ||
		ap["private_key"] != "-----BEGIN PRIVATE KEY-----x" {
		t.Fatalf("Apple details: %v", ap)
	}
	oidc := mObj(env.call("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "corp-sso", "ProviderType": "OIDC",
		"ProviderDetails": map[string]string{"client_id": "c", "client_secret": "s", "attributes_request_method": "GET",
			"oidc_issuer": "https://login.example.com", "authorize_scopes": "openid"},
		"IdpIdentifiers": []string{"example.com", "corp"}}), "IdentityProvider")
	if len(mObj(oidc, "ProviderDetails")) != 5 {
		t.Fatalf("OIDC details grew: %v", oidc["ProviderDetails"])
	}
	env.call("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "okta", "ProviderType": "SAML",
		"ProviderDetails": map[string]string{"MetadataFile": "<EntityDescriptor/>", "IDPSignout": "true"}})

	// Identifiers find their provider, and are unique in the pool.
	byID := mObj(env.call("GetIdentityProviderByIdentifier", map[string]any{"UserPoolId": pool, "IdpIdentifier": "corp"}), "IdentityProvider")
	if byID["ProviderName"] != "corp-sso" {
		t.Fatalf("GetIdentityProviderByIdentifier: %v", byID)
	}
	env.wantErr("UpdateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "okta", "IdpIdentifiers": []string{"corp"}},
		"DuplicateProviderException", "The identifier corp is already used by identity provider corp-sso.")
	env.wantErr("CreateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "Google", "ProviderType": "Google",
		"ProviderDetails": map[string]string{"client_id": "g", "client_secret": "s", "authorize_scopes": "openid"}},
		"DuplicateProviderException", "A provider with the name Google already exists in this user pool.")

	// Update merges ProviderDetails and moves identifiers.
	u := mObj(env.call("UpdateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "corp-sso",
		"ProviderDetails": map[string]string{"authorize_url": "https://login.example.com/authorize"}, "IdpIdentifiers": []string{"example.org"}}), "IdentityProvider")
	if ud := mObj(u, "ProviderDetails"); ud["authorize_url"] != "https://login.example.com/authorize" || ud["client_secret"] != "s" {
		t.Fatalf("UpdateIdentityProvider: %v", u)
	}
	env.wantErr("GetIdentityProviderByIdentifier", map[string]any{"UserPoolId": pool, "IdpIdentifier": "corp"},
		"ResourceNotFoundException", "Identity provider with identifier corp does not exist.")
	env.call("UpdateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "okta", "IdpIdentifiers": []string{"corp"}})

	// Clients may name the providers that exist.
	env.createClient(pool, map[string]any{"SupportedIdentityProviders": []string{"COGNITO", "Google", "corp-sso"}})
	env.wantErr("CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": "x", "SupportedIdentityProviders": []string{"Nope"}},
		"InvalidParameterException", "The provider Nope does not exist for User Pool "+pool)

	list := env.call("ListIdentityProviders", map[string]any{"UserPoolId": pool, "MaxResults": 2})
	if ps := mList(list, "Providers"); len(ps) != 2 || ps[0]["ProviderName"] != "Facebook" || list["NextToken"] == nil {
		t.Fatalf("ListIdentityProviders: %v", list)
	}
	all := mList(env.call("ListIdentityProviders", map[string]any{"UserPoolId": pool}), "Providers")
	if len(all) != 6 {
		t.Fatalf("ListIdentityProviders: %d providers", len(all))
	}

	env.call("DeleteIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "okta"})
	env.wantErr("DescribeIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "okta"},
		"ResourceNotFoundException", "Identity provider okta does not exist.")
	env.wantErr("GetIdentityProviderByIdentifier", map[string]any{"UserPoolId": pool, "IdpIdentifier": "corp"}, "ResourceNotFoundException", "")
	env.call("UpdateIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "corp-sso", "IdpIdentifiers": []string{"corp"}})
	env.wantErr("DeleteIdentityProvider", map[string]any{"UserPoolId": pool, "ProviderName": "okta"}, "ResourceNotFoundException", "")
}

func TestIdentityProviderValidation(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	google := func(extra map[string]string) map[string]string {
		d := map[string]string{"client_id": "g", "client_secret": "s", "authorize_scopes": "openid"}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	for _, tc := range []struct {
		name       string
		provider   string
		typ        string
		details    map[string]string
		ids        []string
		errType    string
		msgContain string
	}{
		{"unknown type", "x-idp", "LDAP", google(nil), nil, "InvalidParameterException", "Member must satisfy enum value set"},
		{"social named otherwise", "MyGoogle", "Google", google(nil), nil, "InvalidParameterException", "The provider name must be Google for provider type Google."},
		{"reserved name", "COGNITO", "OIDC", nil, nil, "InvalidParameterException", "reserved"},
		{"name with underscore", "my_idp", "OIDC", nil, nil, "InvalidParameterException", `Member must satisfy regular expression pattern: [^_\p{Z}]`},
		{"name too short", "ab", "OIDC", nil, nil, "InvalidParameterException", "regular expression pattern"},
		{"missing secret", "Google", "Google", map[string]string{"client_id": "g", "authorize_scopes": "openid"}, nil, "InvalidParameterException", "client_secret is required for provider type Google."},
		{"unknown key", "Google", "Google", google(map[string]string{"colour": "blue"}), nil, "InvalidParameterException", "colour is not a valid ProviderDetails key"},
		{"http endpoint", "Google", "Google", google(map[string]string{"token_url": "http://tokens.example.com/t"}), nil, "InvalidParameterException", "token_url must be an absolute https URL."},
		{"bad method", "corp", "OIDC", map[string]string{"client_id": "c", "client_secret": "s", "attributes_request_method": "PUT",
			"oidc_issuer": "https://i.example.com", "authorize_scopes": "openid"}, nil, "InvalidParameterException", "attributes_request_method must be GET or POST."},
		{"saml both", "okta", "SAML", map[string]string{"MetadataURL": "https://idp.example.com/md", "MetadataFile": "<x/>"}, nil, "InvalidParameterException", "Exactly one of MetadataURL and MetadataFile"},
		{"saml neither", "okta", "SAML", map[string]string{}, nil, "InvalidParameterException", "Exactly one of MetadataURL and MetadataFile"},
		{"saml too big", "okta", "SAML", map[string]string{"MetadataFile": strings.Repeat("x", 131073)}, nil, "InvalidParameterException", "131072"},
		{"repeated identifier", "corp", "OIDC", map[string]string{"client_id": "c", "client_secret": "s", "attributes_request_method": "GET",
			"oidc_issuer": "https://i.example.com", "authorize_scopes": "openid"}, []string{"a", "a"}, "DuplicateProviderException", "Duplicate identifier a."},
		{"identifier 41", "corp", "OIDC", nil, []string{strings.Repeat("a", 41)}, "InvalidParameterException", "Member must have length less than or equal to 40"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"UserPoolId": pool, "ProviderName": tc.provider, "ProviderType": tc.typ, "ProviderDetails": tc.details}
			if tc.details == nil {
				body["ProviderDetails"] = map[string]string{"client_id": "c"}
			}
			if tc.ids != nil {
				body["IdpIdentifiers"] = tc.ids
			}
			typ, msg := env.callErr("CreateIdentityProvider", body)
			if typ != tc.errType || !strings.Contains(msg, tc.msgContain) {
				t.Fatalf("got %s %q, want %s containing %q", typ, msg, tc.errType, tc.msgContain)
			}
		})
	}
}

// TestIdpIdentifierRace: twenty providers claim one identifier at once; one holds it.
func TestIdpIdentifierRace(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	const n = 20
	var wg sync.WaitGroup
	statuses := make([]int, n)
	types := make([]string, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			status, out := env.dispatch("CreateIdentityProvider", map[string]any{"UserPoolId": pool,
				"ProviderName": "idp" + string(rune('a'+i)), "ProviderType": "SAML",
				"ProviderDetails": map[string]string{"MetadataFile": "<m/>"}, "IdpIdentifiers": []string{"shared.example.com"}})
			statuses[i] = status
			types[i], _ = out["__type"].(string)
		}(i)
	}
	close(start)
	wg.Wait()
	winner := ""
	for i, st := range statuses {
		name := "idp" + string(rune('a'+i))
		switch {
		case st == http.StatusOK && winner == "":
			winner = name
		case st == http.StatusOK:
			t.Fatalf("two providers hold the identifier: %s and %s", winner, name)
		case types[i] != "DuplicateProviderException":
			t.Fatalf("%s: status %d %s", name, st, types[i])
		}
	}
	got := mObj(env.call("GetIdentityProviderByIdentifier", map[string]any{"UserPoolId": pool, "IdpIdentifier": "shared.example.com"}), "IdentityProvider")
	if winner == "" || got["ProviderName"] != winner {
		t.Fatalf("identifier held by %v, winner %q", got["ProviderName"], winner)
	}
	if n := len(mList(env.call("ListIdentityProviders", map[string]any{"UserPoolId": pool}), "Providers")); n != 1 {
		t.Fatalf("%d providers exist, want only the winner", n)
	}
}
