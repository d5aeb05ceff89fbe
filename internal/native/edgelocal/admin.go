package edgelocal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Stats are the counters of the Go instance serving the Worker (GET /_poolgate/stats).
type Stats struct {
	Instance   int       `json:"instance"`
	Started    time.Time `json:"started"`
	Requests   int64     `json:"requests"`
	InFlight   int64     `json:"inFlight"`
	Goroutines int       `json:"goroutines"`
	HeapAlloc  uint64    `json:"heapAlloc"`
	HeapInuse  uint64    `json:"heapInuse"`
	HeapSys    uint64    `json:"heapSys"`
	NumGC      uint32    `json:"numGC"`
	WasmMemory int       `json:"wasmMemory"`
	JSValues   int       `json:"jsValues"`
	// Store counts the calls to the store's Durable Objects (a List counts one per object).
	Store struct {
		Gets    int64 `json:"gets"`
		Puts    int64 `json:"puts"`
		Deletes int64 `json:"deletes"`
		Lists   int64 `json:"lists"`
		Commits int64 `json:"commits"`
	} `json:"store"`
	// KV counts the reads of a KV-era namespace (the one-time copy).
	KV struct {
		Gets  int64 `json:"gets"`
		Lists int64 `json:"lists"`
	} `json:"kv"`
}

// clock mirrors the Worker's test clock (Options.TestClock).
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the Worker's clock: the test clock with Options.TestClock, else the wall clock.
func (w *Worker) Now() time.Time {
	if !w.testClock {
		return time.Now()
	}
	w.clock.mu.Lock()
	defer w.clock.mu.Unlock()
	return w.clock.now
}

// Advance moves the Worker's test clock forward by d.
func (w *Worker) Advance(ctx context.Context, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("local: the clock cannot go back (%v)", d)
	}
	return w.setClock(ctx, map[string]int64{"advanceNanos": int64(d)})
}

// SetClock sets the Worker's test clock to t.
func (w *Worker) SetClock(ctx context.Context, t time.Time) error {
	return w.setClock(ctx, map[string]int64{"setUnixNanos": t.UnixNano()})
}

func (w *Worker) setClock(ctx context.Context, in map[string]int64) error {
	if !w.testClock {
		return fmt.Errorf("local: the Worker was started without TestClock; its clock cannot be set")
	}
	w.clock.mu.Lock()
	defer w.clock.mu.Unlock()
	body, _ := json.Marshal(in)
	var out struct {
		NowUnixNanos int64 `json:"nowUnixNanos"`
	}
	if err := w.admin(ctx, http.MethodPost, "/_poolgate/clock", body, w.clock.now, &out); err != nil {
		return err
	}
	w.clock.now = time.Unix(0, out.NowUnixNanos)
	return nil
}

// Crash arms the Worker's Go instance (Options.TestCrash) to die when the after-th request
// from now starts: by os.Exit (how "exit") or by a panic no one recovers (how "panic").
func (w *Worker) Crash(ctx context.Context, after int, how string) error {
	body, _ := json.Marshal(map[string]any{"after": after, "how": how})
	var out map[string]any
	return w.admin(ctx, http.MethodPost, "/_poolgate/crash", body, w.Now(), &out)
}

// Stats reads the serving instance's counters; with gc the instance collects garbage first.
func (w *Worker) Stats(ctx context.Context, gc bool) (*Stats, error) {
	path := "/_poolgate/stats"
	if gc {
		path += "?gc=1"
	}
	var st Stats
	if err := w.admin(ctx, http.MethodGet, path, nil, w.Now(), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// admin makes an admin-signed (SigV4) request and decodes its JSON answer into out.
func (w *Worker) admin(ctx context.Context, method, path string, body []byte, signAt time.Time, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, w.url+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: w.adminKeyID, SecretAccessKey: w.adminSecret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "poolgate", "us-east-1", signAt); err != nil {
		return fmt.Errorf("local: signing %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("local: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("local: %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("local: %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("local: %s %s: %w", method, path, err)
	}
	return nil
}
