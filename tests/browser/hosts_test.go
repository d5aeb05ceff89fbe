package browser

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// mfaHost is what the MFA scenarios need of a server: hostsim, or the Worker under wrangler
// dev (workerd) serving the sign-in app as its static assets.
type mfaHost struct {
	url        string
	admin      *cip.Client
	now        func() time.Time
	advance    func(t *testing.T, d time.Duration)
	messages   func() []message.Message
	shotPrefix string // screenshots of the Worker run are named apart
}

// code returns the newest code of the given kind sent to email.
func (h mfaHost) code(t *testing.T, email, kind string) string {
	t.Helper()
	msgs := h.messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Destination == email && msgs[i].Kind == kind {
			return msgs[i].Code
		}
	}
	t.Fatalf("no %s message to %s", kind, email)
	return ""
}

func hostsimHost(s *server) mfaHost {
	return mfaHost{
		url: s.srv.URL(), admin: s.admin, now: s.clock.Now,
		advance:  func(_ *testing.T, d time.Duration) { s.clock.Advance(d) },
		messages: s.outbox.Messages,
	}
}

// workerHost starts the Worker (edge/, built here as `make edge` builds it) under wrangler dev
// with config (appConfig's shape) applied, the test clock on, and the sign-in app (webDir) as
// its static assets, as `make dev` serves it.
func workerHost(t *testing.T, config string) mfaHost {
	t.Helper()
	if testing.Short() {
		t.Skip("starts wrangler dev; skipped in -short mode")
	}
	root := repoRoot()
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "wrangler")); err != nil {
		t.Fatal("node_modules/.bin/wrangler is missing: run `npm ci` at the repository root (make deps)")
	}
	if err := edgelocal.Build(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	// wrangler.toml with the assets taken from webDir; wrangler keeps its state beside it.
	dir := filepath.Join(root, "build", "browser-worker")
	toml := fmt.Sprintf("name = \"poolgate-browser\"\nmain = %q\ncompatibility_date = \"2026-04-01\"\n"+
		"[[durable_objects.bindings]]\nname = \"POOLGATE_STORE\"\nclass_name = \"PoolgateStore\"\n"+
		"[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"PoolgateStore\"]\n[assets]\ndirectory = %q\nbinding = \"ASSETS\"\nrun_worker_first = true\n",
		filepath.Join(root, "edge", "worker.mjs"), webDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := edgelocal.WriteIfChanged(filepath.Join(dir, "wrangler.toml"), []byte(toml)); err != nil {
		t.Fatal(err)
	}
	var logs []string
	w, err := edgelocal.Start(context.Background(), edgelocal.Options{
		Root: root, Config: filepath.Join(dir, "wrangler.toml"), PersistDir: t.TempDir(),
		AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret, MasterKey: []byte("browser-worker-master-key-32byte"),
		PoolgateConfig: fmt.Appendf(nil, config, identitySection), TestClock: true,
		Logf: func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		t.Fatalf("starting the Worker: %v\n%v", err, logs)
	}
	t.Cleanup(func() {
		w.Close()
		if t.Failed() && len(logs) > 0 {
			t.Logf("wrangler log (last lines): %v", logs[max(0, len(logs)-40):])
		}
	})
	admin := cip.New(cip.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(w.URL()), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
		}),
		// Sign at the Worker's time: its test clock stands still while the wall clock runs.
		HTTPSignerV4: clockSigner{inner: v4.NewSigner(), now: w.Now},
	})
	return mfaHost{
		url: w.URL(), admin: admin, now: w.Now,
		advance: func(t *testing.T, d time.Duration) {
			t.Helper()
			if err := w.Advance(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		},
		messages:   w.Messages,
		shotPrefix: "workerd-",
	}
}

// clockSigner is the SDK's SigV4 signer with the signing time taken from the server's clock.
type clockSigner struct {
	inner *v4.Signer
	now   func() time.Time
}

func (s clockSigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.inner.SignHTTP(ctx, c, r, payloadHash, service, region, s.now(), optFns...)
}
