//go:build js && wasm

package main

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"syscall/js"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// runtimeCrypto is the Worker's hostcrypto.Provider: the heavy primitives run in the
// runtime's native code instead of Go's math/big, which has no assembly on wasm.
//
//   - ModExp: JS BigInt with a fixed 4-bit window (about twice as fast as math/big in js/wasm
//     on V8 for the 3072-bit SRP group).
//   - SignRSA: workerd's WebCrypto "RSA-RAW" (BoringSSL's raw RSA private operation, with
//     CRT and blinding) over the EMSA-PKCS1-v1_5 encoding built here: WebCrypto's
//     RSASSA-PKCS1-v1_5 hashes the message itself and cannot sign a precomputed digest.
//     The imported CryptoKey is cached per key in the isolate.
//   - VerifyRSA: the public operation s^e mod n with JS BigInt, compared in constant time
//     with the expected encoding.
//   - GenerateRSA: WebCrypto's generateKey (native; Go's key generation takes hundreds of
//     milliseconds on wasm), exported as PKCS#8 and re-encoded as PKCS#1 here.
//   - ECDSA: Go (hostcrypto.Pure); WebCrypto's ECDSA also hashes the message itself, and
//     poolgate signs nothing with ECDSA on the request path.
//
// Every operand rule of the Provider contract is checked here, in Go, before JS sees it.
type runtimeCrypto struct {
	// modexp(baseHex, expHex, modHex) → hex; rsaRawSign(id, jwk, em) → Promise<Uint8Array>;
	// rsaGenerate(bits) → Promise<Uint8Array> (PKCS#8 DER).
	bridge js.Value
	pure   hostcrypto.Pure
}

var _ hostcrypto.Provider = (*runtimeCrypto)(nil)

// newRuntimeCrypto checks that the glue provides the primitives.
func newRuntimeCrypto(bridge js.Value) (*runtimeCrypto, error) {
	for _, fn := range []string{"modexp", "rsaRawSign", "rsaGenerate"} {
		if bridge.Get(fn).Type() != js.TypeFunction {
			return nil, fmt.Errorf("edge: the JS glue has no %s function", fn)
		}
	}
	return &runtimeCrypto{bridge: bridge}, nil
}

// ModExp returns base^exp mod mod.
func (c *runtimeCrypto) ModExp(base, exp, mod []byte) ([]byte, error) {
	for _, op := range []struct {
		name string
		b    []byte
	}{{"base", base}, {"exponent", exp}, {"modulus", mod}} {
		if len(op.b) > hostcrypto.MaxOperandBytes {
			return nil, fmt.Errorf("edge: modexp %s is %d bytes, longer than %d", op.name, len(op.b), hostcrypto.MaxOperandBytes)
		}
	}
	if len(mod) == 0 || mod[len(mod)-1]&1 == 0 {
		return nil, errors.New("edge: modexp modulus must be odd")
	}
	return c.modExp(base, exp, mod)
}

// modExp calls the JS BigInt implementation on checked operands.
func (c *runtimeCrypto) modExp(base, exp, mod []byte) ([]byte, error) {
	res, err := call(c.bridge, "modexp", hexOperand(base), hexOperand(exp), hexOperand(mod))
	if err != nil {
		return nil, fmt.Errorf("edge: modexp: %w", err)
	}
	if res.Type() != js.TypeString {
		return nil, fmt.Errorf("edge: modexp returned %s, not a hex string", res.Type())
	}
	h := res.String()
	if h == "0" {
		return []byte{}, nil
	}
	if len(h)%2 == 1 {
		h = "0" + h
	}
	out, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("edge: modexp result: %w", err)
	}
	return out, nil
}

// hexOperand is b in hex, "0" for an empty operand (JS's BigInt("0x") is an error).
func hexOperand(b []byte) string {
	if len(b) == 0 {
		return "0"
	}
	return hex.EncodeToString(b)
}

// sha256DigestInfo is the DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1).
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// emsaPKCS1 is EMSA-PKCS1-v1_5(digest) for a k-byte modulus.
func emsaPKCS1(digest []byte, k int) ([]byte, error) {
	tLen := len(sha256DigestInfo) + len(digest)
	if k < tLen+11 {
		return nil, errors.New("edge: RSA modulus too short")
	}
	em := make([]byte, k)
	em[1] = 0x01
	for i := 2; i < k-tLen-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-tLen:], sha256DigestInfo)
	copy(em[k-len(digest):], digest)
	return em, nil
}

// rsaSigner is a parsed private key and what the JS side needs to import it.
type rsaSigner struct {
	id  string // hex SHA-256 of the DER: the JS key cache's index
	jwk string // RSA private key as a JWK, for importKey("jwk", …, {name: "RSA-RAW"})
	k   int    // modulus length in bytes
}

// SignRSA returns the RSASSA-PKCS1-v1_5 signature of a SHA-256 digest.
func (c *runtimeCrypto) SignRSA(privPKCS1 []byte, digest []byte) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("edge: RSA digest is %d bytes, want %d", len(digest), sha256.Size)
	}
	v, err := parsedKeys.get(kindRSAPrivate, privPKCS1, func() (any, error) {
		key, err := x509.ParsePKCS1PrivateKey(privPKCS1)
		if err != nil {
			return nil, err
		}
		if len(key.Primes) != 2 {
			return nil, fmt.Errorf("%d primes, want 2", len(key.Primes))
		}
		key.Precompute()
		jwk, err := json.Marshal(map[string]any{
			"kty": "RSA", "ext": false,
			"n": b64(key.N), "e": b64(big.NewInt(int64(key.E))), "d": b64(key.D),
			"p": b64(key.Primes[0]), "q": b64(key.Primes[1]),
			"dp": b64(key.Precomputed.Dp), "dq": b64(key.Precomputed.Dq), "qi": b64(key.Precomputed.Qinv),
		})
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(privPKCS1)
		return &rsaSigner{id: hex.EncodeToString(sum[:]), jwk: string(jwk), k: key.Size()}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("edge: RSA private key: %w", err)
	}
	s := v.(*rsaSigner)
	em, err := emsaPKCS1(digest, s.k)
	if err != nil {
		return nil, err
	}
	p, err := call(c.bridge, "rsaRawSign", s.id, s.jwk, bytesToJS(em))
	if err != nil {
		return nil, fmt.Errorf("edge: RSA sign: %w", err)
	}
	res, err := await(context.Background(), p)
	if err != nil {
		return nil, fmt.Errorf("edge: RSA sign: %w", err)
	}
	sig, err := bytesFromJS(res)
	if err != nil {
		return nil, fmt.Errorf("edge: RSA sign: %w", err)
	}
	if len(sig) != s.k {
		return nil, fmt.Errorf("edge: RSA sign returned %d bytes, want %d", len(sig), s.k)
	}
	return sig, nil
}

func b64(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.Bytes()) }

// VerifyRSA checks an RSASSA-PKCS1-v1_5 SHA-256 signature.
func (c *runtimeCrypto) VerifyRSA(pubPKIX []byte, digest, sig []byte) error {
	if len(digest) != sha256.Size {
		return fmt.Errorf("edge: RSA digest is %d bytes, want %d", len(digest), sha256.Size)
	}
	v, err := parsedKeys.get(kindRSAPublic, pubPKIX, func() (any, error) {
		k, err := x509.ParsePKIXPublicKey(pubPKIX)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, not RSA", k)
		}
		if rk.N.BitLen() < 1024 || rk.E < 3 || rk.E&1 == 0 {
			return nil, errors.New("RSA public key is too small or has a bad exponent")
		}
		return rk, nil
	})
	if err != nil {
		return fmt.Errorf("edge: RSA public key: %w", err)
	}
	key := v.(*rsa.PublicKey)
	k := key.Size()
	if len(sig) != k {
		return hostcrypto.ErrVerify
	}
	if new(big.Int).SetBytes(sig).Cmp(key.N) >= 0 {
		return hostcrypto.ErrVerify
	}
	m, err := c.modExp(sig, big.NewInt(int64(key.E)).Bytes(), key.N.Bytes())
	if err != nil {
		return fmt.Errorf("edge: RSA verify: %w", err)
	}
	want, err := emsaPKCS1(digest, k)
	if err != nil {
		return err
	}
	got := make([]byte, k)
	if len(m) > k {
		return hostcrypto.ErrVerify
	}
	copy(got[k-len(m):], m)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return hostcrypto.ErrVerify
	}
	return nil
}

// GenerateRSA returns a new RSA private key as PKCS#1 DER.
func (c *runtimeCrypto) GenerateRSA(bits int) ([]byte, error) {
	if err := hostcrypto.CheckRSABits(bits); err != nil {
		return nil, err
	}
	p, err := call(c.bridge, "rsaGenerate", bits)
	if err != nil {
		return nil, fmt.Errorf("edge: generating an RSA key: %w", err)
	}
	res, err := await(context.Background(), p)
	if err != nil {
		return nil, fmt.Errorf("edge: generating an RSA key: %w", err)
	}
	pkcs8, err := bytesFromJS(res)
	if err != nil {
		return nil, fmt.Errorf("edge: generating an RSA key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("edge: generated RSA key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() != bits {
		return nil, fmt.Errorf("edge: generated key is %T, not a %d-bit RSA key", k, bits)
	}
	return x509.MarshalPKCS1PrivateKey(rk), nil
}

// SignECDSA signs in Go (see the type's comment).
func (c *runtimeCrypto) SignECDSA(privSEC1 []byte, digest []byte) ([]byte, error) {
	return c.pure.SignECDSA(privSEC1, digest)
}

// VerifyECDSA verifies in Go (see the type's comment).
func (c *runtimeCrypto) VerifyECDSA(pubPKIX []byte, digest, sig []byte) error {
	return c.pure.VerifyECDSA(pubPKIX, digest, sig)
}

// keyKind separates cached parses of the same DER by what it was parsed as.
type keyKind byte

const (
	kindRSAPrivate keyKind = iota + 1
	kindRSAPublic
)

// maxParsedKeys bounds the parsed-key cache; a deployment signs with a handful of keys, so
// a full cache means churn and is simply emptied.
const maxParsedKeys = 64

// keyCache holds parsed keys by the SHA-256 of kind||DER. Parse failures are not cached.
type keyCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]any
}

var parsedKeys keyCache

func (c *keyCache) get(kind keyKind, der []byte, parse func() (any, error)) (any, error) {
	h := sha256.New()
	h.Write([]byte{byte(kind)})
	h.Write(der)
	var id [sha256.Size]byte
	h.Sum(id[:0])
	c.mu.Lock()
	v, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	// Exactly one DER element: a key with trailing bytes is not the key the caller meant.
	var raw asn1.RawValue
	rest, err := asn1.Unmarshal(der, &raw)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d bytes after the key", len(rest))
	}
	v, err = parse()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxParsedKeys {
		c.m = make(map[[sha256.Size]byte]any)
	}
	c.m[id] = v
	c.mu.Unlock()
	return v, nil
}
