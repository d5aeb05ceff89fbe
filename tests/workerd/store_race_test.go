package workerd_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// storeCaller makes calls to the test Worker's store objects, each call its own request
// (POST /store, tests/workerd/testworker.mjs): racing requests, as from many isolates.
type storeCaller struct{ url string }

func (c storeCaller) call(shard, method string, args ...any) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"shard": shard, "method": method, "args": args})
	resp, err := http.Post(c.url+"/store", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s", shard, method, resp.Status)
	}
	var out struct{ Result json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out.Result, nil
}

// kv makes one call to the test Worker's KV namespace (POST /kv).
func (c storeCaller) kv(method string, args ...any) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"method": method, "args": args})
	resp, err := http.Post(c.url+"/kv", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kv %s: %s", method, resp.Status)
	}
	var out struct{ Result json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out.Result, nil
}

type wireBytes struct {
	B64 string `json:"b64"`
}

func bytesArg(b []byte) wireBytes { return wireBytes{base64.StdEncoding.EncodeToString(b)} }

// increment adds one to the counter under key by compare-and-swap, retrying on conflict.
func (c storeCaller) increment(shard, key string) error {
	for attempt := 0; attempt < 200; attempt++ {
		raw, err := c.call(shard, "getEntry", key)
		if err != nil {
			return err
		}
		var e *struct {
			Value   wireBytes
			Version float64
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		n, version := 0, 0.0
		if e != nil {
			v, _ := base64.StdEncoding.DecodeString(e.Value.B64)
			n, _ = strconv.Atoi(string(v))
			version = e.Version
		}
		op := map[string]any{"key": key, "kind": 1, "conditional": true, "ifVersion": version,
			"value": bytesArg([]byte(strconv.Itoa(n + 1))), "ttlMs": 0}
		raw, err = c.call(shard, "commit", []any{op})
		if err != nil {
			return err
		}
		if string(raw) == "true" {
			return nil
		}
	}
	return fmt.Errorf("increment of %s: no success in 200 attempts", key)
}

// TestStoreRacesAcrossRequests: 32 requests racing compare-and-swap increments of one key
// count 32, and of 32 requests creating one key exactly one succeeds: one object serializes
// the calls of every request, whichever isolate makes them.
func TestStoreRacesAcrossRequests(t *testing.T) {
	w, _ := startWorker(t, t.TempDir(), edgelocal.Options{Config: filepath.Join(root, "tests", "workerd", "wrangler.test.toml")})
	c := storeCaller{w.URL()}
	const n = 32
	const shard, counter, unique = "p/race", "lk/race/counter", "uu/race/taken"
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	var mu sync.Mutex
	var winners []int
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- c.increment(shard, counter)
		}()
		go func() {
			defer wg.Done()
			op := map[string]any{"key": unique, "kind": 1, "conditional": true, "ifVersion": 0,
				"value": bytesArg([]byte(strconv.Itoa(i))), "ttlMs": 0}
			raw, err := c.call(shard, "commit", []any{op})
			if err != nil {
				errs <- err
				return
			}
			if string(raw) == "true" {
				mu.Lock()
				winners = append(winners, i)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	raw, err := c.call(shard, "get", counter)
	if err != nil {
		t.Fatal(err)
	}
	var v wireBytes
	json.Unmarshal(raw, &v)
	if got, _ := base64.StdEncoding.DecodeString(v.B64); string(got) != strconv.Itoa(n) {
		t.Errorf("counter after %d racing increments = %q, want %d", n, got, n)
	}
	if len(winners) != 1 {
		t.Fatalf("%d racing creations of one key succeeded (%v), want 1", len(winners), winners)
	}
	raw, err = c.call(shard, "get", unique)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &v)
	if got, _ := base64.StdEncoding.DecodeString(v.B64); string(got) != strconv.Itoa(winners[0]) {
		t.Errorf("the created key holds %q, want the winner's %d", got, winners[0])
	}
}
