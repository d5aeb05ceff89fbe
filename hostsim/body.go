package hostsim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/handoff"
)

// originTransport sends handed-off requests to gateway origins. It leaves the request as the
// gateway built it (no Accept-Encoding of its own, so no transparent decompression) and has
// no response-head timeout of its own: the Upstream carries the gateway's.
var originTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.DisableCompression = true
	return t
}()

// pendingBody is the body of the request an export call serves when it was not sent with the
// request (abi.Request.BodyPending): the guest reads it with body_read through a tee, which
// keeps what the guest read so that a handed-off request sends the whole body on. One lives
// in the context of the export call; only the guest's goroutine reads it while the call runs.
type pendingBody struct {
	tee *handoff.BodyTee
	err error // sticky: io.EOF or the read's failure
}

type pendingBodyKey struct{}

// withPendingBody makes body the pending body of the export call run under ctx.
func withPendingBody(ctx context.Context, body *pendingBody) context.Context {
	return context.WithValue(ctx, pendingBodyKey{}, body)
}

// needsBody reports whether a request goes to the guest with its body (read here, bounded by
// maxRequestBytes) rather than pending: poolgate's JSON APIs (X-Amz-Target), whose handlers
// want the whole body anyway, and requests without a body.
func needsBody(r *http.Request) bool {
	return r.Header.Get("X-Amz-Target") != "" || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
}

// maxEmptyReads bounds the reads in a row that return nothing and no error, as bufio does.
const maxEmptyReads = 100

// body_read(out_ptr, out_cap) → n
func (h *host) bodyRead(ctx context.Context, mod api.Module, stack []uint64) {
	body, _ := ctx.Value(pendingBodyKey{}).(*pendingBody)
	if body == nil {
		stack[0] = fail(abi.CodeNotFound)
		return
	}
	outPtr, outCap := uint32(stack[0]), uint32(stack[1])
	if outCap == 0 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	if ctx.Err() != nil {
		stack[0] = fail(abi.CodeCanceled)
		return
	}
	// The guest's buffer, written in place: nothing runs in the guest during this call, so
	// its memory cannot grow under the view.
	out, ok := mod.Memory().Read(outPtr, min(outCap, 1<<30))
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	n := 0
	for i := 0; n == 0 && body.err == nil; i++ {
		if i == maxEmptyReads {
			body.err = io.ErrNoProgress
			break
		}
		n, body.err = body.tee.Read(out)
	}
	switch err := body.err; {
	case n > 0:
		stack[0] = api.EncodeI32(int32(n)) // an error (or the end) is answered by the next call
	case err == io.EOF:
		stack[0] = 0
	case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
		stack[0] = fail(abi.CodeCanceled)
	default:
		h.logf("hostsim: body_read: reading the request body: %v", err)
		stack[0] = fail(abi.CodeInternal)
	}
}
