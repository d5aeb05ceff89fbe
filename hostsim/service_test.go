package hostsim

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

const (
	defaultPoolID   = "us-east-1_Poolgate1"
	defaultClientID = "poolgatelocalwebclient0001"
)

// startService starts the real module with the default configuration and returns an AWS SDK
// client for it signed with the server's admin key pair.
func startService(t *testing.T, o Options) (*Server, *cip.Client) {
	t.Helper()
	o.ModuleBytes = realGuest.bytes(t)
	o.Addr = "127.0.0.1:0"
	o.Config = DefaultConfig
	s := start(t, o)
	id, secret := s.AdminCredentials()
	client := cip.NewFromConfig(aws.Config{
		Region:           s.Region(),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		}),
	}, func(co *cip.Options) { co.BaseEndpoint = aws.String(s.URL()) })
	return s, client
}

// TestServiceSignUpAndSRPSignIn drives the real module with the AWS SDK: an admin call (SigV4),
// sign-up with the code from the Sender, SRP sign-in (modexp and RSA signing in the guest), the
// ID token checked against the JWKS natively, and the injected clock expiring the access token.
// It runs with the host's native crypto and with the guest's pure-Go crypto.
func TestServiceSignUpAndSRPSignIn(t *testing.T) {
	for _, mode := range []struct {
		name string
		pure bool
	}{{"native", false}, {"pure", true}} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			clock := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
			rec := &message.Recorder{}
			s, client := startService(t, Options{Clock: clock.Now, Sender: rec, PureCrypto: mode.pure})
			if !strings.HasPrefix(s.Applied(), "user pools: ") {
				t.Fatalf("Applied() = %q", s.Applied())
			}

			pools, err := client.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
			if err != nil {
				t.Fatalf("ListUserPools: %v", err)
			}
			if len(pools.UserPools) != 1 || aws.ToString(pools.UserPools[0].Id) != defaultPoolID {
				t.Fatalf("ListUserPools = %+v", pools.UserPools)
			}

			const email, password = "alice@example.com", "Correct-Horse-9"
			if _, err := client.SignUp(ctx, &cip.SignUpInput{
				ClientId: aws.String(defaultClientID), Username: aws.String(email), Password: aws.String(password),
				UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}},
			}); err != nil {
				t.Fatalf("SignUp: %v", err)
			}
			msgs := rec.Messages()
			if len(msgs) != 1 || msgs[0].Kind != message.KindSignUp || msgs[0].Destination != email || msgs[0].Code == "" {
				t.Fatalf("messages after SignUp: %+v", msgs)
			}
			if _, err := client.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
				ClientId: aws.String(defaultClientID), Username: aws.String(email), ConfirmationCode: aws.String(msgs[0].Code),
			}); err != nil {
				t.Fatalf("ConfirmSignUp: %v", err)
			}

			tokens := srpSignIn(t, client, clock, email, password)
			claims := verifyIDToken(t, s, aws.ToString(tokens.IdToken))
			if claims["iss"] != s.IssuerBase()+"/"+defaultPoolID || claims["email"] != email {
				t.Fatalf("ID token claims %v", claims)
			}
			if iat, _ := claims["iat"].(float64); int64(iat) != clock.Now().Unix() {
				t.Fatalf("iat %v, injected clock %d", claims["iat"], clock.Now().Unix())
			}
			if _, err := client.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken}); err != nil {
				t.Fatalf("GetUser with a fresh token: %v", err)
			}

			// Two hours later by the injected clock: the guest says so, and the token has expired.
			clock.Advance(2 * time.Hour)
			resp, err := http.Get(s.URL() + "/" + defaultPoolID + "/.well-known/jwks.json")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got, want := resp.Header.Get("Date"), clock.Now().Format(http.TimeFormat); got != want {
				t.Fatalf("Date %q, want the injected clock's %q", got, want)
			}
			_, err = client.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken})
			var notAuth *types.NotAuthorizedException
			if !errors.As(err, &notAuth) {
				t.Fatalf("GetUser with a token 2 h old: %v, want NotAuthorizedException", err)
			}
		})
	}
}

// srpSignIn signs in with USER_SRP_AUTH as amazon-cognito-identity-js does.
func srpSignIn(t *testing.T, client *cip.Client, clock *storetest.Clock, username, password string) *types.AuthenticationResultType {
	t.Helper()
	ctx := context.Background()
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	init, err := client.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(defaultClientID), AuthFlow: types.AuthFlowTypeUserSrpAuth,
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": cl.AHex()},
	})
	if err != nil {
		t.Fatalf("InitiateAuth: %v", err)
	}
	if init.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		t.Fatalf("challenge %q", init.ChallengeName)
	}
	p := init.ChallengeParameters
	secretBlock, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		t.Fatal(err)
	}
	ts := srp.FormatTimestamp(clock.Now())
	sig, err := cl.Signature(srp.PoolName(defaultPoolID), p["USER_ID_FOR_SRP"], password, p["SALT"], p["SRP_B"], secretBlock, ts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(defaultClientID), ChallengeName: types.ChallengeNameTypePasswordVerifier, Session: init.Session,
		ChallengeResponses: map[string]string{
			"USERNAME":                    p["USER_ID_FOR_SRP"],
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE":    sig,
			"TIMESTAMP":                   ts,
		},
	})
	if err != nil {
		t.Fatalf("RespondToAuthChallenge: %v", err)
	}
	if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.IdToken) == "" {
		t.Fatalf("no tokens: %+v", out)
	}
	return out.AuthenticationResult
}

// verifyIDToken checks an RS256 JWT against the pool's JWKS with crypto/rsa and returns its claims.
func verifyIDToken(t *testing.T, s *Server, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var header struct{ Alg, Kid string }
	decodeSegment(t, parts[0], &header)
	if header.Alg != "RS256" || header.Kid == "" {
		t.Fatalf("token header %+v", header)
	}
	resp, err := http.Get(s.URL() + "/" + defaultPoolID + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct{ Keys []struct{ Kid, N, E string } }
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	var pub *rsa.PublicKey
	for _, k := range jwks.Keys {
		if k.Kid == header.Kid {
			n, _ := base64.RawURLEncoding.DecodeString(k.N)
			e, _ := base64.RawURLEncoding.DecodeString(k.E)
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	}
	if pub == nil {
		t.Fatalf("kid %q not in the JWKS", header.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("ID token signature: %v", err)
	}
	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	return claims
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
