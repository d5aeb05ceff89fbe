//go:build js && wasm

package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"syscall/js"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/keyder"
)

// runtimeCrypto is the Worker's hostcrypto.Provider: the heavy primitives run in the
// runtime's native code instead of Go's math/big, which has no assembly on wasm.
//
//   - ModExp: JS BigInt with a fixed 4-bit window (about twice as fast as math/big in js/wasm
//     on V8 for the 3072-bit SRP group); SRP's generator from a table of its powers, kept
//     in the isolate (one multiplication per hex digit of the exponent).
//   - SignRSA: workerd's WebCrypto "RSA-RAW" (BoringSSL's raw RSA private operation, with
//     CRT and blinding) over the EMSA-PKCS1-v1_5 encoding built here: WebCrypto's
//     RSASSA-PKCS1-v1_5 hashes the message itself and cannot sign a precomputed digest.
//     The imported CryptoKey is cached per key in the isolate.
//   - VerifyRSA: the public operation s^e mod n with JS BigInt, compared in constant time
//     with the expected encoding; a signature accepted before is accepted from memory
//     (hostcrypto.AcceptedRSA).
//   - GenerateRSA: WebCrypto's generateKey (native; Go's key generation takes hundreds of
//     milliseconds on wasm), exported as PKCS#8; the PKCS#1 key inside is the result.
//   - ECDSA (ES256): WebCrypto's ECDSA, which hashes the message itself, through the
//     hostcrypto.MessageECDSA methods; the digest methods refuse (errECDSADigest). Callers
//     go through hostcrypto.SignES256 and VerifyES256, which take the message.
//
// Keys are read with internal/keyder, not crypto/x509: the Worker links no x509, crypto/rsa
// or crypto/ecdsa. Every operand rule of the Provider contract is checked here, in Go,
// before JS sees it.
type runtimeCrypto struct {
	// modexp(baseHex, expHex, modHex) → hex; rsaRawSign(id, jwk, em) → Promise<Uint8Array>;
	// rsaGenerate(bits) → Promise<Uint8Array> (PKCS#8 DER); ecdsaSign(id, pkcs8, msg) →
	// Promise<Uint8Array> (r||s); ecdsaVerify(id, spki, msg, sig) → Promise<boolean>.
	bridge js.Value
}

var (
	_ hostcrypto.Provider     = (*runtimeCrypto)(nil)
	_ hostcrypto.MessageECDSA = (*runtimeCrypto)(nil)
)

// errECDSADigest is the answer of the digest-based ECDSA methods: WebCrypto's ECDSA cannot
// sign or verify a precomputed digest.
var errECDSADigest = errors.New("edge: WebCrypto's ECDSA takes the message, not its digest: use hostcrypto.SignES256 and VerifyES256")

// newRuntimeCrypto checks that the glue provides the primitives.
func newRuntimeCrypto(bridge js.Value) (*runtimeCrypto, error) {
	for _, fn := range []string{"modexp", "rsaRawSign", "rsaGenerate", "ecdsaSign", "ecdsaVerify"} {
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
	// SRP's generator and group: the glue keeps a table of the generator's powers.
	fixed := hostcrypto.SRPGeneratorPower(base, exp, mod)
	res, err := call(c.bridge, "modexp", hexOperand(base), hexOperand(exp), hexOperand(mod), fixed)
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
		key, err := keyder.ParsePKCS1RSA(privPKCS1)
		if err != nil {
			return nil, err
		}
		jwk, err := json.Marshal(map[string]any{
			"kty": "RSA", "ext": false,
			"n": b64(key.N), "e": b64(big.NewInt(int64(key.E))), "d": b64(key.D),
			"p": b64(key.P), "q": b64(key.Q), "dp": b64(key.Dp), "dq": b64(key.Dq), "qi": b64(key.Qinv),
		})
		if err != nil {
			return nil, err
		}
		return &rsaSigner{id: keyID(kindRSAPrivate, privPKCS1), jwk: string(jwk), k: byteLen(key.N)}, nil
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
		rk, err := keyder.ParsePKIXRSA(pubPKIX)
		if err != nil {
			return nil, err
		}
		if rk.N.BitLen() < 1024 || rk.E < 3 || rk.E&1 == 0 {
			return nil, errors.New("RSA public key is too small or has a bad exponent")
		}
		return rk, nil
	})
	if err != nil {
		return fmt.Errorf("edge: RSA public key: %w", err)
	}
	key := v.(*keyder.RSAPublicKey)
	return acceptedRSA.Verify(pubPKIX, digest, sig, func() error { return c.verifyRSA(key, digest, sig) })
}

// acceptedRSA is the isolate's memory of the signatures VerifyRSA accepted.
var acceptedRSA hostcrypto.AcceptedRSA

// verifyRSA is VerifyRSA's public operation and comparison.
func (c *runtimeCrypto) verifyRSA(key *keyder.RSAPublicKey, digest, sig []byte) error {
	k := byteLen(key.N)
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
	pkcs1, rk, err := keyder.ParsePKCS8RSA(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("edge: generated RSA key: %w", err)
	}
	if rk.N.BitLen() != bits {
		return nil, fmt.Errorf("edge: generated RSA key has %d bits, want %d", rk.N.BitLen(), bits)
	}
	return pkcs1, nil
}

// SignECDSA refuses: see errECDSADigest.
func (c *runtimeCrypto) SignECDSA(privSEC1 []byte, digest []byte) ([]byte, error) {
	return nil, errECDSADigest
}

// VerifyECDSA refuses: see errECDSADigest.
func (c *runtimeCrypto) VerifyECDSA(pubPKIX []byte, digest, sig []byte) error {
	return errECDSADigest
}

// ecKey is a checked P-256 key and what the JS side needs to import it.
type ecKey struct {
	id  string // the JS key cache's index
	der []byte // PKCS#8 (private) or SubjectPublicKeyInfo (public), as importKey takes them
}

// SignES256 returns the ES256 signature (r||s) of msg with WebCrypto's ECDSA.
func (c *runtimeCrypto) SignES256(privSEC1, msg []byte) ([]byte, error) {
	v, err := parsedKeys.get(kindECPrivate, privSEC1, func() (any, error) {
		k, err := keyder.ParseSEC1P256(privSEC1)
		if err != nil {
			return nil, err
		}
		return &ecKey{id: keyID(kindECPrivate, privSEC1), der: k.MarshalPKCS8()}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("edge: ECDSA private key: %w", err)
	}
	k := v.(*ecKey)
	p, err := call(c.bridge, "ecdsaSign", k.id, bytesToJS(k.der), bytesToJS(msg))
	if err != nil {
		return nil, fmt.Errorf("edge: ECDSA sign: %w", err)
	}
	res, err := await(context.Background(), p)
	if err != nil {
		return nil, fmt.Errorf("edge: ECDSA sign: %w", err)
	}
	sig, err := bytesFromJS(res)
	if err != nil {
		return nil, fmt.Errorf("edge: ECDSA sign: %w", err)
	}
	if len(sig) != 2*keyder.P256Size {
		return nil, fmt.Errorf("edge: ECDSA sign returned %d bytes, want %d", len(sig), 2*keyder.P256Size)
	}
	return sig, nil
}

// VerifyES256 checks an ES256 signature (r||s) of msg with WebCrypto's ECDSA.
func (c *runtimeCrypto) VerifyES256(pubPKIX, msg, sig []byte) error {
	v, err := parsedKeys.get(kindECPublic, pubPKIX, func() (any, error) {
		if _, _, err := keyder.ParsePKIXP256(pubPKIX); err != nil {
			return nil, err
		}
		return &ecKey{id: keyID(kindECPublic, pubPKIX), der: pubPKIX}, nil
	})
	if err != nil {
		return fmt.Errorf("edge: ECDSA public key: %w", err)
	}
	if len(sig) != 2*keyder.P256Size {
		return hostcrypto.ErrVerify
	}
	k := v.(*ecKey)
	p, err := call(c.bridge, "ecdsaVerify", k.id, bytesToJS(k.der), bytesToJS(msg), bytesToJS(sig))
	if err != nil {
		return fmt.Errorf("edge: ECDSA verify: %w", err)
	}
	res, err := await(context.Background(), p)
	if err != nil {
		return fmt.Errorf("edge: ECDSA verify: %w", err)
	}
	if res.Type() != js.TypeBoolean {
		return fmt.Errorf("edge: ECDSA verify returned %s, not a boolean", res.Type())
	}
	if !res.Bool() {
		return hostcrypto.ErrVerify
	}
	return nil
}

// keyKind separates cached parses of the same DER by what it was parsed as.
type keyKind byte

const (
	kindRSAPrivate keyKind = iota + 1
	kindRSAPublic
	kindECPrivate
	kindECPublic
)

// keyID names a key for the JS side's cache of imported CryptoKeys: the hex SHA-256 of
// kind||DER, so a DER imported for signing never answers for verifying.
func keyID(kind keyKind, der []byte) string {
	h := sha256.New()
	h.Write([]byte{byte(kind)})
	h.Write(der)
	return hex.EncodeToString(h.Sum(nil))
}

// byteLen is the length of n in bytes (an RSA key's signature length).
func byteLen(n *big.Int) int { return (n.BitLen() + 7) / 8 }

// maxParsedKeys bounds the parsed-key cache; a deployment signs with a handful of keys, so
// a full cache means churn and is simply emptied.
const maxParsedKeys = 64

// keyCache holds parsed keys by the SHA-256 of kind||DER. Parse failures are not cached;
// the keyder parsers refuse a key with bytes after it (not the key the caller meant).
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
	v, err := parse()
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
