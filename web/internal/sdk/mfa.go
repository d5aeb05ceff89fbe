package sdk

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The second factor (spec §13), in the vocabulary of Amplify v6's signIn / confirmSignIn: a
// sign-in that needs one ends on a Challenge whose Step names what the user does next, and
// ConfirmSignIn answers it with what the user typed or chose. The SDK calls
// RespondToAuthChallenge (and, for a software token set up during sign-in,
// AssociateSoftwareToken and VerifySoftwareToken with the challenge's Session) itself.

// Sign-in steps (Amplify v6's nextStep.signInStep names).
const (
	StepDone        = "DONE"
	StepNewPassword = "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
	StepTOTPCode    = "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
	StepSMSCode     = "CONFIRM_SIGN_IN_WITH_SMS_CODE"
	StepEmailCode   = "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
	StepSelectMFA   = "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"
	StepTOTPSetup   = "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
)

// The server's challenge names (spec §13).
const (
	challengeTOTP        = "SOFTWARE_TOKEN_MFA"
	challengeSMS         = "SMS_MFA"
	challengeEmail       = "EMAIL_OTP"
	challengeSelect      = "SELECT_MFA_TYPE"
	challengeSetup       = "MFA_SETUP"
	challengeNewPassword = "NEW_PASSWORD_REQUIRED"
)

// MFA types, as Amplify names the factors.
const (
	mfaTypeTOTP  = "TOTP"
	mfaTypeSMS   = "SMS"
	mfaTypeEmail = "EMAIL"
)

// mfaTypes maps the server's factor names to Amplify's MFA types ("TOTP", "SMS", "EMAIL").
var mfaTypes = map[string]string{challengeTOTP: mfaTypeTOTP, challengeSMS: mfaTypeSMS, challengeEmail: mfaTypeEmail}

// challengeOfType is mfaTypes inverted: the factor SELECT_MFA_TYPE's ANSWER names.
func challengeOfType(t string) (string, bool) {
	for ch, typ := range mfaTypes {
		if typ == t {
			return ch, true
		}
	}
	return "", false
}

// stepOf is the step a challenge asks the user for.
var stepOf = map[string]string{
	challengeNewPassword: StepNewPassword,
	challengeTOTP:        StepTOTPCode,
	challengeSMS:         StepSMSCode,
	challengeEmail:       StepEmailCode,
	challengeSelect:      StepSelectMFA,
	challengeSetup:       StepTOTPSetup,
}

// answerKey is the ChallengeResponses key that carries each code challenge's answer.
var answerKey = map[string]string{challengeTOTP: "SOFTWARE_TOKEN_MFA_CODE", challengeSMS: "SMS_MFA_CODE", challengeEmail: "EMAIL_OTP_CODE"}

// mfaChallenge reads an MFA challenge's parameters into ch. MFA_SETUP's secret is not among
// them: outcome asks for it with the Session.
func mfaChallenge(name string, p map[string]string) (*Challenge, error) {
	ch := &Challenge{Name: name, Step: stepOf[name]}
	switch name {
	case challengeSMS, challengeEmail:
		if p["CODE_DELIVERY_DESTINATION"] != "" {
			ch.CodeDelivery = &CodeDelivery{Destination: p["CODE_DELIVERY_DESTINATION"], DeliveryMedium: p["CODE_DELIVERY_DELIVERY_MEDIUM"]}
		}
	case challengeTOTP:
		ch.DeviceName = p["FRIENDLY_DEVICE_NAME"]
	case challengeSelect, challengeSetup:
		param := "MFAS_CAN_CHOOSE"
		if name == challengeSetup {
			param = "MFAS_CAN_SETUP"
		}
		factors, err := stringList(p[param])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", param, err)
		}
		for _, f := range factors {
			if t, ok := mfaTypes[f]; ok {
				ch.AllowedMFATypes = append(ch.AllowedMFATypes, t)
			}
		}
		if len(ch.AllowedMFATypes) == 0 {
			return nil, fmt.Errorf("%s names no factor this SDK knows: %q", param, p[param])
		}
	}
	return ch, nil
}

// TOTPSetup is a new software-token secret: what an authenticator app must be given.
type TOTPSetup struct {
	SharedSecret string // base32, as AssociateSoftwareToken answers it
}

// SetupURI is the otpauth:// URI authenticator apps read from a QR code (Google
// Authenticator's Key Uri Format): label "issuer:account", the secret, and the issuer again
// as a parameter. Amplify's getSetupUri(appName, accountName) builds the same URI.
func (t *TOTPSetup) SetupURI(issuer, account string) string {
	label := uriEscape(account)
	query := "?secret=" + uriEscape(t.SharedSecret)
	if issuer != "" {
		label = uriEscape(issuer) + ":" + label
		query += "&issuer=" + uriEscape(issuer)
	}
	return "otpauth://totp/" + label + query
}

// uriEscape percent-encodes every byte of s but RFC 3986's unreserved characters (so a space
// is %20, as the Key Uri Format asks). It stands in for net/url, which the SDK does not
// otherwise link.
func uriEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ConfirmSignIn answers the challenge SignIn (or an earlier ConfirmSignIn) returned:
//   - CONFIRM_SIGN_IN_WITH_TOTP_CODE, _SMS_CODE, _EMAIL_CODE: answer is the code;
//   - CONTINUE_SIGN_IN_WITH_MFA_SELECTION: answer is "TOTP", "SMS" or "EMAIL" (one of
//     AllowedMFATypes); the result is that factor's challenge;
//   - CONTINUE_SIGN_IN_WITH_TOTP_SETUP: answer is a code from the authenticator app given
//     Challenge.TOTPSetup's secret; deviceName is the FriendlyDeviceName it is saved under;
//   - CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED: answer is the new password, attributes the
//     required attributes (as CompleteNewPassword).
//
// A wrong code leaves the challenge pending: the user may try again (CodeMismatchException,
// or EnableSoftwareTokenMFAException while setting up) until the Session's 3 minutes are up.
func (c *Client) ConfirmSignIn(ctx context.Context, answer string, attributes map[string]string, deviceName string) (*SignInResult, error) {
	c.mu.Lock()
	p := c.pending
	c.mu.Unlock()
	if p == nil {
		return nil, &Error{Code: CodeNoChallenge, Message: "There is no sign-in step to confirm: sign in again."}
	}
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return nil, invalidParameter("The answer to %s is required.", p.name)
	}
	resp := map[string]string{"USERNAME": p.username}
	switch p.name {
	case challengeNewPassword:
		return c.CompleteNewPassword(ctx, answer, attributes)
	case challengeTOTP, challengeSMS, challengeEmail:
		resp[answerKey[p.name]] = answer
	case challengeSelect:
		factor, ok := challengeOfType(strings.ToUpper(answer))
		if !ok || !slices.Contains(p.allowed, mfaTypes[factor]) {
			return nil, invalidParameter("Choose one of %s.", strings.Join(p.allowed, ", "))
		}
		resp["ANSWER"] = factor
	case challengeSetup:
		session, err := c.verifySetup(ctx, p, answer, deviceName)
		if err != nil {
			return nil, err
		}
		// The token is verified and the old Session spent: keep the new one, so a failed
		// answer below can be sent again.
		p = &pendingChallenge{name: p.name, session: session, username: p.username}
		c.mu.Lock()
		c.pending = p
		c.mu.Unlock()
	default:
		return nil, &Error{Code: CodeUnsupported, Message: fmt.Sprintf("The server asked for %s, which this app cannot answer.", p.name)}
	}
	c.nameDevice(resp, p.username)
	out, err := c.respond(ctx, map[string]any{
		"ChallengeName": p.name,
		"ClientId":      c.cfg.ClientID,
		"Session":       p.session,
	}, resp, p.username)
	if err != nil {
		return nil, err
	}
	return c.outcome(ctx, out, p.username)
}

// associateForSetup asks for the software-token secret of an MFA_SETUP challenge with its
// Session; the answer's Session is the one VerifySoftwareToken takes.
func (c *Client) associateForSetup(ctx context.Context, session string) (secret, next string, err error) {
	if err := c.call(ctx, "AssociateSoftwareToken", map[string]any{"Session": session}, func(o object) {
		secret, next = o.str("SecretCode"), o.str("Session")
	}); err != nil {
		return "", "", err
	}
	if secret == "" || next == "" {
		return "", "", badResponse("AssociateSoftwareToken", fmt.Errorf("no SecretCode or Session"))
	}
	return secret, next, nil
}

// verifySetup proves the authenticator app of an MFA_SETUP challenge with one code and
// returns the Session that answers the challenge. A wrong code keeps the pending Session,
// so the user can type the next code.
func (c *Client) verifySetup(ctx context.Context, p *pendingChallenge, code, deviceName string) (string, error) {
	in := map[string]any{"Session": p.session, "UserCode": code}
	if deviceName != "" {
		in["FriendlyDeviceName"] = deviceName
	}
	var status, session string
	if err := c.call(ctx, "VerifySoftwareToken", in, func(o object) { status, session = o.str("Status"), o.str("Session") }); err != nil {
		return "", err
	}
	if status != "SUCCESS" || session == "" {
		return "", badResponse("VerifySoftwareToken", fmt.Errorf("status %q", status))
	}
	return session, nil
}

// SetUpTOTP gives the signed-in user a new software-token secret (AssociateSoftwareToken).
// It takes effect once VerifyTOTPSetup has checked a code from the app; until then the
// user's current token, if any, still signs them in.
func (c *Client) SetUpTOTP(ctx context.Context) (*TOTPSetup, error) {
	sess, err := c.Session(ctx, false)
	if err != nil {
		return nil, err
	}
	var secret string
	if err := c.call(ctx, "AssociateSoftwareToken", map[string]any{"AccessToken": sess.AccessToken}, func(o object) { secret = o.str("SecretCode") }); err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, badResponse("AssociateSoftwareToken", fmt.Errorf("no SecretCode"))
	}
	return &TOTPSetup{SharedSecret: secret}, nil
}

// VerifyTOTPSetup checks a code from the authenticator app SetUpTOTP's secret went to
// (VerifySoftwareToken); deviceName is optional. The token is then the user's, but it is a
// sign-in factor only once UpdateMFAPreference turns TOTP on.
func (c *Client) VerifyTOTPSetup(ctx context.Context, code, deviceName string) error {
	code = strings.TrimSpace(code)
	if code == "" {
		return invalidParameter("The code is required.")
	}
	sess, err := c.Session(ctx, false)
	if err != nil {
		return err
	}
	in := map[string]any{"AccessToken": sess.AccessToken, "UserCode": code}
	if deviceName != "" {
		in["FriendlyDeviceName"] = deviceName
	}
	var status string
	if err := c.call(ctx, "VerifySoftwareToken", in, func(o object) { status = o.str("Status") }); err != nil {
		return err
	}
	if status != "SUCCESS" {
		return badResponse("VerifySoftwareToken", fmt.Errorf("status %q", status))
	}
	return nil
}

// MFA preference values, as Amplify's updateMFAPreference takes them; "" leaves a factor
// as it is.
const (
	PrefEnabled      = "ENABLED"
	PrefDisabled     = "DISABLED"
	PrefPreferred    = "PREFERRED"
	PrefNotPreferred = "NOT_PREFERRED"
)

// MFAPreference says, per MFA type ("TOTP", "SMS", "EMAIL"), how to change it.
type MFAPreference map[string]string

// mfaSettingsKey is SetUserMFAPreference's member for each MFA type.
var mfaSettingsKey = map[string]string{mfaTypeTOTP: "SoftwareTokenMfaSettings", mfaTypeSMS: "SMSMfaSettings", mfaTypeEmail: "EmailMfaSettings"}

// UpdateMFAPreference turns the signed-in user's factors on or off and sets the preferred one
// (SetUserMFAPreference): ENABLED and NOT_PREFERRED turn a factor on (NOT_PREFERRED also
// stops preferring it), PREFERRED turns it on and prefers it, DISABLED turns it off.
func (c *Client) UpdateMFAPreference(ctx context.Context, pref MFAPreference) error {
	in := map[string]any{}
	for typ, v := range pref {
		key, ok := mfaSettingsKey[typ]
		if !ok {
			return invalidParameter("Unknown MFA type %q: use TOTP, SMS or EMAIL.", typ)
		}
		switch v {
		case "":
		case PrefEnabled:
			in[key] = map[string]bool{"Enabled": true}
		case PrefDisabled:
			in[key] = map[string]bool{"Enabled": false, "PreferredMfa": false}
		case PrefPreferred:
			in[key] = map[string]bool{"Enabled": true, "PreferredMfa": true}
		case PrefNotPreferred:
			in[key] = map[string]bool{"Enabled": true, "PreferredMfa": false}
		default:
			return invalidParameter("Unknown preference %q for %s: use ENABLED, DISABLED, PREFERRED or NOT_PREFERRED.", v, typ)
		}
	}
	if len(in) == 0 {
		return invalidParameter("No MFA preference to update.")
	}
	sess, err := c.Session(ctx, false)
	if err != nil {
		return err
	}
	in["AccessToken"] = sess.AccessToken
	return c.call(ctx, "SetUserMFAPreference", in, nil)
}

// MFAStatus is the signed-in user's factors: those turned on and the preferred one ("" for
// none), as MFA types ("TOTP", "SMS", "EMAIL").
type MFAStatus struct {
	Enabled   []string
	Preferred string
}

// FetchMFAPreference reads the signed-in user's factors (GetUser's UserMFASettingList and
// PreferredMfaSetting).
func (c *Client) FetchMFAPreference(ctx context.Context) (*MFAStatus, error) {
	sess, err := c.Session(ctx, false)
	if err != nil {
		return nil, err
	}
	var list []string
	var preferred string
	if err := c.call(ctx, "GetUser", map[string]any{"AccessToken": sess.AccessToken}, func(o object) {
		list, preferred = o.strings("UserMFASettingList"), o.str("PreferredMfaSetting")
	}); err != nil {
		return nil, err
	}
	st := &MFAStatus{Enabled: []string{}, Preferred: mfaTypes[preferred]}
	for _, f := range list {
		if t, ok := mfaTypes[f]; ok {
			st.Enabled = append(st.Enabled, t)
		}
	}
	return st, nil
}
