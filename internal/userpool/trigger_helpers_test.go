package userpool

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/trigger"
)

// testTriggerSecret signs the test environment's trigger requests.
const testTriggerSecret = "trigger-test-secret"

// arnOf is the test ARN of a function named name.
func arnOf(name string) string {
	return "arn:aws:lambda:us-east-1:" + testAccountID + ":function:" + name
}

// handlerTransport serves requests with an in-process handler: the test's stand-in for the
// host's fetch.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// lambdaFunc is a trigger handler written like a Lambda handler: it gets the event and
// returns the value the handler returns (usually the event), or answers raw (status, body)
// when it returns a rawAnswer.
type lambdaFunc func(ev map[string]any) any

type rawAnswer struct {
	status int
	body   string
}

// triggers is a set of functions the test environment's transport runs, recording each event.
type triggers struct {
	env    *testEnv
	mu     sync.Mutex
	fns    map[string]lambdaFunc // by function name
	events []map[string]any
}

// withTriggers maps each named function to arnOf(name) (the configuration file's Functions)
// and serves them through the service's transport, checking every request's signature.
func (e *testEnv) withTriggers(fns map[string]lambdaFunc) *triggers {
	e.t.Helper()
	tr := &triggers{env: e, fns: fns}
	e.svc.d.Transport = handlerTransport{tr}
	e.svc.d.TriggerSecret = []byte(testTriggerSecret)
	var specs []trigger.Function
	for name := range fns {
		specs = append(specs, trigger.Function{Arn: arnOf(name), Url: "http://lambda.test/" + name})
	}
	if _, err := e.svc.Apply(context.Background(), ConfigSpec{Functions: specs}); err != nil {
		e.t.Fatal(err)
	}
	return tr
}

func (tr *triggers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := message.VerifyWebhook(testTriggerSecret, r.Header.Get(message.HeaderTimestamp),
		r.Header.Get(message.HeaderSignature), body, tr.env.clock.Now(), 0); err != nil {
		tr.env.t.Errorf("trigger request signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		tr.env.t.Errorf("trigger request body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	name := r.URL.Path[1:]
	if r.Header.Get(trigger.HeaderFunction) != arnOf(name) {
		tr.env.t.Errorf("function header %q for %s", r.Header.Get(trigger.HeaderFunction), name)
	}
	var recorded map[string]any // as received: the handler below may change ev
	json.Unmarshal(body, &recorded)
	tr.mu.Lock()
	tr.events = append(tr.events, recorded)
	fn := tr.fns[name]
	tr.mu.Unlock()
	out := fn(ev)
	if raw, ok := out.(rawAnswer); ok {
		w.WriteHeader(raw.status)
		io.WriteString(w, raw.body)
		return
	}
	json.NewEncoder(w).Encode(out)
}

// sources lists the triggerSource of every event so far.
func (tr *triggers) sources() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, ev := range tr.events {
		out = append(out, ev["triggerSource"].(string))
	}
	return out
}

// last returns the newest event whose triggerSource is source; nil when none.
func (tr *triggers) last(source string) map[string]any {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i := len(tr.events) - 1; i >= 0; i-- {
		if tr.events[i]["triggerSource"] == source {
			return tr.events[i]
		}
	}
	return nil
}

// respond sets members of the event's response and returns the event, as a handler does.
func respond(ev map[string]any, kv map[string]any) any {
	resp, _ := ev["response"].(map[string]any)
	if resp == nil {
		resp = map[string]any{}
	}
	for k, v := range kv {
		resp[k] = v
	}
	ev["response"] = resp
	return ev
}
