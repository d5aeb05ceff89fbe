package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/srp"
	"github.com/poolgate/poolgate/internal/store"
)

// SRP sign-in (spec §3.4). InitiateAuth answers PASSWORD_VERIFIER with a SECRET_BLOCK that
// seals the whole server state (pool, client, userId, A, b, B), so RespondToAuthChallenge may
// land on another instance or edge location. A block is good for srpBlockTTL and for one
// answer: the first answer records a marker srpu/<pool>/<sha256 of the block> with the same
// lifetime, and later answers with that block are refused. On Workers KV the marker takes up
// to a minute to be seen elsewhere, so a replay at another location within that window is not
// caught there; the signature still binds the replay to the same A, B and password.
const (
	purposeSRP  = "srp"
	srpBlockTTL = 5 * time.Minute
	// srpTimestampSkew is how far TIMESTAMP may be from the server clock.
	srpTimestampSkew = 5 * time.Minute
)

type srpState struct {
	Pool   string `json:"p"`
	Client string `json:"c"`
	UserID string `json:"u"`
	A      []byte `json:"A"`
	B      []byte `json:"B"`
	Secret []byte `json:"b"`
	Nonce  []byte `json:"n"`
}

var hexDigits = regexp.MustCompile(`^[0-9a-fA-F]+$`)

func srpUsedKey(pool string, block []byte) string {
	sum := sha256.Sum256(block)
	return "srpu/" + pool + "/" + hex.EncodeToString(sum[:])
}

// startSRP answers USER_SRP_AUTH with the PASSWORD_VERIFIER challenge.
func (s *Service) startSRP(ctx context.Context, p *Pool, c *Client, params map[string]string) (*InitiateAuthOutput, error) {
	name, aHex := params["USERNAME"], params["SRP_A"]
	if name == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter USERNAME")
	}
	if aHex == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter SRP_A")
	}
	if !hexDigits.MatchString(aHex) {
		return nil, awsjson.InvalidParameter("SRP_A is not a hexadecimal number.")
	}
	A, err := srp.ValidateA(aHex)
	if err != nil {
		// A mod N = 0 (or out of range) would let a client prove any password.
		return nil, awsjson.IncorrectCredentials()
	}
	u, err := s.signInUser(ctx, p, c, name)
	if err != nil {
		return nil, err
	}
	var userID string
	var salt, verifier []byte
	if u != nil {
		if err := checkSecretHash(c, params["SECRET_HASH"], userNames(name, u)...); err != nil {
			return nil, err
		}
		if err := s.beforePassword(u); err != nil {
			return nil, err
		}
		userID = u.Username
		if u.Secrets.Password != nil {
			salt, verifier = u.Secrets.Password.Salt, u.Secrets.Password.Verifier
		}
	} else {
		// Unknown user, PreventUserExistenceErrors: answer like for a real one.
		if err := checkSecretHash(c, params["SECRET_HASH"], name); err != nil {
			return nil, err
		}
	}
	if salt == nil {
		d, err := s.decoy(ctx, p, name)
		if err != nil {
			return nil, err
		}
		salt, verifier = d.salt, d.verifier
		if u == nil {
			userID = d.userID
		}
	}
	b, B, err := srp.NewServerSession(s.d.Crypto, s.d.Rand, verifier)
	if err != nil {
		return nil, fmt.Errorf("userpool: srp session: %w", err)
	}
	nonce := make([]byte, 16)
	if _, err := io.ReadFull(s.d.Rand, nonce); err != nil {
		return nil, fmt.Errorf("userpool: random: %w", err)
	}
	plain, err := json.Marshal(&srpState{Pool: p.Id, Client: c.ClientId, UserID: userID, A: A, B: B, Secret: b, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	block, err := s.d.Seal.Seal(purposeSRP, plain, s.now().Add(srpBlockTTL))
	if err != nil {
		return nil, err
	}
	return &InitiateAuthOutput{
		ChallengeName: "PASSWORD_VERIFIER",
		ChallengeParameters: map[string]string{
			"SALT":            srp.SaltHex(salt),
			"SRP_B":           srp.BHex(B),
			"SECRET_BLOCK":    base64.StdEncoding.EncodeToString(block),
			"USER_ID_FOR_SRP": userID,
			"USERNAME":        userID,
		},
	}, nil
}

// answerPasswordVerifier checks the client's PASSWORD_VERIFIER answer.
func (s *Service) answerPasswordVerifier(ctx context.Context, p *Pool, c *Client, resp map[string]string) (*InitiateAuthOutput, error) {
	for _, k := range []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
		if resp[k] == "" {
			return nil, awsjson.InvalidParameter("Missing required parameter %s", k)
		}
	}
	block, err := base64.StdEncoding.DecodeString(resp["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil {
		return nil, awsjson.IncorrectCredentials()
	}
	plain, err := s.d.Seal.Open(purposeSRP, block, s.now())
	if err != nil {
		return nil, awsjson.IncorrectCredentials()
	}
	var st srpState
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, fmt.Errorf("userpool: sealed srp state: %w", err)
	}
	if st.Pool != p.Id || st.Client != c.ClientId || usernameKey(p, resp["USERNAME"]) != usernameKey(p, st.UserID) {
		return nil, awsjson.IncorrectCredentials()
	}
	// One answer per block, right or wrong.
	used := srpUsedKey(p.Id, block)
	if _, err := s.d.Store.Get(ctx, used); err == nil {
		return nil, awsjson.IncorrectCredentials()
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err := s.d.Store.Put(ctx, used, []byte{1}, store.PutOptions{TTL: srpBlockTTL}); err != nil {
		return nil, err
	}
	ts, err := srp.ParseTimestamp(resp["TIMESTAMP"])
	if err != nil {
		return nil, awsjson.IncorrectCredentials()
	}
	if d := ts.Sub(s.now()); d > srpTimestampSkew || d < -srpTimestampSkew {
		return nil, awsjson.IncorrectCredentials()
	}

	u, err := s.findUser(ctx, p, st.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if u != nil && u.Username != st.UserID && usernameKey(p, u.Username) != usernameKey(p, st.UserID) {
		u = nil // st.UserID named someone else through an alias: not the challenged user
	}
	var verifier []byte
	if u != nil {
		if err := checkSecretHash(c, resp["SECRET_HASH"], userNames(resp["USERNAME"], u)...); err != nil {
			return nil, err
		}
		if err := s.checkLockout(u); err != nil {
			return nil, err
		}
		if u.Secrets.Password != nil {
			verifier = u.Secrets.Password.Verifier
		}
	} else if err := checkSecretHash(c, resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return nil, err
	}
	if verifier == nil {
		d, err := s.decoy(ctx, p, st.UserID)
		if err != nil {
			return nil, err
		}
		verifier = d.verifier
	}
	ok, err := srp.VerifySignature(s.d.Crypto, st.A, st.B, st.Secret, verifier, srp.PoolName(p.Id), st.UserID,
		block, resp["TIMESTAMP"], resp["PASSWORD_CLAIM_SIGNATURE"])
	if err != nil {
		// A, B and b come from our own sealed state: only a degenerate u = H(A‖B) = 0 gets
		// here, a failed proof rather than a fault.
		s.d.Logf("userpool: srp signature for %s/%s: %v", p.Id, st.UserID, err)
		ok = false
	}
	if u == nil || u.Secrets.Password == nil {
		ok = false
	}
	if !ok {
		if u != nil {
			if err := s.recordFailure(ctx, p, u); err != nil {
				return nil, err
			}
		}
		return nil, awsjson.IncorrectCredentials()
	}
	return s.passwordVerified(ctx, p, c, u)
}

// A decoy stands in for an unknown user when the client prevents user-existence errors:
// its salt, verifier and (for pools whose username is an email or phone number) userId are
// derived from a server secret and the name, so repeated attempts look alike, and sign-in
// does the same modular exponentiations as for a real user. The secret is 32 random bytes
// kept sealed at rest under decoyKeyKey; the first writer wins.
const (
	decoyKeyKey     = "upx/decoy-key"
	purposeDecoyKey = "userpool/decoy-key"
	decoyVerifierSz = 383 // below the 384-byte SRP modulus N, whose top byte is 0xff
)

type decoyUser struct {
	salt, verifier []byte
	userID         string
}

func (s *Service) decoy(ctx context.Context, p *Pool, name string) (*decoyUser, error) {
	key, err := s.decoyKey(ctx)
	if err != nil {
		return nil, err
	}
	derive := func(label string, n int) []byte {
		var out []byte
		for i := byte(0); len(out) < n; i++ {
			m := hmac.New(sha256.New, key)
			fmt.Fprintf(m, "%s\x00%s\x00%s\x00", label, p.Id, usernameKey(p, name))
			m.Write([]byte{i})
			out = m.Sum(out)
		}
		return out[:n]
	}
	d := &decoyUser{salt: derive("salt", 16), verifier: derive("verifier", decoyVerifierSz), userID: name}
	if len(p.UsernameAttributes) > 0 {
		// Real users of such pools are known by a UUID.
		b := derive("sub", 16)
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b)
		d.userID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	return d, nil
}

func (s *Service) decoyKey(ctx context.Context) ([]byte, error) {
	read := func() ([]byte, error) {
		sealed, err := s.d.Store.Get(ctx, decoyKeyKey)
		if err != nil {
			return nil, err
		}
		key, err := s.d.AtRest.Open(purposeDecoyKey, sealed, s.now())
		if err != nil {
			return nil, fmt.Errorf("userpool: decoy key: %w", err)
		}
		return key, nil
	}
	key, err := read()
	if !errors.Is(err, store.ErrNotFound) {
		return key, err
	}
	key = make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, key); err != nil {
		return nil, fmt.Errorf("userpool: random: %w", err)
	}
	sealed, err := s.d.AtRest.Seal(purposeDecoyKey, key, zeroTime)
	if err != nil {
		return nil, err
	}
	if err := s.d.Store.Put(ctx, decoyKeyKey, sealed, store.PutOptions{}); err != nil {
		return nil, err
	}
	return read()
}
