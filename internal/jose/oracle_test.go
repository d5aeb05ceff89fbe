package jose_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/poolgate/poolgate/internal/jose"
)

// TestJWXOracle checks internal/jose against an independent implementation, jwx: random
// tokens (random claims and times, random algorithms and kids, signed by the trusted keys or
// not) and random mutations of their header, payload and signature bytes must be accepted
// or refused by both alike, with the same keys (one JWKS document) and the same clock.
//
// Where the two deliberately differ, a case is classified, counted and not compared:
//   - duplicate member names: jwx keeps one of them, jose refuses the token;
//   - non-canonical base64url (padding, the standard alphabet, set trailing bits): jwx
//     decodes leniently, jose refuses;
//   - registered claims of the wrong type, exp of 0: jwx may ignore or coerce them, jose
//     refuses (exp is required and must be a finite number);
//   - an iat up to jose.IssuedAtGrace ahead, or fractional times: jwx truncates to seconds and
//     allows no grace.
//
// The generator avoids producing those on purpose; mutations reach them now and then.
func TestJWXOracle(t *testing.T) {
	v, _, _ := fixture(t) // keys r1 (RSA) and e1 (P-256)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	v.Now = func() time.Time { return now }
	v.Skew = 0
	rsaDER, _ := x509.MarshalPKIXPublicKey(&fixRSA.PublicKey)
	jwks := []byte(fmt.Sprintf(`{"keys":[%s,%s]}`, rsaJWKJSON("r1", &fixRSA.PublicKey), ecJWKJSON("e1", &fixEC.PublicKey)))
	keys, skipped, err := jose.ParseJWKS(jwks)
	if err != nil || skipped != 0 || keys.Len() != 2 {
		t.Fatalf("jose reads the JWKS: %v, skipped %d", err, skipped)
	}
	v.Keys = keys
	set, err := jwk.Parse(jwks)
	if err != nil {
		t.Fatal(err)
	}
	jwxAccepts := func(tok string) bool {
		_, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithValidate(true),
			jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })), jwt.WithAcceptableSkew(0),
			jwt.WithRequiredClaim("exp"))
		return err == nil
	}
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)

	rng := mrand.New(mrand.NewPCG(20301, 2))
	const n = 2000
	var bothAccept, bothRefuse, differences int
	classes := map[string]int{}
	for i := range n {
		// Half the cases are tokens that should pass, the other half anything.
		valid := rng.IntN(2) == 0
		tok := randomToken(rng, valid, now, rsaDER, attacker)
		if !valid {
			tok = mutate(rng, tok)
		}
		_, _, err := v.Verify(context.Background(), tok)
		if err != nil && !errors.Is(err, jose.ErrInvalid) {
			t.Fatalf("case %d: jose could not judge %q: %v", i, tok, err)
		}
		j, x := err == nil, jwxAccepts(tok)
		switch {
		case j && x:
			bothAccept++
		case !j && !x:
			bothRefuse++
		default:
			if class := documented(tok, now); class != "" {
				classes[class]++
				differences++
				continue
			}
			t.Errorf("case %d: jose accepts %v (%v), jwx accepts %v: %q", i, j, err, x, tok)
		}
	}
	t.Logf("%d cases: both accept %d, both refuse %d, documented differences %d %v", n, bothAccept, bothRefuse, differences, classes)
	if bothAccept < n/4 || bothRefuse < n/4 {
		t.Fatalf("the generator is off balance: %d accepted, %d refused by both", bothAccept, bothRefuse)
	}
}

// randomToken signs random claims under a random header: RS256 or ES256 with the trusted
// keys, or with an attacker's key, HS256 keyed with the RSA public key, alg none, an
// algorithm the set does not offer, a wrong or missing kid. With valid, the token has the
// right algorithm, kid and key, and times that pass.
func randomToken(rng *mrand.Rand, valid bool, now time.Time, rsaDER []byte, attacker *rsa.PrivateKey) string {
	t := now.Unix()
	claims := map[string]any{"sub": fmt.Sprint("user-", rng.IntN(1000))}
	pick := rng.IntN(6)
	if valid {
		pick = 5
	}
	switch pick {
	case 0:
		claims["exp"] = t - 1 - int64(rng.IntN(100000))
	case 1:
		claims["exp"] = t
	case 2:
		// no exp: both refuse (jwx is told exp is required)
	default:
		claims["exp"] = t + 1 + int64(rng.IntN(100000))
	}
	if rng.IntN(3) == 0 {
		claims["nbf"] = t + int64(rng.IntN(200)) - 100
		if valid {
			claims["nbf"] = t - int64(rng.IntN(100))
		}
	}
	if rng.IntN(3) == 0 {
		iat := t - int64(rng.IntN(1000))
		if !valid && rng.IntN(4) == 0 {
			iat = t + 2 + int64(rng.IntN(100)) // ahead by more than the grace
		}
		claims["iat"] = iat
	}
	if rng.IntN(2) == 0 {
		claims["iss"] = "https://issuer.test"
		claims["aud"] = []string{"a", "b"}[rng.IntN(2)]
		claims["scope"] = "openid email"
	}
	for range rng.IntN(4) {
		claims[fmt.Sprint("c", rng.IntN(100))] = []any{rng.IntN(1000), "text", true, nil, []string{"x", "y"}, map[string]any{"k": 1.5}}[rng.IntN(6)]
	}
	header := map[string]any{}
	alg := []string{"RS256", "RS256", "RS256", "ES256", "ES256", "HS256", "none", "RS512", "PS256", "ES384"}[rng.IntN(10)]
	if valid {
		alg = []string{"RS256", "ES256"}[rng.IntN(2)]
	}
	header["alg"] = alg
	pick = rng.IntN(8)
	if valid {
		pick = 7
	}
	switch pick {
	case 0:
		header["kid"] = "unknown"
	case 1: // no kid
	case 2:
		header["kid"] = []string{"e1", "r1"}[rng.IntN(2)] // maybe the other key's kid
	default:
		if alg == "ES256" {
			header["kid"] = "e1"
		} else {
			header["kid"] = "r1"
		}
	}
	if rng.IntN(4) == 0 {
		header["typ"] = "JWT"
	}
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(p)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "RS256":
		k := fixRSA
		if !valid && rng.IntN(6) == 0 {
			k = attacker
		}
		sig, _ = rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
	case "ES256":
		r, s, _ := ecdsa.Sign(rand.Reader, fixEC, sum[:])
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case "HS256":
		m := hmac.New(sha256.New, rsaDER)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case "none":
	default:
		sig = make([]byte, 256)
		for i := range sig {
			sig[i] = byte(rng.Uint32())
		}
	}
	return input + "." + b64(sig)
}

// mutate leaves most tokens alone; otherwise it replaces a character of the compact form,
// or flips a bit in the decoded bytes of one segment and re-encodes it.
func mutate(rng *mrand.Rand, tok string) string {
	switch rng.IntN(4) {
	case 0:
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := rng.IntN(len(tok))
		if tok[i] == '.' {
			return tok
		}
		return tok[:i] + string(alphabet[rng.IntN(64)]) + tok[i+1:]
	case 1:
		parts := strings.Split(tok, ".")
		seg := rng.IntN(3)
		b, err := base64.RawURLEncoding.DecodeString(parts[seg])
		if err != nil || len(b) == 0 {
			return tok
		}
		b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
		parts[seg] = b64(b)
		return strings.Join(parts, ".")
	}
	return tok
}

// documented names the deliberate difference a disagreement falls under, or "".
func documented(tok string, now time.Time) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	for _, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil || b64(b) != p {
			return "non-canonical base64url"
		}
	}
	for _, p := range parts[:2] {
		b, _ := base64.RawURLEncoding.DecodeString(p)
		if hasDuplicates(b) {
			return "duplicate members"
		}
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if _, err := jose.DecodeClaims(payload); errors.Is(err, jose.ErrMalformed) {
		return "registered claim of the wrong type"
	}
	c, _ := jose.DecodeClaims(payload)
	for _, d := range []*jose.NumericDate{c.Expiry, c.NotBefore, c.IssuedAt} {
		if d != nil && float64(*d) != float64(int64(*d)) {
			return "fractional time"
		}
	}
	if c.Expiry != nil && *c.Expiry == 0 {
		return "exp of 0"
	}
	if c.IssuedAt != nil && float64(*c.IssuedAt) > float64(now.Unix()) && float64(*c.IssuedAt) <= float64(now.Add(jose.IssuedAtGrace).Unix()) {
		return "iat within the grace"
	}
	return ""
}

func hasDuplicates(b []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return false
		}
		if seen[name] {
			return true
		}
		seen[name] = true
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return false
		}
	}
	return false
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWKJSON(kid string, k *rsa.PublicKey) string {
	return fmt.Sprintf(`{"kty":"RSA","kid":%q,"alg":"RS256","use":"sig","n":%q,"e":%q}`, kid, b64(k.N.Bytes()), b64(big.NewInt(int64(k.E)).Bytes()))
}

func ecJWKJSON(kid string, k *ecdsa.PublicKey) string {
	x, y := make([]byte, 32), make([]byte, 32)
	k.X.FillBytes(x)
	k.Y.FillBytes(y)
	return fmt.Sprintf(`{"kty":"EC","kid":%q,"alg":"ES256","crv":"P-256","x":%q,"y":%q}`, kid, b64(x), b64(y))
}

// TestJWXDifferences pins the deliberate differences TestJWXOracle classifies: tokens jwx
// accepts and jose refuses, each signed with the trusted key.
func TestJWXDifferences(t *testing.T) {
	v, _, _ := fixture(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	v.Now = func() time.Time { return now }
	v.Skew = 0
	set, err := jwk.Parse([]byte(fmt.Sprintf(`{"keys":[%s,%s]}`, rsaJWKJSON("r1", &fixRSA.PublicKey), ecJWKJSON("e1", &fixEC.PublicKey))))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(payload string) string {
		input := b64([]byte(`{"alg":"RS256","kid":"r1"}`)) + "." + b64([]byte(payload))
		sum := sha256.Sum256([]byte(input))
		sig, _ := rsa.SignPKCS1v15(nil, fixRSA, crypto.SHA256, sum[:])
		return input + "." + b64(sig)
	}
	exp := now.Unix() + 60
	good := sign(fmt.Sprintf(`{"sub":"a","exp":%d}`, exp))
	parts := strings.Split(good, ".")
	padded := parts[0] + "." + parts[1] + "." + base64.URLEncoding.EncodeToString(mustDecode(t, parts[2]))
	for name, tok := range map[string]string{
		"duplicate sub":        sign(fmt.Sprintf(`{"sub":"a","sub":"b","exp":%d}`, exp)),
		"padded signature":     padded,
		"exp of 0":             sign(`{"sub":"a","exp":0}`),
		"iat within the grace": sign(fmt.Sprintf(`{"sub":"a","exp":%d,"iat":%d}`, exp, now.Unix()+1)),
	} {
		_, jerr := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithValidate(true),
			jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })), jwt.WithRequiredClaim("exp"))
		_, _, err := v.Verify(context.Background(), tok)
		t.Logf("%s: jwx %v, jose %v", name, jerr, err)
		if name == "iat within the grace" {
			if jerr == nil || err != nil {
				t.Errorf("%s: jwx refuses and jose accepts, expected", name)
			}
			continue
		}
		if jerr != nil || !errors.Is(err, jose.ErrMalformed) && !errors.Is(err, jose.ErrExpired) {
			t.Errorf("%s: jwx accepts and jose refuses, expected", name)
		}
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
