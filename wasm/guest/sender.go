//go:build wasip1

package guest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/message"
)

// hostSender is a message.Sender over the send_message import.
type hostSender struct{}

var _ message.Sender = hostSender{}

func (hostSender) Send(ctx context.Context, m message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("guest: send_message: %w", err)
	}
	p, n := in(b)
	if err := status(sendMessage(p, n)); err != nil {
		return fmt.Errorf("guest: send_message: %w", err)
	}
	return nil
}

// logf writes one line to the host's log at info level, clipped to bound.LogBytes.
func logf(format string, args ...any) {
	hostLog(abi.LogInfo, bound.String(fmt.Sprintf(format, args...), bound.LogBytes))
}

// logError writes one line to the host's log at error level, clipped to bound.LogBytes.
func logError(format string, args ...any) {
	hostLog(abi.LogError, bound.String(fmt.Sprintf(format, args...), bound.LogBytes))
}
