package hostsim

import (
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// The types Options takes live in poolgate's internal packages; these aliases let tests in other
// modules name them.
type (
	// Message is one message the guest sends: a confirmation or reset code, or a temporary password.
	Message = message.Message
	// Sender delivers messages (Options.Sender).
	Sender = message.Sender
	// SenderFunc adapts a function to Sender.
	SenderFunc = message.SenderFunc
	// MessageRecorder is a Sender that keeps every message for a test to read.
	MessageRecorder = message.Recorder
	// Store is the key-value interface behind the guest's kv_* imports (Options.Store).
	Store = store.Store
)
