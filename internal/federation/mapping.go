package federation

import (
	"sort"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/userpool"
)

// maxClaims bounds how many claims or attributes of one provider answer are read.
const maxClaims = 256

// mapAttributes applies a provider's AttributeMapping (pool attribute → provider claim or
// SAML attribute name) to the claims the provider gave. Unmapped claims are dropped, as
// Cognito drops them; "username" is not an attribute (it names the user id, see identity).
// A mapped claim the provider did not send is left out, so a later sign-in does not clear an
// attribute because the provider omitted it once.
func mapAttributes(mapping, claims map[string]string) map[string]string {
	out := map[string]string{}
	for attr, claim := range mapping {
		if attr == "username" {
			continue
		}
		if v, ok := claims[claim]; ok && utf8.ValidString(v) {
			out[attr] = v
		}
	}
	return out
}

// identity builds the ExternalIdentity of a sign-in. The user id is the claim the
// AttributeMapping's "username" names when the provider sent it, else subject (the OIDC sub,
// the Facebook or Amazon user id, the SAML NameID).
func identity(ip *userpool.IdentityProvider, claims map[string]string, subject, issuer string) (*userpool.ExternalIdentity, error) {
	userID := subject
	if claim, ok := ip.AttributeMapping["username"]; ok && claims[claim] != "" {
		userID = claims[claim]
	}
	if userID == "" {
		return nil, providerErr("the provider's answer names no user")
	}
	return &userpool.ExternalIdentity{ProviderName: ip.ProviderName, ProviderType: ip.ProviderType,
		UserID: userID, Issuer: issuer, Attributes: mapAttributes(ip.AttributeMapping, claims)}, nil
}

// claimNames lists the claims a mapping reads, sorted (Facebook's fields parameter).
func claimNames(mapping map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, claim := range mapping {
		if claim != "" && !seen[claim] {
			seen[claim] = true
			out = append(out, claim)
		}
	}
	sort.Strings(out)
	return out
}

// flatClaims renders a JSON object's members as attribute values (see claimString), at
// most maxClaims of them.
func flatClaims(raw map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range raw {
		if len(out) == maxClaims {
			break
		}
		if s, ok := claimString(v); ok {
			out[k] = s
		}
	}
	return out
}
