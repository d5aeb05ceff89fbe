package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/srp"
)

// opDeviceSRP is a sign-in from a remembered device in place of MFA (spec §3.7):
// InitiateAuth USER_PASSWORD_AUTH with DEVICE_KEY answered with DEVICE_SRP_AUTH,
// RespondToAuthChallenge DEVICE_SRP_AUTH (SRP_A) answered with DEVICE_PASSWORD_VERIFIER, and
// RespondToAuthChallenge with the device's proof for tokens: three round trips, the client
// half's math included, as SRP's is. It is measured on poolgate only, in a pool of its own
// (MFA ON with TOTP, DeviceConfiguration with ChallengeRequiredOnNewDevice). Its users are set
// up untimed: MFA_SETUP, whose tokens carry NewDeviceMetadata, then ConfirmDevice with a
// verifier made here; a device signs in again and again, so they are cycled.
const opDeviceSRP = "DeviceSRPSignIn"

// benchDevice is a user of the device pool with its remembered device.
type benchDevice struct {
	user, key, group, password string
}

// devicePool holds the runner's device pool and its users.
type devicePool struct {
	poolID, clientID string
	users            []benchDevice
}

// prepareDeviceSRP creates the device pool on first use and sets up users until n are ready
// (at most signIn: they are cycled). The caller holds r.mu.
func (r *runner) prepareDeviceSRP(ctx context.Context, n int) error {
	if r.dev == nil {
		pool, err := r.api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("loadgen-devices"),
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}})
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
		r.dev = &devicePool{poolID: *pool.UserPool.Id, clientID: *client.UserPoolClient.ClientId}
	}
	k := min(n, r.signIn) - len(r.dev.users)
	if k <= 0 {
		return nil
	}
	users, err := makeMany(k, func() (benchDevice, error) { return r.setUpDevice(ctx) })
	if err != nil {
		return err
	}
	r.dev.users = append(r.dev.users, users...)
	return nil
}

// setUpDevice creates a user of the device pool, sets up its software token during its first
// sign-in (MFA_SETUP) and confirms the device that sign-in handed out.
func (r *runner) setUpDevice(ctx context.Context) (benchDevice, error) {
	pool, client, name := r.dev.poolID, r.dev.clientID, r.newName()
	res, _, err := r.signInSettingUpTOTP(ctx, pool, client, name)
	if err != nil {
		return benchDevice{}, err
	}
	md := res.NewDeviceMetadata
	if md == nil {
		return benchDevice{}, fmt.Errorf("MFA_SETUP: no NewDeviceMetadata")
	}
	pw := make([]byte, 40)
	if _, err := rand.Read(pw); err != nil {
		return benchDevice{}, err
	}
	d := benchDevice{user: name, key: aws.ToString(md.DeviceKey), group: aws.ToString(md.DeviceGroupKey), password: base64.StdEncoding.EncodeToString(pw)}
	salt, verifier, err := srp.NewVerifier(hostcrypto.Pure{}, rand.Reader, d.group, d.key, d.password)
	if err != nil {
		return benchDevice{}, err
	}
	if _, err := r.api.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: md.DeviceKey,
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(verifier)),
			Salt: aws.String(base64.StdEncoding.EncodeToString(salt))}}); err != nil {
		return benchDevice{}, err
	}
	return d, nil
}

// deviceSignIn signs the i-th device user in through DEVICE_SRP_AUTH.
func (r *runner) deviceSignIn(ctx context.Context, i int) error {
	d := r.dev.users[i%len(r.dev.users)]
	client := &r.dev.clientID
	out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": d.user, "PASSWORD": password, "DEVICE_KEY": d.key}})
	if err != nil {
		return err
	}
	if out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
		return fmt.Errorf("sign-in: challenge %q, want DEVICE_SRP_AUTH", out.ChallengeName)
	}
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		return err
	}
	ch, err := r.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeDeviceSrpAuth,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": d.user, "DEVICE_KEY": d.key, "SRP_A": cl.AHex()}})
	if err != nil {
		return fmt.Errorf("DEVICE_SRP_AUTH: %w", err)
	}
	p := ch.ChallengeParameters
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return fmt.Errorf("SECRET_BLOCK: %w", err)
	}
	ts := srp.FormatTimestamp(time.Now())
	sig, err := cl.Signature(d.group, d.key, d.password, p["SALT"], p["SRP_B"], block, ts)
	if err != nil {
		return err
	}
	res, err := r.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: client, ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier,
		Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": d.user, "DEVICE_KEY": d.key,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}})
	if err != nil {
		return fmt.Errorf("DEVICE_PASSWORD_VERIFIER: %w", err)
	}
	if res.AuthenticationResult == nil || res.AuthenticationResult.AccessToken == nil {
		return fmt.Errorf("DEVICE_PASSWORD_VERIFIER: no tokens")
	}
	return nil
}
