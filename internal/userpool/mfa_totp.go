package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/totp"
)

// Software tokens (spec §13): AssociateSoftwareToken gives the user a new TOTP secret (base32,
// for an authenticator app), VerifySoftwareToken proves the app has it with one code, and only
// then does the secret replace the one the user signs in with. Both work with an access token,
// or with the Session of an MFA_SETUP challenge (a pool with MFA ON whose user has no factor
// yet): each call then answers the Session the next step takes. The secrets live in the user's
// sealed secrets, so they are sealed at rest like password verifiers. A code is good once:
// the step it belongs to is marked used (usedTotpKey) in the commit that accepts it.

// usedTotpTTL keeps a used step's marker until the step has left the ±1 window.
const usedTotpTTL = (2*totp.Skew + 2) * totp.Step

// SoftwareToken is a user's TOTP state, kept in the sealed secrets.
type SoftwareToken struct {
	Secret     []byte `json:"secret,omitempty"`  // verified: the one sign-in checks
	Pending    []byte `json:"pending,omitempty"` // associated, not yet verified
	DeviceName string `json:"name,omitempty"`    // FriendlyDeviceName given at verification
}

// AssociateSoftwareTokenInput is the AssociateSoftwareToken request: AccessToken or Session.
type AssociateSoftwareTokenInput struct {
	AccessToken string `json:"AccessToken,omitempty"`
	Session     string `json:"Session,omitempty"`
}

// AssociateSoftwareTokenOutput is the AssociateSoftwareToken answer.
type AssociateSoftwareTokenOutput struct {
	SecretCode string `json:"SecretCode"`
	Session    string `json:"Session,omitempty"`
}

// VerifySoftwareTokenInput is the VerifySoftwareToken request.
type VerifySoftwareTokenInput struct {
	AccessToken        string `json:"AccessToken,omitempty"`
	Session            string `json:"Session,omitempty"`
	UserCode           string `json:"UserCode" aws:"required"`
	FriendlyDeviceName string `json:"FriendlyDeviceName,omitempty"`
}

// VerifySoftwareTokenOutput is the VerifySoftwareToken answer.
type VerifySoftwareTokenOutput struct {
	Status  string `json:"Status"`
	Session string `json:"Session,omitempty"`
}

// tokenCaller is the user an AssociateSoftwareToken or VerifySoftwareToken call acts for: the
// access token's, or the MFA_SETUP Session's at one of stages.
func (s *Service) tokenCaller(ctx context.Context, accessToken, session string, stages ...string) (*Pool, *Client, *User, *mfaSession, error) {
	if accessToken != "" {
		a, err := s.authorizeAccess(ctx, accessToken)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		return a.p, a.c, a.u, nil, nil
	}
	if session == "" {
		return nil, nil, nil, nil, awsjson.InvalidParameter("Either AccessToken or Session is required.")
	}
	st, err := s.readMfaSession(session)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// A Session outlives neither its pool nor its client.
	p, err := s.getPool(ctx, st.Pool)
	if isNotFound(err) {
		return nil, nil, nil, nil, sessionExpired()
	} else if err != nil {
		return nil, nil, nil, nil, err
	}
	c, err := s.getClient(ctx, p.Id, st.Client)
	if isNotFound(err) {
		return nil, nil, nil, nil, sessionExpired()
	} else if err != nil {
		return nil, nil, nil, nil, err
	}
	u, st, err := s.openMfaSession(ctx, p, c, session, "MFA_SETUP", stages...)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return p, c, u, st, nil
}

func (s *Service) associateSoftwareToken(ctx context.Context, in *AssociateSoftwareTokenInput) (*AssociateSoftwareTokenOutput, error) {
	// A Session that has associated once may associate again (an app that lost the secret
	// before verifying asks anew).
	p, c, u, st, err := s.tokenCaller(ctx, in.AccessToken, in.Session, setupStart, setupAssociated)
	if err != nil {
		return nil, err
	}
	return s.associateToken(ctx, p, c, u, st)
}

// associateToken gives u a new pending secret; with st (an MFA_SETUP Session) it answers the
// Session that verifies it.
func (s *Service) associateToken(ctx context.Context, p *Pool, c *Client, u *User, st *mfaSession) (*AssociateSoftwareTokenOutput, error) {
	secret, err := totp.NewSecret(s.d.Rand)
	if err != nil {
		return nil, err
	}
	err = s.changeMfa(ctx, p, u, func(cur *User) error {
		tok := SoftwareToken{Pending: secret}
		if old := cur.Secrets.Totp; old != nil {
			tok.Secret, tok.DeviceName = old.Secret, old.DeviceName
		}
		cur.Secrets.Totp = &tok
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &AssociateSoftwareTokenOutput{SecretCode: totp.Encode(secret)}
	if st != nil {
		if out.Session, err = s.newMfaSession(p, c, u, "MFA_SETUP", setupAssociated, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) verifySoftwareToken(ctx context.Context, in *VerifySoftwareTokenInput) (*VerifySoftwareTokenOutput, error) {
	p, c, u, st, err := s.tokenCaller(ctx, in.AccessToken, in.Session, setupAssociated)
	if err != nil {
		return nil, err
	}
	return s.verifyToken(ctx, p, c, u, st, in.UserCode, in.FriendlyDeviceName)
}

// verifyToken turns u's pending secret into the one it signs in with when code is right;
// with st (an MFA_SETUP Session) the token becomes u's second factor, st is spent and the
// answer carries the Session that answers MFA_SETUP.
func (s *Service) verifyToken(ctx context.Context, p *Pool, c *Client, u *User, st *mfaSession, code, deviceName string) (*VerifySoftwareTokenOutput, error) {
	mismatch := func() error {
		return awsjson.New(awsjson.ErrEnableSoftwareTokenMFA, "Code mismatch and fail enable Software Token MFA")
	}
	now := s.now()
	err := s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		tok := cur.Secrets.Totp
		if tok == nil || len(tok.Pending) == 0 {
			return awsjson.New(awsjson.ErrSoftwareTokenMFANotFound, "Software Token MFA has not been associated with the user. Call AssociateSoftwareToken first.")
		}
		step, ok := totp.Verify(tok.Pending, code, now)
		if !ok {
			return mismatch()
		}
		if err := ts.markOnce(ctx, usedTotpKey(p.Id, cur.Sub, step), usedTotpTTL, mismatch()); err != nil {
			return err
		}
		if st != nil {
			if err := ts.spendSession(ctx, p, c, st.Nonce); err != nil {
				return err
			}
		}
		prev := cloneUser(cur)
		cur.Secrets.Totp = &SoftwareToken{Secret: tok.Pending, DeviceName: deviceName}
		if st != nil {
			// Set up during sign-in: the token is the user's second factor from now on.
			if err := setFactor(cur, mfaTOTP, true); err != nil {
				return err
			}
			if cur.PreferredMfa == "" {
				cur.PreferredMfa = mfaTOTP
			}
		}
		u = cur
		return ts.putUser(ctx, p, cur, prev)
	})
	if err != nil {
		return nil, err
	}
	out := &VerifySoftwareTokenOutput{Status: "SUCCESS"}
	if st != nil {
		if out.Session, err = s.newMfaSession(p, c, u, "MFA_SETUP", setupVerified, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
