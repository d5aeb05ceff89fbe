package token

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

const pool = "us-east-1_AbCdEf123"

var ctx = context.Background()

// b64 is the JWS segment encoding, for building tokens by hand.
var b64 = base64.RawURLEncoding

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newSealer(t testing.TB, b byte) *seal.Sealer {
	t.Helper()
	s, err := seal.New(bytes.Repeat([]byte{b}, seal.KeySize), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type fixture struct {
	clk    *clock
	st     *memstore.Store
	atRest *seal.Sealer
	kr     *Keyring
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{clk: newClock(), atRest: newSealer(t, 1)}
	f.st = memstore.New(f.clk.Now)
	f.kr = f.keyring(f.st)
	return f
}

// keyring returns another instance over st with the fixture's clock and at-rest key.
func (f *fixture) keyring(st store.Store) *Keyring {
	return NewKeyring(st, f.atRest, hostcrypto.Pure{}, f.clk.Now)
}

func (f *fixture) claims(use string, ttl time.Duration) map[string]any {
	now := f.clk.Now().Unix()
	c := map[string]any{
		"sub":       "6f1b2c3d-0000-4000-8000-000000000001",
		"iss":       "https://cognito-idp.us-east-1.amazonaws.com/" + pool,
		"token_use": use,
		"iat":       now,
		"auth_time": now,
		"exp":       now + int64(ttl/time.Second),
		"jti":       "0a6b3a8e-1111-4000-8000-000000000002",
	}
	if use == UseID {
		c["aud"] = "client123"
		c["cognito:username"] = "alice"
		c["email_verified"] = true
		c["cognito:groups"] = []string{"admins", "<b>&"}
	} else {
		c["client_id"] = "client123"
		c["scope"] = "aws.cognito.signin.user.admin"
		c["username"] = "alice"
	}
	return c
}

func (f *fixture) sign(t testing.TB, kr *Keyring, use string, claims map[string]any) string {
	t.Helper()
	tok, err := kr.Sign(ctx, pool, use, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signRaw signs arbitrary header and payload JSON with the keyring's current key for use,
// to build tokens Sign would refuse to issue.
func signRaw(t testing.TB, kr *Keyring, poolID, use, header, payload string) string {
	t.Helper()
	sk, err := kr.signingKey(ctx, poolID, use)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	digest := sha256.Sum256([]byte(input))
	sig, err := hostcrypto.Pure{}.SignRSA(sk.privDER, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

func kidOf(t testing.TB, tok string) string {
	t.Helper()
	parsed, err := jose.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Kid
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func TestSignVerify(t *testing.T) {
	f := newFixture(t)
	for _, use := range []string{UseID, UseAccess} {
		claims := f.claims(use, time.Hour)
		tok := f.sign(t, f.kr, use, claims)
		if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, "=+/") {
			t.Fatalf("%s token is not compact base64url: %s", use, tok)
		}
		hdr, _ := b64.DecodeString(strings.Split(tok, ".")[0])
		kid := kidOf(t, tok)
		if want := `{"alg":"RS256","kid":"` + kid + `"}`; string(hdr) != want {
			t.Errorf("header = %s, want %s", hdr, want)
		}
		if len(kid) != 43 {
			t.Errorf("kid %q is not a base64url SHA-256", kid)
		}
		verified, err := f.kr.Verify(ctx, pool, tok)
		if err != nil {
			t.Fatalf("verify %s token: %v", use, err)
		}
		got := verified.Raw
		if got["token_use"] != use || got["sub"] != claims["sub"] {
			t.Errorf("claims = %v", got)
		}
		if got["exp"] != json.Number(fmt.Sprint(claims["exp"])) {
			t.Errorf("exp = %#v, want json.Number %d", got["exp"], claims["exp"])
		}
		if use == UseID {
			if got["email_verified"] != true {
				t.Errorf("email_verified = %#v", got["email_verified"])
			}
			if g, _ := got["cognito:groups"].([]any); len(g) != 2 || g[1] != "<b>&" {
				t.Errorf("cognito:groups = %#v", got["cognito:groups"])
			}
			payload, _ := b64.DecodeString(strings.Split(tok, ".")[1])
			if !bytes.Contains(payload, []byte(`"<b>&"`)) {
				t.Errorf("payload escapes HTML: %s", payload)
			}
		}
	}
	id := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	access := f.sign(t, f.kr, UseAccess, f.claims(UseAccess, time.Hour))
	if kidOf(t, id) == kidOf(t, access) {
		t.Error("ID and access tokens share a signing key")
	}
}

func TestSignRejects(t *testing.T) {
	f := newFixture(t)
	c := f.claims(UseID, time.Hour)
	for _, tc := range []struct {
		name   string
		pool   string
		use    string
		claims map[string]any
	}{
		{"unknown use", pool, "refresh", c},
		{"empty pool", "", UseID, c},
		{"slash in pool", "a/b", UseID, c},
		{"no exp", pool, UseID, map[string]any{"sub": "x"}},
		{"nil claims", pool, UseID, nil},
		{"exp not a number", pool, UseID, map[string]any{"exp": "tomorrow"}},
		{"token_use of the other key", pool, UseAccess, c},
		{"unencodable", pool, UseID, map[string]any{"exp": 1, "x": func() {}}},
	} {
		if tok, err := f.kr.Sign(ctx, tc.pool, tc.use, tc.claims); err == nil || errors.Is(err, jose.ErrInvalid) {
			t.Errorf("%s: Sign = %q, %v; want an error that is not jose.ErrInvalid", tc.name, tok, err)
		}
	}
}

// TestSignPair: SignPair's tokens are Sign's, byte for byte (RS256 is deterministic), through
// the provider's pair signing and through the fallback of a provider without it; bad claims on
// either side are refused as Sign refuses them.
func TestSignPair(t *testing.T) {
	f := newFixture(t)
	access, id := f.claims(UseAccess, time.Hour), f.claims(UseID, time.Hour)
	wantAccess, wantID := f.sign(t, f.kr, UseAccess, access), f.sign(t, f.kr, UseID, id)
	for name, kr := range map[string]*Keyring{
		"pair signer": f.kr,
		"one by one":  NewKeyring(f.st, f.atRest, signOnly{hostcrypto.Pure{}}, f.clk.Now),
	} {
		gotAccess, gotID, err := kr.SignPair(ctx, pool, access, id)
		if err != nil || gotAccess != wantAccess || gotID != wantID {
			t.Errorf("%s: SignPair = %.20q…, %.20q…, %v; want Sign's tokens", name, gotAccess, gotID, err)
		}
	}
	for name, pair := range map[string][2]map[string]any{
		"access claims of an ID token": {id, id},
		"ID claims of an access token": {access, access},
		"no exp":                       {access, {"sub": "x"}},
	} {
		if a, i, err := f.kr.SignPair(ctx, pool, pair[0], pair[1]); err == nil || errors.Is(err, jose.ErrInvalid) {
			t.Errorf("%s: SignPair = %q, %q, %v; want an error that is not jose.ErrInvalid", name, a, i, err)
		}
	}
}

// signOnly hides a provider's pair signing (hostcrypto.RSAPairSigner).
type signOnly struct{ hostcrypto.Provider }

func TestTamperedEveryCharacter(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	for i := range len(tok) {
		sub := byte('A')
		if tok[i] == 'A' {
			sub = 'B'
		}
		bad := tok[:i] + string(sub) + tok[i+1:]
		if _, err := f.kr.Verify(ctx, pool, bad); !errors.Is(err, jose.ErrInvalid) {
			t.Fatalf("char %d (%q→%q): err = %v, want jose.ErrInvalid", i, tok[i], sub, err)
		}
	}
}

func TestTamperedPayloadAndSignature(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseAccess, f.claims(UseAccess, time.Hour))
	parts := strings.Split(tok, ".")

	claims := f.claims(UseAccess, time.Hour)
	claims["username"] = "mallory"
	payload, _ := json.Marshal(claims)
	forged := parts[0] + "." + b64.EncodeToString(payload) + "." + parts[2]
	_, err := f.kr.Verify(ctx, pool, forged)
	wantErr(t, err, jose.ErrInvalid, "swapped payload")

	sig, _ := b64.DecodeString(parts[2])
	sig[len(sig)/2] ^= 1
	_, err = f.kr.Verify(ctx, pool, parts[0]+"."+parts[1]+"."+b64.EncodeToString(sig))
	wantErr(t, err, jose.ErrInvalid, "flipped signature bit")

	_, err = f.kr.Verify(ctx, pool, parts[0]+"."+parts[1]+"."+b64.EncodeToString(sig[1:]))
	wantErr(t, err, jose.ErrInvalid, "short signature")

	// The ID key's kid on an access token: the kid is covered by the signature.
	idTok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	hdr := `{"alg":"RS256","kid":"` + kidOf(t, idTok) + `"}`
	_, err = f.kr.Verify(ctx, pool, b64.EncodeToString([]byte(hdr))+"."+parts[1]+"."+parts[2])
	wantErr(t, err, jose.ErrInvalid, "kid swapped to the other key")
}

func TestAlgorithmConfusion(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	parts := strings.Split(tok, ".")
	kid := kidOf(t, tok)
	sk, err := f.kr.signingKey(ctx, pool, UseID)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := f.kr.JWKS(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: sk.pubPKIX})

	withHeader := func(h, sig string) string {
		return b64.EncodeToString([]byte(h)) + "." + parts[1] + "." + sig
	}
	hs256 := func(secret []byte) string {
		h := `{"alg":"HS256","kid":"` + kid + `"}`
		input := b64.EncodeToString([]byte(h)) + "." + parts[1]
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(input))
		return input + "." + b64.EncodeToString(m.Sum(nil))
	}
	cases := map[string]string{
		"alg none, no signature":    withHeader(`{"alg":"none","kid":"`+kid+`"}`, ""),
		"alg none, RS256 signature": withHeader(`{"alg":"none","kid":"`+kid+`"}`, parts[2]),
		"alg None":                  withHeader(`{"alg":"None","kid":"`+kid+`"}`, parts[2]),
		"alg rs256":                 withHeader(`{"alg":"rs256","kid":"`+kid+`"}`, parts[2]),
		"alg RS384":                 withHeader(`{"alg":"RS384","kid":"`+kid+`"}`, parts[2]),
		"alg PS256":                 withHeader(`{"alg":"PS256","kid":"`+kid+`"}`, parts[2]),
		"alg ES256":                 withHeader(`{"alg":"ES256","kid":"`+kid+`"}`, parts[2]),
		"no alg":                    withHeader(`{"kid":"`+kid+`"}`, parts[2]),
		"alg not a string":          withHeader(`{"alg":["RS256"],"kid":"`+kid+`"}`, parts[2]),
		"HS256 keyed with PKIX DER": hs256(sk.pubPKIX),
		"HS256 keyed with PEM":      hs256(pemPub),
		"HS256 keyed with the JWKS": hs256(jwks),
		"HS256 keyed with the kid":  hs256([]byte(kid)),
		"HS256 keyed with nothing":  hs256(nil),
	}
	for name, bad := range cases {
		if _, err := f.kr.Verify(ctx, pool, bad); !errors.Is(err, jose.ErrInvalid) {
			t.Errorf("%s: err = %v, want jose.ErrInvalid", name, err)
		}
	}

	// Headers that Verify rejects even with a valid RS256 signature over them.
	payload := `{"exp":` + fmt.Sprint(f.clk.Now().Unix()+60) + `}`
	for name, h := range map[string]string{
		"no kid":         `{"alg":"RS256"}`,
		"empty kid":      `{"alg":"RS256","kid":""}`,
		"numeric kid":    `{"alg":"RS256","kid":7}`,
		"crit":           `{"alg":"RS256","kid":"` + kid + `","crit":["exp"]}`,
		"later alg wins": `{"alg":"RS256","kid":"` + kid + `","alg":"none"}`,
	} {
		if _, err := f.kr.Verify(ctx, pool, signRaw(t, f.kr, pool, UseID, h, payload)); !errors.Is(err, jose.ErrInvalid) {
			t.Errorf("%s: err = %v, want jose.ErrInvalid", name, err)
		}
	}
	// Extra header members (typ, as other issuers send) are fine.
	ok := signRaw(t, f.kr, pool, UseID, `{"typ":"JWT","alg":"RS256","kid":"`+kid+`"}`, payload)
	if _, err := f.kr.Verify(ctx, pool, ok); err != nil {
		t.Errorf("header with typ: %v", err)
	}
}

func TestUnknownKid(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t) // another deployment: its own store and keys, same pool ID
	tok := f.sign(t, other.kr, UseID, other.claims(UseID, time.Hour))
	f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	_, err := f.kr.Verify(ctx, pool, tok)
	wantErr(t, err, jose.ErrInvalid, "token of another deployment")

	// Same keyring, another pool.
	tokB, err := f.kr.Sign(ctx, "us-east-1_Other", UseID, f.claims(UseID, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.kr.Verify(ctx, pool, tokB)
	wantErr(t, err, jose.ErrInvalid, "token of another pool")
	if _, err := f.kr.Verify(ctx, "us-east-1_Other", tokB); err != nil {
		t.Errorf("token in its own pool: %v", err)
	}
	// A pool without keys: Verify does not create any.
	_, err = f.kr.Verify(ctx, "us-east-1_Empty", tokB)
	wantErr(t, err, jose.ErrInvalid, "pool without keys")
	if _, err := f.st.Get(ctx, "key/us-east-1_Empty/id"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Verify created keys for a pool: %v", err)
	}
	_, err = f.kr.Verify(ctx, "bad/pool", tokB)
	wantErr(t, err, jose.ErrInvalid, "invalid pool ID")
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseAccess, f.claims(UseAccess, time.Minute))

	f.clk.Advance(59 * time.Second)
	if _, err := f.kr.Verify(ctx, pool, tok); err != nil {
		t.Fatalf("one second before exp: %v", err)
	}
	f.clk.Advance(time.Second)
	claims, err := f.kr.Verify(ctx, pool, tok)
	wantErr(t, err, jose.ErrExpired, "at exp")
	if errors.Is(err, jose.ErrBadSignature) || claims != nil {
		t.Errorf("expired token: claims %v, err %v", claims, err)
	}
	f.clk.Advance(time.Hour)
	_, err = f.kr.Verify(ctx, pool, tok)
	wantErr(t, err, jose.ErrExpired, "an hour after exp")

	// A forged expired token is invalid, not expired: the signature is checked first.
	parts := strings.Split(tok, ".")
	sig, _ := b64.DecodeString(parts[2])
	sig[0] ^= 0x80
	_, err = f.kr.Verify(ctx, pool, parts[0]+"."+parts[1]+"."+b64.EncodeToString(sig))
	wantErr(t, err, jose.ErrInvalid, "forged expired token")
}

func TestTimeClaims(t *testing.T) {
	f := newFixture(t)
	kid := kidOf(t, f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour)))
	h := `{"alg":"RS256","kid":"` + kid + `"}`
	now := f.clk.Now().Unix()
	for _, tc := range []struct {
		payload string
		want    error
	}{
		{fmt.Sprintf(`{"exp":%d}`, now+10), nil},
		{fmt.Sprintf(`{"exp":%d.5}`, now), nil},
		{fmt.Sprintf(`{"exp":%de0}`, now+1), nil},
		{fmt.Sprintf(`{"exp":%d}`, now), jose.ErrExpired},
		{fmt.Sprintf(`{"exp":%d.5}`, now-1), jose.ErrExpired},
		{`{"exp":-1}`, jose.ErrExpired},
		{`{"sub":"no exp"}`, jose.ErrInvalid},
		{`{"exp":"9999999999"}`, jose.ErrInvalid},
		{`{"exp":null}`, jose.ErrInvalid},
		{`{"exp":1e400}`, jose.ErrInvalid},
		{fmt.Sprintf(`{"exp":%d,"nbf":%d}`, now+10, now), nil},
		{fmt.Sprintf(`{"exp":%d,"nbf":%d}`, now+10, now+1), jose.ErrInvalid},
		{fmt.Sprintf(`{"exp":%d,"nbf":"soon"}`, now+10), jose.ErrInvalid},
		{fmt.Sprintf(`{"exp":%d,"token_use":"access"}`, now+10), jose.ErrInvalid},
		{fmt.Sprintf(`{"exp":%d,"token_use":"id"}`, now+10), nil},
		{`[1]`, jose.ErrInvalid},
		{`null`, jose.ErrInvalid},
		{fmt.Sprintf(`{"exp":%d} {}`, now+10), jose.ErrInvalid},
		{`{"exp":`, jose.ErrInvalid},
	} {
		_, err := f.kr.Verify(ctx, pool, signRaw(t, f.kr, pool, UseID, h, tc.payload))
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("payload %s: err = %v, want %v", tc.payload, err, tc.want)
		}
	}
}

func TestMalformed(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	p := strings.Split(tok, ".")
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	for name, bad := range map[string]string{
		"empty":             "",
		"one part":          p[0],
		"two parts":         p[0] + "." + p[1],
		"four parts":        tok + "." + p[2],
		"trailing dot":      tok + ".",
		"empty header":      "." + p[1] + "." + p[2],
		"empty payload":     p[0] + ".." + p[2],
		"padded signature":  tok + "==",
		"newline":           p[0] + "\n." + p[1] + "." + p[2],
		"CR in signature":   p[0] + "." + p[1] + "." + p[2][:10] + "\r" + p[2][10:],
		"space":             " " + tok,
		"standard base64":   strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+/",
		"header array":      enc(`["RS256"]`) + "." + p[1] + "." + p[2],
		"header null":       enc(`null`) + "." + p[1] + "." + p[2],
		"header with junk":  enc(`{"alg":"RS256"}x`) + "." + p[1] + "." + p[2],
		"header not JSON":   enc(`alg=RS256`) + "." + p[1] + "." + p[2],
		"too long":          tok + strings.Repeat("A", jose.MaxTokenLen),
		"non-ASCII":         p[0] + "." + p[1] + "é." + p[2],
		"trailing bits set": p[0] + "." + p[1] + "." + p[2][:len(p[2])-1] + "B",
	} {
		if _, err := f.kr.Verify(ctx, pool, bad); !errors.Is(err, jose.ErrInvalid) {
			t.Errorf("%s: Verify err = %v, want jose.ErrInvalid", name, err)
		}
		if _, err := jose.Parse(bad); !errors.Is(err, jose.ErrMalformed) {
			t.Errorf("%s: jose.Parse err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestPersistedKeys(t *testing.T) {
	f := newFixture(t)
	idTok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	accessTok := f.sign(t, f.kr, UseAccess, f.claims(UseAccess, time.Hour))

	// A second instance over the same store: same keys, each verifies the other's tokens.
	kr2 := f.keyring(f.st)
	if _, err := kr2.Verify(ctx, pool, idTok); err != nil {
		t.Fatalf("second instance verifying: %v", err)
	}
	tok2 := f.sign(t, kr2, UseID, f.claims(UseID, time.Hour))
	if kidOf(t, tok2) != kidOf(t, idTok) {
		t.Error("second instance signs with another key")
	}
	if _, err := f.kr.Verify(ctx, pool, tok2); err != nil {
		t.Fatalf("first instance verifying the second's token: %v", err)
	}
	j1, _ := f.kr.JWKS(ctx, pool)
	j2, _ := kr2.JWKS(ctx, pool)
	if !bytes.Equal(j1, j2) {
		t.Errorf("JWKS differ:\n%s\n%s", j1, j2)
	}

	// The stored record holds no plaintext private key.
	for _, use := range []string{UseID, UseAccess} {
		raw, err := f.st.Get(ctx, "key/"+pool+"/"+use)
		if err != nil {
			t.Fatal(err)
		}
		sk, _ := f.kr.signingKey(ctx, pool, use)
		priv, err := x509.ParsePKCS1PrivateKey(sk.privDER)
		if err != nil {
			t.Fatal(err)
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		for _, secret := range [][]byte{sk.privDER, priv.D.Bytes(), priv.Primes[0].Bytes(), priv.Primes[1].Bytes()} {
			chunk := secret[len(secret)/2 : len(secret)/2+16]
			if bytes.Contains(raw, chunk) || bytes.Contains(rec.Keys[0].Private, chunk) {
				t.Fatalf("%s key record contains private key material", use)
			}
		}
		der, err := f.atRest.Open(sealPurpose(slotID{pool, use}, sk.kid), rec.Keys[0].Private, f.clk.Now())
		if err != nil || !bytes.Equal(der, sk.privDER) {
			t.Fatalf("sealed private key does not open to the key in use: %v", err)
		}
		// Bound to its place: it does not open as another pool's or use's key.
		if _, err := f.atRest.Open(sealPurpose(slotID{"us-east-1_Other", use}, sk.kid), rec.Keys[0].Private, f.clk.Now()); err == nil {
			t.Error("sealed key opens under another pool's purpose")
		}
	}

	// An instance with another master key cannot use the keys and does not overwrite them.
	before, _ := f.st.Get(ctx, "key/"+pool+"/id")
	wrong := NewKeyring(f.st, newSealer(t, 2), hostcrypto.Pure{}, f.clk.Now)
	if tok, err := wrong.Sign(ctx, pool, UseID, f.claims(UseID, time.Hour)); err == nil || errors.Is(err, jose.ErrInvalid) {
		t.Errorf("Sign with the wrong at-rest key = %q, %v; want a key error", tok, err)
	}
	if _, err := wrong.Verify(ctx, pool, accessTok); err == nil || errors.Is(err, jose.ErrInvalid) {
		t.Errorf("Verify with the wrong at-rest key: %v; want a key error", err)
	}
	after, _ := f.st.Get(ctx, "key/"+pool+"/id")
	if !bytes.Equal(before, after) {
		t.Error("an instance with the wrong master key rewrote the stored key")
	}
}

func TestCorruptRecord(t *testing.T) {
	f := newFixture(t)
	f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	raw, _ := f.st.Get(ctx, "key/"+pool+"/id")
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	other := newFixture(t)
	f.sign(t, other.kr, UseID, other.claims(UseID, time.Hour))
	otherRaw, _ := other.st.Get(ctx, "key/"+pool+"/id")
	var otherRec record
	json.Unmarshal(otherRaw, &otherRec)

	mutate := func(fn func(r *record)) []byte {
		r := rec
		r.Keys = append([]storedKey(nil), rec.Keys...)
		fn(&r)
		b, _ := json.Marshal(r)
		return b
	}
	for name, b := range map[string][]byte{
		"not JSON":        []byte("{"),
		"version 2":       mutate(func(r *record) { r.Version = 2 }),
		"no keys":         mutate(func(r *record) { r.Keys = nil }),
		"kid mismatch":    mutate(func(r *record) { r.Keys[0].Kid = otherRec.Keys[0].Kid }),
		"public swapped":  mutate(func(r *record) { r.Keys[0].Public = otherRec.Keys[0].Public }),
		"retired signer":  mutate(func(r *record) { r.Keys[0].Retired = 1 }),
		"bad public DER":  mutate(func(r *record) { r.Keys[0].Public = []byte("nope") }),
		"private swapped": mutate(func(r *record) { r.Keys[0].Private = otherRec.Keys[0].Private }),
	} {
		st := memstore.New(f.clk.Now)
		if err := st.Put(ctx, "key/"+pool+"/id", b, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		kr := f.keyring(st)
		if _, err := kr.Sign(ctx, pool, UseID, f.claims(UseID, time.Hour)); err == nil {
			t.Errorf("%s: Sign succeeded", name)
		}
		if got, _ := st.Get(ctx, "key/"+pool+"/id"); !bytes.Equal(got, b) {
			t.Errorf("%s: Sign replaced the record", name)
		}
	}
}

// countingStore counts reads (Get, GetEntry) and writes (Put, Commit) per key and can run a
// hook before a read.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	puts   map[string]int
	gets   map[string]int
	before func(key string, n int) // called before the n-th Get of key (1-based)
	commit func(ops []store.Op)    // called before each Commit
}

func newCountingStore(st store.Store) *countingStore {
	return &countingStore{Store: st, puts: map[string]int{}, gets: map[string]int{}}
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	c.gets[key]++
	n, hook := c.gets[key], c.before
	c.mu.Unlock()
	if hook != nil {
		hook(key, n)
	}
	return c.Store.Get(ctx, key)
}

func (c *countingStore) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	c.mu.Lock()
	c.gets[key]++
	n, hook := c.gets[key], c.before
	c.mu.Unlock()
	if hook != nil {
		hook(key, n)
	}
	return c.Store.GetEntry(ctx, key)
}

func (c *countingStore) Commit(ctx context.Context, ops []store.Op) error {
	if c.commit != nil {
		c.commit(ops)
	}
	c.mu.Lock()
	for _, op := range ops {
		if op.Kind != store.OpCheck {
			c.puts[op.Key]++
		}
	}
	c.mu.Unlock()
	return c.Store.Commit(ctx, ops)
}

func (c *countingStore) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	c.mu.Lock()
	c.puts[key]++
	c.mu.Unlock()
	return c.Store.Put(ctx, key, value, opts)
}

func TestConcurrentFirstUseGeneratesOneKey(t *testing.T) {
	f := newFixture(t)
	cs := newCountingStore(f.st)
	kr := f.keyring(cs)
	const n = 8
	toks := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { toks[i], errs[i] = kr.Sign(ctx, pool, UseID, f.claims(UseID, time.Hour)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if kidOf(t, toks[i]) != kidOf(t, toks[0]) {
			t.Fatal("concurrent first use produced two keys")
		}
	}
	if got := cs.puts["key/"+pool+"/id"]; got != 1 {
		t.Errorf("%d writes of the ID key, want 1", got)
	}
	if got := cs.puts["key/"+pool+"/access"]; got != 0 {
		t.Errorf("%d writes of the access key before its first use, want 0", got)
	}
}

func TestFirstWriterWinsAcrossInstances(t *testing.T) {
	f := newFixture(t)
	cs := newCountingStore(f.st)
	a := f.keyring(cs)
	b := f.keyring(f.st)
	var bTok string
	// A's first Get finds nothing and A generates a key; B stores its key before A's second
	// Get (the re-check after generating), so A must adopt B's key instead of writing its own.
	cs.before = func(key string, n int) {
		if key == "key/"+pool+"/id" && n == 2 {
			bTok = f.sign(t, b, UseID, f.claims(UseID, time.Hour))
		}
	}
	aTok := f.sign(t, a, UseID, f.claims(UseID, time.Hour))
	if bTok == "" {
		t.Fatal("hook did not run")
	}
	if kidOf(t, aTok) != kidOf(t, bTok) {
		t.Error("instances sign with different keys")
	}
	if got := cs.puts["key/"+pool+"/id"]; got != 0 {
		t.Errorf("A wrote its key %d times over B's", got)
	}
	if _, err := b.Verify(ctx, pool, aTok); err != nil {
		t.Errorf("B verifying A's token: %v", err)
	}
}

func TestFirstKeyIsCreatedOnlyIfAbsent(t *testing.T) {
	// B stores its key after A's last look and before A's write: A's write (a create) must
	// not replace B's key, and A must sign with B's.
	f := newFixture(t)
	cs := newCountingStore(f.st)
	a := f.keyring(cs)
	b := f.keyring(f.st)
	var bTok string
	cs.commit = func([]store.Op) {
		if bTok == "" {
			bTok = f.sign(t, b, UseID, f.claims(UseID, time.Hour))
		}
	}
	aTok := f.sign(t, a, UseID, f.claims(UseID, time.Hour))
	if bTok == "" {
		t.Fatal("hook did not run")
	}
	if kidOf(t, aTok) != kidOf(t, bTok) {
		t.Error("instances sign with different keys")
	}
	if _, err := b.Verify(ctx, pool, aTok); err != nil {
		t.Errorf("B verifying A's token: %v", err)
	}
}

func TestConcurrentRotationsKeepOneRecord(t *testing.T) {
	// A rotates from the record it loaded while B has rotated meanwhile: A's write is
	// conditioned on the record it read, so it does not drop B's new key; A adopts B's.
	f := newFixture(t)
	cs := newCountingStore(f.st)
	a := f.keyring(cs)
	b := f.keyring(f.st)
	old := f.sign(t, a, UseID, f.claims(UseID, time.Hour))
	f.sign(t, b, UseID, f.claims(UseID, time.Hour))
	rotated := false
	cs.commit = func([]store.Op) {
		if !rotated {
			rotated = true
			if err := b.Rotate(ctx, pool); err != nil {
				t.Error(err)
			}
		}
	}
	if err := a.Rotate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	aTok := f.sign(t, a, UseID, f.claims(UseID, time.Hour))
	bTok := f.sign(t, b, UseID, f.claims(UseID, time.Hour))
	if kidOf(t, aTok) != kidOf(t, bTok) || kidOf(t, aTok) == kidOf(t, old) {
		t.Fatalf("after racing rotations: A signs with %s, B with %s (old %s)", kidOf(t, aTok), kidOf(t, bTok), kidOf(t, old))
	}
	for _, tok := range []string{old, aTok} {
		if _, err := b.Verify(ctx, pool, tok); err != nil {
			t.Errorf("verify after racing rotations: %v", err)
		}
	}
}

func TestRotate(t *testing.T) {
	f := newFixture(t)
	other := f.keyring(f.st) // a second instance that cached the old keys
	old := f.sign(t, f.kr, UseID, f.claims(UseID, 48*time.Hour))
	oldAccess := f.sign(t, f.kr, UseAccess, f.claims(UseAccess, 48*time.Hour))
	if _, err := other.Verify(ctx, pool, old); err != nil {
		t.Fatal(err)
	}

	if err := f.kr.Rotate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	cur := f.sign(t, f.kr, UseID, f.claims(UseID, 48*time.Hour))
	if kidOf(t, cur) == kidOf(t, old) {
		t.Fatal("rotation kept the signing key")
	}
	for _, tok := range []string{old, oldAccess, cur} {
		if _, err := f.kr.Verify(ctx, pool, tok); err != nil {
			t.Errorf("after rotation: %v", err)
		}
	}
	jwks := parseJWKS(t, f.kr)
	if len(jwks) != 4 || jwks[0] != kidOf(t, cur) {
		t.Errorf("JWKS after rotation = %v, want 4 keys, new ID key first", jwks)
	}

	// The other instance learns the new kid from the store (after the refetch interval) and
	// switches its signing key when its cache expires.
	if _, err := other.Verify(ctx, pool, cur); !errors.Is(err, jose.ErrInvalid) {
		t.Errorf("other instance within the refetch interval: %v, want jose.ErrInvalid", err)
	}
	f.clk.Advance(refetchInterval)
	if _, err := other.Verify(ctx, pool, cur); err != nil {
		t.Errorf("other instance after the refetch interval: %v", err)
	}
	f.clk.Advance(cacheTTL)
	if got := kidOf(t, f.sign(t, other, UseID, f.claims(UseID, time.Hour))); got != kidOf(t, cur) {
		t.Error("other instance still signs with the rotated-out key after its cache expired")
	}

	// After the grace period the old keys are gone from the JWKS and no longer verify.
	f.clk.Advance(RotationGrace)
	for _, tok := range []string{old, oldAccess} {
		_, err := f.kr.Verify(ctx, pool, tok)
		wantErr(t, err, jose.ErrInvalid, "rotated-out key after the grace period")
	}
	if _, err := f.kr.Verify(ctx, pool, cur); err != nil {
		t.Errorf("current key after the grace period: %v", err)
	}
	if jwks := parseJWKS(t, f.kr); len(jwks) != 2 {
		t.Errorf("JWKS after the grace period has %d keys, want 2", len(jwks))
	}
	// Rotating again drops the expired keys from the record.
	if err := f.kr.Rotate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	raw, _ := f.st.Get(ctx, "key/"+pool+"/id")
	var rec record
	json.Unmarshal(raw, &rec)
	if len(rec.Keys) != 2 || rec.Keys[1].Kid != kidOf(t, cur) || rec.Keys[1].Private != nil {
		t.Errorf("record after second rotation: %d keys, want the new key and the retired one without its private half", len(rec.Keys))
	}
}

func TestRotateUnusedPool(t *testing.T) {
	f := newFixture(t)
	if err := f.kr.Rotate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if jwks := parseJWKS(t, f.kr); len(jwks) != 2 {
		t.Errorf("JWKS after rotating a new pool has %d keys, want 2", len(jwks))
	}
}

func TestDeletePool(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	if err := f.kr.DeletePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	for _, use := range []string{UseID, UseAccess} {
		if _, err := f.st.Get(ctx, "key/"+pool+"/"+use); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s key still stored: %v", use, err)
		}
	}
	_, err := f.kr.Verify(ctx, pool, tok)
	wantErr(t, err, jose.ErrInvalid, "token of a deleted pool")
	// A pool created again under the same ID gets new keys.
	if kidOf(t, f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))) == kidOf(t, tok) {
		t.Error("recreated pool reuses the deleted key")
	}
	if err := f.kr.DeletePool(ctx, "a/b"); err == nil {
		t.Error("DeletePool accepted an invalid pool ID")
	}
}

type failingStore struct{ store.Store }

var errStoreDown = errors.New("store down")

func (failingStore) Get(context.Context, string) ([]byte, error) { return nil, errStoreDown }
func (failingStore) GetEntry(context.Context, string) (store.Entry, error) {
	return store.Entry{}, errStoreDown
}

func TestStoreFailure(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.kr, UseID, f.claims(UseID, time.Hour))
	kr := f.keyring(failingStore{f.st})
	if _, err := kr.Sign(ctx, pool, UseID, f.claims(UseID, time.Hour)); !errors.Is(err, errStoreDown) {
		t.Errorf("Sign: %v, want the store's error", err)
	}
	if _, err := kr.Verify(ctx, pool, tok); !errors.Is(err, errStoreDown) || errors.Is(err, jose.ErrInvalid) {
		t.Errorf("Verify: %v, want the store's error and not jose.ErrInvalid", err)
	}
	if _, err := kr.JWKS(ctx, pool); !errors.Is(err, errStoreDown) {
		t.Errorf("JWKS: %v, want the store's error", err)
	}
}

func parseJWKS(t *testing.T, kr *Keyring) []string {
	t.Helper()
	raw, err := kr.JWKS(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k["kid"])
	}
	return kids
}

// fixedKeyFixture is a fixture whose pool keys come from testdata, so that tokens are the
// same in every process (fuzz workers rebuild the fixture and must accept the seeds).
func fixedKeyFixture(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t)
	for _, use := range uses {
		b, err := os.ReadFile("testdata/fuzz-" + use + ".pem")
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("testdata/fuzz-%s.pem: no PEM block", use)
		}
		s := f.kr.slot(pool, use)
		s.mu.Lock()
		err = f.kr.installKey(ctx, s, slotID{pool, use}, blk.Bytes, nil, true)
		s.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func FuzzVerify(f *testing.F) {
	fx := fixedKeyFixture(f)
	valid := map[string]bool{}
	for _, use := range []string{UseID, UseAccess} {
		tok := fx.sign(f, fx.kr, use, fx.claims(use, time.Hour))
		valid[tok] = true
		f.Add(tok)
		p := strings.Split(tok, ".")
		f.Add(p[0] + "." + p[1] + ".")
		f.Add(p[0] + "." + p[1])
		f.Add(b64.EncodeToString([]byte(`{"alg":"none","kid":"x"}`)) + "." + p[1] + ".")
	}
	f.Add("")
	f.Add("..")
	f.Add("e30.e30.e30")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJleHAiOjF9.AAAA")
	f.Fuzz(func(t *testing.T, raw string) {
		claims, err := fx.kr.Verify(ctx, pool, raw)
		if err == nil && !valid[raw] {
			t.Fatalf("Verify accepted a token it did not issue: %q → %v", raw, claims)
		}
		if err != nil && !errors.Is(err, jose.ErrInvalid) {
			t.Fatalf("Verify(%q): unexpected error class: %v", raw, err)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	f := newFixture(b)
	claims := f.claims(UseAccess, time.Hour)
	f.sign(b, f.kr, UseAccess, claims)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.kr.Sign(ctx, pool, UseAccess, claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	tok := f.sign(b, f.kr, UseAccess, f.claims(UseAccess, time.Hour))
	for b.Loop() {
		if _, err := f.kr.Verify(ctx, pool, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPrepareBeforeConcurrentUse: keys made when the pool is created (one writer) are the
// keys every instance signs with, however many sign their first tokens at once.
func TestPrepareBeforeConcurrentUse(t *testing.T) {
	f := newFixture(t)
	cs := newCountingStore(f.st)
	if err := f.keyring(cs).Prepare(ctx, pool); err != nil {
		t.Fatal(err)
	}
	for _, use := range uses {
		if got := cs.puts["key/"+pool+"/"+use]; got != 1 {
			t.Fatalf("%s key written %d times by Prepare, want 1", use, got)
		}
	}
	const n = 6
	toks := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		kr := f.keyring(cs) // an instance of its own each
		use := uses[i%2]
		wg.Go(func() { toks[i], errs[i] = kr.Sign(ctx, pool, use, f.claims(use, time.Hour)) })
	}
	wg.Wait()
	jwks, err := f.kr.JWKS(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !strings.Contains(string(jwks), `"`+kidOf(t, toks[i])+`"`) {
			t.Fatalf("token %d signed with a key the JWKS lacks", i)
		}
	}
	for _, use := range uses {
		if got := cs.puts["key/"+pool+"/"+use]; got != 1 {
			t.Errorf("%s key written %d times, want only Prepare's", use, got)
		}
	}
	if err := f.kr.Prepare(ctx, "no/slashes"); err == nil {
		t.Error("Prepare accepted a malformed pool id")
	}
}

// TestStoreKeyFits: the longest pool ID the keyring takes makes a valid store key for each use.
func TestStoreKeyFits(t *testing.T) {
	pool := strings.Repeat("p", maxPoolIDLen)
	if err := checkPoolID(pool); err != nil {
		t.Fatal(err)
	}
	for _, use := range []string{UseID, UseAccess} {
		if err := store.CheckKey(storeKey(slotID{pool, use})); err != nil {
			t.Errorf("use %s: %v", use, err)
		}
	}
}
