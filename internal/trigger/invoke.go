package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

// Timeout is how long Cognito waits for a trigger.
const Timeout = 5 * time.Second

// HeaderFunction names the invoked function's ARN on a request, so one endpoint can serve
// several functions.
const HeaderFunction = "X-Poolgate-Function"

// Invoker sends events to functions.
type Invoker struct {
	// Transport carries every request: the host's fetch (hostsim's http_fetch import, the
	// Worker's fetch and service bindings). nil: every invocation fails as unreachable; there
	// is no fallback to Go's default transport.
	Transport http.RoundTripper
	// Secret signs each request (X-Poolgate-Signature, as message.Webhook signs).
	Secret []byte
	// Now is the injected clock: an answer that arrives more than Timeout after the request
	// was sent by this clock is a timeout, whatever the context's (real-time) deadline did.
	Now func() time.Time
	// Timeout overrides the package's Timeout (0: Timeout).
	Timeout time.Duration
}

// Invoke sends ev to fn for trigger (the LambdaConfig member's name, which starts Cognito's
// error messages) and returns the handler's response member. Its errors are *Error.
func (iv Invoker) Invoke(ctx context.Context, fn Function, trigger string, ev *Event) (json.RawMessage, error) {
	if iv.Transport == nil {
		return nil, unexpected(trigger, "ServiceUnavailable", "the host gives poolgate no outbound transport")
	}
	if len(iv.Secret) == 0 {
		return nil, unexpected(trigger, "ServiceUnavailable", "no trigger signing secret")
	}
	timeout := iv.Timeout
	if timeout <= 0 {
		timeout = Timeout
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, unexpected(trigger, "InvalidRequestContent", fmt.Sprintf("encode event: %v", err))
	}
	start := iv.Now()
	ts := strconv.FormatInt(start.Unix(), 10)

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fn.target(), bytes.NewReader(body))
	if err != nil {
		return nil, unexpected(trigger, "ResourceNotFoundException", fmt.Sprintf("function %s: %v", fn.Arn, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "poolgate-trigger/1")
	req.Header.Set(message.HeaderTimestamp, ts)
	req.Header.Set(message.HeaderSignature, message.Sign(iv.Secret, ts, body))
	req.Header.Set(HeaderFunction, fn.Arn)

	resp, err := iv.Transport.RoundTrip(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, unexpected(trigger, "TimeoutError", fmt.Sprintf("function %s: no answer within %v", fn.Arn, timeout))
		}
		return nil, unexpected(trigger, "ServiceUnavailable", fmt.Sprintf("function %s: %v", fn.Arn, err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, unexpected(trigger, "TimeoutError", fmt.Sprintf("function %s: answer not read within %v", fn.Arn, timeout))
		}
		return nil, unexpected(trigger, "ServiceUnavailable", fmt.Sprintf("function %s: reading the answer: %v", fn.Arn, err))
	}
	if elapsed := iv.Now().Sub(start); elapsed > timeout {
		return nil, unexpected(trigger, "TimeoutError", fmt.Sprintf("function %s answered after %v", fn.Arn, elapsed))
	}
	return ParseAnswer(trigger, resp.StatusCode, answer)
}
