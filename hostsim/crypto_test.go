package hostsim

import (
	"bytes"
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
	body, err := json.Marshal(struct{ A, B, C []byte }{a, b, c})
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
