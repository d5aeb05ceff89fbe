package hostsim

import (
	"bytes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/hostcrypto/hostcryptotest"
)

// TestCryptoThroughGuest runs the hostcrypto conformance suite against the guest's Provider,
// once over the host's native crypto imports and once with the guest's own pure-Go code: both
// must meet the same vectors and error rules, and so agree with each other.
func TestCryptoThroughGuest(t *testing.T) {
	t.Run("native", func(t *testing.T) {
		hostcryptotest.Run(t, guestCrypto{t: t, h: start(t, Options{}).Handler()})
	})
	t.Run("pure", func(t *testing.T) {
		hostcryptotest.Run(t, guestCrypto{t: t, h: start(t, Options{PureCrypto: true}).Handler()})
	})
}

// TestNativeAndPureAgree compares the two guest providers on the deterministic primitives.
func TestNativeAndPureAgree(t *testing.T) {
	native := guestCrypto{t: t, h: start(t, Options{}).Handler()}
	pure := guestCrypto{t: t, h: start(t, Options{PureCrypto: true}).Handler()}
	mod := bytes.Repeat([]byte{0xfb}, 384)
	mod[383] |= 1
	base := bytes.Repeat([]byte{0x5a}, 200)
	exp := bytes.Repeat([]byte{0xc3}, 32)
	a, errA := native.ModExp(base, exp, mod)
	b, errB := pure.ModExp(base, exp, mod)
	if errA != nil || errB != nil || !bytes.Equal(a, b) || len(a) == 0 {
		t.Fatalf("native ModExp %x (%v), pure %x (%v)", a, errA, b, errB)
	}
	if _, err := native.ModExp(base, exp, []byte{2}); err == nil {
		t.Fatal("native ModExp accepted an even modulus")
	}
}

// guestCrypto is a hostcrypto.Provider that calls the test guest's /crypto endpoints.
type guestCrypto struct {
	t *testing.T
	h http.Handler
}

func (g guestCrypto) call(op string, a, b, c []byte) ([]byte, error) {
	return g.callArgs(op, cryptoArgs{A: a, B: b, C: c})
}

// cryptoArgs are the test guest's (hostsim/internal/testguest).
type cryptoArgs struct {
	A, B, C, D []byte
	Prefix     []byte
	InPlace    bool
}

func (g guestCrypto) callArgs(op string, args cryptoArgs) ([]byte, error) {
	body, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, httptest.NewRequest("POST", "/crypto/"+op, bytes.NewReader(body)))
	var out struct{ Out, Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return nil, errors.New("guest " + op + ": " + rec.Body.String())
	}
	switch rec.Code {
	case http.StatusOK:
		return base64.StdEncoding.DecodeString(out.Out)
	case http.StatusUnprocessableEntity:
		return nil, hostcrypto.ErrVerify
	default:
		return nil, errors.New(out.Error)
	}
}

func (g guestCrypto) ModExp(base, exp, mod []byte) ([]byte, error) {
	return g.call("modexp", base, exp, mod)
}

func (g guestCrypto) SignRSA(key, digest []byte) ([]byte, error) {
	return g.call("rsa_sign", key, digest, nil)
}

var _ hostcrypto.RSAPairSigner = guestCrypto{}

// SignRSAPair is the guest provider's (hostcrypto.SignRSAPair in the guest: the
// crypto_rsa_sign_pair import natively), its two signatures framed as the import frames them.
func (g guestCrypto) SignRSAPair(keyA, digestA, keyB, digestB []byte) ([]byte, []byte, error) {
	out, err := g.callArgs("rsa_sign_pair", cryptoArgs{A: keyA, B: digestA, C: keyB, D: digestB})
	if err != nil {
		return nil, nil, err
	}
	if len(out) < 2 || int(binary.BigEndian.Uint16(out)) > len(out)-2 {
		return nil, nil, errors.New("guest rsa_sign_pair: a short answer")
	}
	n := 2 + int(binary.BigEndian.Uint16(out))
	return out[2:n], out[n:], nil
}

func (g guestCrypto) VerifyRSA(key, digest, sig []byte) error {
	_, err := g.call("rsa_verify", key, digest, sig)
	return err
}

func (g guestCrypto) GenerateRSA(bits int) ([]byte, error) {
	return g.call("rsa_generate", binary.BigEndian.AppendUint16(nil, uint16(bits)), nil, nil)
}

func (g guestCrypto) SignECDSA(key, digest []byte) ([]byte, error) {
	return g.call("ecdsa_sign", key, digest, nil)
}

func (g guestCrypto) VerifyECDSA(key, digest, sig []byte) error {
	_, err := g.call("ecdsa_verify", key, digest, sig)
	return err
}

var _ hostcrypto.AESGCMer = guestCrypto{}

// AESGCM is the guest provider's AES-GCM: each Seal and Open runs in the guest, with the
// caller's prefix, and in the guest's own storage when the caller works in place.
func (g guestCrypto) AESGCM(key []byte) (cipher.AEAD, error) {
	// The guest refuses a bad key when it makes the AEAD, as the provider does.
	if _, err := g.callArgs("aesgcm_seal", cryptoArgs{A: key, B: make([]byte, 12)}); err != nil {
		return nil, err
	}
	return guestAESGCM{g: g, key: bytes.Clone(key)}, nil
}

type guestAESGCM struct {
	g   guestCrypto
	key []byte
}

func (guestAESGCM) NonceSize() int { return 12 }
func (guestAESGCM) Overhead() int  { return 16 }

func (a guestAESGCM) Seal(dst, nonce, plaintext, ad []byte) []byte {
	out, err := a.call("aesgcm_seal", dst, nonce, plaintext, ad)
	if err != nil {
		a.g.t.Errorf("guest Seal: %v", err)
	}
	return out
}

func (a guestAESGCM) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	return a.call("aesgcm_open", dst, nonce, ciphertext, ad)
}

// call runs op in the guest and puts its result where a local AEAD would: after dst, over
// text when dst is text[:0].
func (a guestAESGCM) call(op string, dst, nonce, text, ad []byte) ([]byte, error) {
	inPlace := len(text) > 0 && cap(dst) > 0 && &dst[:1][0] == &text[0]
	args := cryptoArgs{A: a.key, B: nonce, C: text, D: ad, InPlace: inPlace}
	if !inPlace {
		args.Prefix = dst
	}
	out, err := a.g.callArgs(op, args)
	if err != nil {
		return nil, err
	}
	if !inPlace {
		return out, nil
	}
	return append(dst, out...), nil
}
