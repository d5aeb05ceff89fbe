package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

const testArn = "arn:aws:lambda:us-east-1:000000000000:function:pre-signup"

// fakeClock is an injected clock a handler can move.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func testEvent() *Event {
	return &Event{Version: "1", TriggerSource: "PreSignUp_SignUp", Region: "us-east-1", UserPoolID: "us-east-1_Abc",
		UserName: "alice", CallerContext: CallerContext{AWSSDKVersion: SDKVersion, ClientID: "client1"},
		Request:  json.RawMessage(`{"userAttributes":{"email":"a@example.com"},"validationData":null}`),
		Response: json.RawMessage(`{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}`)}
}

func TestInvokeSignsAndReturnsResponse(t *testing.T) {
	const secret = "s3cret"
	clock := newClock()
	var seen map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := message.VerifyWebhook(secret, r.Header.Get(message.HeaderTimestamp), r.Header.Get(message.HeaderSignature), body, clock.now(), 0); err != nil {
			t.Errorf("signature: %v", err)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get(HeaderFunction) != testArn {
			t.Errorf("request %s %v", r.Method, r.Header)
		}
		if err := json.Unmarshal(body, &seen); err != nil {
			t.Error(err)
		}
		seen["response"].(map[string]any)["autoConfirmUser"] = true
		json.NewEncoder(w).Encode(seen)
	}))
	defer srv.Close()
	iv := Invoker{Transport: srv.Client().Transport, Secret: []byte(secret), Now: clock.now}
	resp, err := iv.Invoke(context.Background(), Function{Arn: testArn, Url: srv.URL + "/pre"}, "PreSignUp", testEvent())
	if err != nil {
		t.Fatal(err)
	}
	if string(resp) != `{"autoConfirmUser":true,"autoVerifyEmail":false,"autoVerifyPhone":false}` {
		t.Fatalf("response %s", resp)
	}
	want := map[string]any{"version": "1", "triggerSource": "PreSignUp_SignUp", "region": "us-east-1",
		"userPoolId": "us-east-1_Abc", "userName": "alice",
		"callerContext": map[string]any{"awsSdkVersion": SDKVersion, "clientId": "client1"}}
	for k, v := range want {
		got, _ := json.Marshal(seen[k])
		w, _ := json.Marshal(v)
		if string(got) != string(w) {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	if len(seen) != 8 {
		t.Errorf("event has %d members: %v", len(seen), seen)
	}
}

func TestInvokeErrors(t *testing.T) {
	clock := newClock()
	mux := http.NewServeMux()
	mux.HandleFunc("/throw", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, `{"errorType":"Error","errorMessage":"Sign-ups are closed"}`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		clock.advance(Timeout + time.Millisecond) // the handler took longer than Cognito waits
		io.WriteString(w, `{"response":{}}`)
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") })
	hang := make(chan struct{})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(hang)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	iv := Invoker{Transport: srv.Client().Transport, Secret: []byte("k"), Now: clock.now}
	for name, c := range map[string]struct {
		iv   Invoker
		fn   Function
		kind Kind
		msg  string
	}{
		"throwing handler":  {iv, Function{Arn: testArn, Url: srv.URL + "/throw"}, KindRejected, "PreSignUp failed with error Sign-ups are closed."},
		"slow by the clock": {iv, Function{Arn: testArn, Url: srv.URL + "/slow"}, KindUnexpected, "PreSignUp invocation failed due to error TimeoutError."},
		"malformed answer":  {iv, Function{Arn: testArn, Url: srv.URL + "/garbage"}, KindInvalid, "Unrecognizable lambda output"},
		"unreachable":       {iv, Function{Arn: testArn, Url: deadURL}, KindUnexpected, "PreSignUp invocation failed due to error ServiceUnavailable."},
		"hanging (context deadline)": {Invoker{Transport: srv.Client().Transport, Secret: []byte("k"), Now: clock.now, Timeout: time.Millisecond},
			Function{Arn: testArn, Url: srv.URL + "/hang"}, KindUnexpected, "PreSignUp invocation failed due to error TimeoutError."},
		"binding off the Worker": {iv, Function{Arn: testArn, Service: "HOOK"}, KindUnexpected, "PreSignUp invocation failed due to error ServiceUnavailable."},
		"no transport":           {Invoker{Secret: []byte("k"), Now: clock.now}, Function{Arn: testArn, Url: srv.URL}, KindUnexpected, ""},
		"no secret":              {Invoker{Transport: srv.Client().Transport, Now: clock.now}, Function{Arn: testArn, Url: srv.URL}, KindUnexpected, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.iv.Invoke(context.Background(), c.fn, "PreSignUp", testEvent())
			var te *Error
			if !errors.As(err, &te) || te.Kind != c.kind {
				t.Fatalf("got %v, want kind %d", err, c.kind)
			}
			if c.msg != "" && te.Message != c.msg {
				t.Fatalf("message %q, want %q", te.Message, c.msg)
			}
			if strings.Contains(te.Message, "127.0.0.1") {
				t.Fatalf("message names the endpoint: %q", te.Message)
			}
		})
	}
}
