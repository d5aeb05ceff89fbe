package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

// Helpers of the concurrency tests (issue 13): a barrier that releases every request of a race
// at once, outcome tallies, and a hostsim whose instance pool is large and proven to run
// requests in parallel.

// raceTimeout bounds one round of a race (all its requests and its checks).
const raceTimeout = 2 * time.Minute

// race starts n goroutines, parks each on a barrier once it is ready, releases them all at
// once and returns what each call of f returned. f must not call t.Fatal (it runs off the test
// goroutine).
func race[T any](n int, f func(i int) (T, error)) ([]T, []error) {
	vals := make([]T, n)
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			vals[i], errs[i] = f(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return vals, errs
}

// outcome names a call's result: "200", the API error code, or "transport: …".
func outcome(err error) string {
	if err == nil {
		return "200"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return "transport: " + msg
}

// tally counts outcomes.
type tally map[string]int

func tallyOf(errs []error) tally {
	c := tally{}
	for _, err := range errs {
		c[outcome(err)]++
	}
	return c
}

func (c tally) String() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s×%d", k, c[k])
	}
	return b.String()
}

// warmed are the endpoints whose races run on pre-opened keep-alive connections.
var warmed sync.Map // *Endpoint → true

// raceReady gives ep an HTTP client that keeps enough idle connections for a whole race of n
// and opens them, so that released requests do not queue behind TCP handshakes; raceOn opens
// them again before each race.
func raceReady(t testing.TB, ep *Endpoint, n int) {
	t.Helper()
	tr := shortIdleTransport()
	tr.IdleConnTimeout = 4 * time.Second // still under Node's 5 s (see httpClient)
	if ep.KeepsIdle > 90*time.Second {
		tr.IdleConnTimeout = ep.idleFor()
	}
	tr.MaxIdleConns = 4 * n
	tr.MaxIdleConnsPerHost = 2 * n
	ep.setHTTPClient(&http.Client{Transport: tr})
	warmed.Store(ep, true)
	warm(t, ep, n)
}

// warmAttempts bounds how often warm sends again the calls that failed in transport: a
// Worker under wrangler dev on a loaded machine answers in hundreds of milliseconds and now and
// then drops a connection, which is not what the races test.
const warmAttempts = 3

// warm opens n connections to ep (n parallel cheap calls) and leaves them idle. Calls that
// failed in transport are sent again, as many at once as failed; an API error fails at once.
func warm(t testing.TB, ep *Endpoint, n int) {
	t.Helper()
	admin := ep.Admin()
	pending := n
	for attempt := 1; ; attempt++ {
		_, errs := race(pending, func(int) (*cip.ListUserPoolsOutput, error) {
			return admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
		})
		c := tallyOf(errs)
		failed := 0
		var first error
		for _, err := range errs {
			if err == nil {
				continue
			}
			var ae smithy.APIError
			if errors.As(err, &ae) {
				t.Fatalf("warming %d connections: %s (%v)", n, c, err)
			}
			failed++
			if first == nil {
				first = err
			}
		}
		if failed == 0 {
			return
		}
		if attempt == warmAttempts {
			t.Fatalf("warming %d connections: %s after %d attempts; first: %v", n, c, attempt, first)
		}
		t.Logf("warming %d connections, attempt %d: %d failed in transport (%v); sending them again", n, attempt, failed, first)
		pending = failed
	}
}

// reread makes a read-only call, once more (up to readAttempts in all) when it failed in
// transport: the checks after a race read what the race left, and on a loaded machine Go's
// transport now and then loses a response it had begun to read ("use of closed network
// connection", closed by its own write loop). An API error fails at once.
func reread[T any](t testing.TB, read func() (T, error)) T {
	t.Helper()
	for attempt := 1; ; attempt++ {
		v, err := read()
		var ae smithy.APIError
		if err == nil || errors.As(err, &ae) || attempt == readAttempts {
			return call(v, err).must(t)
		}
		t.Logf("a check's read failed in transport (attempt %d), reading again: %v", attempt, err)
	}
}

// readAttempts bounds reread.
const readAttempts = 3

// raceOn is race against ep, on n pre-opened connections when raceReady set ep up for them.
func raceOn[T any](t testing.TB, ep *Endpoint, n int, f func(i int) (T, error)) ([]T, []error) {
	t.Helper()
	if _, ok := warmed.Load(ep); ok {
		warm(t, ep, n)
	}
	return race(n, f)
}

// raceInstances is the instance count of the hostsim the race tests start (≥ 4, so that the
// module really runs requests side by side whatever GOMAXPROCS is).
const raceInstances = 8

// probeSender records messages like message.Recorder and, while a probe is armed, holds every
// Send until want of them are in flight at once: Send runs inside the guest's call, on the
// instance serving the request, so want Sends in flight prove want instances ran at once.
type probeSender struct {
	message.Recorder

	mu       sync.Mutex
	inflight int
	peak     int
	want     int
	gate     chan struct{} // non-nil while armed; closed when want Sends are in flight
}

func (p *probeSender) Send(ctx context.Context, m message.Message) error {
	p.mu.Lock()
	p.inflight++
	p.peak = max(p.peak, p.inflight)
	gate := p.gate
	if gate != nil && p.inflight >= p.want {
		close(gate)
		p.gate = nil
	}
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	p.mu.Lock()
	p.inflight--
	p.mu.Unlock()
	return p.Recorder.Send(ctx, m)
}

// arm makes the next Sends wait until want are in flight; the returned channel is closed then.
func (p *probeSender) arm(want int) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.want, p.peak = want, p.inflight
	p.gate = make(chan struct{})
	return p.gate
}

// disarm releases any waiting Send and reports the peak of Sends in flight since arm.
func (p *probeSender) disarm() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate != nil {
		close(p.gate)
		p.gate = nil
	}
	return p.peak
}

// startRaceSim starts hostsim as it is deployed, a pool of instances over one bbolt file (in a
// temporary data directory), with raceInstances instances and a probeSender.
func startRaceSim(t *testing.T) (*Endpoint, *probeSender) {
	t.Helper()
	clock := newFakeClock(fakeStart)
	ps := &probeSender{}
	logs := &logBuffer{}
	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath:           guestPath,
		CompilationCacheDir:  cacheDir,
		DataDir:              t.TempDir(),
		Addr:                 "127.0.0.1:0",
		Region:               testRegion,
		IssuerBase:           testIssuerBase,
		AdminAccessKeyID:     testAdminKeyID,
		AdminSecretAccessKey: testAdminSecret,
		MasterKey:            testMasterKey,
		Clock:                clock.Now,
		Sender:               ps,
		Instances:            raceInstances,
		Logf:                 logs.logf,
	})
	if err != nil {
		t.Fatalf("hostsim.Start: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		if tail := logs.tail(60); t.Failed() && tail != "" {
			t.Logf("server log (last lines):\n%s", tail)
		}
	})
	return &Endpoint{
		URL:        srv.URL(),
		Region:     testRegion,
		IssuerBase: testIssuerBase,
		AdminKeyID: testAdminKeyID,
		AdminKey:   testAdminSecret,
		Clock:      clock,
		Messages:   ps.Messages,
		KeepsIdle:  hostsimKeepsIdle,
		calls:      newCallLog(),
	}, ps
}

// checkParallel proves the hostsim instance pool runs requests side by side: want SignUps of
// different users (each sends a confirmation code) must be inside the guest at the same time.
// The wait is bounded: after a minute the probe is released and the test fails.
func checkParallel(t *testing.T, ep *Endpoint, ps *probeSender, want int) {
	t.Helper()
	f := newFixture(t, ep, nil, nil)
	opened := ps.arm(want)
	pub := ep.Public()
	var peak int
	done := make(chan []error, 1)
	go func() {
		_, errs := race(want, func(i int) (*cip.SignUpOutput, error) {
			u := fmt.Sprintf("parallel%d", i)
			return pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String(u),
				Password: aws.String("Passw0rd-par"), UserAttributes: []types.AttributeType{attr("email", u+"@example.com")}})
		})
		done <- errs
	}()
	select {
	case <-opened:
		peak = want
	case <-time.After(time.Minute):
		peak = ps.disarm()
		t.Errorf("hostsim with %d instances: only %d of %d SignUps were inside the guest at once within a minute; requests do not run in parallel", raceInstances, peak, want)
	}
	errs := <-done
	ps.disarm()
	if c := tallyOf(errs); c["200"] != want {
		t.Errorf("parallel SignUps of distinct users: %s", c)
	}
	t.Logf("RESULT hostsim parallelism: %d guest calls in flight at once (instances %d)", peak, raceInstances)
}
