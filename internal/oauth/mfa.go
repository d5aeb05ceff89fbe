package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/markup"
	"github.com/poolgate/poolgate/internal/userpool"
)

// The second factor of a managed-login sign-in, as Cognito's managed login asks for it: a
// code from the authenticator app (SOFTWARE_TOKEN_MFA), a code sent by SMS or email
// (SMS_MFA, EMAIL_OTP), a choice among the user's factors (SELECT_MFA_TYPE), or setting up
// an authenticator app when the pool requires MFA and the user has no factor (MFA_SETUP).
// The user pool decides the step and checks the answer (lockout, single use); its sealed
// Session rides in the form, and POST /mfa carries the authorization request's query like
// /login. What the form carries besides (the masked destination, the choices, the secret
// being set up) is only shown again, never trusted.

// mfaAnswerKeys are the ChallengeResponses keys of the code challenges.
var mfaAnswerKeys = map[string]string{
	"SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
	"SMS_MFA":            "SMS_MFA_CODE",
	"EMAIL_OTP":          "EMAIL_OTP_CODE",
}

// mfaFactorNames are the factors a user may choose among, as the page names them.
var mfaFactorNames = map[string]string{
	"SOFTWARE_TOKEN_MFA": "Authenticator app",
	"SMS_MFA":            "Text message (SMS)",
	"EMAIL_OTP":          "Email",
}

// mfaView is what the second-factor page shows.
type mfaView struct {
	Challenge   string
	Destination string // masked, for SMS_MFA and EMAIL_OTP
	Choices     []link // SELECT_MFA_TYPE: URL is the factor, Text its name
	ChoiceList  string // the factors, carried to show the choice again
	// MFA_SETUP: the secret as given, grouped for reading, and as an otpauth:// URI.
	Secret       string
	SecretGroups string
	OTPAuthURI   markup.URL
}

// serveMFA answers POST /mfa.
func (s *Server) serveMFA(w http.ResponseWriter, r *http.Request) {
	req, ok := s.pageRequest(w, r, http.MethodPost)
	if !ok {
		return
	}
	if !s.readForm(w, r) {
		return
	}
	if !s.checkCSRF(r) {
		s.loginPage(w, r, req, http.StatusForbidden, "The form expired or did not come from this page. Please sign in again.", "")
		return
	}
	form := r.PostForm
	challenge, session := form.Get("challenge"), form.Get("session")
	code := strings.TrimSpace(form.Get("code"))
	ctx := r.Context()
	up := s.cfg.UserPools
	var res *userpool.HostedSignIn
	var err error
	switch {
	case challenge == "MFA_SETUP":
		var verified string
		if verified, err = up.HostedVerifySoftwareToken(ctx, req.pool, req.client, session, code); err == nil {
			res, err = up.HostedAnswerMFA(ctx, req.pool, req.client, challenge, verified, nil)
		}
	case challenge == "SELECT_MFA_TYPE":
		res, err = up.HostedAnswerMFA(ctx, req.pool, req.client, challenge, session, map[string]string{"ANSWER": form.Get("answer")})
	case mfaAnswerKeys[challenge] != "":
		res, err = up.HostedAnswerMFA(ctx, req.pool, req.client, challenge, session, map[string]string{mfaAnswerKeys[challenge]: code})
	default:
		s.loginPage(w, r, req, http.StatusOK, "Your sign-in expired. Please sign in again.", "")
		return
	}
	if err != nil {
		msg, ok := userpoolMessage(err)
		switch {
		case !ok:
			s.serverError(w, err)
		case sessionGone(msg):
			s.loginPage(w, r, req, http.StatusOK, "Your sign-in expired. Please sign in again.", "")
		default:
			v := &mfaView{Challenge: challenge, Destination: bound.String(form.Get("destination"), 320)}
			v.setChoices(form.Get("choices"))
			if challenge == "MFA_SETUP" {
				v.setSecret(req, form.Get("secret"), form.Get("username"))
			}
			s.mfaPage(w, r, req, msg, session, form.Get("username"), v)
		}
		return
	}
	s.continueSignIn(w, r, req, res)
}

// continueSignIn takes a sign-in to its next step: the code for the app when it is done, else
// the page of the challenge the user must answer.
func (s *Server) continueSignIn(w http.ResponseWriter, r *http.Request, req *authRequest, res *userpool.HostedSignIn) {
	if res.User != nil {
		s.signedIn(w, r, req, res.User)
		return
	}
	username := res.ChallengeParameters["USER_ID_FOR_SRP"]
	v := &mfaView{Challenge: res.Challenge, Destination: res.ChallengeParameters["CODE_DELIVERY_DESTINATION"]}
	switch res.Challenge {
	case "NEW_PASSWORD_REQUIRED":
		s.newPasswordPage(w, r, req, http.StatusOK, "", res.Session, res.RequiredAttributes, nil)
		return
	case "SELECT_MFA_TYPE":
		var factors []string
		if err := json.Unmarshal([]byte(res.ChallengeParameters["MFAS_CAN_CHOOSE"]), &factors); err != nil {
			s.serverError(w, err)
			return
		}
		v.setChoices(strings.Join(factors, " "))
	case "MFA_SETUP":
		out, err := s.cfg.UserPools.HostedAssociateSoftwareToken(r.Context(), req.pool, req.client, res.Session)
		if err != nil {
			if msg, ok := userpoolMessage(err); ok {
				s.loginPage(w, r, req, http.StatusOK, msg, username)
			} else {
				s.serverError(w, err)
			}
			return
		}
		res.Session = out.Session
		v.setSecret(req, out.SecretCode, username)
	}
	s.mfaPage(w, r, req, "", res.Session, username, v)
}

// setChoices keeps the factors of list (space-separated) the page knows, in its order.
func (v *mfaView) setChoices(list string) {
	v.Choices, v.ChoiceList = nil, ""
	var kept []string
	for _, f := range strings.Fields(bound.String(list, 128)) {
		if name := mfaFactorNames[f]; name != "" && !slices.Contains(kept, f) {
			kept = append(kept, f)
			v.Choices = append(v.Choices, link{f, name})
		}
	}
	v.ChoiceList = strings.Join(kept, " ")
}

// setSecret shows a base32 secret being set up: in groups of four, and as the otpauth:// URI
// an authenticator app reads (issuer the pool's name, account the username). A secret that is
// not base32 is not shown.
func (v *mfaView) setSecret(req *authRequest, secret, username string) {
	if secret == "" || len(secret) > 128 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return
	}
	v.Secret = secret
	var groups []string
	for rest := secret; rest != ""; {
		n := min(4, len(rest))
		groups, rest = append(groups, rest[:n]), rest[n:]
	}
	v.SecretGroups = strings.Join(groups, " ")
	issuer := req.pool.Name
	label := url.PathEscape(issuer + ":" + bound.String(username, 128))
	q := url.Values{"secret": {secret}, "issuer": {issuer}}
	v.OTPAuthURI = markup.URL("otpauth://totp/" + label + "?" + q.Encode())
}

// mfaPage renders the second-factor page.
func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request, req *authRequest, msg, session, username string, v *mfaView) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	title := "Verify your sign-in"
	switch v.Challenge {
	case "SELECT_MFA_TYPE":
		title = "Choose how to verify your sign-in"
	case "MFA_SETUP":
		title = "Set up an authenticator app"
	}
	s.render(w, r, req, http.StatusOK, "mfa", &page{Title: title, ClientName: req.client.ClientName, Error: msg,
		Action: "/mfa?" + req.query, CSRF: csrf, Session: session, Username: prefill(username), MFA: v})
}

// sessionGone reports whether a user pool's message says the sign-in's Session is spent or
// expired: the user must sign in again.
func sessionGone(msg string) bool {
	return strings.Contains(msg, "session is expired") || strings.Contains(msg, "Invalid session")
}
