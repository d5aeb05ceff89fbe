package userpool

import (
	"context"
	"errors"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/srp"
	"github.com/poolgate/poolgate/internal/store"
)

// Sign-in (spec §2.5, §2.6). The flows share these rules:
//   - the client must allow the flow (ExplicitAuthFlows);
//   - an unknown user is UserNotFoundException, or, when the client prevents user-existence
//     errors, looks exactly like a wrong password (a decoy salt and verifier do the same work);
//   - states that no password can get past are reported before the password is checked:
//     UNCONFIRMED → UserNotConfirmedException, RESET_REQUIRED → PasswordResetRequiredException
//     (for SRP at InitiateAuth too, so both flows agree), and a locked-out user is refused;
//   - a wrong password counts toward lockout; a right one resets it, and only then are a
//     disabled user ("User is disabled.") and FORCE_CHANGE_PASSWORD (NEW_PASSWORD_REQUIRED)
//     reported;
//   - MFA is not implemented: pools with MfaConfiguration ON refuse sign-in with a clear
//     message; OPTIONAL pools sign in without MFA (no user can have enabled it).

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
	case "CUSTOM_AUTH", "USER_AUTH":
		return nil, awsjson.InvalidParameter("%s flow is not supported by this server.", flow)
	}
	if !c.AllowsFlow(flow) {
		return nil, awsjson.InvalidParameter("%s flow not enabled for this client", flow)
	}
	if params == nil {
		params = map[string]string{}
	}
	switch flow {
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		return s.refreshFlow(ctx, p, c, params)
	}
	if p.MfaConfiguration == "ON" {
		return nil, awsjson.InvalidParameter("MFA is required for this user pool (MfaConfiguration ON), but multi-factor authentication is not supported yet.")
	}
	if flow == "USER_SRP_AUTH" {
		return s.startSRP(ctx, p, c, params)
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
	u, err := s.signInUser(ctx, p, c, name)
	if err != nil {
		return nil, err
	}
	if u == nil || u.Secrets.Password == nil {
		names := []string{name}
		if u != nil {
			names = userNames(name, u)
		}
		if err := checkSecretHash(c, params["SECRET_HASH"], names...); err != nil {
			return nil, err
		}
		if u != nil {
			if err := s.beforePassword(u); err != nil {
				return nil, err
			}
		}
		// Same work as a real check, against a decoy.
		d, err := s.decoy(ctx, p, name)
		if err != nil {
			return nil, err
		}
		if _, err := srp.CheckPassword(s.d.Crypto, srp.PoolName(p.Id), d.userID, password, d.salt, d.verifier); err != nil {
			return nil, err
		}
		if u != nil {
			if err := s.recordFailure(ctx, p, u); err != nil {
				return nil, err
			}
		}
		return nil, awsjson.IncorrectCredentials()
	}
	if err := checkSecretHash(c, params["SECRET_HASH"], userNames(name, u)...); err != nil {
		return nil, err
	}
	if err := s.beforePassword(u); err != nil {
		return nil, err
	}
	ok, err := s.passwordMatches(p, u, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.recordFailure(ctx, p, u); err != nil {
			return nil, err
		}
		return nil, awsjson.IncorrectCredentials()
	}
	return s.passwordVerified(ctx, p, c, u)
}

// signInUser resolves the name a user signs in with. An unknown user is UserNotFoundException,
// or (nil, nil) when the client prevents user-existence errors.
func (s *Service) signInUser(ctx context.Context, p *Pool, c *Client, name string) (*User, error) {
	u, err := s.findUser(ctx, p, name)
	if errors.Is(err, store.ErrNotFound) {
		if c.PreventsUserExistenceErrors() {
			return nil, nil
		}
		return nil, awsjson.UserNotFound()
	}
	return u, err
}

// beforePassword refuses the states no password gets past, and a locked-out user.
func (s *Service) beforePassword(u *User) error {
	switch u.Status {
	case StatusUnconfirmed:
		return awsjson.UserNotConfirmed()
	case StatusResetRequired:
		return awsjson.New(awsjson.ErrPasswordResetRequired, "Password reset required for the user")
	}
	return s.checkLockout(u)
}

// passwordVerified finishes a sign-in whose password was right: it resets lockout and answers
// by the user's state.
func (s *Service) passwordVerified(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	prev := cloneUser(u)
	if clearFailures(u) {
		if err := s.putUser(ctx, p, u, prev); err != nil {
			return nil, err
		}
	}
	if !u.Enabled {
		return nil, awsjson.NotAuthorized("User is disabled.")
	}
	switch u.Status {
	case StatusConfirmed:
	case StatusForceChangePassword:
		if !u.TempPasswordExpires.IsZero() && !s.now().Before(u.TempPasswordExpires) {
			return nil, awsjson.NotAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		return s.newPasswordChallenge(ctx, p, c, u)
	default:
		if err := s.beforePassword(u); err != nil {
			return nil, err
		}
		return nil, awsjson.NotAuthorized("User cannot sign in while in status %s.", u.Status)
	}
	ev, err := s.newAuthEvent(u)
	if err != nil {
		return nil, err
	}
	res, err := s.issueTokens(ctx, p, c, u, ev, true)
	if err != nil {
		return nil, err
	}
	return authenticated(res), nil
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
	return s.respond(ctx, p, c, in.ChallengeName, in.Session, in.ChallengeResponses)
}

func (s *Service) respond(ctx context.Context, p *Pool, c *Client, challenge, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	if resp == nil {
		resp = map[string]string{}
	}
	switch challenge {
	case "PASSWORD_VERIFIER":
		return s.answerPasswordVerifier(ctx, p, c, resp)
	case "NEW_PASSWORD_REQUIRED":
		return s.answerNewPassword(ctx, p, c, session, resp)
	}
	return nil, awsjson.InvalidParameter("Challenge %s is not supported by this server.", challenge)
}
