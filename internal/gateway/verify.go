package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) (string, *refusal) {
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", missingToken()
	case len(vals) > 1:
		return "", badRequest("The request carries more than one Authorization header.")
	}
	scheme, tok, _ := strings.Cut(strings.TrimLeft(vals[0], " "), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		// Another scheme (Basic, AWS4-HMAC-SHA256, ...): no bearer credentials at all.
		return "", missingToken()
	}
	tok = strings.Trim(tok, " ")
	if tok == "" {
		return "", badRequest("The Authorization header carries an empty bearer token.")
	}
	return tok, nil
}

// verified is a token that passed every check of its route.
type verified struct {
	t      *jws
	is     *issuer
	scopes []string
	groups []string
	until  time.Time // until when the same token would pass the same way (zero or past: unknown)
}

// verifyToken checks raw against route j: structure, issuer, algorithm, key, signature,
// times, token_use, client, revocation, then scopes and groups. A refusal says why the token
// does not pass; an error is a failure of the gateway's own dependencies.
func (g *Gateway) verifyToken(ctx context.Context, j *jwtRoute, raw string) (*verified, *refusal, error) {
	now := g.now()
	t, seenKey, seen := g.sigs.get(raw, now)
	if !seen {
		var err error
		if t, err = parseJWS(raw); err != nil {
			return nil, invalidToken("The token is malformed."), nil
		}
	}
	iss, _ := t.claims["iss"].(string)
	var is *issuer
	for _, c := range j.issuers {
		if c.iss == iss {
			is = c
			break
		}
	}
	if is == nil {
		return nil, invalidToken("The token's issuer is not accepted."), nil
	}
	if !slices.Contains(is.algs, t.alg) {
		return nil, invalidToken("The token's algorithm is not accepted."), nil
	}
	if t.kid == "" {
		return nil, invalidToken("The token has no key id (kid)."), nil
	}
	ks := g.keySet(is)
	k, err := ks.key(ctx, t.kid, now)
	if errors.Is(err, errUnknownKid) {
		return nil, invalidToken("The token's signing key is unknown."), nil
	}
	if err != nil {
		g.cfg.Logf("%v", err)
		return nil, &refusal{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
			description: "The issuer's keys cannot be obtained at the moment.", retryAfter: PenaltySeconds}, nil
	}
	if !k.fitsAlg(t.alg) {
		return nil, invalidToken("The token's algorithm does not fit its key."), nil
	}
	if !seen || seenKey != k {
		digest := sha256.Sum256([]byte(t.signingInput))
		switch t.alg {
		case RS256:
			err = g.cfg.Crypto.VerifyRSA(k.der, digest[:], t.sig)
		case ES256:
			err = g.cfg.Crypto.VerifyECDSA(k.der, digest[:], t.sig)
		}
		if err != nil {
			if !errors.Is(err, hostcrypto.ErrVerify) {
				g.cfg.Logf("gateway: verifying with key %s of %s: %v", clip(k.kid), is.iss, err)
			}
			return nil, invalidToken("The token's signature does not verify."), nil
		}
		if exp, present, err := numericDate(t.claims, "exp"); err == nil && present {
			// Kept until exp, and no longer than sigCacheLife (exp may be far off or absurd).
			until := now.Add(sigCacheLife)
			if exp < float64(until.Unix()) {
				until = time.Unix(int64(exp), 0)
			}
			g.sigs.put(raw, t, k, until, now)
		}
	}

	// The signature is good: from here on the claims are the issuer's.
	if ref := checkTimes(t.claims, now, j.skew); ref != nil {
		return nil, ref, nil
	}
	// Until when this answer stands: the token's expiry (with the skew), and the keys as
	// cached now (then they are fetched again); revocation below may shorten it.
	until := ks.trustedUntil(now)
	if exp, _, _ := numericDate(t.claims, "exp"); exp+j.skew.Seconds() < float64(until.Unix()) {
		until = time.Unix(0, int64((exp+j.skew.Seconds())*1e9))
	}
	use, present := t.claims["token_use"]
	useStr, isString := use.(string)
	if present && !isString {
		return nil, invalidToken("The token's token_use is not a string."), nil
	}
	if j.tokenUse != "" && useStr != j.tokenUse {
		if j.tokenUse == "access" {
			return nil, invalidToken("The token is not an access token."), nil
		}
		return nil, invalidToken("The token is not an ID token."), nil
	}
	if len(j.clientIDs) > 0 && !clientAccepted(t.claims, useStr, j.clientIDs) {
		return nil, invalidToken("The token was not issued to an accepted client."), nil
	}
	if j.checkRevocation && is.poolID != "" {
		revoked, revUntil, err := g.rev.revoked(ctx, is.poolID, t.claims, j.revocationTTL, now)
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

	v := &verified{t: t, is: is, until: until}
	v.scopes = tokenScopes(t.claims)
	if gs, ok := claimStrings(t.claims, is.groupsClaim); ok {
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

// checkTimes checks exp (required), nbf and iat against now with the given leeway.
func checkTimes(claims map[string]any, now time.Time, skew time.Duration) *refusal {
	t := float64(now.UnixNano()) / 1e9
	leeway := skew.Seconds()
	exp, present, err := numericDate(claims, "exp")
	switch {
	case err != nil:
		return invalidToken("The token's exp is not a number.")
	case !present:
		return invalidToken("The token has no expiry (exp).")
	case t >= exp+leeway:
		return invalidToken("The token has expired.")
	}
	nbf, present, err := numericDate(claims, "nbf")
	switch {
	case err != nil:
		return invalidToken("The token's nbf is not a number.")
	case present && t < nbf-leeway:
		return invalidToken("The token is not valid yet (nbf).")
	}
	iat, present, err := numericDate(claims, "iat")
	switch {
	case err != nil:
		return invalidToken("The token's iat is not a number.")
	case present && iat > t+leeway:
		return invalidToken("The token was issued in the future (iat).")
	}
	return nil
}

// clientAccepted checks the token's client against the route's list: client_id for access
// tokens, aud for ID tokens (as aws-jwt-verify does), either for tokens without token_use.
func clientAccepted(claims map[string]any, use string, accepted []string) bool {
	var candidates []string
	if use != "id" {
		if c, ok := claims["client_id"].(string); ok {
			candidates = append(candidates, c)
		}
	}
	if use != "access" {
		if aud, ok := claimStrings(claims, "aud"); ok {
			candidates = append(candidates, aud...)
		}
	}
	for _, c := range candidates {
		if slices.Contains(accepted, c) {
			return true
		}
	}
	return false
}

// tokenScopes reads the scope claim (space-separated string) and scp (array or string).
func tokenScopes(claims map[string]any) []string {
	var out []string
	if s, ok := claims["scope"].(string); ok {
		out = strings.Fields(s)
	}
	if scp, ok := claimStrings(claims, "scp"); ok {
		for _, s := range scp {
			out = append(out, strings.Fields(s)...)
		}
	}
	return out
}

// identityHeaders are the X-Poolgate-* headers describing a verified token's caller.
func (v *verified) identityHeaders(routeName string) http.Header {
	c := v.t.claims
	h := http.Header{}
	set := func(name, value string) {
		if value != "" {
			h.Set(name, value)
		}
	}
	set(HeaderRoute, headerValue(routeName, ""))
	set(HeaderIssuer, headerValue(v.is.iss, ""))
	set(HeaderSub, headerValue(claimString(c, "sub"), ""))
	username := claimString(c, "username")
	if username == "" {
		username = claimString(c, "cognito:username")
	}
	set(HeaderUsername, headerValue(username, ""))
	set(HeaderTokenUse, headerValue(claimString(c, "token_use"), ""))
	client := claimString(c, "client_id")
	if client == "" {
		if aud, ok := claimStrings(c, "aud"); ok && len(aud) == 1 {
			client = aud[0]
		}
	}
	set(HeaderClientID, headerValue(client, ""))
	set(HeaderGroups, headerList(v.groups, ","))
	set(HeaderScopes, headerList(v.scopes, " "))
	set(HeaderClaims, v.t.payloadB64)
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
