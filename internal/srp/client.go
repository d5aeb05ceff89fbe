package srp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// ClientSecretBytes is the size of the client's ephemeral secret a: 256 bits, for the same
// reason as ServerSecretBytes (amazon-cognito-identity-js draws 1024 bits; the server accepts
// any size, and the browser pays for every bit).
const ClientSecretBytes = 32

// maxSaltDigits bounds the SALT a client accepts from a server.
const maxSaltDigits = 2 * modexp.MaxOperandBytes

// Client is the client half of one SRP login: it holds the ephemeral secret a and A = g^a mod N.
// Use a Client for one login only.
type Client struct {
	c    modexp.ModExper
	a    *big.Int
	pubA *big.Int
}

// NewClient draws a (ClientSecretBytes from rand) and computes A.
func NewClient(c modexp.ModExper, rand io.Reader) (*Client, error) {
	for range maxSessionAttempts {
		buf := make([]byte, ClientSecretBytes)
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("srp: read a: %w", err)
		}
		a := new(big.Int).SetBytes(buf)
		if a.Sign() == 0 {
			continue
		}
		A, err := modExpN(c, groupG, a)
		if err != nil {
			return nil, err
		}
		if A.Sign() != 0 {
			return &Client{c: c, a: a, pubA: A}, nil
		}
	}
	return nil, errors.New("srp: A mod N is zero on every draw; the random source is broken")
}

// AHex returns the SRP_A authentication parameter: lower-case hex of A without padding,
// exactly as amazon-cognito-identity-js sends it.
func (cl *Client) AHex() string { return cl.pubA.Text(16) }

// Signature answers a PASSWORD_VERIFIER challenge: from the challenge's SALT, SRP_B and the
// decoded SECRET_BLOCK it computes S = (B − k·g^x)^(a + u·x) mod N, K, and returns the base64
// PASSWORD_CLAIM_SIGNATURE over poolName ‖ userID ‖ secretBlock ‖ timestamp. userID must be
// the challenge's USER_ID_FOR_SRP. A bad SRP_B wraps ErrBadB; u == 0 is ErrZeroU.
func (cl *Client) Signature(poolName, userID, password, saltHex, srpBHex string, secretBlock []byte, timestamp string) (string, error) {
	salt, err := parseHexInt(saltHex, maxSaltDigits)
	if err != nil {
		return "", fmt.Errorf("srp: invalid SALT: %v", err)
	}
	B, err := parseHexInt(srpBHex, 2*maxElementBytes)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadB, err)
	}
	if _, err := groupElement(B.Bytes(), ErrBadB); err != nil {
		return "", err
	}
	u, S, err := cl.premaster(B, privateX(salt, passwordInner(poolName, userID, password)))
	if err != nil {
		return "", err
	}
	key, err := sessionKey(u, S)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(claimSignature(key, poolName, userID, secretBlock, timestamp)), nil
}

// premaster returns u and S = (B − k·g^x)^(a + u·x) mod N.
func (cl *Client) premaster(B, x *big.Int) (u, S *big.Int, err error) {
	u, err = scrambleU(cl.pubA, B)
	if err != nil {
		return nil, nil, err
	}
	gx, err := modExpN(cl.c, groupG, x)
	if err != nil {
		return nil, nil, err
	}
	base := new(big.Int).Mul(multiplierK, gx)
	base.Sub(B, base)
	base.Mod(base, groupN) // Euclidean: lands in [0, N)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, cl.a)
	S, err = modExpN(cl.c, base, exp)
	if err != nil {
		return nil, nil, err
	}
	return u, S, nil
}
