package workerd_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/gateway"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// TestSendUpstreamInWorkerd runs the glue's sendUpstream (edge/bridge.mjs) in workerd: an
// origin's answer comes back with its hop-by-hop headers removed and the gateway's response
// headers added; an origin that sends no response head in time gets the Upstream's TimedOut
// answer, one that cannot be reached its Unreachable answer.
func TestSendUpstreamInWorkerd(t *testing.T) {
	w, _ := startWorker(t, t.TempDir(), edgelocal.Options{Config: filepath.Join(root, "tests", "workerd", "wrangler.test.toml")})

	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Origin", r.Header.Get("X-Sent"))
		io.WriteString(w, "from the origin")
	}))
	defer origin.Close()
	// silent accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	defer func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	}()
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + down.Addr().String() + "/"
	down.Close()

	send := func(url string) (int, http.Header, string) {
		t.Helper()
		u := gateway.Upstream{Method: "GET", URL: url, Header: [][2]string{{"X-Sent", "yes"}}, TimeoutMillis: 300,
			ResponseHeader: [][2]string{{"X-Gateway", "added"}},
			Unreachable:    gateway.Answer{Status: 502, Header: [][2]string{{"Content-Type", "application/json"}}, Body: `{"error":"bad_gateway"}`},
			TimedOut:       gateway.Answer{Status: 504, Header: [][2]string{{"Content-Type", "application/json"}}, Body: `{"error":"gateway_timeout"}`}}
		b, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		c := &http.Client{Timeout: 20 * time.Second}
		resp, err := c.Post(w.URL()+"/sendUpstream", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}

	if status, h, body := send(origin.URL + "/x"); status != 200 || body != "from the origin" || h.Get("X-Origin") != "yes" ||
		h.Get("X-Gateway") != "added" || h.Get("Keep-Alive") != "" {
		t.Fatalf("origin up: %d %v %q", status, h, body)
	}
	if status, _, body := send("http://" + silent.Addr().String() + "/"); status != 504 || body != `{"error":"gateway_timeout"}` {
		t.Fatalf("silent origin: %d %q", status, body)
	}
	if status, _, body := send(downURL); status != 502 || body != `{"error":"bad_gateway"}` {
		t.Fatalf("origin down: %d %q", status, body)
	}
}
