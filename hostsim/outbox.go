package hostsim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/poolgate/poolgate/internal/message"
)

// outbox is the default message.Sender: it logs each message (codes included: it is a local
// development server) and appends it as one JSON line to a file when it has one.
type outbox struct {
	mu   sync.Mutex
	path string // "" → log only
	logf func(format string, args ...any)
}

func outboxPath(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "outbox.jsonl")
}

func (o *outbox) Send(_ context.Context, m message.Message) error {
	o.logf("hostsim: %s message for %s in %s to %s (%s): %s", m.Kind, m.Username, m.Pool, m.Destination, m.Medium, m.Code)
	if o.path == "" {
		return nil
	}
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("hostsim: outbox: %w", err)
	}
	line = append(line, '\n')
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("hostsim: outbox: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("hostsim: outbox: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("hostsim: outbox: %w", err)
	}
	return nil
}
