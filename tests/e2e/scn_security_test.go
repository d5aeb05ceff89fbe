package e2e

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
)

// srpN is the 3072-bit group prime of spec §3.1.
var srpN, _ = new(big.Int).SetString(strings.Join([]string{
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
}, ""), 16)

// badSRPAs are SRP_A values with A mod N == 0, or not hex at all.
func badSRPAs() map[string]string {
	return map[string]string{
		"zero":    "0",
		"zeros":   strings.Repeat("0", 768),
		"N":       srpN.Text(16),
		"2N":      new(big.Int).Lsh(srpN, 1).Text(16),
		"not hex": "xyz",
		"empty":   "",
	}
}

// scnSRPAttacks: what the PASSWORD_VERIFIER step must refuse (spec §3.4/3.5).
func scnSRPAttacks(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "yara", "Passw0rd-yara")
	f.createUser(t, "zack", "Passw0rd-zack")
	ts := func() string { return srp.FormatTimestamp(ep.Now()) }
	respond := func(ch *srpChallenge, edit func(map[string]string)) error {
		t.Helper()
		userID := ch.params["USER_ID_FOR_SRP"]
		stamp := ts()
		sig, err := ch.client.Signature(srp.PoolName(f.pool), userID, "Passw0rd-yara", ch.params["SALT"], ch.params["SRP_B"], ch.block, stamp)
		ok(t, err)
		r := map[string]string{"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": ch.params["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}
		edit(r)
		_, err = pub.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: "PASSWORD_VERIFIER", ClientId: aws.String(f.client), ChallengeResponses: r})
		return err
	}
	start := func() *srpChallenge {
		t.Helper()
		ch, err := f.srpStart(t, "yara")
		ok(t, err)
		return ch
	}

	// Replay: a block answered once cannot be answered again.
	ch := start()
	stamp := ts()
	sig, err := ch.client.Signature(srp.PoolName(f.pool), "yara", "Passw0rd-yara", ch.params["SALT"], ch.params["SRP_B"], ch.block, stamp)
	ok(t, err)
	in := &cip.RespondToAuthChallengeInput{ChallengeName: "PASSWORD_VERIFIER", ClientId: aws.String(f.client), ChallengeResponses: map[string]string{
		"USERNAME": "yara", "PASSWORD_CLAIM_SECRET_BLOCK": ch.params["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}}
	call(pub.RespondToAuthChallenge(ctx, in)).must(t)
	_, err = pub.RespondToAuthChallenge(ctx, in)
	wantErr(t, err, "NotAuthorizedException", "")

	cases := []struct {
		name string
		edit func(map[string]string)
	}{
		{"forged SECRET_BLOCK", func(r map[string]string) { r["PASSWORD_CLAIM_SECRET_BLOCK"] = tamper(r["PASSWORD_CLAIM_SECRET_BLOCK"]) }},
		{"SECRET_BLOCK not base64", func(r map[string]string) { r["PASSWORD_CLAIM_SECRET_BLOCK"] = "%%%not-base64%%%" }},
		{"another user's USERNAME", func(r map[string]string) { r["USERNAME"] = "zack" }},
		{"signature of a wrong password", func(r map[string]string) {}}, // replaced below
		{"signature not base64", func(r map[string]string) { r["PASSWORD_CLAIM_SIGNATURE"] = "***" }},
		{"TIMESTAMP 10 minutes early", func(r map[string]string) {}}, // replaced below
		{"TIMESTAMP with wrong zero padding", func(r map[string]string) {}},
		{"TIMESTAMP with the wrong weekday", func(r map[string]string) {}},
		{"TIMESTAMP garbage", func(r map[string]string) {}},
		{"no TIMESTAMP", func(r map[string]string) { delete(r, "TIMESTAMP") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := start()
			switch c.name {
			case "signature of a wrong password":
				c.edit = func(r map[string]string) {
					s, err := ch.client.Signature(srp.PoolName(f.pool), "yara", "Passw0rd-wrong", ch.params["SALT"], ch.params["SRP_B"], ch.block, r["TIMESTAMP"])
					ok(t, err)
					r["PASSWORD_CLAIM_SIGNATURE"] = s
				}
			case "TIMESTAMP 10 minutes early", "TIMESTAMP with wrong zero padding", "TIMESTAMP with the wrong weekday", "TIMESTAMP garbage":
				now := ep.Now().UTC()
				var stamp string
				switch c.name {
				case "TIMESTAMP 10 minutes early":
					stamp = srp.FormatTimestamp(now.Add(-10 * time.Minute))
				case "TIMESTAMP with wrong zero padding":
					// Spec §3.5: the day is not zero-padded; hours are. Break whichever applies.
					stamp = now.Format("Mon Jan 02 15:04:05 UTC 2006")
					if now.Day() >= 10 {
						stamp = fmt.Sprintf("%s %d:%s", now.Format("Mon Jan 2"), now.Hour(), now.Format("04:05 UTC 2006"))
						if now.Hour() >= 10 {
							stamp = strings.Replace(srp.FormatTimestamp(now), "UTC", "utc", 1)
						}
					}
				case "TIMESTAMP with the wrong weekday":
					good := srp.FormatTimestamp(now)
					wd := now.Add(24 * time.Hour).Format("Mon")
					stamp = wd + good[3:]
				case "TIMESTAMP garbage":
					stamp = "yesterday"
				}
				// Sign over the bad stamp itself, so only the stamp is wrong.
				c.edit = func(r map[string]string) {
					s, err := ch.client.Signature(srp.PoolName(f.pool), "yara", "Passw0rd-yara", ch.params["SALT"], ch.params["SRP_B"], ch.block, stamp)
					ok(t, err)
					r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"] = stamp, s
				}
			}
			wantErrIn(t, respond(ch, c.edit), "NotAuthorizedException", "InvalidParameterException")
		})
	}

	// A block from one client is not valid at another. (Let any lock from the refused answers
	// above expire first.)
	ep.Advance(t, 16*time.Minute)
	other := newClient(t, ep, f.pool, nil)
	ch = start()
	stamp = ts()
	sig, err = ch.client.Signature(srp.PoolName(f.pool), "yara", "Passw0rd-yara", ch.params["SALT"], ch.params["SRP_B"], ch.block, stamp)
	ok(t, err)
	_, err = pub.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: "PASSWORD_VERIFIER", ClientId: other.ClientId, ChallengeResponses: map[string]string{
		"USERNAME": "yara", "PASSWORD_CLAIM_SECRET_BLOCK": ch.params["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}})
	wantErr(t, err, "NotAuthorizedException", "")

	// A refresh token is sealed for another purpose than a SECRET_BLOCK, and vice versa.
	res := f.tokens(t, "zack", "Passw0rd-zack")
	wantErrIn(t, respond(start(), func(r map[string]string) {
		r["PASSWORD_CLAIM_SECRET_BLOCK"] = base64.StdEncoding.EncodeToString([]byte(aws.ToString(res.RefreshToken)))
	}), "NotAuthorizedException")
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": start().params["SECRET_BLOCK"]}})
	wantErr(t, err, "NotAuthorizedException", "")

	// SRP_A that is 0 mod N, or not hex.
	for name, a := range badSRPAs() {
		t.Run("SRP_A "+name, func(t *testing.T) {
			_, err := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_SRP_AUTH", ClientId: aws.String(f.client),
				AuthParameters: map[string]string{"USERNAME": "yara", "SRP_A": a}})
			wantErrIn(t, err, "NotAuthorizedException", "InvalidParameterException")
		})
	}
	// After all that, yara can still sign in once any lock has expired.
	ep.Advance(t, 16*time.Minute)
	call(f.srpSignIn(t, "yara", "Passw0rd-yara")).must(t)
}

// scnPreventUserExistenceErrors: ENABLED hides unknown users on every path; LEGACY reveals them.
func scnPreventUserExistenceErrors(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	hide := newFixture(t, ep, nil, func(in *cip.CreateUserPoolClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	legacy := &fixture{ep: ep, pool: hide.pool, client: aws.ToString(newClient(t, ep, hide.pool, func(in *cip.CreateUserPoolClientInput) {
		in.PreventUserExistenceErrors = "LEGACY"
	}).ClientId)}
	hide.createUser(t, "amy", "Passw0rd-amy", attr("email", "amy@example.com"), attr("email_verified", "true"))

	// ENABLED: unknown user looks like a wrong password.
	_, err := hide.passwordAuth("ghost", "Passw0rd-ghost")
	wantErr(t, err, "NotAuthorizedException", wrongPassword)
	ch1, err := hide.srpStart(t, "ghost")
	if err != nil {
		t.Fatalf("USER_SRP_AUTH for an unknown user with PreventUserExistenceErrors: %v (want a PASSWORD_VERIFIER challenge)", err)
	}
	ch2, err := hide.srpStart(t, "ghost")
	ok(t, err)
	if ch1.params["SALT"] != ch2.params["SALT"] || ch1.params["USER_ID_FOR_SRP"] != ch2.params["USER_ID_FOR_SRP"] {
		t.Errorf("fake challenges for one unknown user differ between calls: SALT %s vs %s", ch1.params["SALT"], ch2.params["SALT"])
	}
	if ch3, err := hide.srpStart(t, "ghost2"); err == nil && ch3.params["SALT"] == ch1.params["SALT"] {
		t.Errorf("two unknown users get the same fake SALT")
	}
	_, err = hide.srpRespond(t, ch1, "Passw0rd-ghost", srp.FormatTimestamp(ep.Now()))
	wantErr(t, err, "NotAuthorizedException", wrongPassword)
	before := len(ep.Messages())
	fp := call(pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(hide.client), Username: aws.String("ghost")})).must(t)
	if fp.CodeDeliveryDetails == nil || aws.ToString(fp.CodeDeliveryDetails.Destination) == "" {
		t.Errorf("ForgotPassword for an unknown user: want plausible CodeDeliveryDetails, got %+v", fp.CodeDeliveryDetails)
	}
	rc := call(pub.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(hide.client), Username: aws.String("ghost")})).must(t)
	if rc.CodeDeliveryDetails == nil {
		t.Errorf("ResendConfirmationCode for an unknown user: no CodeDeliveryDetails")
	}
	if n := len(ep.Messages()); n != before {
		t.Errorf("messages were sent for an unknown user (%d → %d)", before, n)
	}
	_, err = pub.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(hide.client), Username: aws.String("ghost"),
		ConfirmationCode: aws.String("123456"), Password: aws.String("Passw0rd-ghost")})
	wantErr(t, err, "CodeMismatchException", "")
	_, err = pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(hide.client), Username: aws.String("ghost"), ConfirmationCode: aws.String("123456")})
	wantErr(t, err, "CodeMismatchException", "")
	// A known user is unaffected.
	call(hide.srpSignIn(t, "amy", "Passw0rd-amy")).must(t)

	// LEGACY: UserNotFoundException.
	_, err = legacy.passwordAuth("ghost", "Passw0rd-ghost")
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = legacy.srpStart(t, "ghost")
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(legacy.client), Username: aws.String("ghost")})
	wantErr(t, err, "UserNotFoundException", "")
}

// scnSecretHash: a client with a secret requires SECRET_HASH / SecretHash (spec §4) and its raw
// secret for GetTokensFromRefreshToken and RevokeToken.
func scnSecretHash(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	if f.secret == "" {
		t.Fatal("GenerateSecret gave no secret")
	}
	missing := "Client " + f.client + " is configured with secret but SECRET_HASH was not received"
	wrongHash := "Unable to verify secret hash for client " + f.client
	bad := secretHash("not-the-secret", "bea", f.client)

	// SignUp / ConfirmSignUp with SecretHash.
	signUp := func(hash *string) error {
		_, err := pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("bea"), Password: aws.String("Passw0rd-bea"),
			SecretHash: hash, UserAttributes: []types.AttributeType{attr("email", "bea@example.com")}})
		return err
	}
	wantErr(t, signUp(nil), "NotAuthorizedException", missing)
	wantErr(t, signUp(aws.String(bad)), "NotAuthorizedException", wrongHash)
	ok(t, signUp(aws.String(secretHash(f.secret, "bea", f.client))))
	code := lastMessage(t, ep, "bea@example.com", message.KindSignUp).Code
	_, err := pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("bea"), ConfirmationCode: aws.String(code)})
	wantErr(t, err, "NotAuthorizedException", missing)
	_, err = pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("bea"), ConfirmationCode: aws.String(code),
		SecretHash: aws.String(secretHash(f.secret, "bea", f.client))})
	ok(t, err)

	// InitiateAuth with SECRET_HASH right, wrong and missing.
	res := f.tokens(t, "bea", "Passw0rd-bea")
	for name, params := range map[string]map[string]string{
		"missing": {"USERNAME": "bea", "PASSWORD": "Passw0rd-bea"},
		"wrong":   {"USERNAME": "bea", "PASSWORD": "Passw0rd-bea", "SECRET_HASH": bad},
	} {
		_, err := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client), AuthParameters: params})
		if name == "missing" {
			wantErr(t, err, "NotAuthorizedException", missing)
		} else {
			wantErr(t, err, "NotAuthorizedException", wrongHash)
		}
	}
	// SRP with SECRET_HASH in both steps (the fixture adds it).
	call(f.srpSignIn(t, "bea", "Passw0rd-bea")).must(t)
	ch, err := f.srpStart(t, "bea")
	ok(t, err)
	f2 := *f
	f2.secret = "not-the-secret"
	_, err = f2.srpRespond(t, ch, "Passw0rd-bea", srp.FormatTimestamp(ep.Now()))
	wantErr(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+f.client)

	// Refresh: SECRET_HASH over the internal username for REFRESH_TOKEN_AUTH; raw ClientSecret
	// for GetTokensFromRefreshToken.
	call(pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken), "SECRET_HASH": secretHash(f.secret, "bea", f.client)}})).must(t)
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
	wantErr(t, err, "NotAuthorizedException", "")
	call(pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.client), ClientSecret: aws.String(f.secret), RefreshToken: res.RefreshToken})).must(t)
	_, err = pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.client), ClientSecret: aws.String("wrong"), RefreshToken: res.RefreshToken})
	wantErrIn(t, err, "NotAuthorizedException", "UnauthorizedException")
	_, err = pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.client), RefreshToken: res.RefreshToken})
	wantErrIn(t, err, "NotAuthorizedException", "UnauthorizedException")
	_, err = pub.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(f.client), ClientSecret: aws.String("wrong"), Token: res.RefreshToken})
	wantErrIn(t, err, "NotAuthorizedException", "UnauthorizedException")
	_, err = pub.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(f.client), ClientSecret: aws.String(f.secret), Token: res.RefreshToken})
	ok(t, err)

	// ForgotPassword needs SecretHash too.
	_, err = pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("bea")})
	wantErr(t, err, "NotAuthorizedException", missing)
	call(pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("bea"),
		SecretHash: aws.String(secretHash(f.secret, "bea", f.client))})).must(t)
}

// scnSigV4: admin calls must be signed with the admin key pair (spec §9.8 error types).
func scnSigV4(t *testing.T, ep *Endpoint) {
	list := func(c *cip.Client) error {
		_, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
		return err
	}
	ok(t, list(ep.Admin()))
	wantErr(t, list(ep.Public()), "MissingAuthenticationTokenException", "")
	wantErr(t, list(ep.WithKey("AKIAUNKNOWNKEY000000", ep.AdminKey)), "UnrecognizedClientException", "The security token included in the request is invalid.")
	wantErr(t, list(ep.WithKey(ep.AdminKeyID, "wrong-secret")), "InvalidSignatureException", "")
	// More than 5 minutes of skew either way (AWS's messages: "Signature expired: ..." for a
	// stale date, "Signature not yet current: ..." for a future one).
	for skew, msg := range map[time.Duration]string{-10 * time.Minute: "Signature expired", 10 * time.Minute: "Signature not yet current"} {
		err := list(ep.Skewed(skew))
		wantErr(t, err, "InvalidSignatureException", "")
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("%v of skew: %v, want a %q message", skew, err, msg)
		}
	}
	ok(t, list(ep.Skewed(2*time.Minute)))
	ok(t, list(ep.Skewed(-2*time.Minute)))

	// Every admin action is guarded, not just ListUserPools.
	f := newFixture(t, ep, nil, nil)
	_, err := ep.Public().AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("x"), MessageAction: "SUPPRESS"})
	wantErr(t, err, "MissingAuthenticationTokenException", "")
	_, err = ep.WithKey(ep.AdminKeyID, "wrong-secret").AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "x", "PASSWORD": "y"}})
	wantErr(t, err, "InvalidSignatureException", "")
	_, err = ep.Public().DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(f.pool)})
	wantErr(t, err, "MissingAuthenticationTokenException", "")
	call(ep.Admin().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)})).must(t)
}
