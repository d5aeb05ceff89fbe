package userpool

import (
	"context"
	"slices"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// The second factor of a managed-login sign-in: the pages ask for what secondFactor decides,
// as the JSON API does, and answer through the same verification (verifyMfa, the software
// token set-up of mfa_totp.go), so lockout, single use and the Session's binding are the
// same. The pages send no USERNAME or SECRET_HASH: the page is the pool's own, the sealed
// Session binds the user, and the client proves its secret when it redeems the code.

// mfaChallenges are the challenges HostedAnswerMFA answers.
var mfaChallenges = []string{mfaSMS, mfaTOTP, mfaEmail, "SELECT_MFA_TYPE", "MFA_SETUP"}

// hostedSecondFactor ends a managed-login step whose user is verified: the user, or the
// second-factor challenge its sign-in needs.
func (s *Service) hostedSecondFactor(ctx context.Context, p *Pool, c *Client, u *User) (*HostedSignIn, error) {
	out, err := s.secondFactor(ctx, p, c, u)
	if err != nil {
		return nil, err
	}
	if out != nil {
		return hostedChallenge(out), nil
	}
	if err := s.postAuthentication(ctx, p, c, u); err != nil {
		return nil, err
	}
	return &HostedSignIn{User: u}, nil
}

func hostedChallenge(out *InitiateAuthOutput) *HostedSignIn {
	return &HostedSignIn{Challenge: out.ChallengeName, Session: out.Session, ChallengeParameters: out.ChallengeParameters}
}

// HostedAnswerMFA answers a second-factor challenge of a managed-login sign-in with answer,
// keyed as RespondToAuthChallenge's ChallengeResponses (SMS_MFA_CODE, EMAIL_OTP_CODE,
// SOFTWARE_TOKEN_MFA_CODE, ANSWER; nothing for MFA_SETUP, whose Session
// HostedVerifySoftwareToken answered): the user, or the next challenge.
func (s *Service) HostedAnswerMFA(ctx context.Context, p *Pool, c *Client, challenge, session string, answer map[string]string) (*HostedSignIn, error) {
	if !slices.Contains(mfaChallenges, challenge) {
		return nil, awsjson.InvalidParameter("Challenge %s is not a second factor.", challenge)
	}
	if answer == nil {
		answer = map[string]string{}
	}
	u, next, err := s.verifyMfa(ctx, p, c, challenge, session, answer, func(*User) error { return nil })
	if err != nil {
		return nil, err
	}
	if next != nil {
		return hostedChallenge(next), nil
	}
	if err := s.postAuthentication(ctx, p, c, u); err != nil {
		return nil, err
	}
	return &HostedSignIn{User: u}, nil
}

// HostedAssociateSoftwareToken starts the MFA_SETUP step of a managed-login sign-in, as
// AssociateSoftwareToken does with its Session: a new secret (base32) and the Session that
// verifies it. A Session that associated once may associate again.
func (s *Service) HostedAssociateSoftwareToken(ctx context.Context, p *Pool, c *Client, session string) (*AssociateSoftwareTokenOutput, error) {
	u, st, err := s.openMfaSession(ctx, p, c, session, "MFA_SETUP", setupStart, setupAssociated)
	if err != nil {
		return nil, err
	}
	return s.associateToken(ctx, p, c, u, st)
}

// HostedVerifySoftwareToken proves the associated secret with one code from the app, as
// VerifySoftwareToken does with its Session, and returns the Session HostedAnswerMFA takes to
// end MFA_SETUP.
func (s *Service) HostedVerifySoftwareToken(ctx context.Context, p *Pool, c *Client, session, code string) (string, error) {
	if code == "" {
		return "", awsjson.InvalidParameter("Missing required parameter UserCode")
	}
	u, st, err := s.openMfaSession(ctx, p, c, session, "MFA_SETUP", setupAssociated)
	if err != nil {
		return "", err
	}
	out, err := s.verifyToken(ctx, p, c, u, st, code, "")
	if err != nil {
		return "", err
	}
	return out.Session, nil
}
