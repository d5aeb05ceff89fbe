package message

import (
	"context"
	"slices"
	"sync"
)

// Recorder is a Sender that keeps every message in memory, for tests. The zero value is ready
// to use and it is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	msgs []Message
}

var _ Sender = (*Recorder)(nil)

// Send records m.
func (r *Recorder) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// Messages returns a copy of every message recorded, oldest first.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// Last returns the newest message to username of the given kind ("" matches any kind).
func (r *Recorder) Last(username, kind string) (Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		m := r.msgs[i]
		if m.Username == username && (kind == "" || m.Kind == kind) {
			return m, true
		}
	}
	return Message{}, false
}
