package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/srp"
)

// deviceActions are the remembered-device actions of issue 15; the suite must drive each one
// successfully at least once through the AWS SDK.
var deviceActions = []string{
	"ConfirmDevice", "UpdateDeviceStatus", "GetDevice", "ListDevices", "ForgetDevice",
	"AdminUpdateDeviceStatus", "AdminGetDevice", "AdminListDevices", "AdminForgetDevice",
}

// e2eDevice is a client's device: the keys a sign-in handed out and the random password its
// verifier was made from (spec §3.7), made with poolgate's own SRP client half.
type e2eDevice struct {
	key, group, password string
	salt, verifier       []byte
}

// newE2EDevice makes a device password and verifier for md.
func newE2EDevice(t testing.TB, md *types.NewDeviceMetadataType) *e2eDevice {
	t.Helper()
	if md == nil || aws.ToString(md.DeviceKey) == "" || aws.ToString(md.DeviceGroupKey) == "" {
		t.Fatalf("no NewDeviceMetadata: %+v", md)
	}
	pw := make([]byte, 40)
	rand.Read(pw)
	d := &e2eDevice{key: aws.ToString(md.DeviceKey), group: aws.ToString(md.DeviceGroupKey), password: base64.StdEncoding.EncodeToString(pw)}
	var err error
	if d.salt, d.verifier, err = srp.NewVerifier(hostcrypto.Pure{}, rand.Reader, d.group, d.key, d.password); err != nil {
		t.Fatal(err)
	}
	return d
}

// config is ConfirmDevice's DeviceSecretVerifierConfig for d.
func (d *e2eDevice) config() *types.DeviceSecretVerifierConfigType {
	return &types.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(d.verifier)),
		Salt: aws.String(base64.StdEncoding.EncodeToString(d.salt))}
}

// respondFunc answers a challenge: RespondToAuthChallenge or its Admin twin.
type respondFunc func(name types.ChallengeNameType, session string, resp map[string]string) (map[string]string, *string, *types.AuthenticationResultType, error)

func (f *fixture) publicRespond(name types.ChallengeNameType, session string, resp map[string]string) (map[string]string, *string, *types.AuthenticationResultType, error) {
	out, err := f.ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: name, ClientId: aws.String(f.client),
		Session: aws.String(session), ChallengeResponses: resp})
	if err != nil {
		return nil, nil, nil, err
	}
	return out.ChallengeParameters, out.Session, out.AuthenticationResult, nil
}

func (f *fixture) adminRespond(name types.ChallengeNameType, session string, resp map[string]string) (map[string]string, *string, *types.AuthenticationResultType, error) {
	out, err := f.ep.Admin().AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{ChallengeName: name, ClientId: aws.String(f.client),
		UserPoolId: aws.String(f.pool), Session: aws.String(session), ChallengeResponses: resp})
	if err != nil {
		return nil, nil, nil, err
	}
	return out.ChallengeParameters, out.Session, out.AuthenticationResult, nil
}

// deviceSRP answers DEVICE_SRP_AUTH in session with d (signing with password) and returns the
// answer to DEVICE_PASSWORD_VERIFIER.
func deviceSRP(t testing.TB, ep *Endpoint, respond respondFunc, user, session string, d *e2eDevice, password string) (*types.AuthenticationResultType, error) {
	t.Helper()
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	params, next, res, err := respond("DEVICE_SRP_AUTH", session, map[string]string{"USERNAME": user, "DEVICE_KEY": d.key, "SRP_A": cl.AHex()})
	if err != nil || res != nil || aws.ToString(next) == "" {
		t.Fatalf("DEVICE_SRP_AUTH: %v (tokens %v)", err, res != nil)
	}
	block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if err != nil {
		t.Fatalf("SECRET_BLOCK: %v", err)
	}
	ts := srp.FormatTimestamp(ep.Now())
	sig, err := cl.Signature(d.group, d.key, password, params["SALT"], params["SRP_B"], block, ts)
	if err != nil {
		t.Fatal(err)
	}
	_, _, res, err = respond("DEVICE_PASSWORD_VERIFIER", aws.ToString(next), map[string]string{"USERNAME": user, "DEVICE_KEY": d.key,
		"PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"], "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig})
	return res, err
}

// scnDevices: remembered devices through the AWS SDK (spec §3.7, §13) — DeviceConfiguration,
// NewDeviceMetadata, ConfirmDevice, a sign-in through DEVICE_SRP_AUTH instead of TOTP on
// InitiateAuth and AdminInitiateAuth, a wrong device password, the device-bound refresh, the
// list, get, status and forget calls and their Admin twins.
func scnDevices(t *testing.T, ep *Endpoint) {
	admin, public := ep.Admin(), ep.Public()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.DeviceConfiguration = &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}
	}, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	})
	d := call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)})).must(t).UserPool
	if d.DeviceConfiguration == nil || !d.DeviceConfiguration.ChallengeRequiredOnNewDevice || d.DeviceConfiguration.DeviceOnlyRememberedOnUserPrompt {
		t.Fatalf("DescribeUserPool DeviceConfiguration: %+v", d.DeviceConfiguration)
	}
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OPTIONAL",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})).must(t)
	user, pw := name("dev-user"), "Passw0rd-dev1!"
	f.createUser(t, user, pw)

	// First sign-in: a new device, confirmed at once (no prompt in this pool); then TOTP.
	first := f.tokens(t, user, pw)
	dev := newE2EDevice(t, first.NewDeviceMetadata)
	conf := call(public.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: first.AccessToken, DeviceKey: aws.String(dev.key),
		DeviceSecretVerifierConfig: dev.config(), DeviceName: aws.String("e2e laptop")})).must(t)
	if conf.UserConfirmationNecessary {
		t.Fatalf("ConfirmDevice: UserConfirmationNecessary in a pool that remembers without a prompt")
	}
	secret := aws.ToString(call(public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: first.AccessToken})).must(t).SecretCode)
	call(public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: first.AccessToken, UserCode: aws.String(totpCode(t, secret, ep.Now()))})).must(t)
	call(public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: first.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})).must(t)

	// Without the device: TOTP, and another new device.
	ep.Advance(t, 30*time.Second)
	session, _ := f.passwordChallenge(t, user, pw, "SOFTWARE_TOKEN_MFA")
	other := f.mfaTokens(t, "SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, ep.Now())})
	dev2 := newE2EDevice(t, other.NewDeviceMetadata)
	call(public.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: other.AccessToken, DeviceKey: aws.String(dev2.key), DeviceSecretVerifierConfig: dev2.config()})).must(t)

	// With the remembered device: DEVICE_SRP_AUTH instead of TOTP.
	in := call(public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw, "DEVICE_KEY": dev.key}})).must(t)
	session = mfaChallenge(t, "InitiateAuth with DEVICE_KEY", in.ChallengeName, in.Session, in.ChallengeParameters, in.AuthenticationResult, "DEVICE_SRP_AUTH")
	_, err := deviceSRP(t, ep, f.publicRespond, user, session, dev, "not the device password")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	res := call(deviceSRP(t, ep, f.publicRespond, user, session, dev, dev.password)).must(t)
	if res == nil || res.NewDeviceMetadata != nil || aws.ToString(res.RefreshToken) == "" {
		t.Fatalf("device sign-in: %+v", res)
	}
	ain := call(admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{AuthFlow: "ADMIN_USER_PASSWORD_AUTH", ClientId: aws.String(f.client), UserPoolId: aws.String(f.pool),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw, "DEVICE_KEY": dev.key}})).must(t)
	session = mfaChallenge(t, "AdminInitiateAuth with DEVICE_KEY", ain.ChallengeName, ain.Session, ain.ChallengeParameters, ain.AuthenticationResult, "DEVICE_SRP_AUTH")
	call(deviceSRP(t, ep, f.adminRespond, user, session, dev, dev.password)).must(t)

	// The device's refresh token needs the device's key.
	refresh := func(device string) (*cip.InitiateAuthOutput, error) {
		params := map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}
		if device != "" {
			params["DEVICE_KEY"] = device
		}
		return public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client), AuthParameters: params})
	}
	_, err = refresh("")
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
	_, err = refresh(dev2.key)
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
	call(refresh(dev.key)).must(t)

	// Get, list (a page at a time), status.
	access := res.AccessToken
	g := call(public.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: access, DeviceKey: aws.String(dev.key)})).must(t).Device
	if attrMap(g.DeviceAttributes)["device_name"] != "e2e laptop" || attrMap(g.DeviceAttributes)["dev:device_remembered_status"] != "remembered" ||
		g.DeviceLastAuthenticatedDate == nil || g.DeviceCreateDate == nil {
		t.Fatalf("GetDevice: %+v", g)
	}
	seen := map[string]bool{}
	lin := &cip.ListDevicesInput{AccessToken: access, Limit: aws.Int32(1)}
	for page := 0; ; page++ {
		if page > 3 {
			t.Fatal("ListDevices: PaginationToken never ends")
		}
		out := call(public.ListDevices(ctx, lin)).must(t)
		for _, d := range out.Devices {
			seen[aws.ToString(d.DeviceKey)] = true
		}
		if aws.ToString(out.PaginationToken) == "" {
			break
		}
		lin.PaginationToken = out.PaginationToken
	}
	if len(seen) != 2 || !seen[dev.key] || !seen[dev2.key] {
		t.Fatalf("ListDevices: %v", seen)
	}
	if all := call(admin.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: aws.String(f.pool), Username: aws.String(user)})).must(t); len(all.Devices) != 2 {
		t.Fatalf("AdminListDevices: %d devices", len(all.Devices))
	}
	call(admin.AdminUpdateDeviceStatus(ctx, &cip.AdminUpdateDeviceStatusInput{UserPoolId: aws.String(f.pool), Username: aws.String(user),
		DeviceKey: aws.String(dev.key), DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered})).must(t)
	ag := call(admin.AdminGetDevice(ctx, &cip.AdminGetDeviceInput{UserPoolId: aws.String(f.pool), Username: aws.String(user), DeviceKey: aws.String(dev.key)})).must(t).Device
	if attrMap(ag.DeviceAttributes)["dev:device_remembered_status"] != "not_remembered" {
		t.Fatalf("AdminGetDevice after not_remembered: %+v", ag)
	}
	ep.Advance(t, 30*time.Second)
	in = call(public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw, "DEVICE_KEY": dev.key}})).must(t)
	mfaChallenge(t, "a device not remembered", in.ChallengeName, in.Session, in.ChallengeParameters, in.AuthenticationResult, "SOFTWARE_TOKEN_MFA")
	call(public.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: access, DeviceKey: aws.String(dev.key),
		DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered})).must(t)

	// Forgotten: gone, and its refresh token with it.
	call(public.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: access, DeviceKey: aws.String(dev.key)})).must(t)
	_, err = public.GetDevice(ctx, &cip.GetDeviceInput{AccessToken: access, DeviceKey: aws.String(dev.key)})
	wantErr(t, err, "ResourceNotFoundException", "Device does not exist.")
	_, err = refresh(dev.key)
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
	_, err = public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw, "DEVICE_KEY": dev.key}})
	wantErr(t, err, "ResourceNotFoundException", "Device does not exist.")
	call(admin.AdminForgetDevice(ctx, &cip.AdminForgetDeviceInput{UserPoolId: aws.String(f.pool), Username: aws.String(user), DeviceKey: aws.String(dev2.key)})).must(t)
	if left := call(public.ListDevices(ctx, &cip.ListDevicesInput{AccessToken: access})).must(t); len(left.Devices) != 0 {
		t.Fatalf("ListDevices after forgetting both: %d", len(left.Devices))
	}
}
