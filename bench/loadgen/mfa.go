package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/totp"
)

// opTOTP is a sign-in with a software token: InitiateAuth USER_PASSWORD_AUTH answered with
// SOFTWARE_TOKEN_MFA, then RespondToAuthChallenge with the code (computed by the client) for
// tokens. It is measured on poolgate only, in a pool of its own (MFA ON, TOTP) next to the
// runner's. A TOTP code is good once per user and 30-second step, so every sign-in takes a
// user of its own, set up untimed beforehand (AdminCreateUser, MFA_SETUP through
// AssociateSoftwareToken and VerifySoftwareToken with the challenge's Session).
const opTOTP = "TOTPSignIn"

// mfaUser is a user of the MFA pool with a verified software token.
type mfaUser struct {
	name   string
	secret []byte
}

// mfaPool holds the runner's MFA pool and its users ready for one sign-in each.
type mfaPool struct {
	poolID, clientID string
	ready            []mfaUser
}

// prepareTOTP creates the MFA pool on first use and sets up users until n are ready. The
// caller holds r.mu.
func (r *runner) prepareTOTP(ctx context.Context, n int) error {
	if r.mfa == nil {
		pool, err := r.api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("loadgen-mfa")})
		if err != nil {
			return fmt.Errorf("CreateUserPool: %w", err)
		}
		if _, err := r.api.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: pool.UserPool.Id, MfaConfiguration: types.UserPoolMfaTypeOn,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
			return fmt.Errorf("SetUserPoolMfaConfig: %w", err)
		}
		client, err := r.api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("loadgen"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
		if err != nil {
			return fmt.Errorf("CreateUserPoolClient: %w", err)
		}
		r.mfa = &mfaPool{poolID: *pool.UserPool.Id, clientID: *client.UserPoolClient.ClientId}
	}
	k := n - len(r.mfa.ready)
	if k <= 0 {
		return nil
	}
	users, err := makeMany(k, func() (mfaUser, error) { return r.setUpTOTPUser(ctx) })
	if err != nil {
		return err
	}
	r.mfa.ready = append(r.mfa.ready, users...)
	return nil
}

// setUpTOTPUser creates a user of the MFA pool and sets up its software token during its
// first sign-in (MFA_SETUP).
func (r *runner) setUpTOTPUser(ctx context.Context) (mfaUser, error) {
	name := r.newName()
	_, secret, err := r.signInSettingUpTOTP(ctx, r.mfa.poolID, r.mfa.clientID, name)
	if err != nil {
		return mfaUser{}, err
	}
	return mfaUser{name: name, secret: secret}, nil
}

// signInSettingUpTOTP creates user name in a pool with MFA ON (software tokens) and signs it
// in for the first time, setting its token up at MFA_SETUP; it returns that sign-in's tokens
// and the token's secret.
func (r *runner) signInSettingUpTOTP(ctx context.Context, pool, client, name string) (*types.AuthenticationResultType, []byte, error) {
	if _, err := r.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: &name, MessageAction: types.MessageActionTypeSuppress}); err != nil {
		return nil, nil, err
	}
	if _, err := r.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &pool, Username: &name, Password: aws.String(password), Permanent: true}); err != nil {
		return nil, nil, err
	}
	out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &client, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
	if err != nil {
		return nil, nil, err
	}
	if out.ChallengeName != types.ChallengeNameTypeMfaSetup {
		return nil, nil, fmt.Errorf("first sign-in: challenge %q, want MFA_SETUP", out.ChallengeName)
	}
	as, err := r.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: out.Session})
	if err != nil {
		return nil, nil, err
	}
	secret, err := totp.Decode(aws.ToString(as.SecretCode))
	if err != nil {
		return nil, nil, err
	}
	vs, err := r.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: as.Session, UserCode: aws.String(totp.Code(secret, time.Now()))})
	if err != nil {
		return nil, nil, err
	}
	res, err := r.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &client, ChallengeName: types.ChallengeNameTypeMfaSetup,
		Session: vs.Session, ChallengeResponses: map[string]string{"USERNAME": name}})
	if err != nil {
		return nil, nil, err
	}
	if res.AuthenticationResult == nil {
		return nil, nil, fmt.Errorf("MFA_SETUP: no tokens")
	}
	return res.AuthenticationResult, secret, nil
}

// totpSignIn signs in a user set up beforehand, answering with the code of the next step (the
// current one may have been spent verifying the token; one step either side is accepted).
func (r *runner) totpSignIn(ctx context.Context) error {
	r.mu.Lock()
	if len(r.mfa.ready) == 0 {
		r.mu.Unlock()
		return fmt.Errorf("%s: no user left", opTOTP)
	}
	u := r.mfa.ready[0]
	r.mfa.ready = r.mfa.ready[1:]
	r.mu.Unlock()
	out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &r.mfa.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": u.name, "PASSWORD": password}})
	if err != nil {
		return err
	}
	if out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		return fmt.Errorf("sign-in: challenge %q, want SOFTWARE_TOKEN_MFA", out.ChallengeName)
	}
	res, err := r.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &r.mfa.clientID,
		ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": u.name, "SOFTWARE_TOKEN_MFA_CODE": totp.Code(u.secret, time.Now().Add(totp.Step))}})
	if err != nil {
		return err
	}
	if res.AuthenticationResult == nil || res.AuthenticationResult.AccessToken == nil {
		return fmt.Errorf("SOFTWARE_TOKEN_MFA: no tokens")
	}
	return nil
}
