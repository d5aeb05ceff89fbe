package hostsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/boltstore"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

// echoed mirrors the test guest's /echo report.
type echoed struct {
	Method, URI, Path, RawQuery, Host, RemoteAddr string
	Header                                        http.Header
	Body                                          []byte
	ContentLength                                 int64
}

func TestRequestRoundTrip(t *testing.T) {
	s := start(t, Options{})
	body := "binary \x00\xff body " + strings.Repeat("x", 100<<10)
	r := httptest.NewRequest("POST", "/echo?a=1&b=%2F&a=2", strings.NewReader(body))
	r.Host = "cognito-idp.us-east-1.amazonaws.com"
	r.RemoteAddr = "203.0.113.7:4242"
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
	r.Header.Add("Accept", "a")
	r.Header.Add("Accept", "b")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, r)

	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Values("X-Multi"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("multi-valued response header = %q", got)
	}
	if rec.Header().Get("Date") == "" {
		t.Error("no Date header")
	}
	var e echoed
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	want := echoed{
		Method: "POST", URI: "/echo?a=1&b=%2F&a=2", Path: "/echo", RawQuery: "a=1&b=%2F&a=2",
		Host: "cognito-idp.us-east-1.amazonaws.com", RemoteAddr: "203.0.113.7:4242",
		Body: []byte(body), ContentLength: int64(len(body)),
	}
	if e.Method != want.Method || e.URI != want.URI || e.Path != want.Path || e.RawQuery != want.RawQuery ||
		e.Host != want.Host || e.RemoteAddr != want.RemoteAddr || !bytes.Equal(e.Body, want.Body) || e.ContentLength != want.ContentLength {
		t.Errorf("guest saw %+v", e)
	}
	if got := e.Header.Values("Accept"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("guest saw Accept %q", got)
	}
	if e.Header.Get("X-Amz-Target") != "AWSCognitoIdentityProviderService.InitiateAuth" {
		t.Errorf("guest saw headers %v", e.Header)
	}
}

func TestLargeResponse(t *testing.T) {
	s := start(t, Options{})
	for _, n := range []int{0, 1, 70000, 3 << 20} {
		code, _, body := do(t, s, "GET", "/big?n="+strconv.Itoa(n), "")
		if code != 200 || len(body) != n || (n > 20 && body[16:20] != "0123") {
			t.Fatalf("/big?n=%d: status %d, %d bytes", n, code, len(body))
		}
	}
}

// TestStoreThroughGuest runs the store conformance suite against the guest's store.Store: every
// call crosses the ABI (kv_* imports, sized results, error codes) to the host's memstore.
func TestStoreThroughGuest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s := start(t, Options{Store: memstore.New(now), Clock: now})
		return guestStore{t: t, h: s.Handler()}
	})
}

// TestStoreThroughGuestOnBolt runs the suite through the guest onto a bbolt file, as hostsim
// serves: the racing subtests' goroutines are requests spread over several wasm instances,
// each its own guest with its own memory, meeting only in the file.
func TestStoreThroughGuestOnBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		bolt, err := boltstore.Open(filepath.Join(t.TempDir(), "poolgate.db"), now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bolt.Close() })
		s := start(t, Options{Store: bolt, Clock: now, Instances: 4})
		return guestStore{t: t, h: s.Handler()}
	})
}

// guestStore is a store.Store that calls the test guest's /kv and /list endpoints.
type guestStore struct {
	t *testing.T
	h http.Handler
}

func (g guestStore) call(ctx context.Context, method, target string, body []byte) (*httptest.ResponseRecorder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, httptest.NewRequest(method, target, bytes.NewReader(body)))
	if rec.Code >= 400 && rec.Code != http.StatusNotFound {
		return nil, errors.New(rec.Body.String())
	}
	return rec, nil
}

func (g guestStore) Get(ctx context.Context, key string) ([]byte, error) {
	rec, err := g.call(ctx, "GET", "/kv?key="+url.QueryEscape(key), nil)
	if err != nil {
		return nil, err
	}
	if rec.Code == http.StatusNotFound {
		return nil, store.ErrNotFound
	}
	return rec.Body.Bytes(), nil
}

var _ store.UnchangedGetter = guestStore{}

// GetUnlessUnchanged is the guest store's (the kv_get_unless_unchanged import).
func (g guestStore) GetUnlessUnchanged(ctx context.Context, key string, have []byte) ([]byte, bool, error) {
	rec, err := g.call(ctx, "POST", "/kv/unless-unchanged?key="+url.QueryEscape(key), have)
	switch {
	case err != nil:
		return nil, false, err
	case rec.Code == http.StatusNotFound:
		return nil, false, store.ErrNotFound
	case rec.Header().Get("X-Unchanged") == "1":
		return nil, true, nil
	}
	return rec.Body.Bytes(), false, nil
}

func (g guestStore) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	_, err := g.call(ctx, "PUT", "/kv?key="+url.QueryEscape(key)+"&ttl="+strconv.Itoa(int(opts.TTL)), value)
	return err
}

func (g guestStore) Delete(ctx context.Context, key string) error {
	_, err := g.call(ctx, "DELETE", "/kv?key="+url.QueryEscape(key), nil)
	return err
}

func (g guestStore) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	rec, err := g.call(ctx, "GET", "/entry?key="+url.QueryEscape(key), nil)
	if err != nil {
		return store.Entry{}, err
	}
	if rec.Code == http.StatusNotFound {
		return store.Entry{}, store.ErrNotFound
	}
	v, err := strconv.ParseUint(rec.Header().Get("X-Version"), 10, 64)
	if err != nil {
		return store.Entry{}, fmt.Errorf("X-Version: %w", err)
	}
	return store.Entry{Value: rec.Body.Bytes(), Version: store.Version(v)}, nil
}

func (g guestStore) Commit(ctx context.Context, ops []store.Op) error {
	// As the test guest's commitOp: the key as bytes, since JSON strings cannot carry invalid UTF-8.
	type commitOp struct {
		store.Op
		Key []byte
	}
	in := make([]commitOp, len(ops))
	for i, op := range ops {
		in[i] = commitOp{Op: op, Key: []byte(op.Key)}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, httptest.NewRequest("POST", "/commit", bytes.NewReader(body)))
	switch rec.Code {
	case http.StatusNoContent:
		return nil
	case http.StatusConflict:
		return store.ErrConflict
	}
	return errors.New(rec.Body.String())
}

func (g guestStore) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	q := url.Values{"prefix": {prefix}, "cursor": {cursor}, "limit": {strconv.Itoa(limit)}}
	rec, err := g.call(ctx, "GET", "/list?"+q.Encode(), nil)
	if err != nil {
		return store.Page{}, err
	}
	var p store.Page
	err = json.Unmarshal(rec.Body.Bytes(), &p)
	return p, err
}

// TestClockInjection moves the injected clock and observes it in the guest's time.Now and in
// the Date header the guest adds.
func TestClockInjection(t *testing.T) {
	clock := storetest.NewClock(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC))
	s := start(t, Options{Clock: clock.Now})
	check := func(want time.Time) {
		t.Helper()
		code, h, body := do(t, s, "GET", "/time", "")
		if code != 200 || body != want.Format(time.RFC3339Nano) {
			t.Fatalf("guest time = %q (status %d), want %s", body, code, want.Format(time.RFC3339Nano))
		}
		if got := h.Get("Date"); got != want.Format(http.TimeFormat) {
			t.Fatalf("Date = %q, want %q", got, want.Format(http.TimeFormat))
		}
	}
	check(clock.Now())
	clock.Advance(90 * time.Minute)
	check(clock.Now())
	clock.Advance(400 * 24 * time.Hour)
	check(clock.Now())
}

// TestRealClockAndRandomness: without an injected clock the guest reads the real clock (wazero's
// default is a fake one), and instances draw different random values (its default random source
// is deterministic).
func TestRealClockAndRandomness(t *testing.T) {
	s := start(t, Options{})
	before := time.Now()
	_, _, body := do(t, s, "GET", "/time", "")
	got, err := time.Parse(time.RFC3339Nano, body)
	if err != nil {
		t.Fatal(err)
	}
	if got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Fatalf("guest time %v, host time %v", got, before)
	}
	other := start(t, Options{})
	a, b := counterID(t, s), counterID(t, other)
	if a == b {
		t.Fatalf("two instances drew the same random ID %q", a)
	}
}

// TestPanicKeepsInstance: a handler panic is recovered in the guest (500, nothing of the partial
// response) and the instance keeps serving.
func TestPanicKeepsInstance(t *testing.T) {
	s := start(t, Options{Instances: 1})
	id := counterID(t, s)
	code, h, body := do(t, s, "GET", "/panic", "")
	if code != 500 || h.Get("X-Partial") != "" || !strings.Contains(body, "InternalErrorException") {
		t.Fatalf("panic: status %d, header %v, body %s", code, h, body)
	}
	if got := counterID(t, s); got != id {
		t.Fatalf("instance changed after a recovered panic: %s -> %s", id, got)
	}
}

// TestExitReplacesInstance: a guest that exits is discarded and a fresh instance serves the
// next request.
func TestExitReplacesInstance(t *testing.T) {
	s := start(t, Options{Instances: 1})
	id := counterID(t, s)
	if code, _, body := do(t, s, "GET", "/exit", ""); code != 500 || !strings.Contains(body, "InternalErrorException") {
		t.Fatalf("exit: status %d, body %s", code, body)
	}
	if got := counterID(t, s); got == id {
		t.Fatal("the instance that exited served again")
	}
	if n := s.pool.created.Load(); n != 2 {
		t.Fatalf("%d instances created, want 2", n)
	}
}

// TestDeadlineAbandonsOverrunningGuest: a request that overruns the timeout gets a 504 at the
// deadline, over HTTP, on a connection that closes after it (the guest runs on in the request's
// goroutine); a fresh instance serves the next request; the overrunning one is closed when it
// finishes.
func TestDeadlineAbandonsOverrunningGuest(t *testing.T) {
	// The deadline leaves a replacement instance room to start and answer /counter on a
	// loaded machine (200 ms did not, with workerd tests running beside it).
	s := start(t, Options{Instances: 1, RequestTimeout: time.Second, Addr: "127.0.0.1:0"})
	id := counterID(t, s)
	for _, tc := range []struct {
		name, method, body string
		closes             bool // the connection closes after the 504
	}{
		{"no body", "GET", "", true},                     // the guest runs on the request's goroutine
		{"pending body", "PUT", "a pending body", false}, // the guest runs on a goroutine of its own
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Now()
			req, _ := http.NewRequest(tc.method, s.URL()+"/spin?for=6s", strings.NewReader(tc.body))
			if tc.body == "" {
				req.Body = nil
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("reading the 504: %v", err)
			}
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("overrunning guest: status %d %s, want 504", resp.StatusCode, body)
			}
			if d := time.Since(t0); d > 5*time.Second {
				t.Fatalf("504 after %v: the answer waited for the guest", d)
			}
			if resp.Close != tc.closes {
				t.Fatalf("Connection: close on the 504 is %v, want %v", resp.Close, tc.closes)
			}
			if got := counterID(t, s); got == id {
				t.Fatal("the abandoned instance served again")
			}
			if n := s.pool.running.Load(); n != 1 {
				t.Fatalf("%d abandoned instances running, want 1", n)
			}
			s.pool.abandoned.Wait()
			if n := s.pool.running.Load(); n != 0 {
				t.Fatalf("%d abandoned instances still running after they finished", n)
			}
			id = counterID(t, s)
		})
	}
}

// TestStrictDeadlineStopsRunawayGuest: with StrictDeadline a guest that never returns is stopped
// at the deadline and replaced.
func TestStrictDeadlineStopsRunawayGuest(t *testing.T) {
	s := start(t, Options{Instances: 1, RequestTimeout: 300 * time.Millisecond, StrictDeadline: true})
	id := counterID(t, s)
	t0 := time.Now()
	if code, _, _ := do(t, s, "GET", "/spin", ""); code != http.StatusGatewayTimeout {
		t.Fatalf("runaway guest: status %d, want 504", code)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Fatalf("runaway guest stopped after %v", d)
	}
	if got := counterID(t, s); got == id {
		t.Fatal("the stopped instance served again")
	}
	if n := s.pool.running.Load(); n != 0 {
		t.Fatalf("%d instances left running in strict mode", n)
	}
}

// TestPoolBoundsInstances: many concurrent requests are served by at most Instances instances.
func TestPoolBoundsInstances(t *testing.T) {
	s := start(t, Options{Instances: 2})
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				id := counterID(t, s)
				mu.Lock()
				ids[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(ids) == 0 || len(ids) > 2 {
		t.Fatalf("%d distinct instances served, want 1 or 2", len(ids))
	}
	if n := s.pool.created.Load(); n > 2 {
		t.Fatalf("%d instances created, want at most 2", n)
	}
}

func TestRuntimeConfig(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	s := start(t, Options{Addr: "127.0.0.1:0", Region: "eu-central-1", AdminAccessKeyID: "AKIDTEST", AdminSecretAccessKey: "secret", MasterKey: key})
	var got struct {
		Region, IssuerBase, AccountID, AdminAccessKeyID, AdminSecretAccessKey string
		MasterKey                                                             []byte
		PureCrypto                                                            bool
	}
	_, _, body := do(t, s, "GET", "/config", "")
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Region != "eu-central-1" || got.IssuerBase != s.URL() || got.AccountID != "000000000000" ||
		got.AdminAccessKeyID != "AKIDTEST" || got.AdminSecretAccessKey != "secret" || !bytes.Equal(got.MasterKey, key) || got.PureCrypto {
		t.Fatalf("guest runtime config %+v (server URL %s)", got, s.URL())
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.IssuerBase() != s.URL() {
		t.Fatalf("URL %q, issuer base %q", s.URL(), s.IssuerBase())
	}
	// The listener serves the same handler.
	resp, err := http.Get(s.URL() + "/time")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET over the listener: %s", resp.Status)
	}
}

func TestInitFailureFailsStart(t *testing.T) {
	_, err := Start(context.Background(), Options{ModuleBytes: testGuest.bytes(t), NoListen: true, Region: "fail-init",
		CompilationCacheDir: filepath.Join(testDir, "cache"), Logf: newTestLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "region fail-init is refused") {
		t.Fatalf("Start with a refused runtime config: %v", err)
	}
}

func TestApplyConfig(t *testing.T) {
	s := start(t, Options{Config: []byte(`{"pools":[1,2]}`)})
	if s.Applied() != "testguest: stored 15 bytes" {
		t.Fatalf("Applied() = %q", s.Applied())
	}
	if _, _, body := do(t, s, "GET", "/kv?key=testguest/config", ""); body != `{"pools":[1,2]}` {
		t.Fatalf("stored config %q", body)
	}
	if _, err := s.Apply(context.Background(), []byte("not json")); err == nil || !strings.Contains(err.Error(), "testguest: config is not JSON") {
		t.Fatalf("Apply(bad) error %v", err)
	}
	// A config error leaves the instance healthy.
	if n := s.pool.created.Load(); n != 1 {
		t.Fatalf("%d instances after a failed apply, want 1", n)
	}
	_, err := Start(context.Background(), Options{ModuleBytes: testGuest.bytes(t), NoListen: true, Config: []byte("{"),
		CompilationCacheDir: filepath.Join(testDir, "cache"), Logf: newTestLogger(t)})
	if err == nil {
		t.Fatal("Start applied a bad config without error")
	}
}

func TestSendMessage(t *testing.T) {
	m := message.Message{Time: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Pool: "us-east-1_X", Username: "alice",
		Destination: "alice@example.com", Medium: "EMAIL", Attribute: "email", Kind: message.KindSignUp, Code: "123456"}
	raw, _ := json.Marshal(m)

	rec := &message.Recorder{}
	s := start(t, Options{Sender: rec})
	if code, _, body := do(t, s, "POST", "/send", string(raw)); code != http.StatusNoContent {
		t.Fatalf("send: %d %s", code, body)
	}
	if got := rec.Messages(); len(got) != 1 || got[0] != m {
		t.Fatalf("recorded %+v", got)
	}

	failing := message.SenderFunc(func(context.Context, message.Message) error { return errors.New("smtp down") })
	s = start(t, Options{Sender: failing})
	if code, _, body := do(t, s, "POST", "/send", string(raw)); code != http.StatusBadGateway || !strings.Contains(body, "host internal error") {
		t.Fatalf("send with a failing sender: %d %s", code, body)
	}

	// The default sender is the outbox file.
	dir := t.TempDir()
	s = start(t, Options{DataDir: dir})
	do(t, s, "POST", "/send", string(raw))
	do(t, s, "POST", "/send", string(raw))
	lines, err := os.ReadFile(filepath.Join(dir, "outbox.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat(string(raw)+"\n", 2); string(lines) != want {
		t.Fatalf("outbox:\n%s\nwant:\n%s", lines, want)
	}
}

func TestLogReachesHost(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s := start(t, Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}})
	do(t, s, "GET", "/log?msg=hello+from+the+guest", "")
	do(t, s, "GET", "/panic", "")
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "guest info: hello from the guest") {
		t.Errorf("log lines lack the guest's line:\n%s", all)
	}
	if !strings.Contains(all, "guest error: guest: panic serving GET /panic: testguest: deliberate panic") {
		t.Errorf("log lines lack the panic:\n%s", all)
	}
}

// TestDataDirPersists: data, admin key pair and master key survive a restart on the same
// DataDir; secrets.json is private; a second server on the same DataDir is refused.
func TestDataDirPersists(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(context.Background(), Options{ModuleBytes: testGuest.bytes(t), NoListen: true, DataDir: dir,
		CompilationCacheDir: filepath.Join(testDir, "cache"), Logf: newTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := do(t, s, "PUT", "/kv?key=user/alice", "v1"); code != http.StatusNoContent {
		t.Fatalf("put: %d %s", code, body)
	}
	id, secret := s.AdminCredentials()
	if len(id) != 20 || !strings.HasPrefix(id, "AKIA") || len(secret) != 40 {
		t.Fatalf("generated key pair %q %q", id, secret)
	}
	_, err = Start(context.Background(), Options{ModuleBytes: testGuest.bytes(t), NoListen: true, DataDir: dir,
		CompilationCacheDir: filepath.Join(testDir, "cache"), Logf: newTestLogger(t)})
	if err == nil {
		t.Fatal("a second server opened the same data dir")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, SecretsFileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.json mode %v", info.Mode())
	}

	s2 := start(t, Options{DataDir: dir})
	if _, _, body := do(t, s2, "GET", "/kv?key=user/alice", ""); body != "v1" {
		t.Fatalf("after restart: %q", body)
	}
	id2, secret2 := s2.AdminCredentials()
	if id2 != id || secret2 != secret {
		t.Fatal("the admin key pair changed across a restart")
	}
	var c1 struct{ MasterKey []byte }
	_, _, body := do(t, s2, "GET", "/config", "")
	json.Unmarshal([]byte(body), &c1)
	if len(c1.MasterKey) != 32 {
		t.Fatalf("master key %x", c1.MasterKey)
	}
}

func TestSecretsOptions(t *testing.T) {
	for _, o := range []Options{
		{AdminAccessKeyID: "only-id"},
		{AdminSecretAccessKey: "only-secret"},
		{MasterKey: []byte("short")},
	} {
		o.ModuleBytes = testGuest.bytes(t)
		o.NoListen = true
		if _, err := Start(context.Background(), o); err == nil {
			t.Errorf("Start(%+v) accepted bad secrets", o)
		}
	}
}

// TestRequestTooLarge: a JSON API call (X-Amz-Target) reaches the guest with its body, which
// is bounded; other bodies stay pending (TestPendingBody) and are not.
func TestRequestTooLarge(t *testing.T) {
	s := start(t, Options{})
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/echo", io.LimitReader(zeros{}, maxRequestBytes+1))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp")
	s.Handler().ServeHTTP(rec, r)
	if rec.Code != http.StatusBadRequest || rec.Header().Get("x-amzn-ErrorType") != "SerializationException:" ||
		rec.Header().Get("x-amzn-RequestId") == "" || rec.Header().Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("oversized body: status %d, headers %v", rec.Code, rec.Header())
	}
	if !strings.Contains(rec.Body.String(), `"__type":"SerializationException"`) {
		t.Fatalf("oversized body: %s", rec.Body.String())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// counterID returns the random ID of the instance that served a /counter request.
func counterID(t testing.TB, s *Server) string {
	t.Helper()
	code, _, body := do(t, s, "GET", "/counter", "")
	id, _, ok := strings.Cut(body, " ")
	if code != 200 || !ok {
		t.Fatalf("/counter: %d %q", code, body)
	}
	return id
}
