package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCognito answers the few Cognito actions phase drives, in the AWS JSON protocol. refuse,
// when set, answers AdminCreateUser (GetUser's preparation) with that action's result instead.
type fakeCognito struct {
	srv    *httptest.Server
	refuse func(w http.ResponseWriter, r *http.Request)
	calls  atomic.Int64
}

func newFakeCognito(t *testing.T) *fakeCognito {
	f := &fakeCognito{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCognito) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	if action == "AdminCreateUser" && f.refuse != nil {
		f.refuse(w, r)
		return
	}
	out := map[string]any{}
	switch action {
	case "":
		return // the liveness probe
	case "CreateUserPool":
		out["UserPool"] = map[string]any{"Id": "us-east-1_Fake"}
	case "CreateUserPoolClient":
		out["UserPoolClient"] = map[string]any{"ClientId": "fakeclient"}
	case "SignUp":
		out["UserConfirmed"], out["UserSub"] = false, "sub"
	case "AdminCreateUser":
		out["User"] = map[string]any{"Username": "u"}
	case "AdminSetUserPassword":
	case "InitiateAuth":
		out["AuthenticationResult"] = map[string]any{"AccessToken": "access", "IdToken": "id", "RefreshToken": "refresh", "ExpiresIn": 3600, "TokenType": "Bearer"}
	case "GetUser":
		out["Username"], out["UserAttributes"] = "u", []any{}
	default:
		w.WriteHeader(http.StatusBadRequest)
		out["__type"], out["message"] = "InvalidParameterException", "fake: no "+action
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// TestFailedSystemDoesNotEndRun: one system's preparation fails (its server refuses
// GetUser's users), another's server dies in a preparation; the run goes on, the other
// systems and operations are measured, the report shows "failed: <reason>" cells and notes,
// and the dead server (started elsewhere, so not restartable) is down for the rest of the run.
// A step outside the API groups that fails leaves a note and the run goes on.
func TestFailedSystemDoesNotEndRun(t *testing.T) {
	good, refusing, dying := newFakeCognito(t), newFakeCognito(t), newFakeCognito(t)
	refusing.refuse = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"InvalidParameterException","message":"fake: users refused | for this test"}`)
	}
	dying.refuse = func(w http.ResponseWriter, _ *http.Request) {
		dying.srv.Listener.Close() // no new connections from now on
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // and this request dies with its connection
		}
		dying.srv.CloseClientConnections()
	}

	var log bytes.Buffer
	g := &gen{
		st:  settings{N: 4, Warmup: 2, Reps: 2, SignInUsers: 2, Clients: []int{1, 2}, Ops: []string{opGetUser, opSignUp}},
		log: &log, t0: time.Now(),
	}
	g.rep = &report{Started: g.t0, Settings: g.st}
	for _, item := range []string{"good=" + good.srv.URL, "refusing=" + refusing.srv.URL, "dying=" + dying.srv.URL} {
		s, err := newSystem(item, tools{}, nil, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		g.systems = append(g.systems, s)
		g.rep.Systems = append(g.rep.Systems, sysInfo{Name: s.name, Kind: s.kind, Label: label(s), Poolgate: s.poolgate})
	}
	ctx := context.Background()
	fresh := func(ctx context.Context, s *system) (*runner, error) { return newRunner(ctx, s, g.st.SignInUsers) }
	if err := g.phase(ctx, groupEmpty, g.st.N, fresh); err != nil {
		t.Fatalf("phase ended the run: %v\n%s", err, log.String())
	}

	want := map[string]string{ // op c=clients system → Failed's prefix ("" measured)
		"GetUser 1 good": "", "SignUp 1 good": "", "GetUser 2 good": "", "SignUp 2 good": "",
		"GetUser 1 refusing": "refusing: preparing GetUser: operation error Cognito Identity Provider: AdminCreateUser",
		"SignUp 1 refusing":  "", "GetUser 2 refusing": "refusing: preparing GetUser:", "SignUp 2 refusing": "",
		"GetUser 1 dying": "dying: preparing GetUser: operation error Cognito Identity Provider: AdminCreateUser",
		"SignUp 1 dying":  "server down: stopped answering", "GetUser 2 dying": "server down:", "SignUp 2 dying": "server down:",
	}
	if len(g.rep.Measurements) != len(want) {
		t.Errorf("%d measurements, want %d", len(g.rep.Measurements), len(want))
	}
	for _, m := range g.rep.Measurements {
		key := fmt.Sprintf("%s %d %s", m.Op, m.Clients, m.System)
		prefix, ok := want[key]
		switch {
		case !ok:
			t.Errorf("unexpected measurement %s", key)
		case prefix == "" && (m.Failed != "" || !m.ok(g.st.Reps)):
			t.Errorf("%s: not measured: failed %q, %d samples", key, m.Failed, len(m.Samples))
		case prefix != "" && (!strings.HasPrefix(m.Failed, prefix) || len(m.Samples) != 0):
			t.Errorf("%s: failed %q with %d samples, want a failure starting %q", key, m.Failed, len(m.Samples), prefix)
		}
		if len(m.Failed) > reasonBytes+len("server down: ") {
			t.Errorf("%s: reason of %d bytes is not bounded", key, len(m.Failed))
		}
	}
	if len(g.rep.Down) != 1 || g.rep.Down[0].System != "dying" || g.systems[2].down == "" {
		t.Errorf("down systems %+v, want dying", g.rep.Down)
	}
	if g.systems[2].configured() {
		t.Error("a down system is still offered to the gateway, identity and OAuth groups")
	}
	calls := dying.calls.Load()
	// A step outside the API groups that fails leaves a note; an interruption still ends the run.
	if err := g.stepFailed("the gateway group", errors.New("origin refused\nand a second line")); err != nil {
		t.Errorf("a failed step ended the run: %v", err)
	}
	if err := g.stepFailed("the OAuth group", fmt.Errorf("sign-in: %w", context.Canceled)); !errors.Is(err, context.Canceled) {
		t.Errorf("an interrupted step gave %v, want context.Canceled", err)
	}

	var b bytes.Buffer
	g.rep.markdown(&b)
	md := b.String()
	for _, s := range []string{
		"| GetUser | refusing | failed: refusing: preparing GetUser: operation error Cognito Identity Provider: AdminCreateUser",
		"users refused / for",
		"| SignUp | dying | failed: server down: stopped answering",
		"GetUser refusing, 1 client: not measured, failed: refusing: preparing GetUser",
		"dying went down during the run and was left out from then on: stopped answering",
		"- the gateway group failed and stopped there: origin refused\n",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q:\n%s", s, md)
		}
	}
	parseTables(t, md)
	if dying.calls.Load() != calls {
		t.Error("the report's rendering reached a server")
	}
}
