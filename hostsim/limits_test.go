package hostsim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// deadlineWriter is a ResponseWriter that records the read deadlines set through
// http.ResponseController.
type deadlineWriter struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
}

func (w *deadlineWriter) SetReadDeadline(t time.Time) error {
	w.deadlines = append(w.deadlines, t)
	return nil
}

// chunks is a body that returns its parts one read at a time, then err (io.EOF when nil).
type chunks struct {
	parts []string
	err   error
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts = c.parts[1:]
	return n, nil
}

// TestProgressBodyDeadlines: every read gets now+idle (so a body that keeps arriving is never
// cut, however long it takes), capped by the limit while one is set; the end of the body
// lifts the deadline once; a failed read leaves it.
func TestProgressBodyDeadlines(t *testing.T) {
	const idle = 200 * time.Millisecond
	t0 := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	now := t0
	w := &deadlineWriter{ResponseRecorder: httptest.NewRecorder()}
	b := newProgressBody(w, io.NopCloser(&chunks{parts: []string{"a", "b", "c", "d"}}), idle)
	b.now = func() time.Time { return now }

	buf := make([]byte, 8)
	read := func() {
		t.Helper()
		if _, err := b.Read(buf); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	// Ten idle periods in total, each read within one: a total timeout would have ended it.
	read()
	now = now.Add(idle - time.Millisecond)
	read()
	now = now.Add(idle - time.Millisecond)
	limit := now.Add(idle / 2)
	b.setLimit(limit)
	read()
	b.setLimit(time.Time{})
	now = now.Add(8 * idle)
	read()
	read() // EOF
	read() // after the end: no deadline touched
	want := []time.Time{
		t0.Add(idle),
		t0.Add(2*idle - time.Millisecond),
		limit,
		t0.Add(2*(idle-time.Millisecond) + 9*idle),
		t0.Add(2*(idle-time.Millisecond) + 9*idle), // the read that found the end
		{}, // lifted at the end
	}
	if len(w.deadlines) != len(want) {
		t.Fatalf("deadlines %v, want %v", w.deadlines, want)
	}
	for i := range want {
		if !w.deadlines[i].Equal(want[i]) {
			t.Errorf("deadline %d = %v, want %v", i, w.deadlines[i], want[i])
		}
	}

	// A failed read (a timeout) keeps its deadline, so net/http's drain of the rest is bounded.
	w = &deadlineWriter{ResponseRecorder: httptest.NewRecorder()}
	b = newProgressBody(w, io.NopCloser(&chunks{err: errors.New("i/o timeout")}), idle)
	b.now = func() time.Time { return t0 }
	if _, err := b.Read(buf); err == nil {
		t.Fatal("read succeeded")
	}
	if len(w.deadlines) != 1 || !w.deadlines[0].Equal(t0.Add(idle)) {
		t.Fatalf("deadlines after a failed read %v, want only %v", w.deadlines, t0.Add(idle))
	}
}

// fakeListener hands out the connections sent on conns.
type fakeListener struct{ conns chan net.Conn }

func (l *fakeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// fakeConn is a connection from ip that records whether it was closed.
type fakeConn struct {
	net.Conn // nil: only the methods below are called
	ip       net.IP
	mu       sync.Mutex
	closed   bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: c.ip, Port: 40000} }
func (c *fakeConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}
func (c *fakeConn) isClosed() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.closed }

// TestClientLimitListener: a client address gets max connections; more are closed unseen and
// Accept goes on to other clients; closing one (twice counts once) frees its slot.
func TestClientLimitListener(t *testing.T) {
	a, b := net.IPv4(10, 0, 0, 1), net.ParseIP("2001:db8::2")
	fl := &fakeListener{conns: make(chan net.Conn, 16)}
	var logs []string
	l := newClientLimitListener(fl, 2, func(f string, args ...any) { logs = append(logs, f) })
	accept := func(c *fakeConn) net.Conn {
		t.Helper()
		fl.conns <- c
		got, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	a1 := accept(&fakeConn{ip: a})
	accept(&fakeConn{ip: a})
	// The third and fourth from a are refused; Accept returns b's connection behind them.
	over1, over2, fromB := &fakeConn{ip: a}, &fakeConn{ip: a}, &fakeConn{ip: b}
	fl.conns <- over1
	fl.conns <- over2
	if got := accept(fromB); got.(*countedConn).Conn != fromB {
		t.Fatalf("Accept returned %v, want b's connection", got)
	}
	if !over1.isClosed() || !over2.isClosed() {
		t.Fatal("connections over the limit were not closed")
	}
	if len(logs) != 1 {
		t.Errorf("%d log lines for one client over its limit, want 1", len(logs))
	}
	a1.Close()
	a1.Close()
	again := &fakeConn{ip: a}
	if got := accept(again); got.(*countedConn).Conn != again || again.isClosed() {
		t.Fatal("a freed slot was not given to the client's next connection")
	}
	over3 := &fakeConn{ip: a}
	fl.conns <- over3
	close(fl.conns)
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) || !over3.isClosed() {
		t.Fatalf("Accept = %v (over3 closed %v), want the listener's error after refusing", err, over3.isClosed())
	}
	if newClientLimitListener(fl, -1, nil) != net.Listener(fl) {
		t.Error("a negative limit should leave the listener as it is")
	}
}

// TestSlowClientsAreCut runs a listening server with tiny limits. The only waiting is on the
// server's own deadlines (200 ms); each client read has a generous safety deadline that must
// not be what ends it.
func TestSlowClientsAreCut(t *testing.T) {
	const limit = 200 * time.Millisecond
	s := start(t, Options{Addr: "127.0.0.1:0", ReadHeaderTimeout: limit, BodyIdleTimeout: limit, BodyTimeout: time.Minute})
	addr := strings.TrimPrefix(s.URL(), "http://")
	dial := func(t *testing.T, sent string) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if sent != "" {
			if _, err := io.WriteString(c, sent); err != nil {
				t.Fatal(err)
			}
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Second)) // safety only
		return c
	}
	response := func(t *testing.T, c net.Conn) *http.Response {
		t.Helper()
		start := time.Now()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no response: %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("answered after %v", d)
		}
		return resp
	}

	t.Run("head never finished", func(t *testing.T) {
		c := dial(t, "POST /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		n, err := io.Copy(io.Discard, c)
		if isTimeout(err) {
			t.Fatal("the server did not close the connection; the test's safety deadline did")
		}
		if n > 0 {
			t.Logf("the server answered %d bytes before closing", n)
		}
	})
	t.Run("API body stalls", func(t *testing.T) {
		c := dial(t, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\n"+
			"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{\"ClientId\":")
		resp := response(t, c)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "RequestTimeoutException") {
			t.Fatalf("status %d %s, want 408 RequestTimeoutException", resp.StatusCode, body)
		}
	})
	t.Run("streamed body stalls", func(t *testing.T) {
		c := dial(t, "POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("z", 1000))
		resp := response(t, c)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "error") {
			t.Fatalf("status %d %s, want the guest's 400 for a body that stopped", resp.StatusCode, body)
		}
	})
	t.Run("connections per client", func(t *testing.T) {
		// A server of its own: the connections above may still be closing on the first.
		s := start(t, Options{Addr: "127.0.0.1:0", MaxConnsPerClient: 3})
		addr = strings.TrimPrefix(s.URL(), "http://")
		for range 3 { // kept open (keep-alive) until the test ends
			c := dial(t, "GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp := response(t, c); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		c := dial(t, "GET /time HTTP/1.1\r\nHost: x\r\n\r\n")
		n, err := io.Copy(io.Discard, c)
		if isTimeout(err) || n != 0 {
			t.Fatalf("a fourth connection got %d bytes (err %v), want it closed unanswered", n, err)
		}
	})
}

// TestSteadyStreamOutlivesIdleTimeout streams a gateway body in lockstep with the origin (the
// next piece goes only after the origin's echo of the last came back) for several times the
// body idle timeout: a body that keeps arriving is never cut, however long it lasts. Then the
// client stops sending without ending the body, and the server's idle deadline ends it.
func TestSteadyStreamOutlivesIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	ctx := context.Background()
	origin := newBlobOrigin(t)
	s := start(t, Options{ModuleBytes: realGuest.bytes(t), Addr: "127.0.0.1:0", Config: handoffConfig(origin.URL), BodyIdleTimeout: idle})
	id, secret := s.AdminCredentials()
	admin := cip.NewFromConfig(aws.Config{
		Region:           s.Region(),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		}),
	}, func(o *cip.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	token := handoffToken(t, admin)

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second) // safety only
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/blob/duplex", pr)
	req.Header.Set("Authorization", "Bearer "+token)
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		done <- result{resp, err}
	}()
	began := time.Now()
	piece := []byte("piece 0;")
	if _, err := pw.Write(piece); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	defer res.resp.Body.Close()
	if res.resp.StatusCode != http.StatusOK {
		t.Fatalf("duplex: %d", res.resp.StatusCode)
	}
	pieces := 0
	for i := 1; time.Since(began) < 3*idle; i++ {
		echo := make([]byte, len(piece))
		if _, err := io.ReadFull(res.resp.Body, echo); err != nil || !bytes.Equal(echo, piece) {
			t.Fatalf("echo of piece %d after %v: %q, %v", i-1, time.Since(began), echo, err)
		}
		piece = fmt.Appendf(nil, "piece %d;", i)
		if _, err := pw.Write(piece); err != nil {
			t.Fatal(err)
		}
		pieces = i
	}
	echo := make([]byte, len(piece))
	if _, err := io.ReadFull(res.resp.Body, echo); err != nil || !bytes.Equal(echo, piece) {
		t.Fatalf("echo of the last piece: %q, %v", echo, err)
	}
	t.Logf("%d pieces over %v with a %v idle timeout", pieces+1, time.Since(began), idle)

	// Stalled: the server ends the request body at its idle deadline, and with it the exchange.
	stalled := time.Now()
	rest, _ := io.ReadAll(res.resp.Body)
	if ctx.Err() != nil {
		t.Fatal("the stalled body was not cut; the test's safety deadline ended it")
	}
	if len(rest) != 0 {
		t.Fatalf("the origin echoed %q after the client stopped", rest)
	}
	t.Logf("a stalled body ended %v after the last piece", time.Since(stalled))
}
