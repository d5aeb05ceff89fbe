package edgelocal

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWrangler is a stand-in for wrangler's CLI: it listens where --ip and --port say, says
// so as wrangler does, and answers the glue path as the Worker's glue does; a port already
// taken ends it with status 1, as wrangler's workerd ends ("Address already in use").
const fakeWrangler = `
const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
const server = require("http").createServer((req, res) => {
  if (req.url === "/_poolgate/glue") return res.end(JSON.stringify({ loaded: Date.now(), instances: 0 }));
  res.statusCode = 404; res.end();
});
server.on("error", (e) => { console.log("fake wrangler: " + e.code); process.exit(1); });
server.listen(Number(arg("--port")), arg("--ip"), () =>
  console.log("[wrangler:info] Ready on http://" + arg("--ip") + ":" + arg("--port")));
`

// fakeRoot is a repository root whose wrangler is fakeWrangler.
func fakeRoot(t *testing.T) Options {
	t.Helper()
	root := t.TempDir()
	cli := filepath.Join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js")
	if err := os.MkdirAll(filepath.Dir(cli), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "wrangler.toml")
	for path, text := range map[string]string{cli: fakeWrangler, config: "name = \"fake\"\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Options{Root: root, Config: config, PersistDir: t.TempDir(), AdminAccessKeyID: "AKIDEXAMPLE000000000",
		AdminSecretAccessKey: "secret", MasterKey: make([]byte, 32), StartTimeout: 20 * time.Second, Logf: t.Logf}
}

// taken is a loopback port another server holds, answering 404 to everything.
func taken(t *testing.T) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

// TestStartOnTakenPort: a port Start chose that another process took before wrangler could
// bind it is chosen again; a port the caller named that is taken fails Start, which never
// takes the other server's answers for the Worker's.
func TestStartOnTakenPort(t *testing.T) {
	o := fakeRoot(t)
	l, port := taken(t)

	t.Run("chosen", func(t *testing.T) {
		real := freePort
		var mu sync.Mutex
		handed := 0
		freePort = func() (int, error) {
			mu.Lock()
			defer mu.Unlock()
			if handed++; handed == 1 {
				return port, nil // the first choice is already taken
			}
			return real()
		}
		defer func() { freePort = real }()
		w, err := Start(context.Background(), o)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer w.Close()
		if strings.HasSuffix(w.URL(), ":"+strconv.Itoa(port)) || w.IssuerBase() != w.URL() {
			t.Errorf("URL %s, issuer base %s: want another port than the taken %d, and the issuer base with it", w.URL(), w.IssuerBase(), port)
		}
		if g, err := w.Glue(context.Background()); err != nil || g.Loaded == 0 {
			t.Errorf("Glue = %+v, %v", g, err)
		}
	})

	t.Run("named", func(t *testing.T) {
		named := o
		named.Addr = l.Addr().String()
		if w, err := Start(context.Background(), named); err == nil {
			w.Close()
			t.Fatalf("Start on the taken %s succeeded", named.Addr)
		} else if !strings.Contains(err.Error(), "exited") {
			t.Errorf("Start on a taken port: %v, want wrangler's exit", err)
		}
	})
}
