// Package josetest builds the forged-token corpus that every path reading tokens is tested
// with: internal/jose itself, GetUser's access-token check, the gateway's jwt routes and
// identity-pool Logins must each refuse every forgery it returns.
package josetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"
)

var b64 = base64.RawURLEncoding

// Issuer describes the tokens a path under test accepts.
type Issuer struct {
	// Sign signs header and payload, JSON byte for byte as given, with the RS256 key the path
	// trusts, and returns the compact token.
	Sign   func(header, payload string) string
	Kid    string         // the trusted key's kid
	Public []byte         // the trusted key's public key, PKIX DER
	Claims map[string]any // claims of a token the path accepts, exp, iat and iss included
	Now    time.Time      // the path's clock
	Skew   time.Duration  // the path's leeway on exp, nbf and iat
}

// Forgery is one token the path must refuse.
type Forgery struct {
	Name  string
	Token string
}

// Good returns a token the path accepts: Claims signed with the trusted key.
func (is *Issuer) Good() string {
	return is.Sign(is.header(nil), object(is.Claims, nil))
}

func (is *Issuer) header(extra map[string]any) string {
	h := map[string]any{"alg": "RS256", "kid": is.Kid}
	for k, v := range extra {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	return object(h, nil)
}

// with returns the claims with mod applied (a nil value deletes the claim).
func (is *Issuer) with(mod map[string]any) string { return object(is.Claims, mod) }

// Forgeries returns the corpus: algorithm confusion, keys named or carried by the token,
// ambiguous JSON, non-canonical encodings, and authentic tokens with bad times, issuer,
// audience or token_use. Token use is falsified only when Claims carry token_use.
func (is *Issuer) Forgeries() []Forgery {
	good := is.Good()
	parts := strings.Split(good, ".")
	now := is.Now.Unix()
	skew := int64(is.Skew / time.Second)
	attacker, attackerEC := attackerKeys()
	attackerSign := func(header, payload string) string { return signRSA(attacker, header, payload) }

	exp := is.Claims["exp"]
	dupExp := strings.TrimSuffix(is.with(map[string]any{"exp": nil}), "}") + fmt.Sprintf(`,"exp":%d,"exp":%v}`, now-3600, exp)
	dupSub := strings.TrimSuffix(is.with(map[string]any{"sub": nil}), "}") + `,"sub":"mallory","sub":` + jsonString(is.Claims["sub"]) + `}`
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: is.Public})

	f := []Forgery{
		{"alg none, empty signature", b64s(`{"alg":"none","kid":"`+is.Kid+`"}`) + "." + parts[1] + "."},
		{"alg none, the good signature", b64s(`{"alg":"none","kid":"`+is.Kid+`"}`) + "." + parts[1] + "." + parts[2]},
		{"alg NONE", b64s(`{"alg":"NONE","kid":"`+is.Kid+`"}`) + "." + parts[1] + "."},
		{"HS256 with the public key (DER) as secret", signHMAC(is.Public, is.header(map[string]any{"alg": "HS256"}), is.with(nil))},
		{"HS256 with the public key (PEM) as secret", signHMAC(pemKey, is.header(map[string]any{"alg": "HS256"}), is.with(nil))},
		{"RS512 header", is.Sign(is.header(map[string]any{"alg": "RS512"}), is.with(nil))},
		{"ES256 by another key under the trusted kid", signEC(attackerEC, is.header(map[string]any{"alg": "ES256"}), is.with(nil))},
		{"kid path injection", is.Sign(is.header(map[string]any{"kid": "../../../../../../dev/null"}), is.with(nil))},
		{"kid SQL injection", is.Sign(is.header(map[string]any{"kid": is.Kid + "' OR '1'='1"}), is.with(nil))},
		{"kid with NUL", is.Sign(is.header(map[string]any{"kid": is.Kid + "\x00"}), is.with(nil))},
		{"unknown kid", is.Sign(is.header(map[string]any{"kid": "unknown-kid"}), is.with(nil))},
		{"no kid (the key set has several keys)", is.Sign(is.header(map[string]any{"kid": nil}), is.with(nil))},
		{"kid not a string", is.Sign(`{"alg":"RS256","kid":1}`, is.with(nil))},
		{"another key under the trusted kid", attackerSign(is.header(nil), is.with(nil))},
		{"embedded jwk of the signing key", attackerSign(is.header(map[string]any{"jwk": rsaJWK(&attacker.PublicKey)}), is.with(nil))},
		{"jku to another key set", attackerSign(is.header(map[string]any{"jku": "http://127.0.0.1:1/jwks.json"}), is.with(nil))},
		{"x5u to another key", attackerSign(is.header(map[string]any{"x5u": "http://127.0.0.1:1/cert.pem"}), is.with(nil))},
		{"x5c chain", attackerSign(is.header(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(is.Public)}}), is.with(nil))},
		{"crit", is.Sign(is.header(map[string]any{"crit": []string{"exp"}, "exp": 1}), is.with(nil))},
		{"duplicate alg", is.Sign(`{"alg":"none","alg":"RS256","kid":"`+is.Kid+`"}`, is.with(nil))},
		{"duplicate exp", is.Sign(is.header(nil), dupExp)},
		{"duplicate sub", is.Sign(is.header(nil), dupSub)},
		{"duplicate through an escape", is.Sign(is.header(nil), strings.TrimSuffix(is.with(map[string]any{"sub": nil}), "}")+`,"sub":"mallory","s\u0075b":`+jsonString(is.Claims["sub"])+`}`)},
		{"JSON after the claims", is.Sign(is.header(nil), is.with(nil)+` {"sub":"mallory"}`)},
		{"claims array", is.Sign(is.header(nil), `[`+is.with(nil)+`]`)},
		{"a fourth segment", good + "." + parts[2]},
		{"a trailing dot", good + "."},
		{"padding", good + "=="},
		{"whitespace", good[:10] + "\n" + good[10:]},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/"},
		{"non-canonical signature encoding", parts[0] + "." + parts[1] + "." + nonCanonical(parts[2])},
		{"non-canonical payload encoding", parts[0] + "." + nonCanonical(parts[1]) + "." + parts[2]},
		{"zeroed signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4]},
		{"payload swapped", parts[0] + "." + b64s(is.with(map[string]any{"sub": "mallory"})) + "." + parts[2]},
		{"too long", is.Sign(is.header(nil), is.with(map[string]any{"pad": strings.Repeat("x", 30<<10)}))},
		{"expired", is.Sign(is.header(nil), is.with(map[string]any{"exp": now - skew - 1, "iat": now - skew - 3600}))},
		{"no exp", is.Sign(is.header(nil), is.with(map[string]any{"exp": nil}))},
		{"exp a string", is.Sign(is.header(nil), is.with(map[string]any{"exp": fmt.Sprint(now + 3600)}))},
		{"not yet valid", is.Sign(is.header(nil), is.with(map[string]any{"nbf": now + skew + 2}))},
		{"issued in the future", is.Sign(is.header(nil), is.with(map[string]any{"iat": now + skew + 3}))},
		{"wrong issuer", is.Sign(is.header(nil), is.with(map[string]any{"iss": "https://evil.example"}))},
		{"issuer with a trailing slash", is.Sign(is.header(nil), is.with(map[string]any{"iss": fmt.Sprint(is.Claims["iss"]) + "/"}))},
	}
	aud := map[string]any{}
	for _, name := range []string{"aud", "client_id"} {
		if _, ok := is.Claims[name]; ok {
			aud[name] = "evil-client"
		}
	}
	if len(aud) > 0 {
		f = append(f, Forgery{"wrong audience", is.Sign(is.header(nil), is.with(aud))})
	}
	if use, ok := is.Claims["token_use"]; ok {
		other := "id"
		if use == "id" {
			other = "access"
		}
		f = append(f, Forgery{"wrong token_use", is.Sign(is.header(nil), is.with(map[string]any{"token_use": other}))})
	}
	return f
}

// object encodes m with mod applied (nil values delete), members in sorted order.
func object(m, mod map[string]any) string {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	for k, v := range mod {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(k))
		b.WriteByte(':')
		v, err := json.Marshal(c[k])
		if err != nil {
			panic(err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func b64s(s string) string { return b64.EncodeToString([]byte(s)) }

// nonCanonical re-encodes a base64url segment with a trailing bit set that decoders must
// ignore: the same bytes under a lenient decoder, another spelling of the token.
func nonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(seg)%4 == 0 {
		return seg + "A" // no trailing bits: a dangling character instead
	}
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

// SignRS256 signs header and payload with k: an Issuer.Sign for tests holding the key.
func SignRS256(k *rsa.PrivateKey) func(header, payload string) string {
	return func(header, payload string) string { return signRSA(k, header, payload) }
}

func signRSA(k *rsa.PrivateKey, header, payload string) string {
	input := b64s(header) + "." + b64s(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

func signEC(k *ecdsa.PrivateKey, header, payload string) string {
	input := b64s(header) + "." + b64s(payload)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64.EncodeToString(sig)
}

func signHMAC(secret []byte, header, payload string) string {
	input := b64s(header) + "." + b64s(payload)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil))
}

func rsaJWK(k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": "attacker", "n": b64.EncodeToString(k.N.Bytes()),
		"e": b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

var (
	attackerOnce sync.Once
	attackerRSA  *rsa.PrivateKey
	attackerECK  *ecdsa.PrivateKey
)

// attackerKeys are keys no path trusts, made once per test binary.
func attackerKeys() (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	attackerOnce.Do(func() {
		var err error
		if attackerRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if attackerECK, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return attackerRSA, attackerECK
}
