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
	if !validHex(aHex) {
		return nil, awsjson.InvalidParameter("SRP_A is not a hexadecimal number.")
	}
	A, err := srp.ValidateA(aHex)
	if err != nil {
		// A mod N = 0 (or out of range) would let a client prove any password.
		return nil, awsjson.IncorrectCredentials()
	}
	// Known and unknown names alike: the same reads, and a locked-out name is refused here.
	t, err := s.signInTarget(ctx, p, c, name, params["SECRET_HASH"], false)
	if err != nil {
		return nil, err
	}
	if err := refuseImportedSRP(c, t); err != nil {
		return nil, err
	}
	if err := s.preAuthentication(ctx, p, c, t, name); err != nil {
		return nil, err
	}
	return s.srpChallenge(p, c, t, A)
}

// srpChallenge is the PASSWORD_VERIFIER challenge for t's SRP sign-in with the client's A.
func (s *Service) srpChallenge(p *Pool, c *Client, t *signInTarget, A []byte) (*InitiateAuthOutput, error) {
	userID, salt, verifier := t.userID, t.salt, t.verifier
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

// answerPasswordVerifier checks the client's PASSWORD_VERIFIER answer; session is set when
// the challenge is a step of CUSTOM_AUTH (custom_auth.go).
func (s *Service) answerPasswordVerifier(ctx context.Context, p *Pool, c *Client, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	for _, k := range []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
		if resp[k] == "" {
			return nil, awsjson.InvalidParameter("Missing required parameter %s", k)
		}
	}
	var st srpState
	block, err := s.unseal(purposeSRP, base64.StdEncoding, resp["PASSWORD_CLAIM_SECRET_BLOCK"], &st)
	if errors.Is(err, errBadSeal) {
		return nil, awsjson.IncorrectCredentials()
	} else if err != nil {
		return nil, err
	}
	if st.Pool != p.Id || st.Client != c.ClientId || usernameKey(p, resp["USERNAME"]) != usernameKey(p, st.UserID) {
		return nil, awsjson.IncorrectCredentials()
	}
	if err := s.checkSignInDeviceName(ctx, p, st.UserID); err != nil {
		return nil, err
	}
	// One answer per block, right or wrong: the first answer creates the marker, every
	// other (concurrent or later) finds it there.
	used := srpUsedKey(p.Id, block)
	if err := s.d.Store.Commit(ctx, []store.Op{store.Create(used, []byte{1}, srpBlockTTL)}); errors.Is(err, store.ErrConflict) {
		return nil, awsjson.IncorrectCredentials()
	} else if err != nil {
		return nil, err
	}
	ts, err := srp.ParseTimestamp(resp["TIMESTAMP"])
	if err != nil {
		return nil, awsjson.IncorrectCredentials()
	}
	if d := ts.Sub(s.now()); d > srpTimestampSkew || d < -srpTimestampSkew {
		return nil, awsjson.IncorrectCredentials()
	}

	t, err := s.signInTarget(ctx, p, c, resp["USERNAME"], resp["SECRET_HASH"], true)
	if err != nil {
		return nil, err
	}
	if t.u != nil && usernameKey(p, t.u.Username) != usernameKey(p, st.UserID) {
		// The challenged user is gone and st.UserID now names someone else through an
		// alias: not the user the proof is about.
		t.u, t.lockKey = nil, lockKey(p, st.UserID)
	}
	ok, err := srp.VerifySignature(s.d.Crypto, st.A, st.B, st.Secret, t.verifier, srp.PoolName(p.Id), st.UserID,
		block, resp["TIMESTAMP"], resp["PASSWORD_CLAIM_SIGNATURE"])
	if err != nil {
		// A, B and b come from our own sealed state: only a degenerate u = H(A‖B) = 0 gets
		// here, a failed proof rather than a fault.
		s.d.Logf("userpool: srp signature for %s/%s: %v", p.Id, st.UserID, err)
		ok = false
	}
	if !ok || !t.real() {
		if err := s.signInFailed(ctx, p, t); err != nil {
			return nil, err
		}
		return nil, awsjson.IncorrectCredentials()
	}
	if session != "" {
		return s.customPasswordVerified(ctx, p, c, t, session)
	}
	return s.passwordVerified(ctx, p, c, t)
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
	return s.decoyFor(ctx, p, name, false)
}

// decoyFor is decoy; with isUserID, name is already a decoy's userId (the USER_ID_FOR_SRP an
// SRP answer echoes) and stays the userId.
func (s *Service) decoyFor(ctx context.Context, p *Pool, name string, isUserID bool) (*decoyUser, error) {
	key, err := s.decoyKey(ctx)
	if err != nil {
		return nil, err
	}
	// Block i of a label is HMAC(key, label 0 pool 0 name 0 i). Every sign-in derives about
	// 13 blocks (the verifier is most of them), so one keyed HMAC is reset for each instead of
	// keying a new one, and the message's fixed part is built once per label.
	m := hmac.New(sha256.New, key)
	tail := "\x00" + p.Id + "\x00" + usernameKey(p, name) + "\x00"
	derive := func(label string, n int) []byte {
		msg := make([]byte, 0, len(label)+len(tail)+1)
		msg = append(append(msg, label...), tail...)
		msg = append(msg, 0)
		out := make([]byte, 0, (n+sha256.Size-1)/sha256.Size*sha256.Size)
		for i := byte(0); len(out) < n; i++ {
			msg[len(msg)-1] = i
			m.Reset()
			m.Write(msg)
			out = m.Sum(out)
		}
		return out[:n]
	}
	d := &decoyUser{salt: derive("salt", 16), verifier: derive("verifier", decoyVerifierSz), userID: name}
	if len(p.UsernameAttributes) > 0 && !isUserID {
		// Real users of such pools are known by a UUID.
		b := derive("sub", 16)
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b)
		d.userID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	return d, nil
}

// decoyKey returns the decoy secret, creating it on first use (one creator wins; the others
// read the winner's). It never changes, so each instance keeps it once read.
func (s *Service) decoyKey(ctx context.Context) ([]byte, error) {
	if key := s.cache.decoyKey.Load(); key != nil {
		return *key, nil
	}
	for attempt := 0; ; attempt++ {
		sealed, err := s.d.Store.Get(ctx, decoyKeyKey)
		if err == nil {
			key, err := s.d.AtRest.Open(purposeDecoyKey, sealed, s.now())
			if err != nil {
				return nil, fmt.Errorf("userpool: decoy key: %w", err)
			}
			s.cache.decoyKey.Store(&key)
			return key, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if attempt > 0 {
			return nil, errors.New("userpool: decoy key not readable after creating it")
		}
		key := make([]byte, 32)
		if _, err := io.ReadFull(s.d.Rand, key); err != nil {
			return nil, fmt.Errorf("userpool: random: %w", err)
		}
		sealed, err = s.d.AtRest.Seal(purposeDecoyKey, key, zeroTime)
		if err != nil {
			return nil, err
		}
		err = s.d.Store.Commit(ctx, []store.Op{store.Create(decoyKeyKey, sealed, 0)})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		// Created, or someone else was first: read what is there.
	}
}
