package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

// Fixed test values. The master key must be the same across a restart (at-rest and sealing keys
// derive from it).
const (
	testAdminKeyID  = "AKIAPOOLGATEE2ETEST1"
	testAdminSecret = "e2e/secret/key/for/poolgate/admin/calls00"
	testIssuerBase  = "http://issuer.poolgate.test"
	testRegion      = "us-east-1"
)

var testMasterKey = bytes.Repeat([]byte{0x5a}, 32)

// simOptions are the knobs a test turns on hostsim; everything else is fixed by startSim.
type simOptions struct {
	DataDir string // "" → in-memory store
	Config  []byte // declarative config applied at start
	Clock   Clock  // nil → a fake clock starting at fakeStart
	Sender  *message.Recorder
	// TrustCloudflareHeaders makes the server take the caller's address and country from
	// CF-Connecting-IP and CF-IPCountry, as a hostsim behind Cloudflare would be configured.
	TrustCloudflareHeaders bool
}

// fakeStart is where fake clocks start: a day of month below 10 (so SRP TIMESTAMPs exercise the
// unpadded day) far from the wall clock (so any component reading the real clock shows up).
var fakeStart = time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)

// sim is one running hostsim and the Endpoint that talks to it.
type sim struct {
	*Endpoint
	srv  *hostsim.Server
	opts simOptions
	logs *logBuffer
}

// startSim starts hostsim on the test guest; it is closed when t ends (or by Close).
func startSim(t *testing.T, o simOptions) *sim {
	t.Helper()
	if o.Clock == nil {
		o.Clock = newFakeClock(fakeStart)
	}
	if o.Sender == nil {
		o.Sender = new(message.Recorder)
	}
	s := &sim{opts: o, logs: &logBuffer{}}
	s.start(t)
	t.Cleanup(func() {
		s.Close()
		if tail := s.logs.tail(80); t.Failed() && tail != "" {
			t.Logf("server log (last lines):\n%s", tail)
		}
	})
	return s
}

func (s *sim) start(t *testing.T) {
	t.Helper()
	begin := time.Now()
	o := hostsim.Options{
		ModulePath:           guestPath,
		CompilationCacheDir:  cacheDir,
		DataDir:              s.opts.DataDir,
		Addr:                 "127.0.0.1:0",
		Region:               testRegion,
		IssuerBase:           testIssuerBase,
		AdminAccessKeyID:     testAdminKeyID,
		AdminSecretAccessKey: testAdminSecret,
		MasterKey:            testMasterKey,
		Config:               s.opts.Config,
		Clock:                s.opts.Clock.Now,
		Sender:               s.opts.Sender,
		Logf:                 s.logs.logf,
	}
	if s.opts.TrustCloudflareHeaders {
		o.ClientAddressHeader, o.CountryHeader = clientIPHeader, countryHeader
	}
	srv, err := hostsim.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("hostsim.Start: %v", err)
	}
	t.Logf("hostsim started in %v at %s", time.Since(begin).Round(time.Millisecond), srv.URL())
	s.srv = srv
	if s.Endpoint != nil { // a restart: fixtures keep their *Endpoint, only the URL moves
		s.Endpoint.URL = srv.URL()
		return
	}
	s.Endpoint = &Endpoint{
		URL:        srv.URL(),
		Region:     testRegion,
		IssuerBase: testIssuerBase,
		AdminKeyID: testAdminKeyID,
		AdminKey:   testAdminSecret,
		Clock:      s.opts.Clock,
		Messages:   s.opts.Sender.Messages,
		LogBytes:   s.logs.size,
		KeepsIdle:  hostsimKeepsIdle,
		calls:      newCallLog(),
	}
}

// hostsimKeepsIdle is how long hostsim keeps an idle connection (its default IdleTimeout).
const hostsimKeepsIdle = 2 * time.Minute

// Close stops the server (idempotent).
func (s *sim) Close() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// Restart stops the server and starts a new one on the same data directory, clock and outbox.
func (s *sim) Restart(t *testing.T) {
	t.Helper()
	s.Close()
	s.start(t)
}

// logBuffer keeps the server's log lines; they are printed only when a test fails.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	bytes int
}

func (b *logBuffer) logf(format string, args ...any) {
	b.mu.Lock()
	line := fmt.Sprintf(format, args...)
	b.lines = append(b.lines, line)
	b.bytes += len(line) + 1
	b.mu.Unlock()
}

// size is how many bytes the server has logged so far.
func (b *logBuffer) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.lines
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
