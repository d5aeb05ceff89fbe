package edgelocal

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

// randReader is the source of the webhook secret.
var randReader io.Reader = rand.Reader

// outboxMu serializes appends to outbox files within this process.
var outboxMu sync.Mutex

// startReceiver listens on a free loopback port for the Worker's webhook deliveries: each is
// checked with message.VerifyWebhook, appended to o.Outbox and handed to o.OnMessage. It
// returns the URL the Worker must POST to.
func (w *Worker) startReceiver(secret string, o Options) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("local: webhook receiver: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /messages", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(rw, "cannot read the body", http.StatusBadRequest)
			return
		}
		if err := message.VerifyWebhook(secret, r.Header.Get(message.HeaderTimestamp), r.Header.Get(message.HeaderSignature), body, time.Now(), 0); err != nil {
			o.Logf("receiver: refused a delivery: %v", err)
			http.Error(rw, "bad signature", http.StatusUnauthorized)
			return
		}
		var m message.Message
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(rw, "not a message", http.StatusBadRequest)
			return
		}
		o.Logf("receiver: %s message for %s in %s to %s (%s): %s", m.Kind, m.Username, m.Pool, m.Destination, m.Medium, m.Code)
		if o.Outbox != "" {
			if err := appendLine(o.Outbox, body); err != nil {
				o.Logf("receiver: %v", err)
				http.Error(rw, "cannot write the outbox", http.StatusInternalServerError)
				return
			}
		}
		w.mu.Lock()
		w.messages = append(w.messages, m)
		w.mu.Unlock()
		if o.OnMessage != nil {
			o.OnMessage(m)
		}
		rw.WriteHeader(http.StatusNoContent)
	})
	w.receiver = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := w.receiver.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logf("receiver: %v", err)
		}
	}()
	return "http://" + l.Addr().String() + "/messages", nil
}

// appendLine appends one JSON line (compacted) to path.
func appendLine(path string, body []byte) error {
	var m json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	outboxMu.Lock()
	defer outboxMu.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("local: outbox: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("local: outbox: %w", err)
	}
	return f.Close()
}
