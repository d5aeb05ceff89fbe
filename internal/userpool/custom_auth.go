package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/srp"
	"github.com/poolgate/poolgate/internal/store"
)

// CUSTOM_AUTH (AWS's custom authentication challenge triggers): InitiateAuth /
// AdminInitiateAuth with AuthFlow CUSTOM_AUTH asks the pool's DefineAuthChallenge function
// what comes next, given the session history (challengeName, challengeResult,
// challengeMetadata of every challenge so far). It may issue tokens (then the user's second
// factor, if any, and tokens follow as after a password), fail the sign-in ("Incorrect
// username or password."), or name CUSTOM_CHALLENGE: CreateAuthChallenge then makes the
// challenge's public parameters, which the client gets as ChallengeParameters (with USERNAME),
// and private ones, which travel sealed in the Session and never reach the client. The client
// answers with RespondToAuthChallenge CUSTOM_CHALLENGE {USERNAME, ANSWER}; VerifyAuthChallenge-
// Response sets answerCorrect, the result joins the history, and DefineAuthChallenge is asked
// again. Each Session is good for one answer (spent in a commit before the answer is checked,
// so of racing answers one goes on) and for the client's AuthSessionValidity; a sign-in may
// take customAuthMaxRounds challenges [est], then it fails. With PreventUserExistenceErrors an
// unknown name runs the same loop with userNotFound true and can never get tokens.
//
// With SRP_A (and CHALLENGE_NAME SRP_A, as identity-js and Amplify's CUSTOM_WITH_SRP send
// it) the password comes first, as on Cognito: DefineAuthChallenge sees the history
// [SRP_A] and may name PASSWORD_VERIFIER; the client gets the SRP challenge with a Session and
// answers it with that Session; a right password adds PASSWORD_VERIFIER (challengeResult
// true) to the history and DefineAuthChallenge is asked again; a wrong one is "Incorrect
// username or password." and counts toward lockout, as in USER_SRP_AUTH [est].
const (
	purposeCustomSession = "custom-session"
	customAuthMaxRounds  = 8
	customChallenge      = "CUSTOM_CHALLENGE"
)

// challengeResult is one entry of the session history the triggers receive.
type challengeResult struct {
	ChallengeName     string  `json:"challengeName"`
	ChallengeResult   bool    `json:"challengeResult"`
	ChallengeMetadata *string `json:"challengeMetadata"`
}

// customSession is what a CUSTOM_CHALLENGE Session seals.
type customSession struct {
	Pool     string            `json:"p"`
	Client   string            `json:"c"`
	Username string            `json:"u"`            // the user's username, or the name given when NotFound
	Sub      string            `json:"s,omitempty"`  // "" when NotFound
	NotFound bool              `json:"nf,omitempty"` // a decoy sign-in (PreventUserExistenceErrors)
	History  []challengeResult `json:"h"`
	Private  map[string]string `json:"pr,omitempty"` // the pending challenge's privateChallengeParameters
	Metadata *string           `json:"md,omitempty"` // and its challengeMetadata
	Nonce    []byte            `json:"n"`
}

type defineRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	Session        []challengeResult `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

type defineResponse struct {
	ChallengeName      *string `json:"challengeName"`
	IssueTokens        *bool   `json:"issueTokens"`
	FailAuthentication *bool   `json:"failAuthentication"`
}

type createRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ChallengeName  string            `json:"challengeName"`
	Session        []challengeResult `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

type createResponse struct {
	PublicChallengeParameters  map[string]string `json:"publicChallengeParameters"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeMetadata          *string           `json:"challengeMetadata"`
}

type verifyRequest struct {
	UserAttributes             map[string]string `json:"userAttributes"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeAnswer            string            `json:"challengeAnswer"`
	ClientMetadata             map[string]string `json:"clientMetadata,omitempty"`
	UserNotFound               bool              `json:"userNotFound,omitempty"`
}

type verifyResponse struct {
	AnswerCorrect *bool `json:"answerCorrect"`
}

// startCustomAuth answers InitiateAuth CUSTOM_AUTH.
func (s *Service) startCustomAuth(ctx context.Context, p *Pool, c *Client, params map[string]string) (*InitiateAuthOutput, error) {
	if _, ok := p.triggerArn("DefineAuthChallenge"); !ok {
		return nil, awsjson.InvalidParameter("Custom auth lambda trigger is not configured for the user pool.")
	}
	name := params["USERNAME"]
	if name == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter USERNAME")
	}
	var srpStart *customSRP
	if aHex := params["SRP_A"]; aHex != "" {
		if !validHex(aHex) {
			return nil, awsjson.InvalidParameter("SRP_A is not a hexadecimal number.")
		}
		A, err := srp.ValidateA(aHex)
		if err != nil {
			return nil, awsjson.IncorrectCredentials()
		}
		srpStart = &customSRP{A: A}
	}
	t, err := s.signInTarget(ctx, p, c, name, params["SECRET_HASH"], false)
	if err != nil {
		return nil, err
	}
	if srpStart != nil {
		if err := refuseImportedSRP(c, t); err != nil {
			return nil, err
		}
		srpStart.t = t
	}
	if err := s.preAuthentication(ctx, p, c, t, name); err != nil {
		return nil, err
	}
	st := &customSession{Pool: p.Id, Client: c.ClientId, Username: name, NotFound: t.u == nil, History: []challengeResult{}}
	if t.u != nil {
		if err := customAuthAdmits(t.u); err != nil {
			return nil, err
		}
		st.Username, st.Sub = t.u.Username, t.u.Sub
	}
	if srpStart != nil {
		st.History = append(st.History, challengeResult{ChallengeName: "SRP_A", ChallengeResult: true})
	}
	return s.customStep(ctx, p, c, t.u, st, srpStart)
}

// customSRP is the SRP step a CUSTOM_AUTH started with SRP_A may take first.
type customSRP struct {
	t *signInTarget
	A []byte
}

// customAuthAdmits refuses users who may not sign in at all, before any challenge.
func customAuthAdmits(u *User) error {
	switch {
	case !u.Enabled:
		return awsjson.NotAuthorized("User is disabled.")
	case u.Status == StatusUnconfirmed:
		return awsjson.UserNotConfirmed()
	case u.Status == StatusResetRequired:
		return passwordResetRequired()
	}
	return nil
}

// customStep asks DefineAuthChallenge what follows the history in st and carries it out.
// With srpStart (the flow began with SRP_A and no password was checked yet) DefineAuthChallenge
// may also name PASSWORD_VERIFIER.
func (s *Service) customStep(ctx context.Context, p *Pool, c *Client, u *User, st *customSession, srpStart *customSRP) (*InitiateAuthOutput, error) {
	attrs := map[string]string{}
	if u != nil {
		attrs = eventAttributes(u)
	}
	meta := clientMetadata(ctx)
	def := defineResponse{}
	if err := s.invokeTrigger(ctx, p, "DefineAuthChallenge", "DefineAuthChallenge_Authentication", st.Username, c.ClientId,
		defineRequest{UserAttributes: attrs, Session: st.History, ClientMetadata: meta, UserNotFound: st.NotFound}, &def); err != nil {
		return nil, err
	}
	switch {
	case def.FailAuthentication != nil && *def.FailAuthentication:
		return nil, awsjson.IncorrectCredentials()
	case def.IssueTokens != nil && *def.IssueTokens:
		if u == nil {
			return nil, awsjson.IncorrectCredentials()
		}
		return s.adaptiveSignIn(ctx, p, c, u)
	case srpStart != nil && def.ChallengeName != nil && *def.ChallengeName == "PASSWORD_VERIFIER":
		out, err := s.srpChallenge(p, c, srpStart.t, srpStart.A)
		if err != nil {
			return nil, err
		}
		if out.Session, err = s.sealCustomSession(c, st); err != nil {
			return nil, err
		}
		return out, nil
	case def.ChallengeName == nil || *def.ChallengeName != customChallenge:
		return nil, awsjson.New(awsjson.ErrInvalidLambdaResponse, "Invalid lambda response: DefineAuthChallenge must issue tokens, fail authentication or name CUSTOM_CHALLENGE.")
	case len(st.History) >= customAuthMaxRounds:
		return nil, awsjson.NotAuthorized("Incorrect username or password.")
	}
	created := createResponse{}
	if err := s.invokeTrigger(ctx, p, "CreateAuthChallenge", "CreateAuthChallenge_Authentication", st.Username, c.ClientId,
		createRequest{UserAttributes: attrs, ChallengeName: customChallenge, Session: st.History, ClientMetadata: meta, UserNotFound: st.NotFound}, &created); err != nil {
		return nil, err
	}
	st.Private, st.Metadata = created.PrivateChallengeParameters, created.ChallengeMetadata
	session, err := s.sealCustomSession(c, st)
	if err != nil {
		return nil, err
	}
	params := maps.Clone(created.PublicChallengeParameters)
	if params == nil {
		params = map[string]string{}
	}
	params["USERNAME"] = st.Username
	return &InitiateAuthOutput{ChallengeName: customChallenge, Session: session, ChallengeParameters: params}, nil
}

func (s *Service) sealCustomSession(c *Client, st *customSession) (string, error) {
	st.Nonce = make([]byte, 16)
	if _, err := io.ReadFull(s.d.Rand, st.Nonce); err != nil {
		return "", fmt.Errorf("userpool: random: %w", err)
	}
	plain, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeCustomSession, plain, s.now().Add(c.SessionTTL()))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// answerCustomChallenge answers RespondToAuthChallenge CUSTOM_CHALLENGE.
func (s *Service) answerCustomChallenge(ctx context.Context, p *Pool, c *Client, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	if resp["USERNAME"] == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter USERNAME")
	}
	if resp["ANSWER"] == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter ANSWER")
	}
	st, err := s.openCustomSession(session)
	if err != nil {
		return nil, err
	}
	if st.Pool != p.Id || st.Client != c.ClientId {
		return nil, sessionExpired()
	}
	var u *User
	if !st.NotFound {
		u, err = s.getUser(ctx, p, st.Username)
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.Sub != st.Sub) {
			return nil, sessionExpired()
		}
		if err != nil {
			return nil, err
		}
		if !contains(userNames(resp["USERNAME"], u)[1:], resp["USERNAME"]) {
			return nil, sessionExpired()
		}
		if err := checkSecretHash(c, resp["SECRET_HASH"], userNames(resp["USERNAME"], u)...); err != nil {
			return nil, err
		}
		if err := customAuthAdmits(u); err != nil {
			return nil, err
		}
	} else if err := checkSecretHash(c, resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return nil, err
	}
	// One answer per Session: spent before the answer is checked, which runs functions and so
	// cannot be inside the commit.
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error { return ts.spendSession(ctx, p, c, st.Nonce) })
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	if u != nil {
		attrs = eventAttributes(u)
	}
	verdict := verifyResponse{}
	if err := s.invokeTrigger(ctx, p, "VerifyAuthChallengeResponse", "VerifyAuthChallengeResponse_Authentication", st.Username, c.ClientId,
		verifyRequest{UserAttributes: attrs, PrivateChallengeParameters: st.Private, ChallengeAnswer: resp["ANSWER"],
			ClientMetadata: clientMetadata(ctx), UserNotFound: st.NotFound}, &verdict); err != nil {
		return nil, err
	}
	st.History = append(st.History, challengeResult{ChallengeName: customChallenge,
		ChallengeResult: verdict.AnswerCorrect != nil && *verdict.AnswerCorrect, ChallengeMetadata: st.Metadata})
	st.Private, st.Metadata = nil, nil
	return s.customStep(ctx, p, c, u, st, nil)
}

// customPasswordVerified goes on with a CUSTOM_AUTH whose PASSWORD_VERIFIER answer (t, with
// the custom Session) proved the password: the Session is spent, lockout reset, and
// PASSWORD_VERIFIER joins the history before DefineAuthChallenge is asked again.
func (s *Service) customPasswordVerified(ctx context.Context, p *Pool, c *Client, t *signInTarget, session string) (*InitiateAuthOutput, error) {
	st, err := s.openCustomSession(session)
	if err != nil {
		return nil, err
	}
	if st.Pool != p.Id || st.Client != c.ClientId || st.NotFound || st.Sub != t.u.Sub {
		return nil, sessionExpired()
	}
	n := len(st.History)
	if n == 0 || st.History[n-1].ChallengeName != "SRP_A" {
		return nil, sessionExpired()
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error { return ts.spendSession(ctx, p, c, st.Nonce) })
	if err != nil {
		return nil, err
	}
	if err := s.clearFailures(ctx, t.lockKey, t.lockVer); err != nil {
		return nil, err
	}
	if err := customAuthAdmits(t.u); err != nil {
		return nil, err
	}
	st.History = append(st.History, challengeResult{ChallengeName: "PASSWORD_VERIFIER", ChallengeResult: true})
	return s.customStep(ctx, p, c, t.u, st, nil)
}

// openCustomSession opens a CUSTOM_CHALLENGE Session; a bad or expired one is sessionExpired.
func (s *Service) openCustomSession(raw string) (*customSession, error) {
	var st customSession
	if _, err := s.unseal(purposeCustomSession, base64.StdEncoding, raw, &st); errors.Is(err, errBadSeal) {
		return nil, sessionExpired()
	} else if err != nil {
		return nil, err
	}
	return &st, nil
}
