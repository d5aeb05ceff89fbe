package gateway

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/jose"
)

// verified is a token that passed every check of its route.
type verified struct {
	t      *jose.JWS
	claims *jose.Claims // trusted: the signature verified
	is     *issuer
	scopes []string
	groups []string
	until  time.Time // until when the same token would pass the same way (zero or past: unknown)
}

// verifyToken checks raw against route j: structure, issuer, algorithm, key, signature,
// times, token_use, client, revocation, then scopes and groups. Parsing, keys, signatures
// and times are internal/jose's; the refusals name the reason. A refusal says why the token
// does not pass; an error is a failure of the gateway's own dependencies.
func (g *Gateway) verifyToken(ctx context.Context, j *jwtRoute, raw string) (*verified, *refusal, error) {
	now := g.now()
	t, seenKey, seen := g.sigs.Get(raw, now)
	if !seen {
		var err error
		if t, err = jose.Parse(raw); err != nil {
			return nil, invalidToken("The token is malformed."), nil
		}
	}
	// Not trusted yet: the issuer only picks the keys to verify with.
	claims := t.UnverifiedClaims()
	var is *issuer
	for _, c := range j.issuers {
		if c.iss == claims.Issuer {
			is = c
			break
		}
	}
	if is == nil {
		return nil, invalidToken("The token's issuer is not accepted."), nil
	}
	if err := jose.CheckAlg(t, is.algs); err != nil {
		return nil, invalidToken("The token's algorithm is not accepted."), nil
	}
	ks := g.keySet(is)
	k, err := ks.Key(ctx, t.Kid)
	switch {
	case errors.Is(err, jose.ErrInvalid) && t.Kid == "":
		return nil, invalidToken("The token has no key id (kid)."), nil
	case errors.Is(err, jose.ErrInvalid):
		return nil, invalidToken("The token's signing key is unknown."), nil
	case err != nil:
		g.cfg.Logf("gateway: %v", err)
		return nil, &refusal{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
			description: "The issuer's keys cannot be obtained at the moment.", retryAfter: PenaltySeconds}, nil
	}
	if !seen || seenKey != k {
		err := jose.CheckSignature(g.cfg.Crypto, k, t)
		switch {
		case errors.Is(err, jose.ErrAlgNotAllowed):
			return nil, invalidToken("The token's algorithm does not fit its key."), nil
		case err != nil:
			if !errors.Is(err, jose.ErrInvalid) {
				g.cfg.Logf("gateway: issuer %s: %v", is.iss, err)
			}
			return nil, invalidToken("The token's signature does not verify."), nil
		}
		g.sigs.Put(raw, t, k, now)
	}

	// The signature is good: from here on the claims are the issuer's.
	if err := claims.CheckTimes(now, j.skew); err != nil {
		switch {
		case errors.Is(err, jose.ErrExpired):
			return nil, invalidToken("The token has expired."), nil
		case errors.Is(err, jose.ErrNotYetValid):
			return nil, invalidToken("The token is not valid yet (nbf or iat)."), nil
		}
		return nil, invalidToken("The token has no expiry (exp)."), nil
	}
	// Until when this answer stands: the token's expiry (with the skew), and the keys as
	// cached now (then they are fetched again); revocation below may shorten it.
	until := ks.TrustedUntil(now)
	if e := claims.Expiry.Time().Add(j.skew); e.Before(until) {
		until = e
	}
	if j.tokenUse != "" && claims.TokenUse != j.tokenUse {
		if j.tokenUse == "access" {
			return nil, invalidToken("The token is not an access token."), nil
		}
		return nil, invalidToken("The token is not an ID token."), nil
	}
	if len(j.clientIDs) > 0 && !clientAccepted(claims, j.clientIDs) {
		return nil, invalidToken("The token was not issued to an accepted client."), nil
	}
	if j.checkRevocation && is.poolID != "" {
		revoked, revUntil, err := g.rev.revoked(ctx, is.poolID, claims, j.revocationTTL, now)
		if err != nil {
			return nil, nil, err
		}
		if revoked {
			return nil, invalidToken("The token has been revoked."), nil
		}
		if revUntil.Before(until) {
			until = revUntil
		}
	}

	v := &verified{t: t, claims: claims, is: is, until: until}
	v.scopes = tokenScopes(claims)
	if gs, ok := claims.Strings(is.groupsClaim); ok {
		v.groups = gs
	}
	if len(j.scopes) > 0 {
		n := 0
		for _, want := range j.scopes {
			if slices.Contains(v.scopes, want) {
				n++
			}
		}
		if n == 0 || (j.allScopes && n < len(j.scopes)) {
			return nil, insufficientScope("The token lacks a required scope.", strings.Join(j.scopes, " ")), nil
		}
	}
	if len(j.groups) > 0 && !slices.ContainsFunc(j.groups, func(g string) bool { return slices.Contains(v.groups, g) }) {
		return nil, insufficientScope("The token's user is not in a required group.", ""), nil
	}
	return v, nil, nil
}

// clientAccepted checks the token's client against the route's list: client_id for access
// tokens, aud for ID tokens (as aws-jwt-verify does), either for tokens without token_use.
func clientAccepted(claims *jose.Claims, accepted []string) bool {
	var candidates []string
	if claims.TokenUse != "id" && claims.ClientID != "" {
		candidates = append(candidates, claims.ClientID)
	}
	if claims.TokenUse != "access" {
		candidates = append(candidates, claims.Audience...)
	}
	for _, c := range candidates {
		if slices.Contains(accepted, c) {
			return true
		}
	}
	return false
}

// tokenScopes reads the scope claim (space-separated string) and scp (array or string).
func tokenScopes(claims *jose.Claims) []string {
	out := strings.Fields(claims.String("scope"))
	if scp, ok := claims.Strings("scp"); ok {
		for _, s := range scp {
			out = append(out, strings.Fields(s)...)
		}
	}
	return out
}

// identityHeaders are the X-Poolgate-* headers describing a verified token's caller.
func (v *verified) identityHeaders(routeName string) http.Header {
	c := v.claims
	h := http.Header{}
	set := func(name, value string) {
		if value != "" {
			h.Set(name, value)
		}
	}
	set(HeaderRoute, headerValue(routeName, ""))
	set(HeaderIssuer, headerValue(v.is.iss, ""))
	set(HeaderSub, headerValue(c.Subject, ""))
	username := c.String("username")
	if username == "" {
		username = c.String("cognito:username")
	}
	set(HeaderUsername, headerValue(username, ""))
	set(HeaderTokenUse, headerValue(c.TokenUse, ""))
	client := c.ClientID
	if client == "" && len(c.Audience) == 1 {
		client = c.Audience[0]
	}
	set(HeaderClientID, headerValue(client, ""))
	set(HeaderGroups, headerList(v.groups, ","))
	set(HeaderScopes, headerList(v.scopes, " "))
	set(HeaderClaims, v.t.Payload)
	return h
}

// headerValue makes s safe as a header value: bytes outside visible ASCII, '%' and the bytes
// of extra are percent-encoded (RFC 3986 style, upper-case hex).
func headerValue(s, extra string) string {
	const hexDigits = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '%' || strings.IndexByte(extra, c) >= 0 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '%' || strings.IndexByte(extra, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// headerList joins values with sep, each made header-safe with sep and ',' encoded.
func headerList(vals []string, sep string) string {
	if len(vals) == 0 {
		return ""
	}
	enc := make([]string, len(vals))
	for i, v := range vals {
		enc[i] = headerValue(v, sep+",")
	}
	return strings.Join(enc, sep)
}
