package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// An MFA challenge's Session seals the sign-in it continues: pool, client, user (with its sub,
// so a user deleted and created again under the name does not inherit it), the challenge, and
// where a set-up or a choice stands. It is good for the client's AuthSessionValidity (3
// minutes by default) and for one successful answer: the answer that issues tokens (or moves
// the sign-in on) creates mfau/<pool>/<sha256 of the nonce> in the same commit, and every
// other answer with that Session, concurrent or later, finds it there. Wrong answers leave it
// usable, as Cognito lets a user type a code again, and count toward lockout.
const purposeMfaSession = "mfa-session"

// MFA_SETUP stages a Session passes through (AssociateSoftwareToken, VerifySoftwareToken).
const (
	setupStart      = ""
	setupAssociated = "associated"
	setupVerified   = "verified"
)

type mfaSession struct {
	Pool      string   `json:"p"`
	Client    string   `json:"c"`
	Username  string   `json:"u"`
	Sub       string   `json:"s"`
	Challenge string   `json:"ch"`
	Stage     string   `json:"st,omitempty"`
	Choices   []string `json:"cs,omitempty"`
	Nonce     []byte   `json:"n"`
}

// sessionExpired is Cognito's answer to a stale, spent or foreign Session.
func sessionExpired() error {
	return awsjson.NotAuthorized("Invalid session for the user, session is expired.")
}

// newMfaSession seals a Session continuing u's sign-in through c at challenge.
func (s *Service) newMfaSession(p *Pool, c *Client, u *User, challenge, stage string, choices []string) (string, error) {
	nonce := make([]byte, 16)
	if _, err := io.ReadFull(s.d.Rand, nonce); err != nil {
		return "", fmt.Errorf("userpool: random: %w", err)
	}
	plain, err := json.Marshal(&mfaSession{Pool: p.Id, Client: c.ClientId, Username: u.Username, Sub: u.Sub,
		Challenge: challenge, Stage: stage, Choices: choices, Nonce: nonce})
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeMfaSession, plain, s.now().Add(c.SessionTTL()))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// openMfaSession opens a Session for challenge (at one of stages, for MFA_SETUP) sealed for
// pool p and client c, refuses it when spent, and loads its user, who must still be able to
// sign in.
func (s *Service) openMfaSession(ctx context.Context, p *Pool, c *Client, raw, challenge string, stages ...string) (*User, *mfaSession, error) {
	st, err := s.readMfaSession(raw)
	if err != nil {
		return nil, nil, err
	}
	if st.Pool != p.Id || st.Client != c.ClientId || st.Challenge != challenge || !slices.Contains(stages, st.Stage) {
		return nil, nil, sessionExpired()
	}
	if _, err := s.d.Store.Get(ctx, spentSessionKey(p.Id, st.Nonce)); err == nil {
		return nil, nil, sessionExpired()
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	u, err := s.getUser(ctx, p, st.Username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Sub != st.Sub) {
		return nil, nil, sessionExpired()
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.Enabled {
		return nil, nil, awsjson.NotAuthorized("User is disabled.")
	}
	if u.Status != StatusConfirmed {
		return nil, nil, sessionExpired()
	}
	return u, st, nil
}

// readMfaSession opens a Session's seal (any pool's); a bad or expired one is sessionExpired.
func (s *Service) readMfaSession(raw string) (*mfaSession, error) {
	var st mfaSession
	if _, err := s.unseal(purposeMfaSession, base64.StdEncoding, raw, &st); errors.Is(err, errBadSeal) {
		return nil, sessionExpired()
	} else if err != nil {
		return nil, err
	}
	return &st, nil
}

// spendSession records, inside the caller's transaction on p's shard, that the Session with
// nonce has been answered; a Session already spent is sessionExpired.
func (s *Service) spendSession(ctx context.Context, p *Pool, c *Client, nonce []byte) error {
	return s.markOnce(ctx, spentSessionKey(p.Id, nonce), c.SessionTTL(), sessionExpired())
}

// markOnce creates the marker key inside the caller's transaction (its commit is conditioned
// on the key being absent, so of two racing answers one commits), or answers used when the
// key is there already.
func (s *Service) markOnce(ctx context.Context, key string, ttl time.Duration, used error) error {
	if _, err := s.d.Store.Get(ctx, key); err == nil {
		return used
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.d.Store.Put(ctx, key, []byte{1}, store.PutOptions{TTL: ttl})
}

func spentSessionKey(pool string, nonce []byte) string {
	sum := sha256.Sum256(nonce)
	return "mfau/" + pool + "/s" + hex.EncodeToString(sum[:])
}

// usedTotpKey marks the TOTP time step whose code user sub has used (RFC 6238 §5.2: once).
func usedTotpKey(pool, sub string, step int64) string {
	sum := sha256.Sum256([]byte(sub + "\x00" + strconv.FormatInt(step, 10)))
	return "mfau/" + pool + "/t" + hex.EncodeToString(sum[:])
}
