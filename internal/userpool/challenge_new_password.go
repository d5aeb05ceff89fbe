package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// NEW_PASSWORD_REQUIRED (spec §2.6): a user holding a temporary password (AdminCreateUser,
// AdminSetUserPassword with Permanent false) must choose a new one, and fill in the required
// attributes it lacks. The Session seals the challenge state for the client's
// AuthSessionValidity; it stops working once the user has left FORCE_CHANGE_PASSWORD.
const purposeSession = "session"

type sessionState struct {
	Pool      string `json:"p"`
	Client    string `json:"c"`
	Username  string `json:"u"`
	Sub       string `json:"s"`
	Challenge string `json:"ch"`
	Nonce     []byte `json:"n"`
}

// newSession seals a challenge Session for u.
func (s *Service) newSession(p *Pool, c *Client, u *User, challenge string) (string, error) {
	nonce := make([]byte, 16)
	if _, err := io.ReadFull(s.d.Rand, nonce); err != nil {
		return "", fmt.Errorf("userpool: random: %w", err)
	}
	plain, err := json.Marshal(&sessionState{Pool: p.Id, Client: c.ClientId, Username: u.Username,
		Sub: u.Sub, Challenge: challenge, Nonce: nonce})
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeSession, plain, s.now().Add(c.SessionTTL()))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// openSession opens a Session for challenge, checks its pool and client and loads its user.
func (s *Service) openSession(ctx context.Context, p *Pool, c *Client, raw, challenge string) (*User, error) {
	invalid := func() error { return awsjson.NotAuthorized("Invalid session for the user, session is expired.") }
	var st sessionState
	if _, err := s.unseal(purposeSession, base64.StdEncoding, raw, &st); errors.Is(err, errBadSeal) {
		return nil, invalid()
	} else if err != nil {
		return nil, err
	}
	if st.Pool != p.Id || st.Client != c.ClientId || st.Challenge != challenge {
		return nil, invalid()
	}
	u, err := s.getUser(ctx, p, st.Username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid()
	}
	if err != nil {
		return nil, err
	}
	if u.Sub != st.Sub {
		return nil, invalid()
	}
	return u, nil
}

// newPasswordChallenge answers a sign-in of a FORCE_CHANGE_PASSWORD user.
func (s *Service) newPasswordChallenge(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	session, err := s.newSession(p, c, u, "NEW_PASSWORD_REQUIRED")
	if err != nil {
		return nil, err
	}
	required := []string{}
	for _, name := range missingRequired(p, u) {
		required = append(required, "userAttributes."+name)
	}
	requiredJSON, err := json.Marshal(required)
	if err != nil {
		return nil, err
	}
	current := map[string]string{}
	for name, v := range u.Attributes {
		if sa, ok := p.Schema(name); ok && sa.DeveloperOnlyAttribute {
			continue
		}
		current[name] = v
	}
	currentJSON, err := json.Marshal(current)
	if err != nil {
		return nil, err
	}
	return &InitiateAuthOutput{
		ChallengeName: "NEW_PASSWORD_REQUIRED",
		Session:       session,
		ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP":    u.Username,
			"requiredAttributes": string(requiredJSON),
			"userAttributes":     string(currentJSON),
		},
	}, nil
}

// missingRequired lists the schema-required attributes u has no value for, sorted.
func missingRequired(p *Pool, u *User) []string {
	var out []string
	for _, sa := range p.SchemaAttributes {
		if sa.Required && sa.Name != "sub" && u.Attr(sa.Name) == "" {
			out = append(out, sa.Name)
		}
	}
	slices.Sort(out)
	return out
}

// answerNewPassword completes NEW_PASSWORD_REQUIRED: NEW_PASSWORD against the policy and the
// history, userAttributes.<name> as a self-update, then tokens.
func (s *Service) answerNewPassword(ctx context.Context, p *Pool, c *Client, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	u, err := s.openSession(ctx, p, c, session, "NEW_PASSWORD_REQUIRED")
	if err != nil {
		return nil, err
	}
	if u.Status != StatusForceChangePassword {
		return nil, awsjson.NotAuthorized("Invalid session for the user, session is expired.")
	}
	if name := resp["USERNAME"]; name != "" && !slices.Contains(userNames("", u), name) &&
		usernameKey(p, name) != usernameKey(p, u.Username) {
		return nil, awsjson.NotAuthorized("Invalid session for the user.")
	}
	if err := checkSecretHash(c, resp["SECRET_HASH"], userNames(resp["USERNAME"], u)...); err != nil {
		return nil, err
	}
	var attrs []AttributeType
	for k, v := range resp {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok {
			attrs = append(attrs, AttributeType{Name: name, Value: &v})
		}
	}
	if u, err = s.setChosenPassword(ctx, p, u, resp["NEW_PASSWORD"], attrs); err != nil {
		return nil, err
	}
	return s.adaptiveSignIn(withTokenSource(ctx, "TokenGeneration_NewPasswordChallenge"), p, c, u)
}

// setChosenPassword moves u (opened from a NEW_PASSWORD_REQUIRED session) out of
// FORCE_CHANGE_PASSWORD: the password it chose, checked against the policy and the history,
// and the attributes it gave as a self-update. It returns the user as committed.
func (s *Service) setChosenPassword(ctx context.Context, p *Pool, u *User, password string, attrs []AttributeType) (*User, error) {
	if !u.Enabled {
		return nil, awsjson.NotAuthorized("User is disabled.")
	}
	if password == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter NEW_PASSWORD")
	}
	slices.SortFunc(attrs, func(a, b AttributeType) int { return strings.Compare(a.Name, b.Name) })
	if err := checkPasswordPolicy(p.Password(), password); err != nil {
		return nil, err
	}
	var values map[string]string
	var err error
	if len(attrs) > 0 {
		if values, err = s.validateAttributes(p, attrs, attrSelfUpdate); err != nil {
			return nil, err
		}
	}
	// The session is good for one answer: the first to commit moves the user out of
	// FORCE_CHANGE_PASSWORD, and a concurrent answer then finds the session spent.
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		if cur.Status != StatusForceChangePassword {
			return awsjson.NotAuthorized("Invalid session for the user, session is expired.")
		}
		prev := cloneUser(cur)
		if values != nil {
			applyAttributes(cur, values)
		}
		if missing := missingRequired(p, cur); len(missing) > 0 {
			return awsjson.InvalidParameter("Invalid attributes given, %s is missing", missing[0])
		}
		if err := ts.ensureUnique(ctx, p, cur, prev); err != nil {
			return err
		}
		if err := ts.setPassword(ctx, p, cur, password); err != nil {
			return err
		}
		cur.Status = StatusConfirmed
		cur.TempPasswordExpires = zeroTime
		if err := ts.putUser(ctx, p, cur, prev); err != nil {
			return err
		}
		u = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
