package edgelocal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteEnvFileQuotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	vars := map[string]string{
		"PLAIN":  "value",
		"JSON":   `{"UserPools":[{"Id":"us-east-1_A"}]}`,
		"SINGLE": "it's",
		"BOTH":   "it's `x`",
	}
	if err := writeEnvFile(path, vars); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		got[line] = true
	}
	for _, want := range []string{"PLAIN='value'", `JSON='{"UserPools":[{"Id":"us-east-1_A"}]}'`, "SINGLE=`it's`", "BOTH=\"it's `x`\""} {
		if !got[want] {
			t.Errorf("missing line %s in\n%s", want, b)
		}
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (the file holds secrets)", info.Mode().Perm())
	}
	for _, bad := range []string{"a\nb", "'`\""} {
		if err := writeEnvFile(path, map[string]string{"X": bad}); err == nil {
			t.Errorf("writeEnvFile(%q) succeeded", bad)
		}
	}
}

func TestProcessCPUOfSelf(t *testing.T) {
	if _, err := ProcessCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := ProcessCPU(-1); err == nil {
		t.Error("ProcessCPU(-1) succeeded")
	}
}

func TestListenAddr(t *testing.T) {
	if h, p, chosen, err := listenAddr(""); err != nil || h != "127.0.0.1" || p == 0 || !chosen {
		t.Errorf("listenAddr(\"\") = %s %d %v %v", h, p, chosen, err)
	}
	if h, p, chosen, err := listenAddr("127.0.0.1:8787"); err != nil || h != "127.0.0.1" || p != 8787 || chosen {
		t.Errorf("listenAddr(127.0.0.1:8787) = %s %d %v %v", h, p, chosen, err)
	}
	for _, bad := range []string{"nope", "127.0.0.1:x"} {
		if _, _, _, err := listenAddr(bad); err == nil {
			t.Errorf("listenAddr(%q) succeeded", bad)
		}
	}
}

// TestMakefileBuildsWorkersLikeBuild holds mk/edge.mk's Worker builds to Build's: the same
// compiler flags, on both Workers' rules, so `make edge`, the tests and the bench measure and
// ship one module.
func TestMakefileBuildsWorkersLikeBuild(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "mk", "edge.mk"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	if !strings.Contains(mk, "\nEDGE_GCFLAGS := "+WorkerGCFlags+"\n") {
		t.Errorf("mk/edge.mk does not set EDGE_GCFLAGS := %s", WorkerGCFlags)
	}
	for _, pkg := range []string{"./edge\n", "./edge/saml\n"} {
		if !strings.Contains(mk, "build -trimpath -ldflags=-s $(EDGE_GCFLAGS) -o $@ "+pkg) {
			t.Errorf("mk/edge.mk's rule for %s does not build with $(EDGE_GCFLAGS)", strings.TrimSpace(pkg))
		}
	}
}
