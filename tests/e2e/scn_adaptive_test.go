package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/poolgate/poolgate/internal/message"
)

// adaptiveActions are threat protection's actions (issue 15, adaptive authentication); the
// suite must drive each one successfully at least once through the AWS SDK.
var adaptiveActions = []string{
	"SetRiskConfiguration", "DescribeRiskConfiguration", "AdminListUserAuthEvents",
	"AdminUpdateAuthEventFeedback", "UpdateAuthEventFeedback",
}

// Where a sign-in comes from reaches the server the way Cloudflare tells it: CF-Connecting-IP
// and CF-IPCountry. The Worker reads them as it does behind Cloudflare; the scenario servers
// of hostsim trust them by configuration (ClientAddressHeader, CountryHeader), as a hostsim
// behind Cloudflare would.
const (
	clientIPHeader = "CF-Connecting-IP"
	countryHeader  = "CF-IPCountry"
)

// from is a sign-in's origin: an address, a country and a device (sent as Cognito's
// advanced-security EncodedData).
type from struct{ ip, country, device string }

// withOrigin adds o's headers to one SDK call.
func withOrigin(o from) func(*cip.Options) {
	return func(opts *cip.Options) {
		opts.APIOptions = append(opts.APIOptions,
			smithyhttp.AddHeaderValue(clientIPHeader, o.ip), smithyhttp.AddHeaderValue(countryHeader, o.country))
	}
}

// deviceData is UserContextData.EncodedData naming device, shaped as the
// amazon-cognito-advanced-security-data script writes it.
func deviceData(device string) string {
	payload, _ := json.Marshal(map[string]any{"contextData": map[string]any{"DeviceId": device, "DeviceName": device,
		"ClientTimezone": "+01:00"}, "timestamp": "0"})
	outer, _ := json.Marshal(map[string]any{"payload": string(payload), "signature": "", "version": "JS20171115"})
	return base64.StdEncoding.EncodeToString(outer)
}

// signInFrom signs username in with USER_PASSWORD_AUTH from o.
func (f *fixture) signInFrom(username, password string, o from) (*cip.InitiateAuthOutput, error) {
	return f.ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters:  f.withSecretHash(map[string]string{"USERNAME": username, "PASSWORD": password}, username),
		UserContextData: &types.UserContextDataType{EncodedData: aws.String(deviceData(o.device))},
	}, withOrigin(o))
}

// authEvents lists username's auth events, newest first.
func (f *fixture) authEvents(t testing.TB, username string) []types.AuthEventType {
	t.Helper()
	return call(f.ep.Admin().AdminListUserAuthEvents(ctx, &cip.AdminListUserAuthEventsInput{
		UserPoolId: aws.String(f.pool), Username: aws.String(username), MaxResults: aws.Int32(60)})).must(t).AuthEvents
}

// riskOf is an event's response, decision and level, for messages and comparisons.
func riskOf(ev types.AuthEventType) string {
	s := fmt.Sprintf("%s %s", ev.EventResponse, ev.EventRisk.RiskDecision)
	if ev.EventRisk.RiskLevel != "" {
		s += " " + string(ev.EventRisk.RiskLevel)
	}
	return s
}

// scnAdaptiveAuth: threat protection through the AWS SDK — the pool's risk configuration, a
// sign-in from a known device and address (no risk), from a new address (Low: allowed), from
// a new device and address (Medium: an email code required), from a new device in a new
// country (High: blocked), each in AdminListUserAuthEvents with its decision and origin; the
// user's notification and its feedback token; an administrator's feedback; compromised
// passwords refused at sign-up and sign-in.
func scnAdaptiveAuth(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.UserPoolAddOns = &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeEnforced}
		in.Policies = &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(8)}}
	}, func(in *cip.CreateUserPoolClientInput) { in.ExplicitAuthFlows = allFlows })
	admin := ep.Admin()
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool),
		MfaConfiguration:      types.UserPoolMfaTypeOptional,
		EmailMfaConfiguration: &types.EmailMfaConfigType{Message: aws.String("Code {####}"), Subject: aws.String("Sign-in code")}})).must(t)
	notify := &types.NotifyConfigurationType{SourceArn: aws.String("arn:aws:ses:us-east-1:000000000000:identity/example.com"),
		BlockEmail: &types.NotifyEmailType{Subject: aws.String("Blocked sign-in")}}
	call(admin.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: aws.String(f.pool),
		AccountTakeoverRiskConfiguration: &types.AccountTakeoverRiskConfigurationType{NotifyConfiguration: notify,
			Actions: &types.AccountTakeoverActionsType{
				LowAction:    &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeNoAction},
				MediumAction: &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeMfaRequired, Notify: true},
				HighAction:   &types.AccountTakeoverActionType{EventAction: types.AccountTakeoverEventActionTypeBlock, Notify: true},
			}},
		CompromisedCredentialsRiskConfiguration: &types.CompromisedCredentialsRiskConfigurationType{
			EventFilter: []types.EventFilterType{types.EventFilterTypeSignIn, types.EventFilterTypeSignUp},
			Actions:     &types.CompromisedCredentialsActionsType{EventAction: types.CompromisedCredentialsEventActionTypeBlock}},
	})).must(t)
	rc := call(admin.DescribeRiskConfiguration(ctx, &cip.DescribeRiskConfigurationInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client)})).must(t).RiskConfiguration
	if rc.AccountTakeoverRiskConfiguration == nil || rc.AccountTakeoverRiskConfiguration.Actions.HighAction.EventAction != types.AccountTakeoverEventActionTypeBlock ||
		rc.CompromisedCredentialsRiskConfiguration == nil {
		t.Fatalf("DescribeRiskConfiguration: %+v", rc)
	}
	_, err := admin.SetRiskConfiguration(ctx, &cip.SetRiskConfigurationInput{UserPoolId: aws.String(f.pool),
		RiskExceptionConfiguration: &types.RiskExceptionConfigurationType{BlockedIPRangeList: []string{"10.0.0.300/8"}}})
	wantErr(t, err, "InvalidParameterException", "Value '10.0.0.300/8' is not a valid IP address range in CIDR notation.")

	const pw = "Adaptive-9-Secret"
	email := "ada.adaptive@example.com"
	f.createUser(t, "ada", pw, attr("email", email), attr("email_verified", "true"))
	home := from{"198.51.100.7", "DE", "ada-laptop"}
	signedIn := func(what string, o from) {
		t.Helper()
		out := call(f.signInFrom("ada", pw, o)).must(t)
		if out.AuthenticationResult == nil {
			t.Fatalf("%s: challenge %q, want tokens", what, out.ChallengeName)
		}
	}
	signedIn("first sign-in", home)
	signedIn("known device and address", home)
	signedIn("new address, same device and country", from{"198.51.100.8", "DE", "ada-laptop"})

	// A new device and a new address: Medium, MFA_REQUIRED — an email code, and a notice.
	away := from{"192.0.2.55", "DE", "ada-new-phone"}
	out := call(f.signInFrom("ada", pw, away)).must(t)
	session := mfaChallenge(t, "medium risk", out.ChallengeName, out.Session, out.ChallengeParameters, out.AuthenticationResult, types.ChallengeNameTypeEmailOtp)
	code := lastMessage(t, ep, email, message.KindAuthentication).Code
	notice := lastMessage(t, ep, email, message.KindAccountTakeover)
	f.mfaTokens(t, types.ChallengeNameTypeEmailOtp, session, "ada", map[string]string{"EMAIL_OTP_CODE": code})
	signedIn("the device and address the second factor vouched for", away)

	// A new device in a new country: High, blocked.
	abroad := from{"203.0.113.9", "FR", "unknown-device"}
	_, err = f.signInFrom("ada", pw, abroad)
	wantErr(t, err, "NotAuthorizedException", "Unable to login because of security reasons.")

	evs := f.authEvents(t, "ada")
	want := []string{"Fail AccountTakeover High", "Pass NoRisk", "Pass AccountTakeover Medium", "Pass AccountTakeover Low", "Pass NoRisk", "Pass NoRisk"}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, w := range want {
		if got := riskOf(evs[i]); got != w || evs[i].EventType != types.EventTypeSignIn {
			t.Errorf("event %d: %s %s, want SignIn %s", i, evs[i].EventType, got, w)
		}
	}
	blocked, medium := evs[0], evs[2]
	if notice.EventID != aws.ToString(medium.EventId) {
		t.Errorf("the notice names event %q, want the Medium one %q", notice.EventID, aws.ToString(medium.EventId))
	}
	if c := blocked.EventContextData; c == nil || aws.ToString(c.IpAddress) != abroad.ip || aws.ToString(c.Country) != "FR" ||
		aws.ToString(c.DeviceName) != abroad.device || aws.ToString(c.Timezone) != "+01:00" {
		t.Errorf("blocked event's context: %+v", blocked.EventContextData)
	}
	if c := medium.EventContextData; c == nil || aws.ToString(c.IpAddress) != away.ip || aws.ToString(c.Country) != "DE" {
		t.Errorf("medium event's context: %+v", medium.EventContextData)
	}
	if len(medium.ChallengeResponses) != 2 || medium.ChallengeResponses[1].ChallengeName != types.ChallengeNameMfa ||
		medium.ChallengeResponses[1].ChallengeResponse != types.ChallengeResponseSuccess {
		t.Errorf("medium event's steps: %+v", medium.ChallengeResponses)
	}

	// The user answers the notice of the Medium sign-in with its token: it was them.
	call(ep.Public().UpdateAuthEventFeedback(ctx, &cip.UpdateAuthEventFeedbackInput{UserPoolId: aws.String(f.pool), Username: aws.String("ada"),
		EventId: medium.EventId, FeedbackToken: aws.String(notice.Code), FeedbackValue: types.FeedbackValueTypeValid})).must(t)
	_, err = ep.Public().UpdateAuthEventFeedback(ctx, &cip.UpdateAuthEventFeedbackInput{UserPoolId: aws.String(f.pool), Username: aws.String("ada"),
		EventId: blocked.EventId, FeedbackToken: aws.String(notice.Code), FeedbackValue: types.FeedbackValueTypeValid})
	wantErr(t, err, "NotAuthorizedException", "Invalid feedback token.")
	// The administrator vouches for the blocked one: its device and country become known.
	call(admin.AdminUpdateAuthEventFeedback(ctx, &cip.AdminUpdateAuthEventFeedbackInput{UserPoolId: aws.String(f.pool), Username: aws.String("ada"),
		EventId: blocked.EventId, FeedbackValue: types.FeedbackValueTypeValid})).must(t)
	signedIn("after the administrator's feedback", abroad)
	evs = f.authEvents(t, "ada")
	if fb := evs[1].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeValid || aws.ToString(fb.Provider) != "Admin" {
		t.Errorf("blocked event's feedback: %+v", evs[1].EventFeedback)
	}
	if fb := evs[3].EventFeedback; fb == nil || fb.FeedbackValue != types.FeedbackValueTypeValid {
		t.Errorf("medium event's feedback: %+v", evs[3].EventFeedback)
	}

	// Compromised credentials: refused at sign-up, blocked at sign-in.
	_, err = ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("bob"), Password: aws.String("Password1")})
	wantErr(t, err, "InvalidPasswordException", "Password is compromised; choose a different password.")
	call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("carol"), Password: aws.String(pw)},
		withOrigin(home))).must(t)
	if evs := f.authEvents(t, "carol"); len(evs) != 1 || evs[0].EventType != types.EventTypeSignUp || evs[0].EventResponse != types.EventResponseTypePass ||
		evs[0].EventContextData == nil || aws.ToString(evs[0].EventContextData.IpAddress) != home.ip {
		t.Errorf("sign-up event: %+v", evs)
	}
	f.createUser(t, "bob", "Password1")
	_, err = f.signInFrom("bob", "Password1", home)
	wantErr(t, err, "NotAuthorizedException", "Unable to login because of security reasons.")
	if evs := f.authEvents(t, "bob"); len(evs) != 1 || !aws.ToBool(evs[0].EventRisk.CompromisedCredentialsDetected) || evs[0].EventRisk.RiskDecision != types.RiskDecisionTypeBlock {
		t.Errorf("compromised sign-in's event: %+v", evs)
	}
}

// scnRaceAuthEvents: 20 sign-ins of one user at once, each from its own device and address;
// every one's event is kept.
func scnRaceAuthEvents(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.UserPoolAddOns = &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit}
	}, func(in *cip.CreateUserPoolClientInput) { in.ExplicitAuthFlows = allFlows })
	const pw = "Race-Events-9"
	var acked, kept int
	for r := 0; r < raceRounds; r++ {
		user := fmt.Sprintf("racer%d", r)
		f.createUser(t, user, pw)
		_, errs := raceOn(t, ep, eventRacers, func(i int) (*cip.InitiateAuthOutput, error) {
			return f.signInFrom(user, pw, from{fmt.Sprintf("198.51.100.%d", i+1), "DE", fmt.Sprintf("device-%d", i)})
		})
		cnt := tallyOf(errs)
		n := len(f.authEvents(t, user))
		acked += cnt["200"]
		kept += n
		if cnt["200"] != eventRacers || n != eventRacers {
			t.Errorf("round %d: %d parallel sign-ins: %s; %d events kept", r, eventRacers, cnt, n)
		}
	}
	t.Logf("RESULT AuthEvents: %d sign-ins acknowledged, %d events kept, of %d", acked, kept, raceRounds*eventRacers)
}
