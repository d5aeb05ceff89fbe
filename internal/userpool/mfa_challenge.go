package userpool

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/totp"
)

// The second factor of a sign-in (spec §2.6, §13). Once a password (or SRP proof) is right
// and the user may sign in, secondFactor decides by the pool's MfaConfiguration and factors
// and the user's choices:
//   - MFA OFF, or OPTIONAL and the user turned no factor on: tokens;
//   - one factor the user turned on (and can receive): its challenge, SMS_MFA or EMAIL_OTP
//     with a code sent through the message sender, or SOFTWARE_TOKEN_MFA;
//   - several: the preferred one, else SELECT_MFA_TYPE with MFAS_CAN_CHOOSE;
//   - MFA ON and none: a code to the user's verified phone number or email address when the
//     pool sends codes there, else MFA_SETUP (MFAS_CAN_SETUP: a software token).
//
// Every challenge carries USER_ID_FOR_SRP and a Session (mfa_session.go). An answer must name
// the user (USERNAME, SECRET_HASH as the client requires); a wrong code is
// CodeMismatchException and counts toward lockout (lockout.go's rule: after 5 failures, a
// doubling delay) in the same commit that refuses it. The count has its own record,
// lk/<pool>/m<sub>, because a right password resets the password count: were second-factor
// failures counted there, whoever has the password could guess codes forever, a few per
// sign-in. While it is locked no code is checked and no sign-in of the user reaches a second
// factor; only a right second factor resets it. A right code is used up in the commit that
// accepts it: an SMS or email code is removed, a TOTP step is marked used.

// mfaCodeDigits is the length of SMS and email sign-in codes.
const mfaCodeDigits = 6

// errCodeUsed is markOnce's answer for a TOTP step already used.
var errCodeUsed = errors.New("userpool: one-time code already used")

// mfaCodeMismatch is Cognito's answer to a wrong second factor.
func mfaCodeMismatch() error { return awsjson.CodeMismatch("Invalid code received for user") }

// mfaAnswerKey is the ChallengeResponses key that carries each challenge's code.
var mfaAnswerKey = map[string]string{mfaSMS: "SMS_MFA_CODE", mfaTOTP: "SOFTWARE_TOKEN_MFA_CODE", mfaEmail: "EMAIL_OTP_CODE"}

// secondFactor answers the MFA challenge u's sign-in needs, or nil, nil when it needs none.
// Every path that hands a user tokens after a password calls it first.
func (s *Service) secondFactor(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	step, factors, err := planSecondFactor(p, u)
	if err != nil || step == "" {
		return nil, err
	}
	lock, _, err := s.loadLock(ctx, mfaLockKey(p, u))
	if err != nil {
		return nil, err
	}
	if err := s.checkLockout(lock); err != nil {
		return nil, err
	}
	switch step {
	case "SELECT_MFA_TYPE":
		return s.choiceChallenge(p, c, u, factors)
	case "MFA_SETUP":
		return s.setupChallenge(p, c, u)
	}
	return s.mfaChallenge(ctx, p, c, u, step)
}

// planSecondFactor decides, without side effects, the challenge u's sign-in meets ("" for
// none) and, for SELECT_MFA_TYPE, the factors to choose from; MFAMethodNotFoundException when
// MFA is required and u can receive none.
func planSecondFactor(p *Pool, u *User) (step string, factors []string, err error) {
	offered := p.mfaFactors()
	var usable []string
	for _, f := range offered {
		if contains(u.MfaEnabled, f) && canReceive(u, f) {
			usable = append(usable, f)
		}
	}
	switch {
	case len(usable) == 1:
		return usable[0], nil, nil
	case len(usable) > 1 && contains(usable, u.PreferredMfa):
		return u.PreferredMfa, nil, nil
	case len(usable) > 1:
		return "SELECT_MFA_TYPE", usable, nil
	case p.MfaConfiguration != "ON" || len(offered) == 0:
		return "", nil, nil
	}
	for _, f := range []string{mfaSMS, mfaEmail} {
		if contains(offered, f) && u.Attributes[contactOf(f)+"_verified"] == "true" {
			return f, nil, nil
		}
	}
	if contains(offered, mfaTOTP) {
		return "MFA_SETUP", nil, nil
	}
	return "", nil, awsjson.New(awsjson.ErrMFAMethodNotFound, "The user has no MFA method this user pool offers: it needs a verified phone number or email address.")
}

// contactOf is the attribute an SMS or email code goes to.
func contactOf(factor string) string {
	if factor == mfaSMS {
		return "phone_number"
	}
	return "email"
}

// canReceive reports whether u can answer factor: a phone number, an email address, a
// verified software token.
func canReceive(u *User, factor string) bool {
	if factor == mfaTOTP {
		return u.Secrets.Totp != nil && len(u.Secrets.Totp.Secret) > 0
	}
	return u.Attributes[contactOf(factor)] != ""
}

// mfaChallenge asks u for factor; for SMS and email it sends the code first.
func (s *Service) mfaChallenge(ctx context.Context, p *Pool, c *Client, u *User, factor string) (*InitiateAuthOutput, error) {
	params := map[string]string{"USER_ID_FOR_SRP": u.Username}
	if factor == mfaTOTP {
		if tok := u.Secrets.Totp; tok != nil && tok.DeviceName != "" {
			params["FRIENDLY_DEVICE_NAME"] = tok.DeviceName
		}
	} else {
		d, err := s.sendMfaCode(ctx, p, c, u, factor)
		if err != nil {
			return nil, err
		}
		params["CODE_DELIVERY_DELIVERY_MEDIUM"] = d.DeliveryMedium
		params["CODE_DELIVERY_DESTINATION"] = d.Destination
	}
	session, err := s.newMfaSession(p, c, u, factor, setupStart, nil)
	if err != nil {
		return nil, err
	}
	return &InitiateAuthOutput{ChallengeName: factor, Session: session, ChallengeParameters: params}, nil
}

// sendMfaCode gives u a new sign-in code for factor, good as long as a Session, replacing any
// earlier one, and sends it once it is stored.
func (s *Service) sendMfaCode(ctx context.Context, p *Pool, c *Client, u *User, factor string) (*CodeDeliveryDetails, error) {
	code, err := s.randomString("0123456789", mfaCodeDigits)
	if err != nil {
		return nil, err
	}
	var d *CodeDeliveryDetails
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		prev := cloneUser(cur)
		if cur.Secrets.Codes == nil {
			cur.Secrets.Codes = map[string]*Code{}
		}
		cur.Secrets.Codes[mfaPurpose(factor)] = &Code{Value: code, Expires: ts.now().Add(c.SessionTTL())}
		if err := ts.putUser(ctx, p, cur, prev); err != nil {
			return err
		}
		d, err = ts.deliver(ctx, p, cur, message.KindAuthentication, contactOf(factor), code)
		return err
	})
	return d, err
}

// mfaLockKey is the lockout record of u's second-factor failures.
func mfaLockKey(p *Pool, u *User) string { return "lk/" + p.Id + "/m" + u.Sub }

// mfaPurpose is where a sign-in code for factor is kept among the user's codes.
func mfaPurpose(factor string) string { return "mfa:" + factor }

// choiceChallenge asks u to choose among factors (SELECT_MFA_TYPE).
func (s *Service) choiceChallenge(p *Pool, c *Client, u *User, factors []string) (*InitiateAuthOutput, error) {
	return s.listChallenge(p, c, u, "SELECT_MFA_TYPE", "MFAS_CAN_CHOOSE", factors)
}

// setupChallenge asks u to set up a software token (MFA_SETUP).
func (s *Service) setupChallenge(p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	return s.listChallenge(p, c, u, "MFA_SETUP", "MFAS_CAN_SETUP", []string{mfaTOTP})
}

// listChallenge answers a challenge whose parameter param is the JSON text of factors.
func (s *Service) listChallenge(p *Pool, c *Client, u *User, challenge, param string, factors []string) (*InitiateAuthOutput, error) {
	list, err := json.Marshal(factors)
	if err != nil {
		return nil, err
	}
	session, err := s.newMfaSession(p, c, u, challenge, setupStart, slices.Clone(factors))
	if err != nil {
		return nil, err
	}
	return &InitiateAuthOutput{ChallengeName: challenge, Session: session,
		ChallengeParameters: map[string]string{"USER_ID_FOR_SRP": u.Username, param: string(list)}}, nil
}

// answerMfa answers RespondToAuthChallenge for the MFA challenges: the answer must name the
// Session's user (checkAnswerUser), and a verified one gets tokens.
func (s *Service) answerMfa(ctx context.Context, p *Pool, c *Client, challenge, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	u, next, err := s.verifyMfa(ctx, p, c, challenge, session, resp, func(u *User) error { return checkAnswerUser(p, c, u, resp) })
	if err != nil || next != nil {
		return next, err
	}
	if err := s.secondFactorPassed(ctx, p, u); err != nil {
		return nil, err
	}
	return s.signInDone(ctx, p, c, u)
}

// verifyMfa checks an answer to an MFA challenge, whoever asks (the JSON API, the
// managed-login pages): it opens the Session, lets checkUser vet the user it binds, and
// answers the user whose second factor is verified (the Session spent) or the next
// challenge (SELECT_MFA_TYPE moves on to the chosen factor's).
func (s *Service) verifyMfa(ctx context.Context, p *Pool, c *Client, challenge, session string, resp map[string]string, checkUser func(*User) error) (*User, *InitiateAuthOutput, error) {
	stage := setupStart
	if challenge == "MFA_SETUP" {
		stage = setupVerified
	}
	u, st, err := s.openMfaSession(ctx, p, c, session, challenge, stage)
	if err != nil {
		return nil, nil, err
	}
	if err := checkUser(u); err != nil {
		return nil, nil, err
	}
	switch challenge {
	case "SELECT_MFA_TYPE":
		answer := resp["ANSWER"]
		if answer == "" {
			return nil, nil, awsjson.InvalidParameter("Missing required parameter ANSWER")
		}
		if !contains(st.Choices, answer) || !canReceive(u, answer) {
			return nil, nil, awsjson.InvalidParameter("ANSWER must be one of the MFA methods in MFAS_CAN_CHOOSE.")
		}
		if err := s.atomically(ctx, poolShard(p.Id), func(ts *Service) error { return ts.spendSession(ctx, p, c, st.Nonce) }); err != nil {
			return nil, nil, err
		}
		next, err := s.mfaChallenge(ctx, p, c, u, answer)
		return nil, next, err
	case "MFA_SETUP":
		// VerifySoftwareToken has proved the token and turned it on; this answer only ends
		// the sign-in.
		err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
			cur, err := ts.reload(ctx, p, u)
			if err != nil {
				return err
			}
			if !canReceive(cur, mfaTOTP) {
				return sessionExpired()
			}
			u = cur
			return ts.spendSession(ctx, p, c, st.Nonce)
		})
	default:
		u, err = s.checkMfaCode(ctx, p, c, u, st, challenge, resp)
	}
	if err != nil {
		return nil, nil, err
	}
	return u, nil, nil
}

// checkAnswerUser checks that a challenge answer names the Session's user, with the
// SECRET_HASH its client requires.
func checkAnswerUser(p *Pool, c *Client, u *User, resp map[string]string) error {
	name := resp["USERNAME"]
	if name == "" {
		return awsjson.InvalidParameter("Missing required parameter USERNAME")
	}
	if !slices.Contains(userNames("", u), name) && usernameKey(p, name) != usernameKey(p, u.Username) {
		return awsjson.NotAuthorized("Invalid session for the user.")
	}
	return checkSecretHash(c, resp["SECRET_HASH"], userNames(name, u)...)
}

// checkMfaCode checks the code of an SMS_MFA, EMAIL_OTP or SOFTWARE_TOKEN_MFA answer in one
// transaction: lockout first, then the code; a wrong one is counted, a right one used up with
// the Session. It returns the user as the transaction left it.
func (s *Service) checkMfaCode(ctx context.Context, p *Pool, c *Client, u *User, st *mfaSession, challenge string, resp map[string]string) (*User, error) {
	key := mfaAnswerKey[challenge]
	code := resp[key]
	if code == "" && challenge == mfaTOTP {
		code = resp["SMS_MFA_CODE"] // what older identity-js versions send alone
	}
	if code == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter %s", key)
	}
	lk := mfaLockKey(p, u)
	now := s.now()
	err := s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		lock, lv, err := ts.loadLock(ctx, lk)
		if err != nil {
			return err
		}
		if err := ts.checkLockout(lock); err != nil {
			return err
		}
		// Read the Session's marker before any write, so a wrong answer's commit is
		// conditioned on it too.
		if _, err := ts.d.Store.Get(ctx, spentSessionKey(p.Id, st.Nonce)); err == nil {
			return sessionExpired()
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ok, err := ts.useMfaCode(ctx, p, cur, challenge, code, now)
		if err != nil {
			return err
		}
		if !ok {
			if err := ts.countFailure(ctx, lk, lock); err != nil {
				return err
			}
			return failAfterCommit(mfaCodeMismatch())
		}
		if lv != store.NoVersion {
			if err := ts.d.Store.Delete(ctx, lk); err != nil {
				return err
			}
		}
		u = cur
		return ts.spendSession(ctx, p, c, st.Nonce)
	})
	return u, err
}

// useMfaCode checks code against u's factor inside a transaction and uses it up when right.
// An SMS or email code counts wrong guesses and dies after maxCodeAttempts of them.
func (s *Service) useMfaCode(ctx context.Context, p *Pool, u *User, factor, code string, now time.Time) (bool, error) {
	if factor == mfaTOTP {
		if !canReceive(u, mfaTOTP) {
			return false, nil
		}
		step, ok := totp.Verify(u.Secrets.Totp.Secret, code, now)
		if !ok {
			return false, nil
		}
		err := s.markOnce(ctx, usedTotpKey(p.Id, u.Sub, step), usedTotpTTL, errCodeUsed)
		if errors.Is(err, errCodeUsed) {
			return false, nil
		}
		return err == nil, err
	}
	purpose := mfaPurpose(factor)
	cd := u.Secrets.Codes[purpose]
	if cd == nil || !now.Before(cd.Expires) {
		return false, nil
	}
	prev := cloneUser(u)
	ok := subtle.ConstantTimeCompare([]byte(cd.Value), []byte(code)) == 1
	if cd.Attempts++; ok || cd.Attempts >= maxCodeAttempts {
		delete(u.Secrets.Codes, purpose)
	}
	return ok, s.putUser(ctx, p, u, prev)
}

// countFailure counts a wrong second factor against the lockout record key (read as st)
// inside the caller's transaction, as recordFailure does for a wrong password.
func (s *Service) countFailure(ctx context.Context, key string, st lockState) error {
	st.Failures++
	if n := st.Failures - lockoutThreshold; n >= 0 {
		st.LockedUntil = s.now().Add(lockoutDelay(n))
	}
	b, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	return s.d.Store.Put(ctx, key, b, store.PutOptions{TTL: lockMemory})
}
