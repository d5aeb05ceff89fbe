package message

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)

type delivery struct {
	header http.Header
	body   []byte
}

// receiver records deliveries and answers with status.
func receiver(t *testing.T, status int) (*httptest.Server, func() []delivery) {
	t.Helper()
	var mu sync.Mutex
	var got []delivery
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Clone(), body})
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "receiver says hi")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []delivery {
		mu.Lock()
		defer mu.Unlock()
		return append([]delivery(nil), got...)
	}
}

func sample() Message {
	return Message{
		Time: testNow, Pool: "us-east-1_abc", Username: "bob", Destination: "bob@example.com",
		Medium: MediumEmail, Attribute: "email", Kind: KindSignUp, Code: "123456",
	}
}

func TestWebhookDeliversSignedJSON(t *testing.T) {
	srv, got := receiver(t, http.StatusNoContent)
	secret := "whsec-test"
	w := Webhook{URL: srv.URL, Secret: []byte(secret), Transport: srv.Client().Transport, Now: func() time.Time { return testNow }}
	if err := w.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	d := got()
	if len(d) != 1 {
		t.Fatalf("%d deliveries", len(d))
	}
	h := d[0].header
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if ts := h.Get(HeaderTimestamp); ts != "1775369228" {
		t.Errorf("%s = %q, want the injected clock's unix seconds", HeaderTimestamp, ts)
	}
	// The signature, computed independently.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("1775369228." + string(d[0].body)))
	if want := "v1=" + hex.EncodeToString(mac.Sum(nil)); h.Get(HeaderSignature) != want {
		t.Errorf("%s = %q, want %q", HeaderSignature, h.Get(HeaderSignature), want)
	}
	var m Message
	if err := json.Unmarshal(d[0].body, &m); err != nil {
		t.Fatal(err)
	}
	if m != sample() {
		t.Errorf("body decodes to %+v", m)
	}
	if !strings.Contains(string(d[0].body), `"code":"123456"`) {
		t.Errorf("body %s", d[0].body)
	}
	if err := VerifyWebhook(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), d[0].body, testNow.Add(30*time.Second), time.Minute); err != nil {
		t.Errorf("VerifyWebhook of a genuine delivery: %v", err)
	}
}

func TestWebhookNon2xxIsError(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusInternalServerError, http.StatusMovedPermanently} {
		srv, _ := receiver(t, status)
		w := Webhook{URL: srv.URL, Secret: []byte("s"), Transport: srv.Client().Transport}
		err := w.Send(context.Background(), sample())
		if err == nil || !strings.HasPrefix(err.Error(), "message: webhook answered") || !strings.Contains(err.Error(), "receiver says hi") {
			t.Errorf("status %d: %v", status, err)
		}
	}
}

func TestWebhookMisconfiguredOrCanceled(t *testing.T) {
	srv, got := receiver(t, http.StatusOK)
	if err := (Webhook{Secret: []byte("s")}).Send(context.Background(), sample()); err == nil {
		t.Error("empty URL: no error")
	}
	if err := (Webhook{URL: srv.URL}).Send(context.Background(), sample()); err == nil {
		t.Error("empty secret: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Webhook{URL: srv.URL, Secret: []byte("s"), Transport: srv.Client().Transport}.Send(ctx, sample())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	if n := len(got()); n != 0 {
		t.Errorf("%d deliveries despite errors", n)
	}
}

func sign(secret, ts string, body []byte) string {
	return "v1=" + hex.EncodeToString(webhookMAC([]byte(secret), ts, body))
}

func TestVerifyWebhook(t *testing.T) {
	const secret = "topsecret"
	body := []byte(`{"username":"bob","code":"123456"}`)
	ts := "1775369228"
	good := sign(secret, ts, body)
	cases := []struct {
		name      string
		secret    string
		ts, sig   string
		body      []byte
		now       time.Time
		skew      time.Duration
		wantErrIs error // nil: success
		wantAnyEr bool
	}{
		{name: "good", secret: secret, ts: ts, sig: good, body: body, now: testNow},
		{name: "good, clock behind", secret: secret, ts: ts, sig: good, body: body, now: testNow.Add(-4 * time.Minute)},
		{name: "good among rotated", secret: secret, ts: ts, sig: "v1=00ff, v0=abc , " + good, body: body, now: testNow},
		{name: "tampered body", secret: secret, ts: ts, sig: good, body: []byte(`{"username":"eve","code":"123456"}`), now: testNow, wantErrIs: ErrBadSignature},
		{name: "tampered timestamp", secret: secret, ts: "1775369229", sig: good, body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "wrong secret", secret: "other", ts: ts, sig: good, body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "uppercase scheme", secret: secret, ts: ts, sig: "V1=" + good[3:], body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "truncated mac", secret: secret, ts: ts, sig: good[:len(good)-2], body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "no header", secret: secret, ts: ts, sig: "", body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "malformed timestamp", secret: secret, ts: "+1775369228", sig: sign(secret, "+1775369228", body), body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "empty timestamp", secret: secret, ts: "", sig: sign(secret, "", body), body: body, now: testNow, wantErrIs: ErrBadSignature},
		{name: "stale", secret: secret, ts: ts, sig: good, body: body, now: testNow.Add(6 * time.Minute), wantErrIs: ErrStaleWebhook},
		{name: "from the future", secret: secret, ts: ts, sig: good, body: body, now: testNow.Add(-6 * time.Minute), wantErrIs: ErrStaleWebhook},
		{name: "stale for a tight skew", secret: secret, ts: ts, sig: good, body: body, now: testNow.Add(11 * time.Second), skew: 10 * time.Second, wantErrIs: ErrStaleWebhook},
		{name: "empty secret", secret: "", ts: ts, sig: sign("", ts, body), body: body, now: testNow, wantAnyEr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyWebhook(tc.secret, tc.ts, tc.sig, tc.body, tc.now, tc.skew)
			switch {
			case tc.wantAnyEr:
				if err == nil {
					t.Fatal("no error")
				}
			case tc.wantErrIs == nil:
				if err != nil {
					t.Fatalf("VerifyWebhook: %v", err)
				}
			case !errors.Is(err, tc.wantErrIs):
				t.Fatalf("VerifyWebhook: %v, want %v", err, tc.wantErrIs)
			}
		})
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	body := []byte(`{"code":"1"}`)
	f.Add("1775369228", sign("k", "1775369228", body), body)
	f.Add("", "", []byte{})
	f.Add("99999999999999999999", "v1=zz", []byte("x"))
	f.Add("1775369228", "v1=,v1=00,,v2=11", body)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		err := VerifyWebhook("k", ts, sig, body, testNow, time.Hour)
		if err == nil {
			// Only a genuine signature over this exact timestamp and body may pass.
			want := sign("k", ts, body)
			found := false
			for _, e := range strings.Split(sig, ",") {
				if strings.EqualFold(strings.TrimSpace(e), want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("accepted ts %q sig %q", ts, sig)
			}
		}
	})
}
