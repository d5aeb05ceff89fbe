//go:build js && wasm

package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"runtime"
	"syscall/js"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/sigv4"
)

// The Worker's own endpoints, beside the service's: each needs a request signed (SigV4) with
// the admin key pair, and the test hooks also need their variable set to "enabled".

// statsPath serves the instance's counters to an admin-signed GET (the soak test reads it).
const statsPath = "/_poolgate/stats"

// clockPath sets the service's clock (tests only: POOLGATE_TEST_CLOCK=enabled and an admin
// signature), so the end-to-end scenarios that expire tokens and codes, or compare times to
// the second, run on workerd as on hostsim's fake clock.
const clockPath = "/_poolgate/clock"

// crashPath arms the instance to die when a later request starts (tests only:
// POOLGATE_TEST_CRASH=enabled and an admin signature), so the glue's restart and retry of the
// request in flight can be tested.
const crashPath = "/_poolgate/crash"

// stats is what GET /_poolgate/stats returns.
type stats struct {
	Instance   int         `json:"instance"`   // the glue's number for this Go instance in the isolate
	Started    time.Time   `json:"started"`    // when this instance started
	Requests   int64       `json:"requests"`   // requests this instance has served, this one included
	InFlight   int64       `json:"inFlight"`   // requests being served now, this one included
	Goroutines int         `json:"goroutines"` // live goroutines
	HeapAlloc  uint64      `json:"heapAlloc"`  // bytes of live heap objects
	HeapInuse  uint64      `json:"heapInuse"`  // bytes in in-use heap spans
	HeapSys    uint64      `json:"heapSys"`    // heap bytes obtained from the wasm memory
	NumGC      uint32      `json:"numGC"`
	WasmMemory int         `json:"wasmMemory"` // the wasm linear memory's size (it never shrinks)
	JSValues   int         `json:"jsValues"`   // JS values Go holds references to
	Store      storeCounts `json:"store"`      // calls this instance made to the store's objects
	KV         kvCounts    `json:"kv"`         // calls this instance made to the KV binding (the migration)
}

type storeCounts struct {
	Gets    int64 `json:"gets"` // Get and GetEntry
	Puts    int64 `json:"puts"`
	Deletes int64 `json:"deletes"`
	Lists   int64 `json:"lists"` // one per object a List reads
	Commits int64 `json:"commits"`
}

type kvCounts struct {
	Gets  int64 `json:"gets"`
	Lists int64 `json:"lists"`
}

// now is the service's clock: the wall clock, or with POOLGATE_TEST_CLOCK the test's clock.
func (a *app) now() time.Time {
	if a.set.testClock {
		return time.Unix(0, a.frozen.Load())
	}
	return time.Now()
}

// adminOnly checks that r is a method request signed (SigV4) with the admin key pair and
// returns its body; on failure it has written the Cognito-shaped error.
func (a *app) adminOnly(w http.ResponseWriter, r *http.Request, method string) ([]byte, bool) {
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeError(w, awsjson.New(awsjson.ErrUnknownOperation, "Method %s is not supported on %s.", r.Method, r.URL.Path))
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeError(w, awsjson.New(awsjson.ErrSerialization, "Could not read the request body."))
		return nil, false
	}
	_, err = sigv4.VerifyRequest(r, body, sigv4.Options{
		Now: a.now(),
		Lookup: func(akid, token string) (string, error) {
			if token != "" || subtle.ConstantTimeCompare([]byte(akid), []byte(a.set.adminKeyID)) != 1 {
				return "", sigv4.UnknownKey()
			}
			return a.set.adminSecret, nil
		},
	})
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			writeError(w, awsjson.New(awsjson.Type(se.Code), "%s", se.Message))
			return nil, false
		}
		writeError(w, awsjson.Internal("An internal error occurred."))
		return nil, false
	}
	return body, true
}

// serveClock sets the test clock: POST {"setUnixNanos": t} or {"advanceNanos": d} (d >= 0).
// It answers the clock's new reading as {"nowUnixNanos": …}.
func (a *app) serveClock(w http.ResponseWriter, r *http.Request) {
	body, ok := a.adminOnly(w, r, http.MethodPost)
	if !ok {
		return
	}
	var in struct {
		SetUnixNanos *int64 `json:"setUnixNanos"`
		AdvanceNanos *int64 `json:"advanceNanos"`
	}
	if err := json.Unmarshal(body, &in); err != nil || (in.SetUnixNanos == nil) == (in.AdvanceNanos == nil) ||
		(in.AdvanceNanos != nil && *in.AdvanceNanos < 0) {
		writeError(w, awsjson.InvalidParameter("want {\"setUnixNanos\": t} or {\"advanceNanos\": d} with d >= 0"))
		return
	}
	var now int64
	if in.SetUnixNanos != nil {
		now = *in.SetUnixNanos
		a.frozen.Store(now)
	} else {
		now = a.frozen.Add(*in.AdvanceNanos)
	}
	a.bumpEpoch() // decisions kept for reuse were timed by the old clock
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int64{"nowUnixNanos": now})
}

// serveCrash arms the instance to die: POST {"after": n, "how": "exit" | "panic"} makes the
// n-th request from now die as soon as it starts, by os.Exit or by a panic no one recovers.
func (a *app) serveCrash(w http.ResponseWriter, r *http.Request) {
	body, ok := a.adminOnly(w, r, http.MethodPost)
	if !ok {
		return
	}
	var in struct {
		After int64  `json:"after"`
		How   string `json:"how"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.After < 1 || (in.How != "exit" && in.How != "panic") {
		writeError(w, awsjson.InvalidParameter("want {\"after\": n >= 1, \"how\": \"exit\" | \"panic\"}"))
		return
	}
	a.crashHow.Store(in.How)
	a.crashAt.Store(a.requests.Load() + in.After)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"instance": a.instance, "crashAt": a.crashAt.Load()})
}

// crash ends the instance the way serveCrash was asked to.
func (a *app) crash() {
	log.Printf("edge: dying on purpose (%s), as %s asked", a.crashHow.Load(), crashPath)
	if a.crashHow.Load() == "panic" {
		go func() { panic("edge: test crash") }()
		select {} // the panic ends the program
	}
	os.Exit(3)
}

// serveStats answers an admin-signed GET with the instance's counters; ?gc=1 collects garbage
// first, so that heapAlloc is the live heap.
func (a *app) serveStats(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.adminOnly(w, r, http.MethodGet); !ok {
		return
	}
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := stats{
		Instance:   a.instance,
		Started:    a.started,
		Requests:   a.requests.Load(),
		InFlight:   a.inFlight.Load(),
		Goroutines: runtime.NumGoroutine(),
		HeapAlloc:  ms.HeapAlloc,
		HeapInuse:  ms.HeapInuse,
		HeapSys:    ms.HeapSys,
		NumGC:      ms.NumGC,
		Store: storeCounts{Gets: a.store.gets.Load(), Puts: a.store.puts.Load(), Deletes: a.store.deletes.Load(),
			Lists: a.store.lists.Load(), Commits: a.store.commits.Load()},
	}
	if a.kv != nil {
		st.KV = kvCounts{Gets: a.kv.gets.Load(), Lists: a.kv.lists.Load()}
	}
	if f := a.bridge.Get("memoryBytes"); f.Type() == js.TypeFunction {
		st.WasmMemory = f.Invoke().Int()
	}
	if f := a.bridge.Get("goValueCount"); f.Type() == js.TypeFunction {
		st.JSValues = f.Invoke().Int()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}
