package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

// riskClient allows password sign-ins and lets clients send their address in
// UserContextData (EnablePropagateAdditionalUserContextData), which is how these tests set
// the address of each sign-in.
var riskClient = map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
	"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"}, "EnablePropagateAdditionalUserContextData": true}

// riskPool turns threat protection on (mode) with email MFA available.
func riskPool(mode string) map[string]any {
	return map[string]any{"MfaConfiguration": "OPTIONAL",
		"EmailMfaConfiguration": map[string]any{"Message": "Code {####}", "Subject": "Code"},
		"UserPoolAddOns":        map[string]any{"AdvancedSecurityMode": mode}}
}

// encodedData is UserContextData.EncodedData as Cognito's advanced-security script shapes
// it, naming device.
func encodedData(device string) string {
	payload, _ := json.Marshal(map[string]any{"contextData": map[string]any{"DeviceId": device, "DeviceName": "Phone " + device,
		"ClientTimezone": "+01:00"}, "username": "x", "userPoolId": "p", "timestamp": "1"})
	outer, _ := json.Marshal(map[string]any{"payload": string(payload), "signature": "c2ln", "version": "JS20171115"})
	return base64.StdEncoding.EncodeToString(outer)
}

// riskLogin signs name in with USER_PASSWORD_AUTH from ip on device.
func (a *authSetup) riskLogin(name, password, ip, device string) (int, map[string]any) {
	a.t.Helper()
	return a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters":  map[string]any{"USERNAME": name, "PASSWORD": password},
		"UserContextData": map[string]any{"IpAddress": ip, "EncodedData": encodedData(device)}})
}

// events lists name's auth events, newest first.
func (a *authSetup) events(name string) []map[string]any {
	a.t.Helper()
	out := a.call("AdminListUserAuthEvents", map[string]any{"UserPoolId": a.pool, "Username": name, "MaxResults": 60})
	raw, _ := json.Marshal(out["AuthEvents"])
	var evs []map[string]any
	if err := json.Unmarshal(raw, &evs); err != nil {
		a.t.Fatal(err)
	}
	return evs
}

// risk is an event's RiskDecision and RiskLevel.
func risk(ev map[string]any) (decision, level string) {
	r, _ := ev["EventRisk"].(map[string]any)
	decision, _ = r["RiskDecision"].(string)
	level, _ = r["RiskLevel"].(string)
	return decision, level
}

// setRisk configures the pool's account-takeover actions: Low allows, Medium asks for MFA,
// High blocks; Medium and High notify.
func (a *authSetup) setRisk(extra map[string]any) {
	a.t.Helper()
	in := map[string]any{"UserPoolId": a.pool, "AccountTakeoverRiskConfiguration": map[string]any{
		"NotifyConfiguration": map[string]any{"SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
			"BlockEmail": map[string]any{"Subject": "Blocked"}},
		"Actions": map[string]any{
			"LowAction":    map[string]any{"Notify": false, "EventAction": "NO_ACTION"},
			"MediumAction": map[string]any{"Notify": true, "EventAction": "MFA_REQUIRED"},
			"HighAction":   map[string]any{"Notify": true, "EventAction": "BLOCK"},
		}}}
	for k, v := range extra {
		in[k] = v
	}
	a.call("SetRiskConfiguration", in)
}

func TestRiskScoreTable(t *testing.T) {
	now := time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)
	known := &authHistory{Devices: []string{"d1"}, IPs: []string{"10.0.0.1"}, Countries: []string{"DE"}}
	fails := func(n int, ago time.Duration) *authHistory {
		h := *known
		for i := 0; i < n; i++ {
			h.Events = append(h.Events, riskEvent{Type: eventSignIn, Response: responseFail, Created: now.Add(-ago)})
		}
		return &h
	}
	for _, c := range []struct {
		name  string
		h     *authHistory
		sig   signInSignals
		score int
		level string
	}{
		{"first sign-in", &authHistory{}, signInSignals{Device: "d9", IP: "10.9.9.9", Country: "FR"}, 0, ""},
		{"all known", known, signInSignals{Device: "d1", IP: "10.0.0.1", Country: "DE"}, 0, ""},
		{"unknown signals", known, signInSignals{}, 0, ""},
		{"new address", known, signInSignals{Device: "d1", IP: "10.0.0.2", Country: "DE"}, 1, riskLow},
		{"new device", known, signInSignals{Device: "d2", IP: "10.0.0.1"}, 2, riskMedium},
		{"new device and address", known, signInSignals{Device: "d2", IP: "10.0.0.2"}, 3, riskMedium},
		{"new device and country", known, signInSignals{Device: "d2", IP: "10.0.0.1", Country: "FR"}, 4, riskHigh},
		{"everything new", known, signInSignals{Device: "d2", IP: "10.0.0.2", Country: "FR"}, 5, riskHigh},
		{"3 recent failures", fails(3, time.Minute), signInSignals{Device: "d1", IP: "10.0.0.1"}, 1, riskLow},
		{"10 recent failures", fails(10, time.Minute), signInSignals{Device: "d1", IP: "10.0.0.1"}, 2, riskMedium},
		{"old failures", fails(10, failureWindow), signInSignals{Device: "d1", IP: "10.0.0.1"}, 0, ""},
	} {
		got := scoreSignIn(c.h, &c.sig, now)
		if got.Score != c.score || got.Level != c.level {
			t.Errorf("%s: score %d %q (%v), want %d %q", c.name, got.Score, got.Level, got.Signals, c.score, c.level)
		}
	}
}

func TestRiskConfiguration(t *testing.T) {
	a := newAuthSetup(t, riskPool("ENFORCED"), riskClient)
	out := a.call("DescribeRiskConfiguration", map[string]any{"UserPoolId": a.pool})
	if rc, _ := out["RiskConfiguration"].(map[string]any); rc["UserPoolId"] != a.pool || rc["AccountTakeoverRiskConfiguration"] != nil {
		t.Fatalf("unconfigured: %v", out)
	}
	a.setRisk(map[string]any{"RiskExceptionConfiguration": map[string]any{"BlockedIPRangeList": []string{"203.0.113.0/24"}},
		"CompromisedCredentialsRiskConfiguration": map[string]any{"EventFilter": []string{"SIGN_IN", "SIGN_IN"}, "Actions": map[string]any{"EventAction": "BLOCK"}}})
	out = a.call("DescribeRiskConfiguration", map[string]any{"UserPoolId": a.pool, "ClientId": a.client})
	rc, _ := out["RiskConfiguration"].(map[string]any)
	at, _ := rc["AccountTakeoverRiskConfiguration"].(map[string]any)
	cc, _ := rc["CompromisedCredentialsRiskConfiguration"].(map[string]any)
	if at == nil || rc["ClientId"] != nil || rc["LastModifiedDate"] == nil || fmt.Sprint(cc["EventFilter"]) != "[SIGN_IN]" {
		t.Fatalf("client falls back on the pool's: %v", out)
	}
	// A client's own configuration replaces the pool's for that client.
	a.call("SetRiskConfiguration", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"RiskExceptionConfiguration": map[string]any{"SkippedIPRangeList": []string{"10.0.0.0/8", "2001:db8::/32"}}})
	out = a.call("DescribeRiskConfiguration", map[string]any{"UserPoolId": a.pool, "ClientId": a.client})
	if rc, _ := out["RiskConfiguration"].(map[string]any); rc["ClientId"] != a.client || rc["AccountTakeoverRiskConfiguration"] != nil {
		t.Fatalf("client's own: %v", out)
	}
	// Clearing the client's makes the pool's apply again.
	a.call("SetRiskConfiguration", map[string]any{"UserPoolId": a.pool, "ClientId": a.client})
	out = a.call("DescribeRiskConfiguration", map[string]any{"UserPoolId": a.pool, "ClientId": a.client})
	if rc, _ := out["RiskConfiguration"].(map[string]any); rc["AccountTakeoverRiskConfiguration"] == nil {
		t.Fatalf("after clearing the client's: %v", out)
	}

	bad := []struct {
		in      map[string]any
		typ     string
		message string
	}{
		{map[string]any{"AccountTakeoverRiskConfiguration": map[string]any{"Actions": map[string]any{"LowAction": map[string]any{"Notify": false, "EventAction": "ALLOW"}}}},
			"InvalidParameterException", "1 validation error detected: Value 'ALLOW' at 'accountTakeoverRiskConfiguration.actions.lowAction.eventAction' failed to satisfy constraint: Member must satisfy enum value set: [BLOCK, MFA_IF_CONFIGURED, MFA_REQUIRED, NO_ACTION]"},
		{map[string]any{"AccountTakeoverRiskConfiguration": map[string]any{}},
			"InvalidParameterException", "1 validation error detected: Value null at 'accountTakeoverRiskConfiguration.actions' failed to satisfy constraint: Member must not be null"},
		{map[string]any{"AccountTakeoverRiskConfiguration": map[string]any{"Actions": map[string]any{"HighAction": map[string]any{"Notify": true, "EventAction": "BLOCK"}}}},
			"InvalidParameterException", "NotifyConfiguration must be provided when Notify is true for any action."},
		{map[string]any{"CompromisedCredentialsRiskConfiguration": map[string]any{"EventFilter": []string{"LOGIN"}, "Actions": map[string]any{"EventAction": "BLOCK"}}},
			"InvalidParameterException", ""},
		{map[string]any{"CompromisedCredentialsRiskConfiguration": map[string]any{"Actions": map[string]any{"EventAction": "MFA_REQUIRED"}}},
			"InvalidParameterException", ""},
		{map[string]any{"RiskExceptionConfiguration": map[string]any{"BlockedIPRangeList": []string{"10.0.0.1"}}},
			"InvalidParameterException", "Value '10.0.0.1' is not a valid IP address range in CIDR notation."},
		{map[string]any{"RiskExceptionConfiguration": map[string]any{"SkippedIPRangeList": []string{"300.0.0.0/8"}}},
			"InvalidParameterException", ""},
		{map[string]any{"ClientId": "nosuchclient"}, "ResourceNotFoundException", ""},
	}
	for _, b := range bad {
		b.in["UserPoolId"] = a.pool
		a.wantErr("SetRiskConfiguration", b.in, b.typ, b.message)
	}
	a.wantErr("CreateUserPool", map[string]any{"PoolName": "x", "UserPoolAddOns": map[string]any{"AdvancedSecurityMode": "ON"}},
		"InvalidParameterException", "1 validation error detected: Value 'ON' at 'userPoolAddOns.advancedSecurityMode' failed to satisfy constraint: Member must satisfy enum value set: [OFF, AUDIT, ENFORCED]")
	desc := a.call("DescribeUserPool", map[string]any{"UserPoolId": a.pool})
	if fmt.Sprint(desc["UserPool"].(map[string]any)["UserPoolAddOns"]) != "map[AdvancedSecurityMode:ENFORCED]" {
		t.Fatalf("DescribeUserPool: %v", desc)
	}
}

func TestAdaptiveSignInEnforced(t *testing.T) {
	a := newAuthSetup(t, riskPool("ENFORCED"), riskClient)
	a.setRisk(nil)
	a.mfaUser("ann", map[string]string{"email": "ann@example.com"})

	// The first sign-in has nothing to differ from; the second, from the same place, neither.
	a.tokens(a.riskLogin("ann", testPassword, "198.51.100.7", "laptop"))
	a.tokens(a.riskLogin("ann", testPassword, "198.51.100.7", "laptop"))
	// A new address alone is Low: allowed (NO_ACTION), recorded.
	a.tokens(a.riskLogin("ann", testPassword, "198.51.100.8", "laptop"))
	// A new device and a new address is Medium: MFA_REQUIRED sends an email code.
	status, out := a.riskLogin("ann", testPassword, "192.0.2.44", "stolen-phone")
	if status != http.StatusOK || out["ChallengeName"] != "EMAIL_OTP" {
		t.Fatalf("medium risk: %d %v, want EMAIL_OTP", status, out)
	}
	code := a.lastCode("ann", message.KindAuthentication)
	if m, ok := a.sender.Last("ann", message.KindAccountTakeover); !ok || m.Destination != "ann@example.com" || m.Code == "" {
		t.Fatalf("no notification of the risky sign-in: %+v", m)
	}
	a.tokens(a.mfaAnswer("EMAIL_OTP", out["Session"].(string), "ann", map[string]any{"EMAIL_OTP_CODE": code}))
	// That device and address are known now (the second factor passed): no risk.
	a.tokens(a.riskLogin("ann", testPassword, "192.0.2.44", "stolen-phone"))

	// Wrong passwords from elsewhere, then a right one from a new device and address: High.
	for i := 0; i < 3; i++ {
		a.want("NotAuthorizedException", "Incorrect username or password.")(a.riskLogin("ann", "wrong-"+testPassword, "203.0.113.9", "attacker"))
	}
	a.want("NotAuthorizedException", "Unable to login because of security reasons.")(a.riskLogin("ann", testPassword, "203.0.113.9", "attacker"))

	evs := a.events("ann")
	want := []struct{ response, decision, level string }{
		{"Fail", "AccountTakeover", "High"},
		{"Fail", "NoRisk", ""}, {"Fail", "NoRisk", ""}, {"Fail", "NoRisk", ""},
		{"Pass", "NoRisk", ""},
		{"Pass", "AccountTakeover", "Medium"},
		{"Pass", "AccountTakeover", "Low"},
		{"Pass", "NoRisk", ""}, {"Pass", "NoRisk", ""},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %v", len(evs), len(want), evs)
	}
	for i, w := range want {
		d, l := risk(evs[i])
		if evs[i]["EventResponse"] != w.response || d != w.decision || l != w.level || evs[i]["EventType"] != "SignIn" {
			t.Errorf("event %d: %v %s %s, want %+v", i, evs[i]["EventResponse"], d, l, w)
		}
	}
	mfa := evs[5]
	if fmt.Sprint(mfa["ChallengeResponses"]) != "[map[ChallengeName:Password ChallengeResponse:Success] map[ChallengeName:Mfa ChallengeResponse:Success]]" {
		t.Errorf("MFA event's steps: %v", mfa["ChallengeResponses"])
	}
	ctxData, _ := mfa["EventContextData"].(map[string]any)
	if ctxData["IpAddress"] != "192.0.2.44" || ctxData["DeviceName"] != "Phone stolen-phone" || ctxData["Timezone"] != "+01:00" {
		t.Errorf("event context: %v", ctxData)
	}

	// MFA_REQUIRED with no way to give a second factor blocks.
	a.mfaUser("bo", nil)
	a.tokens(a.riskLogin("bo", testPassword, "198.51.100.7", "laptop"))
	a.want("NotAuthorizedException", "Unable to login because of security reasons.")(a.riskLogin("bo", testPassword, "192.0.2.45", "other"))
}

func TestAdaptiveSignInAuditAndRanges(t *testing.T) {
	a := newAuthSetup(t, riskPool("AUDIT"), riskClient)
	a.setRisk(map[string]any{"RiskExceptionConfiguration": map[string]any{
		"BlockedIPRangeList": []string{"203.0.113.0/24"}, "SkippedIPRangeList": []string{"10.0.0.0/8"}}})
	a.mfaUser("cy", map[string]string{"email": "cy@example.com"})
	a.tokens(a.riskLogin("cy", testPassword, "198.51.100.7", "laptop"))
	// AUDIT: a blocked range and a High risk are recorded, not acted on.
	a.tokens(a.riskLogin("cy", testPassword, "203.0.113.5", "laptop"))
	if d, _ := risk(a.events("cy")[0]); d != "Block" {
		t.Fatalf("blocked range under AUDIT recorded as %s", d)
	}
	if _, ok := a.sender.Last("cy", message.KindAccountTakeover); ok {
		t.Fatal("AUDIT notified the user")
	}

	a.call("UpdateUserPool", map[string]any{"UserPoolId": a.pool, "MfaConfiguration": "OPTIONAL",
		"EmailMfaConfiguration": map[string]any{"Message": "Code {####}", "Subject": "Code"},
		"UserPoolAddOns":        map[string]any{"AdvancedSecurityMode": "ENFORCED"}})
	a.want("NotAuthorizedException", "Unable to login because of security reasons.")(a.riskLogin("cy", testPassword, "203.0.113.6", "laptop"))
	// A skipped range is never scored: a new device there passes with NoRisk.
	a.tokens(a.riskLogin("cy", testPassword, "10.1.2.3", "new-tablet"))
	if d, l := risk(a.events("cy")[0]); d != "NoRisk" || l != "" {
		t.Fatalf("skipped range: %s %s", d, l)
	}
	// Turning threat protection off stops the events and their actions.
	a.call("UpdateUserPool", map[string]any{"UserPoolId": a.pool})
	a.wantErr("AdminListUserAuthEvents", map[string]any{"UserPoolId": a.pool, "Username": "cy"},
		"UserPoolAddOnNotEnabledException", "Advanced security features are not enabled for this user pool.")
	a.tokens(a.riskLogin("cy", testPassword, "203.0.113.6", "laptop"))
}

func TestCompromisedCredentials(t *testing.T) {
	pool := riskPool("ENFORCED")
	pool["Policies"] = map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": 8}}
	a := newAuthSetup(t, pool, riskClient)
	a.call("SetRiskConfiguration", map[string]any{"UserPoolId": a.pool, "CompromisedCredentialsRiskConfiguration": map[string]any{
		"EventFilter": []string{"SIGN_IN", "SIGN_UP", "PASSWORD_CHANGE"}, "Actions": map[string]any{"EventAction": "BLOCK"}}})
	const breachedPw = "Password1" // "password1" is on the list
	a.wantErr("SignUp", map[string]any{"ClientId": a.client, "Username": "dee", "Password": breachedPw},
		"InvalidPasswordException", "Password is compromised; choose a different password.")

	a.mfaUser("dee", nil)
	a.call("AdminSetUserPassword", map[string]any{"UserPoolId": a.pool, "Username": "dee", "Password": breachedPw, "Permanent": true})
	a.want("NotAuthorizedException", "Unable to login because of security reasons.")(a.riskLogin("dee", breachedPw, "198.51.100.7", "laptop"))
	ev := a.events("dee")[0]
	if d, _ := risk(ev); d != "Block" || ev["EventRisk"].(map[string]any)["CompromisedCredentialsDetected"] != true || ev["EventResponse"] != "Fail" {
		t.Fatalf("compromised sign-in event: %v", ev)
	}
	// SRP never shows the password: it is not checked there.
	access, _, _ := a.tokens(a.srpLogin("dee", breachedPw))
	a.wantErr("ChangePassword", map[string]any{"AccessToken": access, "PreviousPassword": breachedPw, "ProposedPassword": "qwerty123"},
		"InvalidPasswordException", "Password is compromised; choose a different password.")
	a.call("ChangePassword", map[string]any{"AccessToken": access, "PreviousPassword": breachedPw, "ProposedPassword": "Xq7vLm2pRt9wZ"})
	if ev := a.events("dee")[0]; ev["EventType"] != "PasswordChange" || ev["EventResponse"] != "Pass" || ev["EventRisk"].(map[string]any)["CompromisedCredentialsDetected"] != false {
		t.Fatalf("password change event: %v", ev)
	}
	a.tokens(a.riskLogin("dee", "Xq7vLm2pRt9wZ", "198.51.100.7", "laptop"))

	// NO_ACTION records the detection and lets the sign-in through.
	a.call("SetRiskConfiguration", map[string]any{"UserPoolId": a.pool, "CompromisedCredentialsRiskConfiguration": map[string]any{
		"Actions": map[string]any{"EventAction": "NO_ACTION"}}})
	a.call("AdminSetUserPassword", map[string]any{"UserPoolId": a.pool, "Username": "dee", "Password": breachedPw, "Permanent": true})
	a.tokens(a.riskLogin("dee", breachedPw, "198.51.100.7", "laptop"))
	if ev := a.events("dee")[0]; ev["EventRisk"].(map[string]any)["CompromisedCredentialsDetected"] != true {
		t.Fatalf("NO_ACTION event: %v", ev)
	}
	// Sign-up and a reset are events too; NO_ACTION lets a breached password through, noted.
	out := a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "kim", "Password": breachedPw,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "kim@example.com"}}})
	if ev := a.events(out["UserSub"].(string))[0]; ev["EventType"] != "SignUp" || ev["EventRisk"].(map[string]any)["CompromisedCredentialsDetected"] != true {
		t.Fatalf("sign-up event: %v", ev)
	}
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "kim", "ConfirmationCode": a.lastCode("kim", message.KindSignUp)})
	a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "kim"})
	a.call("ConfirmForgotPassword", map[string]any{"ClientId": a.client, "Username": "kim", "Password": "Xq7vLm2pRt9wZ",
		"ConfirmationCode": a.lastCode("kim", message.KindForgotPassword)})
	if ev := a.events("kim")[0]; ev["EventType"] != "ForgotPassword" || ev["EventResponse"] != "Pass" {
		t.Fatalf("reset event: %v", ev)
	}
}

func TestAuthEventFeedback(t *testing.T) {
	a := newAuthSetup(t, riskPool("ENFORCED"), riskClient)
	a.setRisk(nil)
	a.mfaUser("eve", map[string]string{"email": "eve@example.com"})
	a.mfaUser("fay", map[string]string{"email": "fay@example.com"})
	a.tokens(a.riskLogin("eve", testPassword, "198.51.100.7", "laptop"))
	a.tokens(a.riskLogin("fay", testPassword, "198.51.100.7", "laptop"))
	status, out := a.riskLogin("eve", testPassword, "192.0.2.1", "phone")
	if status != http.StatusOK || out["ChallengeName"] != "EMAIL_OTP" {
		t.Fatalf("medium risk: %d %v", status, out)
	}
	note, _ := a.sender.Last("eve", message.KindAccountTakeover)
	risky := a.events("eve")[0]
	id := risky["EventId"].(string)
	if note.EventID != id {
		t.Fatalf("notice names event %q, want %q", note.EventID, id)
	}
	if risky["EventResponse"] != "InProgress" || !looksLikeUUID(id) {
		t.Fatalf("risky event: %v", risky)
	}

	fb := func(user, event, token, value string) (int, map[string]any) {
		return a.dispatch("UpdateAuthEventFeedback", map[string]any{"UserPoolId": a.pool, "Username": user,
			"EventId": event, "FeedbackToken": token, "FeedbackValue": value})
	}
	// Forgeries: another user's name, another event, a tampered token, a pagination token.
	otherID := a.events("fay")[0]["EventId"].(string)
	tampered := []byte(note.Code)
	tampered[len(tampered)/2] ^= 1
	for _, f := range []struct{ user, event, token string }{
		{"fay", id, note.Code}, {"eve", otherID, note.Code}, {"eve", id, string(tampered)},
		{"eve", id, strings.Repeat("A", 40)}, {"nobody", id, note.Code},
	} {
		a.want("NotAuthorizedException", "Invalid feedback token.")(fb(f.user, f.event, f.token, "Valid"))
	}
	a.want("InvalidParameterException", "")(fb("eve", id, note.Code, "Maybe"))
	// The user says it was them: the device and address become known.
	if status, out := fb("eve", id, note.Code, "Valid"); status != http.StatusOK {
		t.Fatalf("UpdateAuthEventFeedback: %d %v", status, out)
	}
	ev := a.events("eve")[0]
	if f, _ := ev["EventFeedback"].(map[string]any); f["FeedbackValue"] != "Valid" || f["Provider"] != "Cognito" || f["FeedbackDate"] == nil {
		t.Fatalf("feedback: %v", ev)
	}
	a.tokens(a.riskLogin("eve", testPassword, "192.0.2.1", "phone"))
	// The admin says the first sign-in was not them: its device and address are forgotten.
	first := a.events("eve")
	firstID := first[len(first)-1]["EventId"].(string)
	a.call("AdminUpdateAuthEventFeedback", map[string]any{"UserPoolId": a.pool, "Username": "eve", "EventId": firstID, "FeedbackValue": "Invalid"})
	a.wantErr("AdminUpdateAuthEventFeedback", map[string]any{"UserPoolId": a.pool, "Username": "eve", "EventId": otherID, "FeedbackValue": "Valid"},
		"ResourceNotFoundException", "Auth event not found.")
	status, out = a.riskLogin("eve", testPassword, "198.51.100.7", "laptop")
	if status != http.StatusOK || out["ChallengeName"] != "EMAIL_OTP" {
		t.Fatalf("after Invalid feedback, the old device is new again: %d %v", status, out)
	}
	// A token expires.
	a.clock.Advance(feedbackTokenTTL + time.Second)
	a.want("NotAuthorizedException", "Invalid feedback token.")(fb("eve", id, note.Code, "Valid"))
}

func TestAuthEventsPagedAndBounded(t *testing.T) {
	a := newAuthSetup(t, riskPool("AUDIT"), riskClient)
	a.mfaUser("gus", nil)
	for i := 0; i < maxAuthEvents+5; i++ {
		a.tokens(a.riskLogin("gus", testPassword, "198.51.100.7", "laptop"))
		if i%3 == 0 {
			a.clock.Advance(time.Second) // some events share a CreationDate
		}
	}
	var all []string
	token := ""
	for pages := 0; ; pages++ {
		in := map[string]any{"UserPoolId": a.pool, "Username": "gus", "MaxResults": 7}
		if token != "" {
			in["NextToken"] = token
		}
		out := a.call("AdminListUserAuthEvents", in)
		for _, ev := range out["AuthEvents"].([]any) {
			all = append(all, ev.(map[string]any)["EventId"].(string))
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			break
		}
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != maxAuthEvents {
		t.Fatalf("%d events listed, want the newest %d", len(all), maxAuthEvents)
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("event %s listed twice", id)
		}
		seen[id] = true
	}
	a.wantErr("AdminListUserAuthEvents", map[string]any{"UserPoolId": a.pool, "Username": "gus", "NextToken": "bogus-token"},
		"InvalidParameterException", "Invalid pagination token.")
}

// TestAuthEventsRace signs one user in from many goroutines at once: every sign-in's event
// is kept (the record is changed by transactions).
func TestAuthEventsRace(t *testing.T) {
	a := newAuthSetup(t, riskPool("AUDIT"), riskClient)
	a.mfaUser("hal", nil)
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			status, out := a.riskLogin("hal", testPassword, fmt.Sprintf("198.51.100.%d", i), fmt.Sprintf("dev%d", i))
			if status != http.StatusOK || out["AuthenticationResult"] == nil {
				errs <- fmt.Sprintf("sign-in %d: %d %v", i, status, out)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if evs := a.events("hal"); len(evs) != n {
		t.Fatalf("%d events recorded, want %d", len(evs), n)
	}
}

// TestSignalsFromRequest checks whom each signal is taken from.
func TestSignalsFromRequest(t *testing.T) {
	s := &Service{d: Deps{}}
	if ip := s.requestIP("192.0.2.1:443", func(string) string { return "203.0.113.1" }); ip != "192.0.2.1" {
		t.Errorf("no trusted header: %s, want the peer", ip)
	}
	s.d.ClientAddressHeader = "X-Forwarded-For"
	if ip := s.requestIP("192.0.2.1:443", func(string) string { return "203.0.113.1, 198.51.100.2" }); ip != "198.51.100.2" {
		t.Errorf("trusted list header: %s, want its last entry", ip)
	}
	if ip := s.requestIP("[::ffff:192.0.2.1]:443", func(string) string { return "junk" }); ip != "192.0.2.1" {
		t.Errorf("bad header value: %s, want the peer, unmapped", ip)
	}
	for in, want := range map[string]string{"de": "DE", "XX": "", "T1": "", "DEU": "", "": "", "1a": ""} {
		if got := countryCode(in); got != want {
			t.Errorf("countryCode(%q) = %q, want %q", in, got, want)
		}
	}
	// UserContextData.IpAddress counts only for clients that propagate it; Admin ContextData always.
	ctx := context.Background()
	ucd := map[string]any{"IpAddress": "198.51.100.9", "EncodedData": encodedData("d")}
	if sig := signalsOf(s.withSignInSignals(ctx, &Client{}, ucd, nil, nil)); sig.IP != "" || sig.Device == "" {
		t.Errorf("non-propagating client: %+v", sig)
	}
	if sig := signalsOf(s.withSignInSignals(ctx, &Client{EnablePropagateAdditionalUserContextData: true}, ucd, nil, nil)); sig.IP != "198.51.100.9" {
		t.Errorf("propagating client: %+v", sig)
	}
	admin := map[string]any{"IpAddress": "198.51.100.10", "HttpHeaders": []any{map[string]any{"headerName": "user-agent", "headerValue": "UA/1"}}}
	sig := signalsOf(s.withSignInSignals(ctx, &Client{}, nil, admin, map[string]string{}))
	if sig.IP != "198.51.100.10" || sig.DeviceName != "UA/1" || sig.Device != deviceDigest("ua", "UA/1") {
		t.Errorf("admin context: %+v", sig)
	}
	if sig := signalsOf(s.withSignInSignals(ctx, &Client{}, ucd, nil, map[string]string{"DEVICE_KEY": "us-east-1_k"})); sig.Device != deviceDigest("key", "us-east-1_k") {
		t.Errorf("DEVICE_KEY first: %+v", sig)
	}
}

func FuzzParseEncodedData(f *testing.F) {
	f.Add(encodedData("device-1"))
	f.Add("")
	f.Add("e30=")
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"payload":"{\"contextData\":null}"}`)))
	f.Add(base64.RawStdEncoding.EncodeToString([]byte(`{"payload":"{\"contextData\":{\"DeviceFingerprint\":\"x\"}}"}`)))
	f.Fuzz(func(t *testing.T, s string) {
		cd, err := parseEncodedData(s)
		if err == nil && s != "" && cd == nil {
			t.Fatal("no error and no context data")
		}
	})
}

func FuzzParseIPRanges(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "2001:db8::/32", "10.0.0.1", "", "1.2.3.4/33", "::ffff:1.2.3.4/120", "fe80::1%eth0/64"} {
		f.Add(s, "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, r, ip string) {
		ranges, err := parseIPRanges([]string{r})
		if err != nil {
			if inRanges(ip, []string{r}) {
				t.Fatalf("invalid range %q matched %q", r, ip)
			}
			return
		}
		if len(ranges) != 1 {
			t.Fatalf("%d ranges for one", len(ranges))
		}
		inRanges(ip, []string{r})
	})
}

func FuzzFeedbackToken(f *testing.F) {
	a := newAuthSetup(f, riskPool("ENFORCED"), riskClient)
	a.mfaUser("ivy", nil)
	ctx := context.Background()
	p, _ := a.svc.getPool(ctx, a.pool)
	u := a.user(a.pool, "ivy")
	good, err := a.svc.feedbackToken(p, u, "event-1")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "event-1")
	f.Add(good, "event-2")
	f.Add("", "event-1")
	f.Add(strings.Repeat("A", 100), "e")
	f.Fuzz(func(t *testing.T, tok, event string) {
		err := a.svc.openFeedbackToken(tok, p, u, event)
		if err == nil && (tok != good || event != "event-1") {
			t.Fatalf("accepted token %q for event %q", tok, event)
		}
	})
}

func TestRiskConfigFile(t *testing.T) {
	env := newTestEnv(t)
	var spec ConfigSpec
	err := json.Unmarshal([]byte(`{"UserPools": [{"Id": "us-east-1_Risk1", "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
		"Clients": [{"ClientId": "riskclient1"}],
		"RiskConfiguration": {"ClientId": "riskclient1", "AccountTakeoverRiskConfiguration": {"Actions": {"HighAction": {"Notify": false, "EventAction": "BLOCK"}}},
		  "RiskExceptionConfiguration": {"SkippedIPRangeList": ["10.0.0.0/8"]}}}]}`), &spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.svc.Apply(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	out := env.call("DescribeRiskConfiguration", map[string]any{"UserPoolId": "us-east-1_Risk1", "ClientId": "riskclient1"})
	rc, _ := out["RiskConfiguration"].(map[string]any)
	if rc["ClientId"] != "riskclient1" || rc["AccountTakeoverRiskConfiguration"] == nil {
		t.Fatalf("config file risk configuration: %v", out)
	}
	desc := env.call("DescribeUserPool", map[string]any{"UserPoolId": "us-east-1_Risk1"})
	if fmt.Sprint(desc["UserPool"].(map[string]any)["UserPoolAddOns"]) != "map[AdvancedSecurityMode:AUDIT]" {
		t.Fatalf("config file add-ons: %v", desc)
	}
	before := rc["LastModifiedDate"]
	env.clock.Advance(time.Minute)
	if _, err := env.svc.Apply(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	out = env.call("DescribeRiskConfiguration", map[string]any{"UserPoolId": "us-east-1_Risk1", "ClientId": "riskclient1"})
	if after := out["RiskConfiguration"].(map[string]any)["LastModifiedDate"]; fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("applying the same file again rewrote the configuration: %v → %v", before, after)
	}
	spec.UserPools[0].RiskConfiguration.RiskExceptionConfiguration.SkippedIPRangeList = []string{"10.0.0.0/33"}
	if _, err := env.svc.Apply(t.Context(), spec); err == nil || !strings.Contains(err.Error(), "not a valid IP address range") {
		t.Fatalf("a bad range in the file: %v", err)
	}
}

// TestHostedSignInScored: the managed-login pages' sign-in meets the same gate, scored by
// its own request (address, User-Agent).
func TestHostedSignInScored(t *testing.T) {
	a := newAuthSetup(t, riskPool("ENFORCED"), riskClient)
	a.setRisk(map[string]any{"RiskExceptionConfiguration": map[string]any{"BlockedIPRangeList": []string{"203.0.113.0/24"}}})
	a.mfaUser("jo", map[string]string{"email": "jo@example.com"})
	ctx := context.Background()
	p, err := a.svc.getPool(ctx, a.pool)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.svc.getClient(ctx, a.pool, a.client)
	if err != nil {
		t.Fatal(err)
	}
	page := func(addr, ua string) (*HostedSignIn, error) {
		r, _ := http.NewRequest(http.MethodPost, "http://localhost/login", nil)
		r.RemoteAddr, r.Header = addr, http.Header{"User-Agent": {ua}}
		return a.svc.HostedSignIn(WithRequest(ctx, r), p, c, "jo", testPassword)
	}
	if res, err := page("198.51.100.7:5000", "Browser/1"); err != nil || res.User == nil {
		t.Fatalf("first page sign-in: %+v %v", res, err)
	}
	if _, err := page("203.0.113.8:5000", "Browser/1"); err == nil || !strings.Contains(err.Error(), "Unable to login because of security reasons.") {
		t.Fatalf("page sign-in from a blocked range: %v", err)
	}
	res, err := page("192.0.2.9:5000", "Other/2")
	if err != nil || res.Challenge != "EMAIL_OTP" {
		t.Fatalf("page sign-in from a new device and address: %+v %v, want EMAIL_OTP", res, err)
	}
	code := a.lastCode("jo", message.KindAuthentication)
	if res, err = a.svc.HostedAnswerMFA(ctx, p, c, "EMAIL_OTP", res.Session, map[string]string{"EMAIL_OTP_CODE": code}); err != nil || res.User == nil {
		t.Fatalf("page MFA answer: %+v %v", res, err)
	}
	evs := a.events("jo")
	if len(evs) != 3 || evs[0]["EventResponse"] != "Pass" || evs[1]["EventResponse"] != "Fail" {
		t.Fatalf("page events: %v", evs)
	}
	if d, l := risk(evs[0]); d != "AccountTakeover" || l != "Medium" || evs[0]["EventContextData"].(map[string]any)["DeviceName"] != "Other/2" {
		t.Fatalf("page event: %v", evs[0])
	}
}
