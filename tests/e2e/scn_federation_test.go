package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/crewjam/saml"
)

// Federated sign-in end to end (spec §12): a browser goes from /oauth2/authorize through a
// real provider — oidc-provider in Node, crewjam/saml's IdP — back to /oauth2/idpresponse or
// /saml2/idpresponse and on to the app, which redeems the code at /oauth2/token. Every step
// crosses the running server (hostsim or the Worker), including its outbound fetches to the
// provider (discovery, token endpoint, JWKS, user info).

// fedRole is the role the federation scenarios' identity pools hand out; roles exist only in
// configuration, so the scenario servers start with scenarioConfig.
const fedRole = "arn:aws:iam::000000000000:role/E2EFederated"

// newFedFixture is a pool with the identity providers providers(pool) describes and an app
// client of the managed login that supports COGNITO and them.
func newFedFixture(t testing.TB, ep *Endpoint, providers func(pool string) []*cip.CreateIdentityProviderInput) *oauthFixture {
	t.Helper()
	pool := aws.ToString(newPool(t, ep, nil).Id)
	names := []string{"COGNITO"}
	for _, in := range providers(pool) {
		in.UserPoolId = aws.String(pool)
		call(ep.Admin().CreateIdentityProvider(ctx, in)).must(t)
		names = append(names, aws.ToString(in.ProviderName))
	}
	c := newClient(t, ep, pool, func(in *cip.CreateUserPoolClientInput) {
		in.CallbackURLs = []string{oauthCallback}
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeCode}
		in.AllowedOAuthScopes = []string{"openid", "email", "profile"}
		in.AllowedOAuthFlowsUserPoolClient = true
		in.SupportedIdentityProviders = names
	})
	return &oauthFixture{fixture: &fixture{ep: ep, pool: pool, client: aws.ToString(c.ClientId)}, t: t}
}

// oidcProvider is CreateIdentityProvider's input for op under name.
func oidcProvider(name string, op *testOP, identifiers ...string) *cip.CreateIdentityProviderInput {
	return &cip.CreateIdentityProviderInput{ProviderName: aws.String(name), ProviderType: types.IdentityProviderTypeTypeOidc,
		ProviderDetails: map[string]string{"client_id": opClientID, "client_secret": opClientSecret,
			"attributes_request_method": "GET", "oidc_issuer": op.issuer, "authorize_scopes": "openid email profile"},
		AttributeMapping: map[string]string{"email": "email", "name": "name"},
		IdpIdentifiers:   identifiers}
}

// fedScopes sets the scopes of the federation fixtures' clients on an authorization request.
func fedScopes(q url.Values) { q.Set("scope", "openid email profile") }

// fedAuthorize is the path of an authorization request of f's client naming a provider.
func fedAuthorize(f *oauthFixture, param, value, state string) string {
	return "/oauth2/authorize?" + f.authQuery(func(q url.Values) {
		q.Set(param, value)
		q.Set("state", state)
		q.Set("scope", "openid email profile")
	}).Encode()
}

// fedTokens redeems the code of a callback query and returns the verified ID token's claims
// and the token endpoint's answer.
func fedTokens(t testing.TB, f *oauthFixture, cb url.Values, state string) (map[string]any, map[string]any) {
	t.Helper()
	if cb.Get("code") == "" || cb.Get("state") != state {
		t.Fatalf("callback %v, want a code and state %s", cb, state)
	}
	status, tok := f.redeem(newOAuthBrowser(t, f.ep), cb.Get("code"), nil)
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	id, _ := verifyToken(t, f.ep, f.pool, tok["id_token"].(string), "id", f.client)
	access, _ := verifyToken(t, f.ep, f.pool, tok["access_token"].(string), "access", f.client)
	if access["username"] != id["cognito:username"] || access["sub"] != id["sub"] {
		t.Fatalf("access token %v does not name the ID token's user %v", access, id)
	}
	return id, tok
}

// fedUser is AdminGetUser's status and attributes of username.
func fedUser(t testing.TB, ep *Endpoint, pool, username string) (types.UserStatusType, map[string]string) {
	t.Helper()
	u := call(ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(username)})).must(t)
	attrs := map[string]string{}
	for _, a := range u.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return u.UserStatus, attrs
}

// wantIdentity checks the ID token's identities claim names provider's subject userID.
func wantIdentity(t testing.TB, id map[string]any, provider, providerType, userID, issuer string) {
	t.Helper()
	list, _ := id["identities"].([]any)
	if len(list) != 1 {
		t.Fatalf("identities claim %v", id["identities"])
	}
	e, _ := list[0].(map[string]any)
	if e["providerName"] != provider || e["providerType"] != providerType || e["userId"] != userID || e["issuer"] != issuer || e["primary"] != "true" {
		t.Fatalf("identities claim %v", e)
	}
}

var providerLink = regexp.MustCompile(`<a class="provider[^"]*" href="([^"]+)">Sign in with ([^<]+)</a>`)

// scnFederationOIDC: sign-in through an OpenID provider from the login page's button and by
// identity_provider and idp_identifier; the user it makes, updated on the next sign-in; its
// tokens accepted by an identity pool; forged and replayed provider answers refused.
// scnFederationOIDCES256: an OpenID provider whose only key is P-256 signs its ID tokens
// ES256; poolgate verifies them (on the Worker with WebCrypto's ECDSA) and signs the user in.
func scnFederationOIDCES256(t *testing.T, ep *Endpoint) {
	op := startOPSigning(t, ep, map[string]any{"sub": "op-user-ec", "email": "ec@corp.example", "email_verified": true, "name": "EC User"}, "ES256")
	resp, err := op.http.Get(op.issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct{ Keys []map[string]any }
	err = json.NewDecoder(resp.Body).Decode(&jwks)
	resp.Body.Close()
	if err != nil || len(jwks.Keys) != 1 || jwks.Keys[0]["kty"] != "EC" || jwks.Keys[0]["crv"] != "P-256" {
		t.Fatalf("the provider's JWKS is not one P-256 key: %v %v", err, jwks.Keys)
	}
	f := newFedFixture(t, ep, func(string) []*cip.CreateIdentityProviderInput {
		return []*cip.CreateIdentityProviderInput{oidcProvider("CorpEC", op)}
	})
	cb, _, err := newFedBrowser(ep).signIn(fedAuthorize(f, "identity_provider", "CorpEC", "state-ec"))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := fedTokens(t, f, cb, "state-ec")
	if id["cognito:username"] != "CorpEC_op-user-ec" || id["email"] != "ec@corp.example" || id["name"] != "EC User" {
		t.Fatalf("ID token %v", id)
	}
	wantIdentity(t, id, "CorpEC", "OIDC", "op-user-ec", op.issuer)
}

func scnFederationOIDC(t *testing.T, ep *Endpoint) {
	op := startOP(t, ep, map[string]any{"sub": "op-user-1", "email": "first@corp.example", "email_verified": true, "name": "First Name"})
	f := newFedFixture(t, ep, func(string) []*cip.CreateIdentityProviderInput {
		return []*cip.CreateIdentityProviderInput{oidcProvider("Corp", op, "corp.example")}
	})
	const username = "Corp_op-user-1"

	// The login page's "Sign in with Corp" leads to the provider, and back to the app.
	b := newFedBrowser(ep)
	p, err := b.do(http.MethodGet, b.abs("/login?"+f.authQuery(fedScopes).Encode()), nil)
	if err != nil || p.status != http.StatusOK {
		t.Fatalf("login page: %v %+v", err, p)
	}
	m := providerLink.FindStringSubmatch(p.body)
	if m == nil || m[2] != "Corp" {
		t.Fatalf("the login page has no Sign in with Corp link:\n%s", p.body)
	}
	href := html.UnescapeString(m[1])
	cb, hops, err := b.signIn(href)
	if err != nil {
		t.Fatal(err)
	}
	if len(hops) < 2 || !strings.HasPrefix(hops[1].String(), op.issuer+"/") {
		t.Fatalf("the link did not lead to the provider: %v", hops)
	}
	id, tok := fedTokens(t, f, cb, "state-42-customState")
	idToken := tok["id_token"].(string)
	if id["cognito:username"] != username || id["email"] != "first@corp.example" || id["name"] != "First Name" {
		t.Fatalf("ID token %v", id)
	}
	wantIdentity(t, id, "Corp", "OIDC", "op-user-1", op.issuer)
	status, attrs := fedUser(t, ep, f.pool, username)
	if status != types.UserStatusType("EXTERNAL_PROVIDER") || attrs["email"] != "first@corp.example" || attrs["sub"] != id["sub"] {
		t.Fatalf("AdminGetUser: %s %v", status, attrs)
	}

	// The federated user has no password: the login form does not sign it in.
	nb := newFedBrowser(ep)
	lp, err := nb.do(http.MethodGet, nb.abs("/login?"+f.authQuery(fedScopes).Encode()), nil)
	if err != nil || csrfField.FindStringSubmatch(lp.body) == nil {
		t.Fatalf("login page: %v %+v", err, lp)
	}
	lp, err = nb.do(http.MethodPost, lp.url, url.Values{"_csrf": {csrfField.FindStringSubmatch(lp.body)[1]},
		"username": {username}, "password": {oauthPassword}})
	if err != nil || lp.status != http.StatusOK || lp.location() != nil || !strings.Contains(lp.body, `role="alert"`) {
		t.Fatalf("password sign-in of a federated user: %v %+v", err, lp)
	}

	// The tokens refresh, and userInfo answers for the federated user.
	ob := newOAuthBrowser(t, ep)
	code, ref := f.token(ob, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, "")
	if code != http.StatusOK || claims(t, ref["id_token"].(string))["cognito:username"] != username {
		t.Fatalf("refresh: %d %v", code, ref)
	}
	code, _, info := ob.do(http.MethodGet, "/oauth2/userInfo", nil, map[string]string{"Authorization": "Bearer " + ref["access_token"].(string)})
	if code != http.StatusOK || !strings.Contains(info, `"email":"first@corp.example"`) || !strings.Contains(info, `"username":"`+username+`"`) {
		t.Fatalf("userInfo: %d %s", code, info)
	}

	// The next sign-in (by identity_provider, in another browser) rewrites the mapped
	// attributes and lands on the same user.
	op.setAccount(t, map[string]any{"sub": "op-user-1", "email": "second@corp.example", "email_verified": true, "name": "Second Name"})
	cb, _, err = newFedBrowser(ep).signIn(fedAuthorize(f, "identity_provider", "Corp", "again"))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := fedTokens(t, f, cb, "again")
	if again["sub"] != id["sub"] || again["email"] != "second@corp.example" || again["name"] != "Second Name" {
		t.Fatalf("second sign-in: %v", again)
	}
	if _, attrs = fedUser(t, ep, f.pool, username); attrs["email"] != "second@corp.example" || attrs["name"] != "Second Name" {
		t.Fatalf("after the second sign-in: %v", attrs)
	}

	// idp_identifier names the provider too.
	cb, _, err = newFedBrowser(ep).signIn(fedAuthorize(f, "idp_identifier", "corp.example", "by-identifier"))
	if err != nil {
		t.Fatal(err)
	}
	if byID, _ := fedTokens(t, f, cb, "by-identifier"); byID["sub"] != id["sub"] {
		t.Fatalf("idp_identifier signed in %v", byID["cognito:username"])
	}

	// An identity pool takes the federated user's ID token like any user pool token.
	adm := ep.Identity(true)
	ip := call(adm.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("federated"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(canonicalKey(f.pool)), ClientId: aws.String(f.client)}}})).must(t)
	call(adm.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: ip.IdentityPoolId,
		Roles: map[string]string{"authenticated": fedRole}})).must(t)
	identity, _ := vend(t, ep, *ip.IdentityPoolId, map[string]string{amplifyKey(ep, f.pool): idToken})
	if again, _ := vend(t, ep, *ip.IdentityPoolId, map[string]string{amplifyKey(ep, f.pool): idToken}); again != identity {
		t.Fatalf("the same federated user got identities %s and %s", identity, again)
	}

	fedForgeries(t, f)
}

// fedForgeries: answers at /oauth2/idpresponse that do not belong to a sign-in this browser
// started, or that were used already, end on an error page or an OAuth error redirect.
func fedForgeries(t *testing.T, f *oauthFixture) {
	ep := f.ep
	b := newFedBrowser(ep)
	back, err := b.atProvider(fedAuthorize(f, "identity_provider", "Corp", "forged"))
	if err != nil {
		t.Fatal(err)
	}
	q := back.u.Query()
	if q.Get("code") == "" || q.Get("state") == "" {
		t.Fatalf("the provider answered %s", back.u)
	}
	with := func(mod func(url.Values)) fedStep {
		u := *back.u
		q := u.Query()
		mod(q)
		u.RawQuery = q.Encode()
		return fedStep{u: &u}
	}
	wantErrorPage := func(what string, step fedStep, b *fedBrowser) {
		t.Helper()
		cb, p, err := b.finish(step)
		if err != nil || cb != nil || p.status != http.StatusBadRequest || !strings.Contains(p.body, "Start again") {
			t.Fatalf("%s: %v %v %+v", what, err, cb, p)
		}
	}
	// A tampered state.
	wantErrorPage("tampered state", with(func(q url.Values) { q.Set("state", tamper(q.Get("state"))) }), b)
	wantErrorPage("no state", with(func(q url.Values) { q.Del("state") }), b)
	// The genuine answer in another browser (login CSRF: it did not start this sign-in).
	wantErrorPage("another browser", back, newFedBrowser(ep))

	// The genuine answer in this browser signs in, once; kept, the pending-sign-in cookie
	// lets the same answer come back, and the provider refuses its used code.
	pending := b.cookies["poolgate-federation"]
	cb, _, err := b.finish(back)
	if err != nil || cb.Get("code") == "" || cb.Get("state") != "forged" {
		t.Fatalf("the genuine answer: %v %v", err, cb)
	}
	wantErrorPage("the answer again (the cookie is spent)", back, b)
	b.cookies["poolgate-federation"] = pending
	cb, p, err := b.finish(back)
	if err != nil || cb.Get("error") != "invalid_request" || cb.Get("state") != "forged" || cb.Get("code") != "" {
		t.Fatalf("a replayed provider code: %v %v %+v", err, cb, p)
	}

	// The provider's own refusal comes to the app as an OAuth error.
	b = newFedBrowser(ep)
	back, err = b.atProvider(fedAuthorize(f, "identity_provider", "Corp", "denied"))
	if err != nil {
		t.Fatal(err)
	}
	cb, _, err = b.finish(with(func(q url.Values) {
		q.Set("state", back.u.Query().Get("state"))
		q.Del("code")
		q.Set("error", "access_denied")
	}))
	if err != nil || cb.Get("error") != "invalid_request" || !strings.Contains(cb.Get("error_description"), "access_denied") {
		t.Fatalf("provider error: %v %v", err, cb)
	}
}

// scnFederationLinks: after AdminLinkProviderForUser, the provider subject's sign-in is the
// native user's.
func scnFederationLinks(t *testing.T, ep *Endpoint) {
	op := startOP(t, ep, map[string]any{"sub": "op-linked-1", "email": "linked@corp.example", "email_verified": true, "name": "Linked"})
	f := newFedFixture(t, ep, func(string) []*cip.CreateIdentityProviderInput {
		return []*cip.CreateIdentityProviderInput{oidcProvider("CorpLink", op)}
	})
	f.createUser(t, "native-bob", oauthPassword, attr("email", "bob@example.com"))
	_, native := fedUser(t, ep, f.pool, "native-bob")
	call(ep.Admin().AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(f.pool),
		DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String("native-bob")},
		SourceUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("CorpLink"),
			ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String("op-linked-1")}})).must(t)

	cb, _, err := newFedBrowser(ep).signIn(fedAuthorize(f, "identity_provider", "CorpLink", "linked"))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := fedTokens(t, f, cb, "linked")
	if id["sub"] != native["sub"] || id["cognito:username"] != "native-bob" {
		t.Fatalf("the linked sign-in is %v/%v, want native-bob %v", id["cognito:username"], id["sub"], native["sub"])
	}
	_, err = ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("CorpLink_op-linked-1")})
	wantErr(t, err, "UserNotFoundException", "")

	// AdminDisableProviderForUser stops a subject's federated user: its next sign-in comes
	// back to the app as an OAuth error.
	op.setAccount(t, map[string]any{"sub": "op-plain-2", "email": "plain@corp.example", "email_verified": true})
	cb, _, err = newFedBrowser(ep).signIn(fedAuthorize(f, "identity_provider", "CorpLink", "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := fedTokens(t, f, cb, "plain"); id["cognito:username"] != "CorpLink_op-plain-2" {
		t.Fatalf("unlinked sign-in as %v", id["cognito:username"])
	}
	call(ep.Admin().AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{UserPoolId: aws.String(f.pool),
		User: &types.ProviderUserIdentifierType{ProviderName: aws.String("CorpLink"),
			ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String("op-plain-2")}})).must(t)
	cb, _, err = newFedBrowser(ep).signIn(fedAuthorize(f, "identity_provider", "CorpLink", "disabled"))
	if err != nil || cb.Get("error") != "invalid_request" || cb.Get("state") != "disabled" || !strings.Contains(cb.Get("error_description"), "disabled") {
		t.Fatalf("sign-in of a disabled federated user: %v %v", err, cb)
	}
}

// scnFederationSAML: sign-in through crewjam/saml's IdP, which knows poolgate by its published
// SP metadata; a SAML response altered or posted twice is refused; the same IdP configured by
// its MetadataURL (fetched through the host's fetch) signs in too.
func scnFederationSAML(t *testing.T, ep *Endpoint) {
	var idp *testIdP
	f := newFedFixture(t, ep, func(pool string) []*cip.CreateIdentityProviderInput {
		idp = startIdP(t, ep, pool, &saml.Session{ID: "idp-session-1", NameID: "carol@corp.example", UserName: "carol",
			UserEmail: "carol@corp.example", CreateTime: ep.Now(), ExpireTime: ep.Now().Add(8 * time.Hour)})
		return []*cip.CreateIdentityProviderInput{{ProviderName: aws.String("CorpSAML"), ProviderType: types.IdentityProviderTypeTypeSaml,
			ProviderDetails:  map[string]string{"MetadataFile": string(idp.metadata)},
			AttributeMapping: map[string]string{"email": "urn:oid:0.9.2342.19200300.100.1.3"}},
			{ProviderName: aws.String("CorpSAMLByURL"), ProviderType: types.IdentityProviderTypeTypeSaml,
				ProviderDetails:  map[string]string{"MetadataURL": idp.srv.URL + "/metadata"},
				AttributeMapping: map[string]string{"email": "urn:oid:0.9.2342.19200300.100.1.3"}}}
	})
	idp.syncClock(ep)
	const username = "CorpSAML_carol@corp.example"

	b := newFedBrowser(ep)
	back, err := b.atProviderSAML(fedAuthorize(f, "identity_provider", "CorpSAML", "saml-state"))
	if err != nil {
		t.Fatal(err)
	}
	if back.form.Get("SAMLResponse") == "" || back.form.Get("RelayState") == "" {
		t.Fatalf("the IdP posts %v", back.form)
	}
	// A RelayState that is not the one poolgate handed out ends on the error page.
	forged := fedStep{u: back.u, form: url.Values{"SAMLResponse": back.form["SAMLResponse"], "RelayState": {tamper(back.form.Get("RelayState"))}}}
	if cb, p, err := b.finish(forged); err != nil || cb != nil || p.status != http.StatusBadRequest {
		t.Fatalf("a tampered RelayState: %v %v %+v", err, cb, p)
	}
	pending := b.cookies["poolgate-federation"]
	// The IdP's signed response with its subject changed (on the Worker it is verified by
	// the SAML companion Worker): refused, and the genuine one is still accepted after it.
	raw, err := base64.StdEncoding.DecodeString(back.form.Get("SAMLResponse"))
	if err != nil || !bytes.Contains(raw, []byte("carol@corp.example")) {
		t.Fatalf("the IdP's SAMLResponse: %v", err)
	}
	altered := base64.StdEncoding.EncodeToString(bytes.ReplaceAll(raw, []byte("carol@corp.example"), []byte("mallory@corp.example")))
	cb, p, err := b.finish(fedStep{u: back.u, form: url.Values{"SAMLResponse": {altered}, "RelayState": back.form["RelayState"]}})
	if err != nil || cb.Get("error") != "invalid_request" || cb.Get("code") != "" || !strings.Contains(cb.Get("error_description"), "SAML response refused") {
		t.Fatalf("an altered SAML response: %v %v %+v", err, cb, p)
	}
	b.cookies["poolgate-federation"] = pending
	cb, p, err = b.finish(back)
	if err != nil || cb == nil {
		t.Fatalf("SAML response: %v %+v", err, p)
	}
	id, _ := fedTokens(t, f, cb, "saml-state")
	if id["cognito:username"] != username || id["email"] != "carol@corp.example" {
		t.Fatalf("ID token %v", id)
	}
	issuer := idp.srv.URL + "/metadata"
	wantIdentity(t, id, "CorpSAML", "SAML", "carol@corp.example", issuer)
	if status, attrs := fedUser(t, ep, f.pool, username); status != types.UserStatusType("EXTERNAL_PROVIDER") || attrs["email"] != "carol@corp.example" {
		t.Fatalf("AdminGetUser: %s %v", status, attrs)
	}

	// The same SAML response again, with the pending sign-in's cookie kept: the assertion
	// was consumed.
	b.cookies["poolgate-federation"] = pending
	cb, p, err = b.finish(back)
	if err != nil || cb.Get("error") != "invalid_request" || cb.Get("code") != "" {
		t.Fatalf("a replayed SAML response: %v %v %+v", err, cb, p)
	}

	// The IdP named by its MetadataURL: poolgate fetches the metadata and signs carol in as
	// that provider's user.
	b = newFedBrowser(ep)
	back, err = b.atProviderSAML(fedAuthorize(f, "identity_provider", "CorpSAMLByURL", "saml-url"))
	if err != nil {
		t.Fatal(err)
	}
	cb, p, err = b.finish(back)
	if err != nil || cb == nil {
		t.Fatalf("SAML response (MetadataURL): %v %+v", err, p)
	}
	if id, _ := fedTokens(t, f, cb, "saml-url"); id["cognito:username"] != "CorpSAMLByURL_carol@corp.example" {
		t.Fatalf("ID token (MetadataURL) %v", id)
	}
	if idp.fetches.Load() == 0 {
		t.Fatal("the IdP's metadata was never fetched")
	}
}

// atProviderSAML is atProvider for a SAML IdP: the step is the auto-posted form to
// /saml2/idpresponse.
func (b *fedBrowser) atProviderSAML(pathAndQuery string) (fedStep, error) {
	step, _, err := b.walk(fedStep{u: b.abs(pathAndQuery)}, func(u *url.URL) bool {
		return b.poolgate(u) && u.Path == "/saml2/idpresponse"
	})
	return step, err
}

// scnFederationRace: ten browsers sign one new provider user in, each through its own login
// at the provider; their answers reach poolgate at once and make one user.
func scnFederationRace(t *testing.T, ep *Endpoint) {
	const n = 10
	op := startOP(t, ep, map[string]any{"sub": "op-racer", "email": "racer@corp.example", "email_verified": true, "name": "Racer"})
	f := newFedFixture(t, ep, func(string) []*cip.CreateIdentityProviderInput {
		return []*cip.CreateIdentityProviderInput{oidcProvider("CorpRace", op)}
	})
	browsers := make([]*fedBrowser, n)
	backs := make([]fedStep, n)
	for i := range n {
		browsers[i] = newFedBrowser(ep)
		var err error
		if backs[i], err = browsers[i].atProvider(fedAuthorize(f, "identity_provider", "CorpRace", fmt.Sprint("race-", i))); err != nil {
			t.Fatal(err)
		}
	}
	cbs, errs := race(n, func(i int) (url.Values, error) {
		cb, p, err := browsers[i].finish(backs[i])
		if err == nil && cb == nil {
			err = fmt.Errorf("answered %d: %.300s", p.status, p.body)
		}
		return cb, err
	})
	subs := map[any]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
		id, _ := fedTokens(t, f, cbs[i], fmt.Sprint("race-", i))
		subs[id["sub"]] = true
	}
	users := call(ep.Admin().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.pool)})).must(t)
	if len(subs) != 1 || len(users.Users) != 1 || aws.ToString(users.Users[0].Username) != "CorpRace_op-racer" {
		t.Fatalf("%d racing sign-ins made subs %v and users %d", n, subs, len(users.Users))
	}
}
