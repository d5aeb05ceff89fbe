package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDoReturnsTheAnswerWithoutFollowingRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		io.WriteString(w, "hello "+r.Header.Get("X-Name"))
	}))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("X-Name", "poolgate")
	resp, err := Do(srv.Client().Transport, req, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello poolgate" {
		t.Fatalf("body %q", body)
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/moved", nil)
	resp, err = Do(srv.Client().Transport, req, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" {
		t.Fatalf("redirect: status %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// stallTransport answers only when the request's context ends.
type stallTransport struct{}

func (stallTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

func TestDoTimeoutIsADeadline(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	_, err := Do(stallTransport{}, req, time.Nanosecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a deadline", err)
	}
}

func TestDoWithoutTransport(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	if _, err := Do(nil, req, 0); err == nil {
		t.Fatal("no transport: want an error")
	}
}
