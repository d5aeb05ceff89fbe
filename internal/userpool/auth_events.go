package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// A user's auth events and what threat protection has learned of them: one record per user,
// uae/<pool>/<sub>, in the pool's shard, changed only by transactions (every racing sign-in's
// event is kept). It holds the newest maxAuthEvents events, newest first, and the devices,
// addresses and countries of the user's successful sign-ins (the newest maxKnown of each),
// which are what "new device", "new address" and "new country" are judged against. A
// deleted user's record stays until a user with the same sub appears, which never happens
// (subs are random UUIDs); the record is small and bounded.
const (
	maxAuthEvents = 50 // [est] Cognito keeps 90 days of events; poolgate the newest 50
	maxKnown      = 20
)

// Event types, responses and risk decisions as Cognito names them.
const (
	eventSignIn         = "SignIn"
	eventSignUp         = "SignUp"
	eventPasswordChange = "PasswordChange"
	eventForgotPassword = "ForgotPassword"

	responsePass       = "Pass"
	responseFail       = "Fail"
	responseInProgress = "InProgress"

	decisionNoRisk          = "NoRisk"
	decisionAccountTakeover = "AccountTakeover"
	decisionBlock           = "Block"
)

// authHistory is the record uae/<pool>/<sub>.
type authHistory struct {
	Events    []riskEvent `json:"e,omitempty"` // newest first
	Devices   []string    `json:"d,omitempty"` // newest last
	IPs       []string    `json:"i,omitempty"`
	Countries []string    `json:"c,omitempty"`
}

// riskEvent is one stored event.
type riskEvent struct {
	ID          string            `json:"id"`
	Type        string            `json:"t"`
	Created     time.Time         `json:"at"`
	Response    string            `json:"r"`
	Decision    string            `json:"rd"`
	Level       string            `json:"rl,omitempty"`
	Compromised bool              `json:"cc,omitempty"`
	Challenges  []ChallengeResult `json:"ch,omitempty"`
	IP          string            `json:"ip,omitempty"`
	Country     string            `json:"co,omitempty"`
	Device      string            `json:"dv,omitempty"`
	DeviceName  string            `json:"dn,omitempty"`
	Timezone    string            `json:"tz,omitempty"`
	Feedback    *EventFeedback    `json:"fb,omitempty"`
}

// ChallengeResult is one step of a sign-in as AuthEventType.ChallengeResponses lists it.
type ChallengeResult struct {
	ChallengeName     string `json:"ChallengeName"`     // Password, Mfa
	ChallengeResponse string `json:"ChallengeResponse"` // Success, Failure
}

// EventFeedback is the feedback given on an event.
type EventFeedback struct {
	FeedbackValue string             `json:"FeedbackValue"`
	Provider      string             `json:"Provider"`
	FeedbackDate  *awsjson.EpochTime `json:"FeedbackDate,omitempty"`
}

func authHistoryKey(pool, sub string) string { return "uae/" + pool + "/" + sub }

// loadAuthHistory reads u's record (empty when it has none).
func (s *Service) loadAuthHistory(ctx context.Context, p *Pool, u *User) (*authHistory, error) {
	var h authHistory
	if err := s.getJSON(ctx, authHistoryKey(p.Id, u.Sub), &h); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &h, nil
}

// changeAuthHistory applies change to u's record in one transaction, keeping it bounded.
func (s *Service) changeAuthHistory(ctx context.Context, p *Pool, u *User, change func(h *authHistory) error) error {
	return s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		h, err := ts.loadAuthHistory(ctx, p, u)
		if err != nil {
			return err
		}
		if err := change(h); err != nil {
			return err
		}
		if len(h.Events) > maxAuthEvents {
			h.Events = h.Events[:maxAuthEvents]
		}
		return ts.putJSON(ctx, authHistoryKey(p.Id, u.Sub), h)
	})
}

// addEvent records ev as u's newest event; learn adds its device, address and country to
// what u is known by (a successful sign-in).
func (s *Service) addEvent(ctx context.Context, p *Pool, u *User, ev riskEvent, learn bool) error {
	return s.changeAuthHistory(ctx, p, u, func(h *authHistory) error {
		h.Events = append([]riskEvent{ev}, h.Events...)
		if learn {
			h.learn(&ev)
		}
		return nil
	})
}

// learn adds ev's device, address and country to the known ones.
func (h *authHistory) learn(ev *riskEvent) {
	h.Devices = remember(h.Devices, ev.Device)
	h.IPs = remember(h.IPs, ev.IP)
	h.Countries = remember(h.Countries, ev.Country)
}

// forget drops ev's device, address and country from the known ones.
func (h *authHistory) forget(ev *riskEvent) {
	drop := func(list []string, v string) []string {
		return slices.DeleteFunc(list, func(x string) bool { return x != "" && x == v })
	}
	h.Devices, h.IPs, h.Countries = drop(h.Devices, ev.Device), drop(h.IPs, ev.IP), drop(h.Countries, ev.Country)
}

// remember moves v to the end of list (the newest), keeping the newest maxKnown.
func remember(list []string, v string) []string {
	if v == "" {
		return list
	}
	list = slices.DeleteFunc(list, func(x string) bool { return x == v })
	list = append(list, v)
	if len(list) > maxKnown {
		list = list[len(list)-maxKnown:]
	}
	return list
}

// AuthEventType is an event on the wire.
type AuthEventType struct {
	EventId            string            `json:"EventId"`
	EventType          string            `json:"EventType"`
	CreationDate       awsjson.EpochTime `json:"CreationDate"`
	EventResponse      string            `json:"EventResponse"`
	EventRisk          *EventRiskType    `json:"EventRisk"`
	ChallengeResponses []ChallengeResult `json:"ChallengeResponses"`
	EventContextData   *EventContextData `json:"EventContextData,omitempty"`
	EventFeedback      *EventFeedback    `json:"EventFeedback,omitempty"`
}

// EventRiskType is an event's risk assessment.
type EventRiskType struct {
	RiskDecision                   string `json:"RiskDecision"`
	RiskLevel                      string `json:"RiskLevel,omitempty"`
	CompromisedCredentialsDetected bool   `json:"CompromisedCredentialsDetected"`
}

// EventContextData is where an event came from. City is never known to poolgate.
type EventContextData struct {
	IpAddress  string `json:"IpAddress,omitempty"`
	DeviceName string `json:"DeviceName,omitempty"`
	City       string `json:"City,omitempty"`
	Country    string `json:"Country,omitempty"`
	Timezone   string `json:"Timezone,omitempty"`
}

func (ev *riskEvent) wire() AuthEventType {
	out := AuthEventType{
		EventId: ev.ID, EventType: ev.Type, CreationDate: awsjson.Epoch(ev.Created), EventResponse: ev.Response,
		EventRisk:          &EventRiskType{RiskDecision: ev.Decision, RiskLevel: ev.Level, CompromisedCredentialsDetected: ev.Compromised},
		ChallengeResponses: ev.Challenges,
		EventFeedback:      ev.Feedback,
	}
	if out.ChallengeResponses == nil {
		out.ChallengeResponses = []ChallengeResult{}
	}
	if ev.IP != "" || ev.DeviceName != "" || ev.Country != "" || ev.Timezone != "" {
		out.EventContextData = &EventContextData{IpAddress: ev.IP, DeviceName: ev.DeviceName, Country: ev.Country, Timezone: ev.Timezone}
	}
	return out
}

// AdminListUserAuthEventsInput is the AdminListUserAuthEvents request.
type AdminListUserAuthEventsInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
	MaxResults *int   `json:"MaxResults,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

// AdminListUserAuthEventsOutput is its answer, newest event first.
type AdminListUserAuthEventsOutput struct {
	AuthEvents []AuthEventType `json:"AuthEvents"`
	NextToken  string          `json:"NextToken,omitempty"`
}

// eventPage is a sealed NextToken: the list goes on after this event.
type eventPage struct {
	Pool, Sub, After string
	Before           time.Time
}

const (
	purposeEventPage = "auth-events-page"
	eventPageTTL     = time.Hour
)

func (s *Service) adminListUserAuthEvents(ctx context.Context, in *AdminListUserAuthEventsInput) (*AdminListUserAuthEventsOutput, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	if err := requireThreatProtection(p); err != nil {
		return nil, err
	}
	max := 60
	if in.MaxResults != nil && *in.MaxResults > 0 {
		max = *in.MaxResults
	}
	h, err := s.loadAuthHistory(ctx, p, u)
	if err != nil {
		return nil, err
	}
	events := h.Events
	if in.NextToken != "" {
		pg, err := s.openEventPage(in.NextToken, p, u)
		if err != nil {
			return nil, err
		}
		// After the page's last event; when that one has since been dropped (the record
		// keeps the newest), after every event no older than it.
		i := slices.IndexFunc(events, func(ev riskEvent) bool { return ev.ID == pg.After })
		if i >= 0 {
			i++
		} else if i = slices.IndexFunc(events, func(ev riskEvent) bool { return ev.Created.Before(pg.Before) }); i < 0 {
			i = len(events)
		}
		events = events[i:]
	}
	out := &AdminListUserAuthEventsOutput{AuthEvents: []AuthEventType{}}
	for i := range events {
		if len(out.AuthEvents) == max {
			last := events[i-1]
			tok, err := s.sealEventPage(&eventPage{Pool: p.Id, Sub: u.Sub, After: last.ID, Before: last.Created})
			if err != nil {
				return nil, err
			}
			out.NextToken = tok
			break
		}
		out.AuthEvents = append(out.AuthEvents, events[i].wire())
	}
	return out, nil
}

func (s *Service) sealEventPage(pg *eventPage) (string, error) {
	b, err := json.Marshal(pg)
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeEventPage, b, s.now().Add(eventPageTTL))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

func (s *Service) openEventPage(tok string, p *Pool, u *User) (*eventPage, error) {
	bad := awsjson.InvalidParameter("Invalid pagination token.")
	var pg eventPage
	if _, err := s.unseal(purposeEventPage, base64.RawURLEncoding, tok, &pg); err != nil || pg.Pool != p.Id || pg.Sub != u.Sub {
		return nil, bad
	}
	return &pg, nil
}

// requireThreatProtection refuses the event actions of a pool without threat protection.
func requireThreatProtection(p *Pool) error {
	if p.securityMode() == securityOff {
		return awsjson.New(awsjson.ErrUserPoolAddOnNotEnabled, "Advanced security features are not enabled for this user pool.")
	}
	return nil
}

// newEvent starts an event of kind from a request's signals.
func (s *Service) newEvent(kind string, sig *signInSignals) (riskEvent, error) {
	id, err := s.newUUID()
	if err != nil {
		return riskEvent{}, err
	}
	return riskEvent{
		ID: id, Type: kind, Created: s.now(), Decision: decisionNoRisk,
		IP: sig.IP, Country: sig.Country, Device: sig.Device, DeviceName: sig.DeviceName, Timezone: sig.Timezone,
	}, nil
}

// errEventNotFound is the answer when feedback names no event of the user.
func errEventNotFound() error { return awsjson.ResourceNotFound("Auth event not found.") }

// setFeedback records value on u's event id, in one transaction, and teaches the history:
// Valid ("it was me") makes the event's device, address and country known, Invalid ("it was
// not me") forgets them, so the next sign-in from there is scored as new.
func (s *Service) setFeedback(ctx context.Context, p *Pool, u *User, id, value, provider string) error {
	if err := checkEnum("feedbackValue", value, "Valid", "Invalid"); err != nil {
		return err
	}
	now := awsjson.Epoch(s.now())
	return s.changeAuthHistory(ctx, p, u, func(h *authHistory) error {
		i := slices.IndexFunc(h.Events, func(ev riskEvent) bool { return ev.ID == id })
		if i < 0 {
			return errEventNotFound()
		}
		ev := &h.Events[i]
		ev.Feedback = &EventFeedback{FeedbackValue: value, Provider: provider, FeedbackDate: &now}
		if value == "Valid" {
			h.learn(ev)
		} else {
			h.forget(ev)
		}
		return nil
	})
}

// AdminUpdateAuthEventFeedbackInput is the AdminUpdateAuthEventFeedback request.
type AdminUpdateAuthEventFeedbackInput struct {
	UserPoolId    string `json:"UserPoolId" aws:"required"`
	Username      string `json:"Username" aws:"required"`
	EventId       string `json:"EventId" aws:"required"`
	FeedbackValue string `json:"FeedbackValue" aws:"required"`
}

func (s *Service) adminUpdateAuthEventFeedback(ctx context.Context, in *AdminUpdateAuthEventFeedbackInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	if err := requireThreatProtection(p); err != nil {
		return nil, err
	}
	if err := s.setFeedback(ctx, p, u, in.EventId, in.FeedbackValue, "Admin"); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// UpdateAuthEventFeedbackInput is the UpdateAuthEventFeedback request: unauthenticated, so
// FeedbackToken (from the user's notification) is the proof.
type UpdateAuthEventFeedbackInput struct {
	UserPoolId    string `json:"UserPoolId" aws:"required"`
	Username      string `json:"Username" aws:"required"`
	EventId       string `json:"EventId" aws:"required"`
	FeedbackToken string `json:"FeedbackToken" aws:"required"`
	FeedbackValue string `json:"FeedbackValue" aws:"required"`
}

// A feedback token seals (pool, sub, event id); it is good for feedbackTokenTTL and for its
// one event, any number of times (the latest feedback counts, as Cognito's links allow).
const (
	purposeFeedback  = "auth-event-feedback"
	feedbackTokenTTL = 7 * 24 * time.Hour // [est]
)

type feedbackClaim struct {
	Pool  string `json:"p"`
	Sub   string `json:"u"`
	Event string `json:"e"`
}

// feedbackToken seals the token that lets u give feedback on event id without signing in.
func (s *Service) feedbackToken(p *Pool, u *User, id string) (string, error) {
	b, err := json.Marshal(&feedbackClaim{Pool: p.Id, Sub: u.Sub, Event: id})
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeFeedback, b, s.now().Add(feedbackTokenTTL))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openFeedbackToken checks that tok was made for u's event id.
func (s *Service) openFeedbackToken(tok string, p *Pool, u *User, id string) error {
	bad := awsjson.NotAuthorized("Invalid feedback token.") // [est]
	var c feedbackClaim
	if _, err := s.unseal(purposeFeedback, base64.RawURLEncoding, tok, &c); errors.Is(err, errBadSeal) {
		return bad
	} else if err != nil {
		return err
	}
	if c.Pool != p.Id || c.Sub != u.Sub || c.Event != id {
		return bad
	}
	return nil
}

func (s *Service) updateAuthEventFeedback(ctx context.Context, in *UpdateAuthEventFeedbackInput) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := requireThreatProtection(p); err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, in.Username)
	if errors.Is(err, store.ErrNotFound) {
		// Whether the user exists is not told to an unauthenticated caller.
		return nil, awsjson.NotAuthorized("Invalid feedback token.")
	}
	if err != nil {
		return nil, err
	}
	if err := s.openFeedbackToken(in.FeedbackToken, p, u, in.EventId); err != nil {
		return nil, err
	}
	if err := s.setFeedback(ctx, p, u, in.EventId, in.FeedbackValue, "Cognito"); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
