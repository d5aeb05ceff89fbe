package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/hostsim"
)

// hostsimTiming is one in-process hostsim.Start: Timings plus the whole call.
type hostsimTiming struct {
	Compile     time.Duration `json:"compile_ns"`
	Instantiate time.Duration `json:"instantiate_ns"`
	Total       time.Duration `json:"total_ns"`
}

// hostsimStartups starts hostsim in-process reps times with an empty compilation cache and,
// each time, once more on the cache that start filled. The store is in memory and nothing
// listens, so what is timed is the module: compile (or load from the cache) and the first
// instance with poolgate_init. The last repetition's cache is left in keep (when not ""), so
// that a hostsim server started on it does not compile the module again.
func hostsimStartups(ctx context.Context, module string, reps int, keep string) (cold, warm []hostsimTiming, err error) {
	wasm, err := os.ReadFile(module)
	if err != nil {
		return nil, nil, err
	}
	master := make([]byte, 32)
	rand.Read(master)
	once := func(cache string) (hostsimTiming, error) {
		t0 := time.Now()
		srv, err := hostsim.Start(ctx, hostsim.Options{
			ModuleBytes: wasm, NoListen: true, CompilationCacheDir: cache,
			AdminAccessKeyID: adminKey, AdminSecretAccessKey: adminSecret, MasterKey: master,
			Logf: func(string, ...any) {},
		})
		if err != nil {
			return hostsimTiming{}, err
		}
		total := time.Since(t0)
		tm := srv.Timings()
		srv.Close()
		return hostsimTiming{Compile: tm.Compile, Instantiate: tm.Instantiate, Total: total}, nil
	}
	for i := 0; i < reps; i++ {
		dir, err := os.MkdirTemp("", "poolgate-loadgen-cache-")
		if err != nil {
			return nil, nil, err
		}
		if i == reps-1 && keep != "" {
			os.RemoveAll(dir)
			if dir, err = keep, os.MkdirAll(keep, 0o755); err != nil {
				return nil, nil, err
			}
		}
		c, err := once(dir)
		if err == nil {
			var w hostsimTiming
			if w, err = once(dir); err == nil {
				cold, warm = append(cold, c), append(warm, w)
			}
		}
		if dir != keep {
			os.RemoveAll(dir)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("hostsim start: %w", err)
		}
	}
	return cold, warm, nil
}

// serverStart is one start of a server process: exec to first HTTP answer, RSS then, and the
// first API call after that (ListUserPools, admin-signed; on the Worker it starts the Go
// instance in the fresh isolate).
type serverStart struct {
	Ready     time.Duration `json:"ready_ns"`
	RSSKiB    int64         `json:"rss_kib"`
	FirstCall time.Duration `json:"first_call_ns"`
}

// serverStartups starts a fresh copy of sys reps times in a new data directory ("first") and
// once more on the directory that start left ("restart": for hostsim, with its compilation
// cache filled; for workerd, on the KV it persisted).
func serverStartups(ctx context.Context, proto *system, reps int) (first, again []serverStart, err error) {
	for i := 0; i < reps; i++ {
		dir, err := os.MkdirTemp("", "poolgate-loadgen-start-")
		if err != nil {
			return nil, nil, err
		}
		s := &system{name: proto.name, kind: proto.kind, tools: proto.tools, dir: dir, master: proto.master, config: proto.config}
		f, err := startOnce(ctx, s)
		if err == nil {
			var a serverStart
			if a, err = startOnce(ctx, s); err == nil {
				first, again = append(first, f), append(again, a)
			}
		}
		os.RemoveAll(dir)
		if err != nil {
			return nil, nil, err
		}
	}
	return first, again, nil
}

func startOnce(ctx context.Context, s *system) (serverStart, error) {
	d, err := s.start(ctx)
	if err != nil {
		return serverStart{}, err
	}
	defer s.stop()
	st := serverStart{Ready: d, RSSKiB: s.rssKiB()}
	api, tr := newAPI(s.url)
	defer tr.CloseIdleConnections()
	t0 := time.Now()
	if _, err := api.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)}); err != nil {
		return serverStart{}, fmt.Errorf("%s: first API call after start: %w%s", s.name, err, s.diagnose())
	}
	st.FirstCall = time.Since(t0)
	return st, nil
}

// fileSizes is a file's size raw and gzipped (default level).
func fileSizes(path string) (raw, gz int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return int64(len(b)), int64(buf.Len()), nil
}

// absPath resolves p against the working directory, for paths handed to child processes that
// run elsewhere.
func absPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
