// Command wasmsize is make check's guard on the size of the wasm builds: it builds each one
// (hostsim's guest, the Worker, its SAML companion, the browser SDK) as the Makefile does,
// fails when one links a symbol that must stay out (net/http's Transport and TLS: the builds
// reach the network only through their host; in the Worker, any XML code: SAML's runs in the
// companion), and fails when one has grown by more than the allowance over the size recorded
// in budget.json. A change that adds size on purpose records the new size with
// -update, so the growth is seen in review.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// build is one wasm build the guard measures. Without lists packages (and their
// subpackages) none of whose symbols the build may link.
type build struct {
	Name, GOOS, Package string
	Without             []string
	// GCFlags are the build's compiler flags ("": none), as its Makefile rule gives them.
	GCFlags string
}

var builds = []build{
	{"guest", "wasip1", "./wasm", nil, ""},
	// The Worker leaves SAML's XML work to its companion (internal/federation/samlremote):
	// together these are about 0.36 MB gzip.
	{"worker", "js", "./edge", []string{"github.com/crewjam/saml", "github.com/russellhaering/goxmldsig",
		"github.com/beevik/etree", "encoding/xml"}, edgelocal.WorkerGCFlags},
	{"saml", "js", "./edge/saml", nil, edgelocal.WorkerGCFlags},
	{"sdk", "js", "./web", nil, "-gcflags=all=-l"}, // mk/web.mk's WEB_GCFLAGS
}

// forbidden are symbols no wasm build may reach: each drags in net/http's client stack
// (TLS, x509, the dialer, HTTP/2), about 0.8 MB gzip.
var forbidden = []string{
	"net/http.(*Transport).RoundTrip",
	"crypto/tls.(*Conn).Handshake",
}

// allowance is how much a build may grow over its recorded size before the guard fails.
const allowance = 100 << 10

func main() {
	budgetPath := flag.String("budget", "tools/wasmsize/budget.json", "recorded gzip sizes, in bytes")
	update := flag.Bool("update", false, "record the current sizes in the budget file")
	flag.Parse()
	if err := run(*budgetPath, *update); err != nil {
		fmt.Fprintln(os.Stderr, "wasmsize:", err)
		os.Exit(1)
	}
}

func run(budgetPath string, update bool) error {
	budget := map[string]int{}
	if b, err := os.ReadFile(budgetPath); err == nil {
		if err := json.Unmarshal(b, &budget); err != nil {
			return fmt.Errorf("%s: %w", budgetPath, err)
		}
	} else if !update {
		return err
	}
	dir, err := os.MkdirTemp("", "wasmsize")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var failures []string
	sizes := map[string]int{}
	for _, b := range builds {
		size, reached, err := measure(dir, b)
		if err != nil {
			return err
		}
		sizes[b.Name] = size
		for _, sym := range append(append([]string(nil), forbidden...), b.Without...) {
			if from, ok := reached[sym]; ok {
				failures = append(failures, fmt.Sprintf("%s links %s (reached from %s)", b.Name, sym, from))
			}
		}
		was, ok := budget[b.Name]
		fmt.Printf("%-7s %-11s gzip -9: %d B (recorded %d B, %+d B)\n", b.Name, b.Package, size, was, size-was)
		if ok && size > was+allowance && !update {
			failures = append(failures, fmt.Sprintf("%s grew by %d B over its recorded %d B (allowance %d B): "+
				"shrink it, or record the new size with `go run ./tools/wasmsize -update` and say why in the commit",
				b.Name, size-was, was, allowance))
		}
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "\n"))
	}
	if update {
		out, err := json.MarshalIndent(sizes, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(budgetPath, append(out, '\n'), 0o644)
	}
	return nil
}

// measure builds b stripped (as the Makefile does) with the linker's dependency dump, and
// returns its gzip -9 size and the forbidden symbols it reaches, each with the symbol the
// linker reached it from.
func measure(dir string, b build) (int, map[string]string, error) {
	out := filepath.Join(dir, b.Name+".wasm")
	args := []string{"build", "-trimpath", "-ldflags=-s -dumpdep"}
	if b.GCFlags != "" {
		args = append(args, b.GCFlags)
	}
	cmd := exec.Command("go", append(args, "-o", out, b.Package)...)
	cmd.Env = append(os.Environ(), "GOOS="+b.GOOS, "GOARCH=wasm")
	var deps bytes.Buffer
	cmd.Stderr = &deps
	if err := cmd.Run(); err != nil {
		return 0, nil, fmt.Errorf("build %s: %v\n%s", b.Package, err, tail(deps.String()))
	}
	reached := map[string]string{}
	sc := bufio.NewScanner(&deps)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			continue
		}
		for _, sym := range forbidden {
			if to == sym {
				reached[sym] = from
			}
		}
		for _, pkg := range b.Without {
			if _, seen := reached[pkg]; !seen && inPackage(to, pkg) {
				reached[pkg] = from + " -> " + to
			}
		}
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return 0, nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(wasm)
	zw.Close()
	return gz.Len(), reached, nil
}

// inPackage reports whether symbol belongs to package pkg or one below it.
func inPackage(symbol, pkg string) bool {
	rest, ok := strings.CutPrefix(symbol, pkg)
	return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "/"))
}

// tail is the end of a long build log.
func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
