package sdk

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/poolgate/poolgate/internal/jsonread"
	"github.com/poolgate/poolgate/internal/srp"
)

// SignInResult is either a Session (signed in) or the Challenge the user must answer next.
type SignInResult struct {
	Session   *Session
	Challenge *Challenge
}

// Challenge is a step the server asks for before it issues tokens. The SDK answers
// PASSWORD_VERIFIER itself; the others are answered with ConfirmSignIn (mfa.go), or
// NEW_PASSWORD_REQUIRED with CompleteNewPassword.
type Challenge struct {
	Name string // the server's challenge name (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, ...)
	Step string // what the user does next, in Amplify v6's words (CONFIRM_SIGN_IN_WITH_TOTP_CODE, ...)
	// RequiredAttributes are the attributes (without the "userAttributes." prefix) the user
	// must supply with the new password; UserAttributes are the ones the user has.
	RequiredAttributes []string
	UserAttributes     map[string]string
	// CodeDelivery is where an SMS or email code went (masked).
	CodeDelivery *CodeDelivery
	// AllowedMFATypes are the factors to choose from ("TOTP", "SMS", "EMAIL") at
	// CONTINUE_SIGN_IN_WITH_MFA_SELECTION, or to set up at CONTINUE_SIGN_IN_WITH_TOTP_SETUP.
	AllowedMFATypes []string
	// TOTPSetup is the new secret for the authenticator app at CONTINUE_SIGN_IN_WITH_TOTP_SETUP.
	TOTPSetup *TOTPSetup
	// DeviceName is the name the user gave their authenticator app, if any.
	DeviceName string
}

type pendingChallenge struct {
	name, session, username string
	allowed                 []string // SELECT_MFA_TYPE's choices, as MFA types
}

// initiateOutput is InitiateAuth's and RespondToAuthChallenge's answer.
type initiateOutput struct {
	ChallengeName        string
	Session              string
	ChallengeParameters  map[string]string
	AuthenticationResult *authResult
}

func (out *initiateOutput) read(o object) {
	*out = initiateOutput{ChallengeName: o.str("ChallengeName"), Session: o.str("Session"),
		ChallengeParameters: o.strMap("ChallengeParameters"), AuthenticationResult: readAuthResult(o.obj("AuthenticationResult"))}
}

// SignIn signs username in with SRP (USER_SRP_AUTH, spec §3.4): the password never leaves
// the client; the proof is computed here.
func (c *Client) SignIn(ctx context.Context, username, password string) (*SignInResult, error) {
	if username == "" {
		return nil, invalidParameter("Username is required.")
	}
	if password == "" {
		return nil, invalidParameter("Password is required.")
	}
	cl, err := srp.NewClient(c.cfg.Crypto, c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	var first initiateOutput
	err = c.call(ctx, "InitiateAuth", map[string]any{
		"AuthFlow":       "USER_SRP_AUTH",
		"ClientId":       c.cfg.ClientID,
		"AuthParameters": map[string]string{"USERNAME": username, "SRP_A": cl.AHex()},
	}, first.read)
	if err != nil {
		return nil, err
	}
	if first.ChallengeName != "PASSWORD_VERIFIER" {
		return c.outcome(ctx, &first, username)
	}
	p := first.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	if userID == "" || p["SRP_B"] == "" || p["SALT"] == "" || p["SECRET_BLOCK"] == "" {
		return nil, badResponse("InitiateAuth", fmt.Errorf("PASSWORD_VERIFIER without USER_ID_FOR_SRP, SRP_B, SALT or SECRET_BLOCK"))
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return nil, badResponse("InitiateAuth", fmt.Errorf("SECRET_BLOCK: %v", err))
	}
	timestamp := srp.FormatTimestamp(c.now())
	sig, err := cl.Signature(srp.PoolName(c.cfg.UserPoolID), userID, password, p["SALT"], p["SRP_B"], block, timestamp)
	if err != nil {
		return nil, badResponse("InitiateAuth", err)
	}
	in := map[string]any{"ChallengeName": "PASSWORD_VERIFIER", "ClientId": c.cfg.ClientID}
	if first.Session != "" {
		in["Session"] = first.Session
	}
	resp := map[string]string{
		"USERNAME":                    userID,
		"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"TIMESTAMP":                   timestamp,
		"PASSWORD_CLAIM_SIGNATURE":    sig,
	}
	c.nameDevice(resp, userID)
	next, err := c.respond(ctx, in, resp, userID)
	if err != nil {
		return nil, err
	}
	return c.outcome(ctx, next, userID)
}

// outcome stores tokens (and keeps a new device) or remembers the challenge the server asked
// for. For MFA_SETUP it first asks for the software token's secret, so the page can show it;
// DEVICE_SRP_AUTH it answers itself.
func (c *Client) outcome(ctx context.Context, out *initiateOutput, username string) (*SignInResult, error) {
	if out.AuthenticationResult != nil {
		c.clearCredentials()
		sess, err := c.saveTokens(out.AuthenticationResult, "")
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.pending = nil
		c.mu.Unlock()
		if md := out.AuthenticationResult.NewDeviceMetadata; md != nil {
			c.keepNewDevice(ctx, sess.Username, sess.AccessToken, md)
		}
		return &SignInResult{Session: sess}, nil
	}
	if out.ChallengeName == challengeDeviceSRP {
		return c.deviceSRP(ctx, out, username)
	}
	var ch *Challenge
	var err error
	session := out.Session
	switch out.ChallengeName {
	case "":
		return nil, badResponse("sign-in", fmt.Errorf("neither tokens nor a challenge"))
	case challengeNewPassword:
		ch, err = newPasswordChallenge(out.ChallengeParameters)
	case challengeTOTP, challengeSMS, challengeEmail, challengeSelect, challengeSetup:
		ch, err = mfaChallenge(out.ChallengeName, out.ChallengeParameters)
	default:
		return nil, &Error{Code: CodeUnsupported, Message: fmt.Sprintf("The server asked for %s, which this app cannot answer yet.", out.ChallengeName)}
	}
	if err != nil {
		return nil, badResponse("sign-in", err)
	}
	if session == "" {
		return nil, badResponse("sign-in", fmt.Errorf("%s without a Session", out.ChallengeName))
	}
	if ch.Name == challengeSetup {
		if !slices.Contains(ch.AllowedMFATypes, mfaTypeTOTP) {
			return nil, &Error{Code: CodeUnsupported, Message: "The server asks to set up a second factor this app cannot set up."}
		}
		secret, next, err := c.associateForSetup(ctx, session)
		if err != nil {
			return nil, err
		}
		ch.TOTPSetup, session = &TOTPSetup{SharedSecret: secret}, next
	}
	if u := out.ChallengeParameters["USER_ID_FOR_SRP"]; u != "" {
		username = u
	}
	c.mu.Lock()
	c.pending = &pendingChallenge{name: ch.Name, session: session, username: username, allowed: ch.AllowedMFATypes}
	c.mu.Unlock()
	return &SignInResult{Challenge: ch}, nil
}

// newPasswordChallenge reads NEW_PASSWORD_REQUIRED's parameters (spec §2.6): requiredAttributes
// and userAttributes are JSON text.
func newPasswordChallenge(p map[string]string) (*Challenge, error) {
	ch := &Challenge{Name: challengeNewPassword, Step: StepNewPassword, UserAttributes: map[string]string{}}
	if raw := p["requiredAttributes"]; raw != "" {
		req, err := stringList(raw)
		if err != nil {
			return nil, fmt.Errorf("requiredAttributes: %v", err)
		}
		for _, r := range req {
			ch.RequiredAttributes = append(ch.RequiredAttributes, strings.TrimPrefix(r, "userAttributes."))
		}
	}
	if raw := p["userAttributes"]; raw != "" {
		v, err := jsonread.Value([]byte(raw))
		attrs, ok := v.(map[string]any)
		if err != nil || !ok && v != nil {
			return nil, fmt.Errorf("userAttributes: not a JSON object (%v)", err)
		}
		for k, v := range attrs {
			if s, ok := v.(string); ok {
				ch.UserAttributes[k] = s
			}
		}
	}
	sort.Strings(ch.RequiredAttributes)
	return ch, nil
}

// CompleteNewPassword answers the NEW_PASSWORD_REQUIRED challenge SignIn returned, with the
// new password and any required attributes.
func (c *Client) CompleteNewPassword(ctx context.Context, newPassword string, attributes map[string]string) (*SignInResult, error) {
	c.mu.Lock()
	p := c.pending
	c.mu.Unlock()
	if p == nil || p.name != challengeNewPassword {
		return nil, &Error{Code: CodeNoChallenge, Message: "There is no new-password challenge to answer: sign in again."}
	}
	if newPassword == "" {
		return nil, invalidParameter("The new password is required.")
	}
	resp := map[string]string{"USERNAME": p.username, "NEW_PASSWORD": newPassword}
	for k, v := range attributes {
		resp["userAttributes."+k] = v
	}
	c.nameDevice(resp, p.username)
	out, err := c.respond(ctx, map[string]any{
		"ChallengeName": "NEW_PASSWORD_REQUIRED",
		"ClientId":      c.cfg.ClientID,
		"Session":       p.session,
	}, resp, p.username)
	if err != nil {
		return nil, err
	}
	return c.outcome(ctx, out, p.username)
}
