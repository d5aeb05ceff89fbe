package hostsim

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestPrecompileFillsTheCacheStartReads: Start on a cache Precompile filled finds the module
// there (wazero adds no entry and rewrites none), so the machine code is the build's.
func TestPrecompileFillsTheCacheStartReads(t *testing.T) {
	dir := t.TempDir()
	module := filepath.Join(dir, "guest.wasm")
	if err := os.WriteFile(module, testGuest.bytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	if err := Precompile(context.Background(), module, cache, false); err != nil {
		t.Fatal(err)
	}
	compiled := cacheEntries(t, cache)
	if len(compiled) != 1 {
		t.Fatalf("cache after Precompile: %v, want one entry", compiled)
	}
	start(t, Options{ModulePath: module, CompilationCacheDir: cache})
	if got := cacheEntries(t, cache); !reflect.DeepEqual(got, compiled) {
		t.Fatalf("cache after Start: %v, want it unchanged: %v", got, compiled)
	}

	if err := Precompile(context.Background(), module, "", false); err == nil {
		t.Fatal("Precompile without a cache directory succeeded")
	}
	if err := Precompile(context.Background(), filepath.Join(dir, "missing.wasm"), cache, false); err == nil {
		t.Fatal("Precompile of a missing module succeeded")
	}
}

// cacheEntries lists the files under dir with their sizes and modification times.
func cacheEntries(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entries[path] = strconv.FormatInt(info.Size(), 10) + " " + info.ModTime().Format(time.RFC3339Nano)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestFileBackedCodeServes: with FileBackedCode the guest's machine code ends up in a mapping
// of a deleted file in the cache directory, and the guest still serves from it.
func TestFileBackedCodeServes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("file-backed code is Linux only")
	}
	s, client := startService(t, Options{FileBackedCode: true})
	if s.code.size() < minCodeRegion {
		t.Fatalf("moved %d bytes of code to a file, want the module's", s.code.size())
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] != "r-xp" || !strings.HasPrefix(filepath.Base(f[5]), ".code-") {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		found = found || int(end-start) == s.code.size()
	}
	if !found {
		t.Fatalf("no executable mapping of a code file of %d bytes in /proc/self/maps", s.code.size())
	}
	pools, err := client.ListUserPools(context.Background(), &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	if err != nil || len(pools.UserPools) != 1 {
		t.Fatalf("ListUserPools from file-backed code: %v, %v", pools, err)
	}
}
