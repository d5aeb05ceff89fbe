package handoff

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServeTimeout: a transport that gives up waiting gets the TimedOut answer.
func TestServeTimeout(t *testing.T) {
	u := &Upstream{Method: "GET", URL: "http://origin.test/", TimeoutMillis: 1000,
		Unreachable: Answer{Status: 502, Body: "down"},
		TimedOut:    Answer{Status: 504, Header: [][2]string{{"Content-Type", "application/json"}}, Body: "slow"}}
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{context.DeadlineExceeded, 504, "slow"},
		{errHeadTimeout, 504, "slow"},
		{errors.New("connection refused"), 502, "down"},
	} {
		w := httptest.NewRecorder()
		Serve(w, httptest.NewRequest("GET", "/", nil), nil, u, failingTransport{tc.err}, func(string, ...any) {})
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("%v: %d %q", tc.err, w.Code, w.Body)
		}
	}
}

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

// TestBodyTeeReplay: the bytes the guest read come first, then the rest of the body; an
// unread body is replayed as it is.
func TestBodyTeeReplay(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	tee := NewBodyTee(io.NopCloser(strings.NewReader(body)))
	head := make([]byte, 1234)
	if _, err := io.ReadFull(tee, head); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(tee.Replay())
	if err != nil || string(got) != body {
		t.Fatalf("replayed %d bytes (%v), want the whole %d", len(got), err, len(body))
	}
	unread := io.NopCloser(strings.NewReader("x"))
	if NewBodyTee(unread).Replay() != unread {
		t.Fatal("an unread body is not passed on as it is")
	}
}
