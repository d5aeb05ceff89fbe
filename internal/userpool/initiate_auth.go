package userpool

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/srp"
	"github.com/poolgate/poolgate/internal/store"
)

// Sign-in (spec §2.5, §2.6). The flows share these rules:
//   - the client must allow the flow (ExplicitAuthFlows);
//   - an unknown user is UserNotFoundException, or, when the client prevents user-existence
//     errors, looks exactly like a wrong password (a decoy salt and verifier do the same work);
//   - a locked-out name (known or not) is refused before any password work, SRP step 1
//     included;
//   - a wrong password counts toward lockout (for an unknown name too) and is answered
//     "Incorrect username or password." whatever the user's state; a right one resets the
//     count, and only then is the state reported: disabled ("User is disabled."), UNCONFIRMED
//     (UserNotConfirmedException, as Cognito does), RESET_REQUIRED
//     (PasswordResetRequiredException), FORCE_CHANGE_PASSWORD (NEW_PASSWORD_REQUIRED);
//   - a right password of a user who may sign in then meets the second factor the pool and
//     the user call for (mfa_challenge.go) before any token is issued.

// InitiateAuthInput is the input of InitiateAuth.
type InitiateAuthInput struct {
	AuthFlow          string            `json:"AuthFlow" aws:"required"`
	ClientId          string            `json:"ClientId" aws:"required"`
	AuthParameters    map[string]string `json:"AuthParameters"`
	ClientMetadata    map[string]string `json:"ClientMetadata"`
	Session           string            `json:"Session"`
	UserContextData   map[string]any    `json:"UserContextData"`
	AnalyticsMetadata map[string]any    `json:"AnalyticsMetadata"`
}

// InitiateAuthOutput is the output of InitiateAuth, RespondToAuthChallenge and their Admin
// variants: a challenge, or tokens with "ChallengeParameters": {}.
type InitiateAuthOutput struct {
	ChallengeName        string                `json:"ChallengeName,omitempty"`
	Session              string                `json:"Session,omitempty"`
	ChallengeParameters  map[string]string     `json:"ChallengeParameters"`
	AuthenticationResult *AuthenticationResult `json:"AuthenticationResult,omitempty"`
}

// AdminInitiateAuthInput is the input of AdminInitiateAuth.
type AdminInitiateAuthInput struct {
	UserPoolId        string            `json:"UserPoolId" aws:"required"`
	ClientId          string            `json:"ClientId" aws:"required"`
	AuthFlow          string            `json:"AuthFlow" aws:"required"`
	AuthParameters    map[string]string `json:"AuthParameters"`
	ClientMetadata    map[string]string `json:"ClientMetadata"`
	Session           string            `json:"Session"`
	ContextData       map[string]any    `json:"ContextData"`
	AnalyticsMetadata map[string]any    `json:"AnalyticsMetadata"`
}

// RespondToAuthChallengeInput is the input of RespondToAuthChallenge.
type RespondToAuthChallengeInput struct {
	ClientId           string            `json:"ClientId" aws:"required"`
	ChallengeName      string            `json:"ChallengeName" aws:"required"`
	Session            string            `json:"Session"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
	ClientMetadata     map[string]string `json:"ClientMetadata"`
	UserContextData    map[string]any    `json:"UserContextData"`
	AnalyticsMetadata  map[string]any    `json:"AnalyticsMetadata"`
}

// AdminRespondToAuthChallengeInput is the input of AdminRespondToAuthChallenge.
type AdminRespondToAuthChallengeInput struct {
	UserPoolId         string            `json:"UserPoolId" aws:"required"`
	ClientId           string            `json:"ClientId" aws:"required"`
	ChallengeName      string            `json:"ChallengeName" aws:"required"`
	Session            string            `json:"Session"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
	ClientMetadata     map[string]string `json:"ClientMetadata"`
	ContextData        map[string]any    `json:"ContextData"`
	AnalyticsMetadata  map[string]any    `json:"AnalyticsMetadata"`
}

var authFlows = []string{"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH",
	"ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_AUTH"}

func (s *Service) initiateAuth(ctx context.Context, in *InitiateAuthInput) (*InitiateAuthOutput, error) {
	p, c, err := s.clientByID(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	ctx = s.withSignInSignals(withCaller(ctx, c.ClientId, in.ClientMetadata), c, in.UserContextData, nil, in.AuthParameters)
	return s.initiate(ctx, p, c, in.AuthFlow, in.AuthParameters, false)
}

func (s *Service) adminInitiateAuth(ctx context.Context, in *AdminInitiateAuthInput) (*InitiateAuthOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	c, err := s.getClient(ctx, p.Id, in.ClientId)
	if err != nil {
		return nil, err
	}
	ctx = s.withSignInSignals(withCaller(ctx, c.ClientId, in.ClientMetadata), c, nil, orEmpty(in.ContextData), in.AuthParameters)
	return s.initiate(ctx, p, c, in.AuthFlow, in.AuthParameters, true)
}

// initiate runs an auth flow; admin is set for AdminInitiateAuth.
func (s *Service) initiate(ctx context.Context, p *Pool, c *Client, flow string, params map[string]string, admin bool) (*InitiateAuthOutput, error) {
	if !contains(authFlows, flow) {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			flow, strings.Join(authFlows, ", "))
	}
	switch flow {
	case "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH":
		if !admin {
			return nil, awsjson.InvalidParameter("Initiate Auth method not supported.")
		}
	case "USER_PASSWORD_AUTH":
		if admin {
			return nil, awsjson.InvalidParameter("Initiate Auth method not supported.")
		}
	case "USER_AUTH":
		return nil, awsjson.InvalidParameter("%s flow is not supported by this server.", flow)
	}
	if !c.AllowsFlow(flow) {
		return nil, awsjson.InvalidParameter("%s flow not enabled for this client", flow)
	}
	if params == nil {
		params = map[string]string{}
	}
	ctx = withSignInDevice(ctx, params["DEVICE_KEY"])
	switch flow {
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		return s.refreshFlow(ctx, p, c, params)
	}
	if flow == "USER_SRP_AUTH" {
		return s.startSRP(ctx, p, c, params)
	}
	if flow == "CUSTOM_AUTH" {
		return s.startCustomAuth(ctx, p, c, params)
	}
	return s.passwordFlow(ctx, p, c, params)
}

// passwordFlow answers USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and ADMIN_NO_SRP_AUTH:
// the verifier is recomputed from the password (spec §3.3).
func (s *Service) passwordFlow(ctx context.Context, p *Pool, c *Client, params map[string]string) (*InitiateAuthOutput, error) {
	name, password := params["USERNAME"], params["PASSWORD"]
	if name == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter USERNAME")
	}
	if password == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter PASSWORD")
	}
	t, err := s.signInTargetOrMigrate(ctx, p, c, name, password, params["SECRET_HASH"])
	if err != nil {
		return nil, err
	}
	if err := s.preAuthentication(ctx, p, c, t, name); err != nil {
		return nil, err
	}
	if err := s.checkTargetPassword(ctx, p, t, password); err != nil {
		return nil, err
	}
	notePassword(ctx, password)
	return s.passwordVerified(ctx, p, c, t)
}

// checkTargetPassword checks password against t: a wrong one (or any, for a decoy) counts
// toward lockout and is "Incorrect username or password.".
func (s *Service) checkTargetPassword(ctx context.Context, p *Pool, t *signInTarget, password string) error {
	if t.imported() {
		return s.checkImportedPassword(ctx, p, t, password)
	}
	// The same exponentiation for a real user and a decoy.
	ok, err := srp.CheckPassword(s.d.Crypto, srp.PoolName(p.Id), t.userID, password, t.salt, t.verifier)
	if err != nil {
		return fmt.Errorf("userpool: password check: %w", err)
	}
	if !ok || !t.real() {
		if err := s.signInFailed(ctx, p, t); err != nil {
			return err
		}
		return awsjson.IncorrectCredentials()
	}
	return nil
}

// signInTarget is the account a password check is about: a user, or, for a name that belongs
// to no one when the client prevents user-existence errors, a decoy that looks and costs the
// same (see decoy), with the lockout record of either.
type signInTarget struct {
	u              *User  // nil for a decoy
	userID         string // USER_ID_FOR_SRP
	salt, verifier []byte // the user's current password, or the decoy's
	lockKey        string
	lockVer        store.Version
}

// real reports whether a right password can get through: a user with a password.
func (t *signInTarget) real() bool { return t.u != nil && t.u.Secrets.Password != nil }

// signInTarget resolves the name a sign-in gives, checks its SECRET_HASH and refuses it while
// it is locked out. An unknown name is UserNotFoundException unless the client prevents
// user-existence errors; then it gets a decoy. Known and unknown names cost the same store
// reads (findUserEvenly, the decoy key, the lockout record) and the same work. No user state
// is reported here: which states a right password meets is told only after the password is
// checked (passwordVerified), so a wrong password reveals nothing. srpAnswer says name is the
// USER_ID_FOR_SRP of an SRP challenge (a decoy's userId stays as it is).
func (s *Service) signInTarget(ctx context.Context, p *Pool, c *Client, name, secretHash string, srpAnswer bool) (*signInTarget, error) {
	return s.resolveSignIn(ctx, p, c, name, srpAnswer, func(names []string) error {
		return checkSecretHash(c, secretHash, names...)
	})
}

// resolveSignIn is signInTarget with the caller's proof of the client secret: checkClient
// gets the names the user may be known by (the managed-login pages, which hold no secret
// hash, pass one that accepts all).
func (s *Service) resolveSignIn(ctx context.Context, p *Pool, c *Client, name string, srpAnswer bool, checkClient func(names []string) error) (*signInTarget, error) {
	u, err := s.findUserEvenly(ctx, p, name)
	if errors.Is(err, store.ErrNotFound) {
		if !c.PreventsUserExistenceErrors() {
			return nil, awsjson.UserNotFound()
		}
		u, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := []string{name}
	if u != nil {
		names = userNames(name, u)
	}
	if err := checkClient(names); err != nil {
		return nil, err
	}
	d, err := s.decoyFor(ctx, p, name, srpAnswer)
	if err != nil {
		return nil, err
	}
	t := &signInTarget{u: u, userID: d.userID, salt: d.salt, verifier: d.verifier}
	if u != nil {
		t.userID = u.Username
		if pv := u.Secrets.Password; pv != nil {
			t.salt, t.verifier = pv.Salt, pv.Verifier
		}
	}
	t.lockKey = lockKey(p, t.userID)
	lock, v, err := s.loadLock(ctx, t.lockKey)
	if err != nil {
		return nil, err
	}
	t.lockVer = v
	if err := s.checkLockout(lock); err != nil {
		return nil, err
	}
	return t, nil
}

// passwordVerified finishes a sign-in whose password was right: it resets lockout and answers
// by the user's state.
func (s *Service) passwordVerified(ctx context.Context, p *Pool, c *Client, t *signInTarget) (*InitiateAuthOutput, error) {
	u, challenge, err := s.admitVerified(ctx, p, c, t)
	if err != nil || challenge != nil {
		return challenge, err
	}
	return s.adaptiveSignIn(ctx, p, c, u)
}

// signInDone ends a sign-in of u with tokens and a refresh token of a new authentication.
func (s *Service) signInDone(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	if err := s.postAuthentication(ctx, p, c, u); err != nil {
		return nil, err
	}
	newDevice, device, err := s.signInDeviceResult(ctx, p, u)
	if err != nil {
		return nil, err
	}
	ev, err := s.newAuthEvent(u)
	if err != nil {
		return nil, err
	}
	ev.Device = device
	res, err := s.issueTokens(ctx, p, c, u, ev, true)
	if err != nil {
		return nil, err
	}
	res.NewDeviceMetadata = newDevice
	return authenticated(res), nil
}

// admitVerified resets lockout after a right password and decides by the user's state: the
// user when it may have tokens, a NEW_PASSWORD_REQUIRED challenge, or the state's error.
func (s *Service) admitVerified(ctx context.Context, p *Pool, c *Client, t *signInTarget) (*User, *InitiateAuthOutput, error) {
	u := t.u
	if err := s.clearFailures(ctx, t.lockKey, t.lockVer); err != nil {
		return nil, nil, err
	}
	if !u.Enabled {
		return nil, nil, awsjson.NotAuthorized("User is disabled.")
	}
	switch u.Status {
	case StatusConfirmed:
		return u, nil, nil
	case StatusForceChangePassword:
		if !u.TempPasswordExpires.IsZero() && !s.now().Before(u.TempPasswordExpires) {
			return nil, nil, awsjson.NotAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		challenge, err := s.newPasswordChallenge(ctx, p, c, u)
		return nil, challenge, err
	case StatusUnconfirmed:
		return nil, nil, awsjson.UserNotConfirmed()
	case StatusResetRequired:
		return nil, nil, awsjson.New(awsjson.ErrPasswordResetRequired, "Password reset required for the user")
	}
	return nil, nil, awsjson.NotAuthorized("User cannot sign in while in status %s.", u.Status)
}

// authenticated is the final answer of a sign-in.
func authenticated(res *AuthenticationResult) *InitiateAuthOutput {
	return &InitiateAuthOutput{AuthenticationResult: res, ChallengeParameters: map[string]string{}}
}

func (s *Service) respondToAuthChallenge(ctx context.Context, in *RespondToAuthChallengeInput) (*InitiateAuthOutput, error) {
	p, c, err := s.clientByID(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	ctx = s.withSignInSignals(withCaller(ctx, c.ClientId, in.ClientMetadata), c, in.UserContextData, nil, in.ChallengeResponses)
	return s.respond(ctx, p, c, in.ChallengeName, in.Session, in.ChallengeResponses)
}

func (s *Service) adminRespondToAuthChallenge(ctx context.Context, in *AdminRespondToAuthChallengeInput) (*InitiateAuthOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	c, err := s.getClient(ctx, p.Id, in.ClientId)
	if err != nil {
		return nil, err
	}
	ctx = s.withSignInSignals(withCaller(ctx, c.ClientId, in.ClientMetadata), c, nil, orEmpty(in.ContextData), in.ChallengeResponses)
	return s.respond(ctx, p, c, in.ChallengeName, in.Session, in.ChallengeResponses)
}

func (s *Service) respond(ctx context.Context, p *Pool, c *Client, challenge, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	if resp == nil {
		resp = map[string]string{}
	}
	ctx = withSignInDevice(ctx, resp["DEVICE_KEY"])
	switch challenge {
	case "PASSWORD_VERIFIER":
		return s.answerPasswordVerifier(ctx, p, c, session, resp)
	case customChallenge:
		return s.answerCustomChallenge(ctx, p, c, session, resp)
	case "NEW_PASSWORD_REQUIRED":
		return s.answerNewPassword(ctx, p, c, session, resp)
	case "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE", "MFA_SETUP":
		return s.answerMfa(ctx, p, c, challenge, session, resp)
	case "DEVICE_SRP_AUTH":
		return s.answerDeviceSRP(ctx, p, c, session, resp)
	case "DEVICE_PASSWORD_VERIFIER":
		return s.answerDevicePasswordVerifier(ctx, p, c, session, resp)
	}
	return nil, awsjson.InvalidParameter("Challenge %s is not supported by this server.", challenge)
}
