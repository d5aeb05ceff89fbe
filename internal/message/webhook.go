package message

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook delivery.
const (
	HeaderTimestamp = "X-Poolgate-Timestamp" // unix seconds, decimal
	HeaderSignature = "X-Poolgate-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// DefaultWebhookSkew is the clock skew VerifyWebhook allows when given none.
const DefaultWebhookSkew = 5 * time.Minute

// Errors of VerifyWebhook, for errors.Is.
var (
	ErrBadSignature = errors.New("message: webhook signature does not match")
	ErrStaleWebhook = errors.New("message: webhook timestamp is outside the allowed skew")
)

// Webhook is a Sender that POSTs each message as JSON to URL, signed with Secret.
// A receiver checks the delivery with VerifyWebhook.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client     // nil: http.DefaultClient
	Now    func() time.Time // nil: time.Now
}

var _ Sender = Webhook{}

// Send delivers m; a response other than 2xx is an error.
func (w Webhook) Send(ctx context.Context, m Message) error {
	if w.URL == "" {
		return errors.New("message: webhook URL is empty")
	}
	if len(w.Secret) == 0 {
		return errors.New("message: webhook secret is empty")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("message: encode webhook body: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("message: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "poolgate-webhook/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))

	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("message: webhook delivery: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("message: webhook answered %s: %q", resp.Status, strings.TrimSpace(string(snippet)))
	}
	return nil
}

// Sign returns the X-Poolgate-Signature value of body sent at timestamp (unix seconds, as in
// X-Poolgate-Timestamp): "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body). Trigger
// invocations (internal/trigger) are signed the same way, so one verifier serves both.
func Sign(secret []byte, timestamp string, body []byte) string {
	return "v1=" + hex.EncodeToString(webhookMAC(secret, timestamp, body))
}

func webhookMAC(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyWebhook checks a delivery's timestamp and signature headers against its raw body.
// The signature header may list several comma-separated entries (during a secret rotation);
// one matching "v1=" entry suffices. The timestamp must be within maxSkew of now
// (maxSkew <= 0: DefaultWebhookSkew). Failures wrap ErrBadSignature or ErrStaleWebhook.
func VerifyWebhook(secret, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	if secret == "" {
		return errors.New("message: webhook secret is empty")
	}
	ts, err := parseUnixSeconds(timestamp)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	want := webhookMAC([]byte(secret), timestamp, body)
	matched := false
	for _, entry := range strings.Split(signature, ",") {
		hexMAC, ok := strings.CutPrefix(strings.TrimSpace(entry), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexMAC)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	if maxSkew <= 0 {
		maxSkew = DefaultWebhookSkew
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("%w: %s is %v from now", ErrStaleWebhook, HeaderTimestamp, skew.Round(time.Second))
	}
	return nil
}

// parseUnixSeconds accepts only plain decimal digits (no sign, spaces or exponent).
func parseUnixSeconds(s string) (int64, error) {
	if s == "" || len(s) > 12 {
		return 0, fmt.Errorf("malformed %s %q", HeaderTimestamp, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("malformed %s %q", HeaderTimestamp, s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
