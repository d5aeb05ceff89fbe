package federation

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/keyder"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Provider specifics beyond the OIDC code flow: Facebook's Graph API, Login with Amazon's
// profile API, and Sign in with Apple's client secret.

// finishFacebook redeems the code at the Graph API and reads the user's fields.
func (f *Federation) finishFacebook(ctx context.Context, ip *userpool.IdentityProvider, callback, code string) (*userpool.ExternalIdentity, error) {
	e, err := f.endpointsOf(ctx, ip)
	if err != nil {
		return nil, err
	}
	tr, err := f.redeem(ctx, ip, e, callback, code, "")
	if err != nil {
		return nil, err
	}
	if tr.AccessToken == "" {
		return nil, providerErr("token request: the answer holds no access_token")
	}
	fieldsURL, err := facebookFieldsURL(ip, e.userinfo)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := f.getJSON(ctx, "Graph API /me", fieldsURL, tr.AccessToken, &raw); err != nil {
		return nil, err
	}
	claims := flatClaims(raw)
	return identity(ip, claims, claims["id"], "")
}

// facebookFieldsURL is the /me URL asking for id and every field the mapping reads, on the
// Graph API version configured.
func facebookFieldsURL(ip *userpool.IdentityProvider, attributesURL string) (string, error) {
	if attributesURL == "" {
		attributesURL = "https://graph.facebook.com/me?fields="
	}
	if v := ip.ProviderDetails["api_version"]; v != "" && attributesURL == "https://graph.facebook.com/me?fields=" {
		attributesURL = "https://graph.facebook.com/" + v + "/me?fields="
	}
	u, err := checkEndpoint("attributes_url", attributesURL)
	if err != nil {
		return "", err
	}
	fields := []string{"id"}
	for _, c := range claimNames(ip.AttributeMapping) {
		if c != "id" {
			fields = append(fields, c)
		}
	}
	q := u.Query()
	q.Set("fields", strings.Join(fields, ","))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// finishAmazon redeems the code at Login with Amazon and reads the user's profile.
func (f *Federation) finishAmazon(ctx context.Context, ip *userpool.IdentityProvider, callback, code string, p Pending) (*userpool.ExternalIdentity, error) {
	e, err := f.endpointsOf(ctx, ip)
	if err != nil {
		return nil, err
	}
	tr, err := f.redeem(ctx, ip, e, callback, code, p.Verifier)
	if err != nil {
		return nil, err
	}
	if tr.AccessToken == "" || e.userinfo == "" {
		return nil, providerErr("Login with Amazon gave no access token or has no profile URL")
	}
	var raw map[string]any
	if err := f.getJSON(ctx, "profile", e.userinfo, tr.AccessToken, &raw); err != nil {
		return nil, err
	}
	claims := flatClaims(raw)
	return identity(ip, claims, claims["user_id"], "")
}

// appleAudience is the aud Apple requires of a client secret.
const appleAudience = "https://appleid.apple.com"

// appleSecretTTL is how long a client secret is good for (Apple allows up to six months;
// poolgate makes one per token request).
const appleSecretTTL = 5 * time.Minute

// appleClientSecret is Sign in with Apple's client secret: an ES256 JWT with kid key_id, iss
// team_id, sub client_id and aud https://appleid.apple.com, signed with private_key (the
// PKCS#8 PEM Apple hands out) through the host's crypto.
func (f *Federation) appleClientSecret(ip *userpool.IdentityProvider) (string, error) {
	d := ip.ProviderDetails
	der, err := appleKeyDER(d["private_key"])
	if err != nil {
		return "", err
	}
	now := f.cfg.Now().Unix()
	header, _ := json.Marshal(map[string]string{"alg": jose.ES256, "kid": d["key_id"], "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"iss": d["team_id"], "iat": now, "exp": now + int64(appleSecretTTL/time.Second),
		"aud": appleAudience, "sub": d["client_id"]})
	input := jose.Encode(header) + "." + jose.Encode(claims)
	sig, err := hostcrypto.SignES256(f.cfg.Crypto, der, []byte(input))
	if err != nil {
		return "", providerErr("Sign in with Apple: signing the client secret: %v", err)
	}
	return input + "." + jose.Encode(sig), nil
}

// appleKeyDER turns Apple's private key (PKCS#8 or SEC 1 PEM, P-256) into the SEC 1 DER the
// host's crypto signs with.
func appleKeyDER(pemText string) ([]byte, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, providerErr("Sign in with Apple: private_key is not PEM")
	}
	var (
		k   *keyder.P256PrivateKey
		err error
	)
	switch block.Type {
	case "EC PRIVATE KEY":
		k, err = keyder.ParseSEC1P256(block.Bytes)
	case "PRIVATE KEY":
		k, err = keyder.ParsePKCS8P256(block.Bytes)
	default:
		return nil, providerErr("Sign in with Apple: private_key is a PEM %s block", block.Type)
	}
	if err != nil {
		return nil, providerErr("Sign in with Apple: private_key is not a P-256 key: %v", err)
	}
	return k.MarshalSEC1(), nil
}
