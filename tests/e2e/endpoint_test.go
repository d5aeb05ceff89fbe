package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/message"
)

// Endpoint is a running poolgate as the scenarios see it: a base URL, the admin key pair, the
// issuer base, control of the server's clock, and the messages it sent. The scenarios use
// nothing else, so the same scenarios can run against hostsim and, later, the Worker.
type Endpoint struct {
	URL        string // base URL of the API, e.g. http://127.0.0.1:41234
	Region     string
	IssuerBase string // tokens carry iss = IssuerBase + "/" + poolId
	AdminKeyID string
	AdminKey   string
	Clock      Clock
	// Messages returns every message the server has sent so far, oldest first.
	Messages func() []message.Message
	// LogBytes, when set, returns how many bytes the server has logged so far (lines may
	// arrive late from a Worker: a bound checked with it holds, whatever arrives after).
	LogBytes func() int

	calls *callLog // every SDK call made through this endpoint's clients
	// KeepsIdle is how long the server keeps an idle keep-alive connection open; 0: Node's
	// 5 s (wrangler dev's among them). The endpoint's clients close theirs sooner (idleFor).
	KeepsIdle time.Duration

	// httpc is this endpoint's own HTTP client: its connections are not shared with the
	// servers of other tests (a shared pool can hand a test a connection another test's
	// server shutdown is closing).
	httpcMu sync.Mutex
	httpc   *http.Client
}

// httpClient returns the endpoint's own HTTP client. Its idle connections close before the
// server's side does (idleFor): a request sent on a connection the server is closing that
// moment gets "connection reset" instead of an answer.
func (ep *Endpoint) httpClient() *http.Client {
	ep.httpcMu.Lock()
	defer ep.httpcMu.Unlock()
	if ep.httpc == nil {
		tr := shortIdleTransport()
		tr.IdleConnTimeout = ep.idleFor()
		ep.httpc = &http.Client{Transport: tr}
	}
	return ep.httpc
}

// setHTTPClient replaces the endpoint's HTTP client (clients made before keep the old one).
func (ep *Endpoint) setHTTPClient(c *http.Client) {
	ep.httpcMu.Lock()
	ep.httpc = c
	ep.httpcMu.Unlock()
}

// idleFor is how long the endpoint's clients keep an idle connection: 2 s under Node's 5 s;
// net/http's default 90 s for a server that keeps connections longer (hostsim: 2 min).
func (ep *Endpoint) idleFor() time.Duration {
	if ep.KeepsIdle > 90*time.Second {
		return 90 * time.Second
	}
	return 2 * time.Second
}

// shortIdleTransport is http.DefaultTransport with idle connections closed after 2 s (see
// httpClient); its connections name their closer in a read error after the close
// (tracedConn).
func shortIdleTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.IdleConnTimeout = 2 * time.Second
	t.DialContext = tracedDial
	return t
}

// plainClient is http.DefaultClient with shortIdleTransport, for requests outside an
// Endpoint's own client.
var plainClient = &http.Client{Transport: shortIdleTransport()}

// Clock is the server's clock as the tests control it.
type Clock interface {
	Now() time.Time
	// Advance moves the server's clock forward; real-clock endpoints fail the test.
	Advance(t testing.TB, d time.Duration)
}

// fakeClock is a clock the test moves by hand; hostsim reads it for the guest's wall and
// monotonic clocks, and the test's own signer and JWT checks read it too.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	if d < 0 {
		t.Fatalf("clock cannot go back (%v)", d)
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// realClock is the wall clock (identity-js signs SRP TIMESTAMPs with it).
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	t.Fatalf("this endpoint runs on the real clock; cannot advance it by %v", d)
}

// Now is the server's current time.
func (ep *Endpoint) Now() time.Time { return ep.Clock.Now() }

// Advance moves the server's clock forward.
func (ep *Endpoint) Advance(t testing.TB, d time.Duration) { t.Helper(); ep.Clock.Advance(t, d) }

// Admin returns an SDK client signing with the admin key pair.
func (ep *Endpoint) Admin() *cip.Client {
	return ep.client(aws.Credentials{AccessKeyID: ep.AdminKeyID, SecretAccessKey: ep.AdminKey}, 0)
}

// Public returns an SDK client with anonymous credentials: it never signs, which is what real
// apps do for the public operations (the SDK does not sign them even with credentials).
func (ep *Endpoint) Public() *cip.Client { return ep.clientWith(aws.AnonymousCredentials{}, 0) }

// WithKey returns a client signing with an arbitrary key pair (wrong credentials).
func (ep *Endpoint) WithKey(akid, secret string) *cip.Client {
	return ep.client(aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, 0)
}

// Skewed returns an admin client whose signing clock is off by skew from the server's.
func (ep *Endpoint) Skewed(skew time.Duration) *cip.Client {
	return ep.client(aws.Credentials{AccessKeyID: ep.AdminKeyID, SecretAccessKey: ep.AdminKey}, skew)
}

func (ep *Endpoint) client(c aws.Credentials, skew time.Duration) *cip.Client {
	return ep.clientWith(credentials(c), skew)
}

func credentials(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

func (ep *Endpoint) clientWith(creds aws.CredentialsProvider, skew time.Duration) *cip.Client {
	if ep.calls == nil {
		ep.calls = newCallLog()
	}
	return cip.New(cip.Options{
		Region:           ep.Region,
		BaseEndpoint:     aws.String(ep.URL),
		Credentials:      creds,
		RetryMaxAttempts: 1,
		HTTPClient:       &recordingDoer{inner: ep.httpClient(), log: ep.calls},
		// Sign with the server's clock (a fake clock may be far from the wall clock).
		HTTPSignerV4: clockSigner{inner: v4.NewSigner(), now: func() time.Time { return ep.Now().Add(skew) }},
	})
}

// clockSigner is the SDK's own SigV4 signer with the signing time taken from the test's clock.
type clockSigner struct {
	inner *v4.Signer
	now   func() time.Time
}

func (s clockSigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.inner.SignHTTP(ctx, c, r, payloadHash, service, region, s.now(), optFns...)
}

// callLog records which X-Amz-Target each SDK call used and whether it succeeded, so that the
// suite can prove it drove every action of the issue successfully at least once.
type callLog struct {
	mu   sync.Mutex
	ok   map[string]int // action → successful calls
	slow []slowCall     // the slowest calls, slowest first
}

type slowCall struct {
	action string
	took   time.Duration
}

func newCallLog() *callLog { return &callLog{ok: map[string]int{}} }

func (l *callLog) record(action string, status int, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if status >= 200 && status <= 299 {
		l.ok[action]++
	}
	l.slow = append(l.slow, slowCall{action, took})
	sort.Slice(l.slow, func(i, j int) bool { return l.slow[i].took > l.slow[j].took })
	if len(l.slow) > 10 {
		l.slow = l.slow[:10]
	}
}

// slowest describes the slowest calls seen (wall time at the client).
func (l *callLog) slowest() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, c := range l.slow {
		fmt.Fprintf(&b, "%s %v; ", c.action, c.took.Round(time.Millisecond))
	}
	return b.String()
}

// missing returns the actions in want that never succeeded.
func (l *callLog) missing(want []string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, a := range want {
		if l.ok[a] == 0 {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

type recordingDoer struct {
	inner *http.Client
	log   *callLog
}

func (d *recordingDoer) Do(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := d.inner.Do(r)
	if err == nil {
		target := r.Header.Get("X-Amz-Target")
		d.log.record(target[strings.LastIndex(target, ".")+1:], resp.StatusCode, time.Since(start))
	}
	return resp, err
}
