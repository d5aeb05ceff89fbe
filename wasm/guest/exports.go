//go:build wasip1

package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"time"
	"unsafe"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/gateway"
	"github.com/poolgate/poolgate/internal/handoff"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// App is what a guest module serves: HTTP requests, and declarative configuration.
type App interface {
	http.Handler
	// Apply applies a configuration file and returns a one-line summary of what it did.
	Apply(ctx context.Context, config []byte) (summary string, err error)
}

// Env is what the host provides, handed to the App's constructor by poolgate_init.
type Env struct {
	Config abi.RuntimeConfigData
	Store  store.Store         // over kv_*; a missing key is store.ErrNotFound
	Crypto hostcrypto.Provider // over crypto_*, or hostcrypto.Pure{} when Config.PureCrypto
	Sender message.Sender      // over send_message
	Logf   func(format string, args ...any)
}

var newApp func(Env) (App, error)

// Register sets the constructor poolgate_init calls. Call it from an init function of the
// module's main package: a c-shared wasip1 module runs package initializers in _initialize and
// never runs main.
func Register(f func(Env) (App, error)) { newApp = f }

var (
	app App
	// input is the buffer poolgate_alloc hands out; output keeps the last packed result alive
	// until the next export call.
	input  []byte
	output []byte
)

// maxIdleInput is the input buffer size kept after a large request has been served.
const maxIdleInput = 1 << 20

//go:wasmexport poolgate_alloc
func exportAlloc(size uint32) uint32 {
	if cap(input) < int(size) || (cap(input) > maxIdleInput && int(size) <= maxIdleInput) {
		input = make([]byte, max(size, 4<<10))
	}
	input = input[:cap(input)]
	return addr(input)
}

//go:wasmexport poolgate_init
func exportInit() uint64 {
	if err := initApp(); err != nil {
		return result(abi.EncodeResult(&abi.Result{Text: err.Error()}))
	}
	return result(abi.EncodeResult(&abi.Result{OK: true, Text: "initialized"}))
}

//go:wasmexport poolgate_handle
func exportHandle(ptr, n uint32) uint64 {
	b, err := takeInput(ptr, n)
	if err != nil {
		return result(abi.EncodeResponse(internalError(err)))
	}
	return result(abi.EncodeResponse(serve(b)))
}

//go:wasmexport poolgate_apply
func exportApply(ptr, n uint32) uint64 {
	b, err := takeInput(ptr, n)
	if err == nil {
		var summary string
		summary, err = apply(bytes.Clone(b))
		if err == nil {
			return result(abi.EncodeResult(&abi.Result{OK: true, Text: summary}))
		}
	}
	return result(abi.EncodeResult(&abi.Result{Text: err.Error()}))
}

func initApp() error {
	if newApp == nil {
		return errors.New("guest: no App registered (call guest.Register from an init function)")
	}
	raw, err := sized(func(out *byte, outCap uint32) int32 { return runtimeConfig(out, outCap) })
	if err != nil {
		return fmt.Errorf("guest: runtime_config: %w", err)
	}
	cfg, err := abi.DecodeRuntimeConfig(raw)
	if err != nil {
		return fmt.Errorf("guest: %w", err)
	}
	env := Env{Config: *cfg, Store: kvStore{}, Crypto: hostCrypto{}, Sender: hostSender{}, Logf: logf}
	if cfg.PureCrypto {
		env.Crypto = hostcrypto.Pure{}
	}
	a, err := newApp(env)
	if err != nil {
		return err
	}
	app = a
	return nil
}

// takeInput returns the request the host wrote into the input buffer; (ptr, n) must lie in it.
func takeInput(ptr, n uint32) ([]byte, error) {
	if ptr != addr(input) || int(n) > len(input) {
		return nil, fmt.Errorf("guest: (%#x, %d) is not within the buffer poolgate_alloc returned", ptr, n)
	}
	if app == nil {
		return nil, errors.New("guest: poolgate_init has not succeeded")
	}
	return input[:n], nil
}

// result keeps b alive until the next export call and returns it packed for the host.
func result(b []byte) uint64 {
	output = b
	return abi.Pack(addr(b), uint32(len(b)))
}

func apply(config []byte) (summary string, err error) {
	defer func() {
		if v := recover(); v != nil {
			logError("guest: panic applying config: %v\n%s", v, debug.Stack())
			err = fmt.Errorf("guest: panic applying config: %v", v)
		}
	}()
	return app.Apply(context.Background(), config)
}

// serve runs one request through the App. A panic becomes a 500 (and a log line with the
// stack); a Date header from the guest's clock is added when the App did not set one. The
// request's context takes gateway handoffs: a request the gateway passed to the host comes
// back as a StatusHandoff response carrying the Upstream.
func serve(b []byte) (resp *abi.Response) {
	in, err := abi.DecodeRequest(b)
	if err != nil {
		return internalError(err)
	}
	req, err := newRequest(in)
	if err != nil {
		return badRequest(err)
	}
	var taken *handoff.Upstream
	req = req.WithContext(gateway.WithHandoff(req.Context(), func(u *handoff.Upstream) { taken = u }))
	rec := &recorder{header: http.Header{}}
	defer func() {
		if v := recover(); v != nil {
			logError("guest: panic serving %s %s: %v\n%s", in.Method, in.URI, v, debug.Stack())
			resp = internalError(fmt.Errorf("guest: panic: %v", v))
		}
	}()
	app.ServeHTTP(rec, req)
	if taken != nil {
		return handoffResponse(taken)
	}
	resp = rec.response()
	if resp.Header.Get("Date") == "" {
		resp.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	return resp
}

// handoffResponse is the response that passes u to the host.
func handoffResponse(u *handoff.Upstream) *abi.Response {
	b, err := u.MarshalJSON()
	if err != nil {
		return internalError(fmt.Errorf("guest: encoding the handoff: %w", err))
	}
	return &abi.Response{Status: abi.StatusHandoff, Header: http.Header{}, Body: b}
}

// newRequest rebuilds the server-side *http.Request net/http would have handed a handler. A
// pending body is read from the host (body_read); its length is the Content-Length header's,
// or -1 (unknown).
func newRequest(in *abi.Request) (*http.Request, error) {
	u, err := url.ParseRequestURI(in.URI)
	if err != nil {
		return nil, fmt.Errorf("guest: request URI: %w", err)
	}
	r := &http.Request{
		Method:        in.Method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        in.Header,
		Body:          http.NoBody,
		ContentLength: int64(len(in.Body)),
		Host:          in.Host,
		RemoteAddr:    in.RemoteAddr,
		RequestURI:    in.URI,
	}
	switch {
	case in.BodyPending:
		r.Body = &pendingBody{}
		r.ContentLength = -1
		if v := in.Header.Get("Content-Length"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("guest: Content-Length %q", v)
			}
			r.ContentLength = n
		}
		if r.ContentLength == 0 {
			r.Body = http.NoBody
		}
	case len(in.Body) > 0:
		r.Body = &body{Reader: bytes.NewReader(in.Body)}
	}
	return r.WithContext(context.Background()), nil
}

type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

// pendingBody reads the current request's body from the host with body_read, straight into
// the caller's buffer.
type pendingBody struct {
	err error // sticky: io.EOF, or the host's failure
}

// maxBodyRead bounds one body_read (its result is an i32).
const maxBodyRead = 1 << 30

func (b *pendingBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := bodyRead(unsafe.SliceData(p), uint32(min(len(p), maxBodyRead)))
	switch {
	case n > 0:
		return int(n), nil
	case n == 0:
		b.err = io.EOF
	default:
		b.err = fmt.Errorf("guest: body_read: %w", abi.Code(-n))
	}
	return 0, b.err
}

func (b *pendingBody) Close() error {
	if b.err == nil {
		b.err = errors.New("guest: read of a closed request body")
	}
	return nil
}

func internalError(err error) *abi.Response {
	logError("%v", err)
	return errorResponse(awsjson.Internal("Internal server error."))
}

func badRequest(err error) *abi.Response {
	return errorResponse(awsjson.InvalidParameter("%s", err.Error()))
}

// errorResponse is e's envelope (awsjson.EnvelopeOf, as every host writes it) with a Date.
func errorResponse(e *awsjson.Error) *abi.Response {
	env := awsjson.EnvelopeOf(e)
	h := make(http.Header, len(env.Header)+2)
	for _, kv := range env.Header {
		h.Set(kv[0], kv[1])
	}
	h.Set("Content-Length", strconv.Itoa(len(env.Body)))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	return &abi.Response{Status: env.Status, Header: h, Body: env.Body}
}
