package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
)

var codeRe = regexp.MustCompile(`^[0-9]{6}$`)

// wantMasked checks a CodeDeliveryDetails for an email (spec §2.3: destination masked).
func wantMasked(t testing.TB, d *types.CodeDeliveryDetailsType, email string) {
	t.Helper()
	if d == nil {
		t.Fatalf("no CodeDeliveryDetails")
	}
	dest := aws.ToString(d.Destination)
	if d.DeliveryMedium != "EMAIL" || aws.ToString(d.AttributeName) != "email" || !strings.Contains(dest, "***") ||
		dest == email || !strings.HasPrefix(dest, email[:1]) {
		t.Errorf("CodeDeliveryDetails = {%q %q %q}, want EMAIL/email and a masked %s", dest, d.DeliveryMedium, aws.ToString(d.AttributeName), email)
	}
}

// scnSignUpAndConfirm: SignUp, the code in the outbox, ConfirmSignUp, ResendConfirmationCode.
func scnSignUpAndConfirm(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	signUp := func(user, pw string, attrs ...types.AttributeType) (*cip.SignUpOutput, error) {
		return pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String(user), Password: aws.String(pw), UserAttributes: attrs,
			ClientMetadata: map[string]string{}})
	}

	out := call(signUp("dave", "Passw0rd-dave", attr("email", "dave@example.com"))).must(t)
	if out.UserConfirmed || !uuidRe.MatchString(aws.ToString(out.UserSub)) {
		t.Errorf("SignUp: confirmed %v sub %q", out.UserConfirmed, aws.ToString(out.UserSub))
	}
	wantMasked(t, out.CodeDeliveryDetails, "dave@example.com")
	msg := lastMessage(t, ep, "dave@example.com", message.KindSignUp)
	if !codeRe.MatchString(msg.Code) || msg.Medium != "EMAIL" || msg.Attribute != "email" {
		t.Fatalf("sign-up message = %+v, want a 6-digit code by EMAIL", msg)
	}
	if g := f.adminGetUser(t, "dave"); g.UserStatus != "UNCONFIRMED" || attrMap(g.UserAttributes)["sub"] != aws.ToString(out.UserSub) {
		t.Errorf("after SignUp: status %s, sub %s", g.UserStatus, attrMap(g.UserAttributes)["sub"])
	}

	_, err := signUp("dave", "Passw0rd-dave", attr("email", "dave@example.com"))
	wantErr(t, err, "UsernameExistsException", "User already exists")
	_, err = signUp("weak", "passw0rd-weak", attr("email", "weak@example.com"))
	wantErr(t, err, "InvalidPasswordException", "")
	_, err = signUp("tiny", "Pw0", attr("email", "tiny@example.com"))
	wantErr(t, err, "InvalidParameterException", "")
	_, err = signUp("mal", "Passw0rd-mal", attr("email", "not-an-email"))
	wantErr(t, err, "InvalidParameterException", "")
	_, err = pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String("nosuchclient000000000000000"), Username: aws.String("x"), Password: aws.String("Passw0rd-x")})
	wantErr(t, err, "ResourceNotFoundException", "")

	confirm := func(user, code string) error {
		_, err := pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String(user), ConfirmationCode: aws.String(code)})
		return err
	}
	wrong := "000000"
	if msg.Code == wrong {
		wrong = "111111"
	}
	wantErr(t, confirm("dave", wrong), "CodeMismatchException", "Invalid verification code provided, please try again.")

	rc := call(pub.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.client), Username: aws.String("dave")})).must(t)
	wantMasked(t, rc.CodeDeliveryDetails, "dave@example.com")
	msg2 := lastMessage(t, ep, "dave@example.com", message.KindResendCode, message.KindSignUp)
	if !codeRe.MatchString(msg2.Code) {
		t.Fatalf("resent code %q", msg2.Code)
	}
	ok(t, confirm("dave", msg2.Code))
	g := f.adminGetUser(t, "dave")
	if g.UserStatus != "CONFIRMED" || attrMap(g.UserAttributes)["email_verified"] != "true" {
		t.Errorf("after ConfirmSignUp: status %s email_verified %q", g.UserStatus, attrMap(g.UserAttributes)["email_verified"])
	}
	wantErr(t, confirm("dave", msg2.Code), "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
	_, err = pub.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.client), Username: aws.String("dave")})
	wantErr(t, err, "InvalidParameterException", "")
	f.tokens(t, "dave", "Passw0rd-dave")

	// A pool without auto-verified attributes: no code, the user waits for an admin.
	f2 := newFixture(t, ep, func(in *cip.CreateUserPoolInput) { in.AutoVerifiedAttributes = nil }, nil)
	before := countMessages(ep, "erin@example.com")
	out = call(pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f2.client), Username: aws.String("erin"), Password: aws.String("Passw0rd-erin"),
		UserAttributes: []types.AttributeType{attr("email", "erin@example.com")}})).must(t)
	if out.UserConfirmed || out.CodeDeliveryDetails != nil || countMessages(ep, "erin@example.com") != before {
		t.Errorf("SignUp without AutoVerifiedAttributes: confirmed %v details %+v, messages %d→%d", out.UserConfirmed, out.CodeDeliveryDetails, before, countMessages(ep, "erin@example.com"))
	}

	// AllowAdminCreateUserOnly refuses SignUp.
	f3 := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}
	}, nil)
	_, err = pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f3.client), Username: aws.String("x"), Password: aws.String("Passw0rd-x")})
	wantErr(t, err, "NotAuthorizedException", "SignUp is not permitted for this user pool")
}

// scnSRPSignInAndTokens: SRP sign-in with poolgate's own SRP client half; every claim of both
// tokens checked, signatures verified with jwx against the JWKS; discovery document.
func scnSRPSignInAndTokens(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}
		in.Schema = []types.SchemaAttributeType{{Name: aws.String("tier"), AttributeDataType: "String", Mutable: aws.Bool(true)}}
	}, nil)
	u := f.createUser(t, "erin", "Passw0rd-erin", attr("email", "erin@example.com"), attr("email_verified", "true"),
		attr("name", "Erin"), attr("custom:tier", "gold"))
	sub := attrMap(u.Attributes)["sub"]
	signedIn := ep.Now()

	// Case-insensitive pool: the typed username differs in case, USER_ID_FOR_SRP is canonical.
	ch, err := f.srpStart(t, "ERIN")
	ok(t, err)
	if ch.params["USER_ID_FOR_SRP"] != "erin" || ch.params["USERNAME"] != "erin" {
		t.Errorf("USER_ID_FOR_SRP %q USERNAME %q, want the canonical erin", ch.params["USER_ID_FOR_SRP"], ch.params["USERNAME"])
	}
	if _, err := srpHex(ch.params["SALT"]); err != nil {
		t.Errorf("SALT: %v", err)
	}
	out := call(f.srpRespond(t, ch, "Passw0rd-erin", srp.FormatTimestamp(ep.Now()))).must(t)
	res := out.AuthenticationResult
	if res == nil {
		t.Fatalf("SRP sign-in: no AuthenticationResult (challenge %q)", out.ChallengeName)
	}
	if aws.ToString(res.TokenType) != "Bearer" || res.ExpiresIn != 3600 || aws.ToString(res.RefreshToken) == "" {
		t.Errorf("AuthenticationResult: type %q expires %d refresh %q", aws.ToString(res.TokenType), res.ExpiresIn, aws.ToString(res.RefreshToken))
	}
	if len(out.ChallengeParameters) != 0 || out.Session != nil {
		t.Errorf("success carries ChallengeParameters %v / Session", out.ChallengeParameters)
	}

	iss := ep.IssuerBase + "/" + f.pool
	idc, idKid := verifyToken(t, ep, f.pool, aws.ToString(res.IdToken), "id", f.client)
	now := signedIn.Unix()
	if idc["sub"] != sub || idc["aud"] != f.client || idc["iss"] != iss || idc["cognito:username"] != "erin" ||
		idc["email"] != "erin@example.com" || idc["email_verified"] != true || idc["name"] != "Erin" || idc["custom:tier"] != "gold" {
		t.Errorf("id token claims: %v", idc)
	}
	if num(t, idc, "iat") != now || num(t, idc, "auth_time") != now || num(t, idc, "exp") != now+3600 {
		t.Errorf("id token times: iat %v auth_time %v exp %v, want %d/%d/%d", idc["iat"], idc["auth_time"], idc["exp"], now, now, now+3600)
	}
	for _, k := range []string{"jti", "origin_jti", "event_id"} {
		if s, _ := idc[k].(string); !uuidRe.MatchString(s) {
			t.Errorf("id token %s = %v, want a UUID", k, idc[k])
		}
	}
	if _, has := idc["cognito:groups"]; has {
		t.Errorf("id token of a user in no group has cognito:groups")
	}
	if _, has := idc["client_id"]; has {
		t.Errorf("id token has client_id")
	}

	acc, accKid := verifyToken(t, ep, f.pool, aws.ToString(res.AccessToken), "access", f.client)
	if acc["sub"] != sub || acc["client_id"] != f.client || acc["iss"] != iss || acc["username"] != "erin" ||
		acc["scope"] != "aws.cognito.signin.user.admin" || acc["version"] != json.Number("2") {
		t.Errorf("access token claims: %v", acc)
	}
	if _, has := acc["aud"]; has {
		t.Errorf("access token has aud (spec §5.3: no aud)")
	}
	if num(t, acc, "iat") != now || num(t, acc, "auth_time") != now || num(t, acc, "exp") != now+3600 {
		t.Errorf("access token times: %v %v %v", acc["iat"], acc["auth_time"], acc["exp"])
	}
	if acc["origin_jti"] != idc["origin_jti"] || acc["event_id"] != idc["event_id"] || acc["jti"] == idc["jti"] {
		t.Errorf("origin_jti/event_id must be shared and jti unique: id %v/%v/%v access %v/%v/%v",
			idc["origin_jti"], idc["event_id"], idc["jti"], acc["origin_jti"], acc["event_id"], acc["jti"])
	}
	if idKid == accKid {
		t.Errorf("id and access tokens are signed with the same key %q (spec §5.1: two keys)", idKid)
	}

	// JWKS: RSA keys for signatures, both kids present.
	status, hdr, body := httpGet(t, ep.URL+"/"+f.pool+"/.well-known/jwks.json")
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("jwks.json: status %d content-type %q", status, hdr.Get("Content-Type"))
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	ok(t, json.Unmarshal(body, &jwks))
	kids := map[string]bool{}
	for _, k := range jwks.Keys {
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["e"] != "AQAB" || k["n"] == nil {
			t.Errorf("JWK %v, want kty RSA alg RS256 use sig e AQAB", k)
		}
		kid, _ := k["kid"].(string)
		kids[kid] = true
	}
	if !kids[idKid] || !kids[accKid] {
		t.Errorf("JWKS kids %v lack %s or %s", kids, idKid, accKid)
	}

	// OpenID discovery.
	status, _, body = httpGet(t, ep.URL+"/"+f.pool+"/.well-known/openid-configuration")
	if status != 200 {
		t.Fatalf("openid-configuration: status %d: %s", status, body)
	}
	var disc map[string]any
	ok(t, json.Unmarshal(body, &disc))
	if disc["issuer"] != iss || disc["jwks_uri"] != iss+"/.well-known/jwks.json" {
		t.Errorf("discovery issuer %v jwks_uri %v, want %s and %s/.well-known/jwks.json", disc["issuer"], disc["jwks_uri"], iss, iss)
	}
	if !slices.Contains(stringsOf(disc["id_token_signing_alg_values_supported"]), "RS256") {
		t.Errorf("discovery id_token_signing_alg_values_supported = %v", disc["id_token_signing_alg_values_supported"])
	}
	for _, path := range []string{"/us-east-1_NoSuchPoo/.well-known/jwks.json", "/us-east-1_NoSuchPoo/.well-known/openid-configuration"} {
		if status, _, _ := httpGet(t, ep.URL+path); status != 404 && status != 400 {
			t.Errorf("GET %s: status %d, want 404/400", path, status)
		}
	}

	// GetUser with the access token.
	gu := call(ep.Public().GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})).must(t)
	m := attrMap(gu.UserAttributes)
	if aws.ToString(gu.Username) != "erin" || m["sub"] != sub || m["email"] != "erin@example.com" || m["custom:tier"] != "gold" {
		t.Errorf("GetUser = %q %v", aws.ToString(gu.Username), m)
	}

	// Wrong password.
	_, err = f.srpSignIn(t, "erin", "Passw0rd-wrong")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	// A second sign-in gets a new origin_jti.
	out2 := call(f.srpSignIn(t, "erin", "Passw0rd-erin")).must(t)
	if claims(t, aws.ToString(out2.AuthenticationResult.IdToken))["origin_jti"] == idc["origin_jti"] {
		t.Errorf("two sign-ins share origin_jti")
	}
}

func srpHex(s string) ([]byte, error) {
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return hexDecode(s)
}

// scnEmailUsernamePool: UsernameAttributes [email] — the internal username is a UUID (= sub),
// returned as USER_ID_FOR_SRP and cognito:username (spec §2.1).
func scnEmailUsernamePool(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.UsernameAttributes = []types.UsernameAttributeType{"email"}
		in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}
	}, nil)
	u := call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("Frank@Example.com"),
		MessageAction: "SUPPRESS", UserAttributes: []types.AttributeType{attr("email_verified", "true")}})).must(t).User
	internal := aws.ToString(u.Username)
	sub := attrMap(u.Attributes)["sub"]
	if !uuidRe.MatchString(internal) || internal != sub {
		t.Errorf("email-username pool: Username %q sub %q, want the same UUID", internal, sub)
	}
	if e := attrMap(u.Attributes)["email"]; !strings.EqualFold(e, "frank@example.com") {
		t.Errorf("email attribute = %q", e)
	}
	ok(t, f.adminSetPassword("frank@example.com", "Passw0rd-frank", true))
	if g := f.adminGetUser(t, "FRANK@example.com"); aws.ToString(g.Username) != internal {
		t.Errorf("AdminGetUser by email: %q", aws.ToString(g.Username))
	}

	ch, err := f.srpStart(t, "frank@example.com")
	ok(t, err)
	if ch.params["USER_ID_FOR_SRP"] != internal {
		t.Errorf("USER_ID_FOR_SRP = %q, want %q", ch.params["USER_ID_FOR_SRP"], internal)
	}
	out := call(f.srpRespond(t, ch, "Passw0rd-frank", srp.FormatTimestamp(ep.Now()))).must(t)
	idc, _ := verifyToken(t, ep, f.pool, aws.ToString(out.AuthenticationResult.IdToken), "id", f.client)
	acc, _ := verifyToken(t, ep, f.pool, aws.ToString(out.AuthenticationResult.AccessToken), "access", f.client)
	if idc["cognito:username"] != internal || acc["username"] != internal || idc["sub"] != sub {
		t.Errorf("cognito:username %v / username %v, want %s", idc["cognito:username"], acc["username"], internal)
	}
	// USER_PASSWORD_AUTH with the email.
	f.tokens(t, "frank@example.com", "Passw0rd-frank")

	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("frank@example.com"), MessageAction: "SUPPRESS"})
	wantErr(t, err, "UsernameExistsException", "")
	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("plainname"), MessageAction: "SUPPRESS"})
	wantErr(t, err, "InvalidParameterException", "")

	su := call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("grace@example.com"), Password: aws.String("Passw0rd-grace")})).must(t)
	code := lastMessage(t, ep, "grace@example.com", message.KindSignUp).Code
	_, err = ep.Public().ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("grace@example.com"), ConfirmationCode: aws.String(code)})
	ok(t, err)
	res := f.tokens(t, "grace@example.com", "Passw0rd-grace")
	if c := claims(t, aws.ToString(res.IdToken)); c["cognito:username"] != aws.ToString(su.UserSub) || c["email"] != "grace@example.com" {
		t.Errorf("signed-up email user: cognito:username %v (sub %s), email %v", c["cognito:username"], aws.ToString(su.UserSub), c["email"])
	}
	_, err = ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("GRACE@example.com"), Password: aws.String("Passw0rd-grace")})
	wantErr(t, err, "UsernameExistsException", "")

	// Deleting the user frees the email for a new account (with a new sub).
	_, err = admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("frank@example.com")})
	ok(t, err)
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("frank@example.com")})
	wantErr(t, err, "UserNotFoundException", "")
	u2 := call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("frank@example.com"), MessageAction: "SUPPRESS"})).must(t).User
	if aws.ToString(u2.Username) == internal {
		t.Errorf("the re-created user got the deleted user's internal username %s", internal)
	}
}

// scnPasswordAndAdminFlows: USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH,
// admin SRP, admin refresh, and ExplicitAuthFlows enforcement.
func scnPasswordAndAdminFlows(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "hank", "Passw0rd-hank")

	res := f.tokens(t, "hank", "Passw0rd-hank")
	verifyToken(t, ep, f.pool, aws.ToString(res.IdToken), "id", f.client)
	_, err := f.passwordAuth("hank", "Passw0rd-nope")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")

	for _, flow := range []types.AuthFlowType{"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"} {
		out := call(admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
			AuthFlow: flow, AuthParameters: map[string]string{"USERNAME": "hank", "PASSWORD": "Passw0rd-hank"}})).must(t)
		if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.RefreshToken) == "" {
			t.Fatalf("AdminInitiateAuth %s: no tokens", flow)
		}
		verifyToken(t, ep, f.pool, aws.ToString(out.AuthenticationResult.AccessToken), "access", f.client)
	}
	_, err = admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "hank", "PASSWORD": "wrong-Passw0rd"}})
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// Admin refresh: new access and id tokens, no new refresh token.
	ref := call(admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})).must(t)
	if ref.AuthenticationResult == nil || ref.AuthenticationResult.RefreshToken != nil || ref.AuthenticationResult.AccessToken == nil {
		t.Errorf("AdminInitiateAuth REFRESH_TOKEN_AUTH = %+v", ref.AuthenticationResult)
	}

	// Admin SRP: AdminInitiateAuth USER_SRP_AUTH + AdminRespondToAuthChallenge PASSWORD_VERIFIER.
	cl, err := srp.NewClient(hostcryptoPure, randReader)
	ok(t, err)
	ai := call(admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "USER_SRP_AUTH", AuthParameters: map[string]string{"USERNAME": "hank", "SRP_A": cl.AHex()}})).must(t)
	if ai.ChallengeName != "PASSWORD_VERIFIER" {
		t.Fatalf("AdminInitiateAuth USER_SRP_AUTH: challenge %q", ai.ChallengeName)
	}
	p := ai.ChallengeParameters
	block := mustB64(t, p["SECRET_BLOCK"])
	ts := srp.FormatTimestamp(ep.Now())
	sig, err := cl.Signature(srp.PoolName(f.pool), p["USER_ID_FOR_SRP"], "Passw0rd-hank", p["SALT"], p["SRP_B"], block, ts)
	ok(t, err)
	ar := call(admin.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		ChallengeName: "PASSWORD_VERIFIER", ChallengeResponses: map[string]string{"USERNAME": p["USER_ID_FOR_SRP"],
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}})).must(t)
	if ar.AuthenticationResult == nil {
		t.Fatalf("AdminRespondToAuthChallenge PASSWORD_VERIFIER: no tokens")
	}

	// ExplicitAuthFlows: the default (SRP + refresh + custom) refuses password flows.
	dflt := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) { in.ExplicitAuthFlows = nil })
	fd := &fixture{ep: ep, pool: f.pool, client: aws.ToString(dflt.ClientId)}
	_, err = fd.passwordAuth("hank", "Passw0rd-hank")
	wantErr(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
	_, err = admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: fd.clientPtr(),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "hank", "PASSWORD": "Passw0rd-hank"}})
	wantErr(t, err, "InvalidParameterException", "")
	call(fd.srpSignIn(t, "hank", "Passw0rd-hank")).must(t)
	noSRP := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	})
	fs := &fixture{ep: ep, pool: f.pool, client: aws.ToString(noSRP.ClientId)}
	_, err = fs.srpStart(t, "hank")
	wantErr(t, err, "InvalidParameterException", "USER_SRP_AUTH flow not enabled for this client")
	pwOnly := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH"}
	})
	fp := &fixture{ep: ep, pool: f.pool, client: aws.ToString(pwOnly.ClientId)}
	_, err = ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: pwOnly.ClientId,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(fp.tokens(t, "hank", "Passw0rd-hank").RefreshToken)}})
	wantErr(t, err, "InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")

	_, err = ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "NO_SUCH_FLOW", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": "hank"}})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String("nosuchclient00000000000000"),
		AuthParameters: map[string]string{"USERNAME": "hank", "PASSWORD": "Passw0rd-hank"}})
	wantErr(t, err, "ResourceNotFoundException", "")
	// Admin flows are not public flows.
	_, err = ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "ADMIN_USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": "hank", "PASSWORD": "Passw0rd-hank"}})
	wantErr(t, err, "InvalidParameterException", "")
}

func (f *fixture) clientPtr() *string { return aws.String(f.client) }

// scnNewPasswordRequired: FORCE_CHANGE_PASSWORD → NEW_PASSWORD_REQUIRED (public and admin).
func scnNewPasswordRequired(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("ian"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS",
		UserAttributes: []types.AttributeType{attr("email", "ian@example.com")}})).must(t)

	out, err := f.srpSignIn(t, "ian", "Temp-Passw0rd")
	ok(t, err)
	if out.ChallengeName != "NEW_PASSWORD_REQUIRED" || aws.ToString(out.Session) == "" || out.AuthenticationResult != nil {
		t.Fatalf("SRP with a temporary password: challenge %q session %q", out.ChallengeName, aws.ToString(out.Session))
	}
	p := out.ChallengeParameters
	if p["USER_ID_FOR_SRP"] != "ian" {
		t.Errorf("NEW_PASSWORD_REQUIRED USER_ID_FOR_SRP = %q", p["USER_ID_FOR_SRP"])
	}
	var required []string
	if err := json.Unmarshal([]byte(p["requiredAttributes"]), &required); err != nil {
		t.Errorf("requiredAttributes %q is not a JSON array string: %v", p["requiredAttributes"], err)
	}
	var current map[string]any
	if err := json.Unmarshal([]byte(p["userAttributes"]), &current); err != nil || current["email"] != "ian@example.com" {
		t.Errorf("userAttributes %q is not a JSON object string with the email: %v", p["userAttributes"], err)
	}

	respond := func(session *string, pw string) (*cip.RespondToAuthChallengeOutput, error) {
		return ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(f.client), ChallengeName: "NEW_PASSWORD_REQUIRED",
			Session: session, ChallengeResponses: map[string]string{"USERNAME": "ian", "NEW_PASSWORD": pw, "userAttributes.name": "Ian"}})
	}
	_, err = respond(aws.String(tamper(aws.ToString(out.Session))), "New-Passw0rd")
	wantErr(t, err, "NotAuthorizedException", "")

	out2 := call(f.srpSignIn(t, "ian", "Temp-Passw0rd")).must(t)
	_, err = respond(out2.Session, "weakpassword")
	wantErr(t, err, "InvalidPasswordException", "")

	fin := call(respond(out.Session, "New-Passw0rd")).must(t)
	if fin.AuthenticationResult == nil {
		t.Fatalf("NEW_PASSWORD_REQUIRED answered: no tokens")
	}
	idc, _ := verifyToken(t, ep, f.pool, aws.ToString(fin.AuthenticationResult.IdToken), "id", f.client)
	if idc["cognito:username"] != "ian" || idc["name"] != "Ian" {
		t.Errorf("id token after NEW_PASSWORD_REQUIRED: %v", idc)
	}
	g := f.adminGetUser(t, "ian")
	if g.UserStatus != "CONFIRMED" || attrMap(g.UserAttributes)["name"] != "Ian" {
		t.Errorf("after NEW_PASSWORD_REQUIRED: status %s attrs %v", g.UserStatus, attrMap(g.UserAttributes))
	}
	f.tokens(t, "ian", "New-Passw0rd")
	_, err = f.passwordAuth("ian", "Temp-Passw0rd")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// Admin variant: ADMIN_USER_PASSWORD_AUTH → NEW_PASSWORD_REQUIRED → AdminRespondToAuthChallenge.
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("jill"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS"})).must(t)
	ai := call(admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "jill", "PASSWORD": "Temp-Passw0rd"}})).must(t)
	if ai.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("AdminInitiateAuth with a temporary password: challenge %q", ai.ChallengeName)
	}
	ar := call(admin.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		ChallengeName: "NEW_PASSWORD_REQUIRED", Session: ai.Session, ChallengeResponses: map[string]string{"USERNAME": "jill", "NEW_PASSWORD": "New-Passw0rd"}})).must(t)
	if ar.AuthenticationResult == nil {
		t.Fatalf("AdminRespondToAuthChallenge NEW_PASSWORD_REQUIRED: no tokens")
	}
	// A Session belongs to its client.
	other := newClient(t, ep, f.pool, nil)
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("kim"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS"})).must(t)
	kim := call(f.passwordAuth("kim", "Temp-Passw0rd")).must(t)
	_, err = ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: other.ClientId, ChallengeName: "NEW_PASSWORD_REQUIRED",
		Session: kim.Session, ChallengeResponses: map[string]string{"USERNAME": "kim", "NEW_PASSWORD": "New-Passw0rd"}})
	wantErr(t, err, "NotAuthorizedException", "")
}

// scnRefresh: REFRESH_TOKEN_AUTH / REFRESH_TOKEN / GetTokensFromRefreshToken without rotation.
func scnRefresh(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "lena", "Passw0rd-lena", attr("email", "lena@example.com"), attr("email_verified", "false"))
	res := f.tokens(t, "lena", "Passw0rd-lena")
	first := claims(t, aws.ToString(res.IdToken))

	if first["email_verified"] != false {
		t.Errorf("email_verified of an unverified email = %#v, want JSON false", first["email_verified"])
	}
	ep.Advance(t, 10*time.Minute)
	_, err := ep.Admin().AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(f.pool), Username: aws.String("lena"),
		UserAttributes: []types.AttributeType{attr("name", "Lena L.")}})
	ok(t, err)
	for _, flow := range []types.AuthFlowType{"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"} {
		out := call(pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: flow, ClientId: aws.String(f.client),
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})).must(t)
		r := out.AuthenticationResult
		if r == nil || r.RefreshToken != nil || r.AccessToken == nil || r.IdToken == nil {
			t.Fatalf("InitiateAuth %s: %+v (want access+id tokens and no refresh token)", flow, r)
		}
		idc, _ := verifyToken(t, ep, f.pool, aws.ToString(r.IdToken), "id", f.client)
		verifyToken(t, ep, f.pool, aws.ToString(r.AccessToken), "access", f.client)
		if idc["name"] != "Lena L." {
			t.Errorf("refreshed id token name = %v, want the updated Lena L.", idc["name"])
		}
		if idc["auth_time"] != first["auth_time"] || idc["origin_jti"] != first["origin_jti"] || idc["jti"] == first["jti"] ||
			num(t, idc, "iat") != ep.Now().Unix() {
			t.Errorf("refreshed id token: auth_time %v (was %v), origin_jti %v (was %v), jti %v, iat %v",
				idc["auth_time"], first["auth_time"], idc["origin_jti"], first["origin_jti"], idc["jti"], idc["iat"])
		}
		call(pub.GetUser(ctx, &cip.GetUserInput{AccessToken: r.AccessToken})).must(t)
	}
	g := call(pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.client), RefreshToken: res.RefreshToken})).must(t)
	if g.AuthenticationResult == nil || g.AuthenticationResult.RefreshToken != nil || g.AuthenticationResult.IdToken == nil {
		t.Errorf("GetTokensFromRefreshToken without rotation = %+v", g.AuthenticationResult)
	}

	// A refresh token belongs to its client.
	other := newClient(t, ep, f.pool, nil)
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: other.ClientId,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
	wantErr(t, err, "NotAuthorizedException", "")
	_, err = pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: other.ClientId, RefreshToken: res.RefreshToken})
	wantErr(t, err, "NotAuthorizedException", "")
	// Deleting the user ends refresh.
	_, err = ep.Admin().AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("lena")})
	ok(t, err)
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
	wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException")
}

// scnRefreshRotation: GetTokensFromRefreshToken with RefreshTokenRotation ENABLED.
func scnRefreshRotation(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, func(in *cip.CreateUserPoolClientInput) {
		in.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: "ENABLED", RetryGracePeriodSeconds: aws.Int32(10)}
	})
	f.createUser(t, "mia", "Passw0rd-mia")
	res := f.tokens(t, "mia", "Passw0rd-mia")
	old := aws.ToString(res.RefreshToken)

	refresh := func(tok string) (*cip.GetTokensFromRefreshTokenOutput, error) {
		return pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.client), RefreshToken: aws.String(tok)})
	}
	ep.Advance(t, time.Minute)
	g := call(refresh(old)).must(t)
	if g.AuthenticationResult == nil || aws.ToString(g.AuthenticationResult.RefreshToken) == "" || aws.ToString(g.AuthenticationResult.RefreshToken) == old {
		t.Fatalf("rotation: want a new refresh token, got %+v", g.AuthenticationResult)
	}
	rotated := aws.ToString(g.AuthenticationResult.RefreshToken)
	verifyToken(t, ep, f.pool, aws.ToString(g.AuthenticationResult.AccessToken), "access", f.client)

	// Within the grace period the old token still works; after it, it is refused.
	ep.Advance(t, 5*time.Second)
	call(refresh(old)).must(t)
	ep.Advance(t, 11*time.Second)
	_, err := refresh(old)
	wantErrIn(t, err, "NotAuthorizedException", "RefreshTokenReuseException")
	g2 := call(refresh(rotated)).must(t)
	if aws.ToString(g2.AuthenticationResult.RefreshToken) == "" {
		t.Errorf("second rotation returned no refresh token")
	}
}

// scnRevocation: RevokeToken, GlobalSignOut and AdminUserGlobalSignOut, and what they do to
// GetUser and refresh.
func scnRevocation(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "nina", "Passw0rd-nina")
	a := f.tokens(t, "nina", "Passw0rd-nina")
	b := f.tokens(t, "nina", "Passw0rd-nina")
	getUser := func(r *types.AuthenticationResultType) error {
		_, err := pub.GetUser(ctx, &cip.GetUserInput{AccessToken: r.AccessToken})
		return err
	}
	refresh := func(r *types.AuthenticationResultType) error {
		_, err := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}})
		return err
	}

	// RevokeToken ends one sign-in (its refresh token and the access tokens of its family).
	_, err := pub.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(f.client), Token: a.RefreshToken})
	ok(t, err)
	wantErr(t, refresh(a), "NotAuthorizedException", "")
	wantErr(t, getUser(a), "NotAuthorizedException", "Access Token has been revoked")
	ok(t, getUser(b))
	ok(t, refresh(b))
	_, err = pub.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(f.client), Token: b.AccessToken})
	wantErrIn(t, err, "UnsupportedTokenTypeException", "InvalidParameterException", "NotAuthorizedException")
	ok(t, getUser(b))

	// GlobalSignOut ends every sign-in of the user, including tokens from the same second.
	c := f.tokens(t, "nina", "Passw0rd-nina")
	ep.Advance(t, time.Millisecond)
	_, err = pub.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: b.AccessToken})
	ok(t, err)
	for _, r := range []*types.AuthenticationResultType{b, c} {
		wantErr(t, getUser(r), "NotAuthorizedException", "")
		wantErr(t, refresh(r), "NotAuthorizedException", "")
	}
	ep.Advance(t, 1100*time.Millisecond)
	d := f.tokens(t, "nina", "Passw0rd-nina")
	ok(t, getUser(d))
	ok(t, refresh(d))

	// AdminUserGlobalSignOut likewise.
	ep.Advance(t, time.Millisecond)
	_, err = ep.Admin().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(f.pool), Username: aws.String("nina")})
	ok(t, err)
	wantErr(t, getUser(d), "NotAuthorizedException", "")
	wantErr(t, refresh(d), "NotAuthorizedException", "")
	_, err = ep.Admin().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(f.pool), Username: aws.String("nobody")})
	wantErr(t, err, "UserNotFoundException", "")
	ep.Advance(t, 1100*time.Millisecond)
	ok(t, getUser(f.tokens(t, "nina", "Passw0rd-nina")))

	// A client with revocation disabled.
	nr := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) { in.EnableTokenRevocation = aws.Bool(false) })
	fn := &fixture{ep: ep, pool: f.pool, client: aws.ToString(nr.ClientId)}
	e := fn.tokens(t, "nina", "Passw0rd-nina")
	_, err = pub.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: nr.ClientId, Token: e.RefreshToken})
	wantErr(t, err, "UnsupportedOperationException", "")
}

// scnSelfService: GetUser, attribute updates and verification, ChangePassword, DeleteUser.
func scnSelfService(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "olga", "Passw0rd-olga", attr("email", "olga@example.com"), attr("email_verified", "true"), attr("name", "Olga"))
	tok := f.tokens(t, "olga", "Passw0rd-olga").AccessToken

	gu := call(pub.GetUser(ctx, &cip.GetUserInput{AccessToken: tok})).must(t)
	if aws.ToString(gu.Username) != "olga" || attrMap(gu.UserAttributes)["name"] != "Olga" || aws.ToString(gu.UserAttributes[0].Name) != "sub" {
		t.Errorf("GetUser = %q %v", aws.ToString(gu.Username), attrMap(gu.UserAttributes))
	}

	// Update: a plain attribute, then the email (auto-verified → code, email_verified false).
	uo := call(pub.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok,
		UserAttributes: []types.AttributeType{attr("name", "Olga O."), attr("email", "olga.new@example.com")}})).must(t)
	if len(uo.CodeDeliveryDetailsList) != 1 {
		t.Fatalf("UpdateUserAttributes email: CodeDeliveryDetailsList %+v", uo.CodeDeliveryDetailsList)
	}
	wantMasked(t, &uo.CodeDeliveryDetailsList[0], "olga.new@example.com")
	code := lastMessage(t, ep, "olga.new@example.com", message.KindVerifyAttribute).Code
	m := attrMap(call(pub.GetUser(ctx, &cip.GetUserInput{AccessToken: tok})).must(t).UserAttributes)
	if m["name"] != "Olga O." || m["email"] != "olga.new@example.com" || m["email_verified"] != "false" {
		t.Errorf("after UpdateUserAttributes: %v", m)
	}
	verify := func(code string) error {
		_, err := pub.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok, AttributeName: aws.String("email"), Code: aws.String(code)})
		return err
	}
	bad := "000000"
	if code == bad {
		bad = "111111"
	}
	wantErr(t, verify(bad), "CodeMismatchException", "")
	ok(t, verify(code))
	if m := attrMap(f.adminGetUser(t, "olga").UserAttributes); m["email_verified"] != "true" {
		t.Errorf("after VerifyUserAttribute: email_verified %q", m["email_verified"])
	}
	_, err := pub.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok, UserAttributes: []types.AttributeType{attr("sub", "x")}})
	wantErr(t, err, "InvalidParameterException", "")

	// GetUserAttributeVerificationCode sends a fresh code.
	_, err = ep.Admin().AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(f.pool), Username: aws.String("olga"),
		UserAttributes: []types.AttributeType{attr("email_verified", "false")}})
	ok(t, err)
	vc := call(pub.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok, AttributeName: aws.String("email")})).must(t)
	wantMasked(t, vc.CodeDeliveryDetails, "olga.new@example.com")
	ok(t, verify(lastMessage(t, ep, "olga.new@example.com", message.KindVerifyAttribute).Code))

	_, err = pub.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: tok, UserAttributeNames: []string{"name"}})
	ok(t, err)
	if _, has := attrMap(call(pub.GetUser(ctx, &cip.GetUserInput{AccessToken: tok})).must(t).UserAttributes)["name"]; has {
		t.Errorf("name survived DeleteUserAttributes")
	}

	// ChangePassword.
	change := func(prev, next string) error {
		_, err := pub.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String(prev), ProposedPassword: aws.String(next)})
		return err
	}
	wantErr(t, change("Passw0rd-wrong", "Passw0rd-new"), "NotAuthorizedException", "Incorrect username or password.")
	wantErr(t, change("Passw0rd-olga", "nouppercase1"), "InvalidPasswordException", "")
	ok(t, change("Passw0rd-olga", "Passw0rd-new"))
	_, err = f.passwordAuth("olga", "Passw0rd-olga")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	tok2 := f.tokens(t, "olga", "Passw0rd-new").AccessToken

	// Bad access tokens.
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String("not-a-jwt")})
	wantErr(t, err, "NotAuthorizedException", "")
	idTok := f.tokens(t, "olga", "Passw0rd-new").IdToken
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: idTok})
	wantErr(t, err, "NotAuthorizedException", "")

	// DeleteUser.
	_, err = pub.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: tok2})
	ok(t, err)
	_, err = ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("olga")})
	wantErr(t, err, "UserNotFoundException", "")
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: tok2})
	wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException")
}

// scnForgotPassword: ForgotPassword + ConfirmForgotPassword.
func scnForgotPassword(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "pia", "Passw0rd-pia", attr("email", "pia@example.com"), attr("email_verified", "true"))
	f.createUser(t, "quinn", "Passw0rd-quinn", attr("email", "quinn@example.com"))

	fp := call(pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("pia")})).must(t)
	wantMasked(t, fp.CodeDeliveryDetails, "pia@example.com")
	code := lastMessage(t, ep, "pia@example.com", message.KindForgotPassword).Code
	if !codeRe.MatchString(code) {
		t.Fatalf("forgot-password code %q", code)
	}
	confirm := func(code, pw string) error {
		_, err := pub.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("pia"),
			ConfirmationCode: aws.String(code), Password: aws.String(pw)})
		return err
	}
	bad := "000000"
	if code == bad {
		bad = "111111"
	}
	wantErr(t, confirm(bad, "Passw0rd-reset"), "CodeMismatchException", "")
	wantErr(t, confirm(code, "weakpassword"), "InvalidPasswordException", "")
	ok(t, confirm(code, "Passw0rd-reset"))
	f.tokens(t, "pia", "Passw0rd-reset")
	_, err := f.passwordAuth("pia", "Passw0rd-pia")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	wantErrIn(t, confirm(code, "Passw0rd-again"), "CodeMismatchException", "ExpiredCodeException")

	// No verified contact → InvalidParameter.
	_, err = pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("quinn")})
	wantErr(t, err, "InvalidParameterException", "")
}

// scnDisabledAndReset: AdminDisableUser / AdminEnableUser / AdminResetUserPassword.
func scnDisabledAndReset(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	p := aws.String(f.pool)
	f.createUser(t, "rita", "Passw0rd-rita", attr("email", "rita@example.com"), attr("email_verified", "true"))
	f.createUser(t, "sam", "Passw0rd-sam")
	res := f.tokens(t, "rita", "Passw0rd-rita")

	ep.Advance(t, time.Millisecond) // revocation refuses tokens issued before it, even in the same second
	_, err := admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: p, Username: aws.String("rita")})
	ok(t, err)
	if g := f.adminGetUser(t, "rita"); g.Enabled {
		t.Errorf("AdminGetUser after disable: Enabled true")
	}
	_, err = f.passwordAuth("rita", "Passw0rd-rita")
	wantErr(t, err, "NotAuthorizedException", "User is disabled.")
	_, err = f.srpSignIn(t, "rita", "Passw0rd-rita")
	wantErr(t, err, "NotAuthorizedException", "User is disabled.")
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "")
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
	wantErr(t, err, "NotAuthorizedException", "")
	_, err = admin.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: p, Username: aws.String("rita")})
	wantErr(t, err, "NotAuthorizedException", "")

	ep.Advance(t, 1100*time.Millisecond)
	_, err = admin.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: p, Username: aws.String("rita")})
	ok(t, err)
	f.tokens(t, "rita", "Passw0rd-rita")
	// Tokens revoked by the disable stay revoked.
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "")

	// AdminResetUserPassword: RESET_REQUIRED, a code, PasswordResetRequired at sign-in.
	_, err = admin.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: p, Username: aws.String("rita")})
	ok(t, err)
	if s := f.adminGetUser(t, "rita").UserStatus; s != "RESET_REQUIRED" {
		t.Errorf("after AdminResetUserPassword: status %s", s)
	}
	code := lastMessage(t, ep, "rita@example.com", message.KindAdminResetPassword, message.KindForgotPassword).Code
	_, err = f.passwordAuth("rita", "Passw0rd-rita")
	wantErr(t, err, "PasswordResetRequiredException", "")
	_, err = f.srpSignIn(t, "rita", "Passw0rd-rita")
	wantErr(t, err, "PasswordResetRequiredException", "")
	_, err = pub.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("rita"),
		ConfirmationCode: aws.String(code), Password: aws.String("Passw0rd-rita2")})
	ok(t, err)
	if s := f.adminGetUser(t, "rita").UserStatus; s != "CONFIRMED" {
		t.Errorf("after ConfirmForgotPassword: status %s", s)
	}
	f.tokens(t, "rita", "Passw0rd-rita2")

	_, err = admin.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: p, Username: aws.String("sam")})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: p, Username: aws.String("nobody")})
	wantErr(t, err, "UserNotFoundException", "")
}
