// Package awsjson owns the AWS JSON 1.1 wire protocol: X-Amz-Target dispatch, request
// decoding and validation, SigV4 on signed actions, and Cognito-shaped responses and errors.
package awsjson

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/poolgate/poolgate/internal/sigv4"
)

// MaxBodyBytes is the largest request body accepted (1 MiB).
const MaxBodyBytes = 1 << 20

// ContentType is the media type of every request and response of the protocol.
const ContentType = "application/x-amz-json-1.1"

// Auth says how an action authenticates its caller.
type Auth int

const (
	// Public actions are not signed (spec §1.5 noAuth); a signature, if sent, is ignored.
	Public Auth = iota
	// SigV4 actions must carry a valid AWS Signature Version 4 from a known key.
	SigV4
)

// Action is one operation: its name after the target prefix, how it authenticates, and the
// function that turns the raw JSON body into an output value (usually built with Handler).
type Action struct {
	Name   string
	Auth   Auth
	Handle func(ctx context.Context, body []byte) (any, error)
}

// DispatcherConfig holds what a Dispatcher needs from its host.
type DispatcherConfig struct {
	Now func() time.Time // nil means time.Now
	// Credentials returns the secret access key of a long-term key pair allowed to call
	// SigV4 actions. Nil refuses every SigV4 action as UnrecognizedClient.
	Credentials func(accessKeyID string) (secret string, ok bool)
	// NewRequestID returns the x-amzn-RequestId of a response; nil means a random UUID v4.
	NewRequestID func() string
	// Service is the SigV4 service name the credential scope must carry ("cognito-idp",
	// "cognito-identity"); empty accepts any.
	Service string
	// Region is the region the credential scope must carry (the server's); empty accepts any.
	Region string
	// Logf receives handler failures and recovered panics; nil means log.Printf.
	Logf func(format string, args ...any)
}

// Dispatcher routes POSTs carrying "X-Amz-Target: <prefix><Name>" to registered actions.
// It owns the steps every action shares: method and size limits, target lookup, SigV4,
// response headers and error encoding.
type Dispatcher struct {
	prefix  string
	cfg     DispatcherConfig
	actions map[string]Action
	date    atomic.Pointer[httpDate] // the Date header of the latest second answered in
}

// httpDate is a Date header's text and the second it names.
type httpDate struct {
	unix int64
	text string
}

// dateHeader returns now as the Date header writes it (http.TimeFormat), formatting it once
// per second: formatting was 2% of a GetUser's CPU in hostsim's guest.
func (d *Dispatcher) dateHeader(now time.Time) string {
	sec := now.Unix()
	if c := d.date.Load(); c != nil && c.unix == sec {
		return c.text
	}
	text := now.UTC().Format(http.TimeFormat)
	d.date.Store(&httpDate{unix: sec, text: text})
	return text
}

// NewDispatcher returns a Dispatcher for targets starting with prefix, e.g.
// "AWSCognitoIdentityProviderService.".
func NewDispatcher(prefix string, cfg DispatcherConfig) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = NewUUID
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	return &Dispatcher{prefix: prefix, cfg: cfg, actions: map[string]Action{}}
}

// Register adds actions. It panics on an empty name, a nil Handle or a name registered
// twice: those are programming errors found at start-up.
func (d *Dispatcher) Register(actions ...Action) {
	for _, a := range actions {
		if a.Name == "" || a.Handle == nil {
			panic(fmt.Sprintf("awsjson: action %q registered without a name or handler", a.Name))
		}
		if _, dup := d.actions[a.Name]; dup {
			panic(fmt.Sprintf("awsjson: action %q registered twice", a.Name))
		}
		d.actions[a.Name] = a
	}
}

// Handles reports whether target carries this dispatcher's prefix, i.e. whether the request
// belongs to this API. An unknown action under the prefix is still this dispatcher's to
// refuse (with UnknownOperationException).
func (d *Dispatcher) Handles(target string) bool { return strings.HasPrefix(target, d.prefix) }

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyRequest
	keyOperation
	keyCaller
	keyDescribe // set by InputType: Handler returns its input without running
)

// RequestID returns the x-amzn-RequestId of the request being handled.
func RequestID(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

// HTTPRequest returns the HTTP request being handled (headers, remote address, host).
func HTTPRequest(ctx context.Context) *http.Request {
	r, _ := ctx.Value(keyRequest).(*http.Request)
	return r
}

// Operation returns the name of the action being handled, e.g. "AdminGetUser".
func Operation(ctx context.Context) string { s, _ := ctx.Value(keyOperation).(string); return s }

// Caller returns the verified signer of a SigV4 action; ok is false for public actions.
func Caller(ctx context.Context) (res *sigv4.Result, ok bool) {
	res, ok = ctx.Value(keyCaller).(*sigv4.Result)
	return res, ok
}

// ServeHTTP runs one request:
//   - a method other than POST → 400 UnknownOperationException (the JSON protocol has no
//     other operations; an Allow: POST header says so);
//   - a missing, foreign or unregistered X-Amz-Target → 400 UnknownOperationException;
//   - a body over MaxBodyBytes, or one that cannot be read → 400 SerializationException;
//   - SigV4 actions: a missing or bad signature → 400 with the spec §9.8 type;
//   - the action's error → its *Error, any other error or a panic → 500 InternalErrorException.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := d.cfg.NewRequestID()
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Amzn-Requestid", id)
	h.Set("Date", d.dateHeader(d.cfg.Now()))

	if r.Method != http.MethodPost {
		h.Set("Allow", http.MethodPost)
		writeError(w, New(ErrUnknownOperation, "Method %s is not supported; operations are called with POST.", r.Method))
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, d.prefix)
	action, found := d.actions[name]
	if !ok || !found {
		if target == "" {
			writeError(w, New(ErrUnknownOperation, "Missing X-Amz-Target header."))
		} else {
			writeError(w, New(ErrUnknownOperation, "Unknown operation %s.", quoteHeader(target)))
		}
		return
	}

	body, err := readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}

	ctx := context.WithValue(r.Context(), keyRequestID, id)
	ctx = context.WithValue(ctx, keyRequest, r)
	ctx = context.WithValue(ctx, keyOperation, name)
	if action.Auth == SigV4 {
		res, err := d.verify(r, body)
		if err != nil {
			writeError(w, d.wireError(err, name, id))
			return
		}
		ctx = context.WithValue(ctx, keyCaller, res)
	}

	payload, err := d.run(ctx, action, body)
	if err != nil {
		writeError(w, d.wireError(err, name, id))
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(payload)
}

// run calls the action and encodes its output; a panic in either becomes an error.
func (d *Dispatcher) run(ctx context.Context, a Action, body []byte) (payload []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err = fmt.Errorf("awsjson: panic in %s: %v\n%s", a.Name, v, debug.Stack())
		}
	}()
	out, err := a.Handle(ctx, body)
	if err != nil {
		return nil, err
	}
	return encode(out)
}

func (d *Dispatcher) verify(r *http.Request, body []byte) (*sigv4.Result, error) {
	creds := d.cfg.Credentials
	return sigv4.VerifyRequest(r, body, sigv4.Options{
		Now:     d.cfg.Now(),
		MaxSkew: sigv4.DefaultMaxSkew,
		Service: d.cfg.Service,
		Region:  d.cfg.Region,
		// An unsigned X-Amz-Target would let a captured call be replayed as another action.
		MustSign: []string{"X-Amz-Target", "Content-Type"},
		Lookup: func(akid, token string) (string, error) {
			if creds == nil {
				return "", sigv4.UnknownKey()
			}
			secret, ok := creds(akid)
			if !ok || token != "" { // admin keys are long-term: a session token is foreign
				return "", sigv4.UnknownKey()
			}
			return secret, nil
		},
	})
}

// wireError turns any error into the *Error to send. Plain errors are logged and hidden
// behind a generic 500.
func (d *Dispatcher) wireError(err error, op, id string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return New(Type(se.Code), "%s", se.Message)
	}
	d.cfg.Logf("awsjson: %s failed (request %s): %v", op, id, err)
	return Internal("An internal error occurred.")
}

// errBodyTooLarge is readBody's answer to a body over MaxBodyBytes, made only then: formatting
// it for every request was 1.4% of a GetUser's CPU under hostsim.
func errBodyTooLarge() *Error {
	return New(ErrSerialization, "Request body is larger than %d bytes.", MaxBodyBytes)
}

// readBody reads at most MaxBodyBytes; a longer or unreadable body is a SerializationException.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, errBodyTooLarge()
	}
	// Sized from Content-Length when it is given, so the body is read in one go, without
	// io.ReadAll's doublings (the EOF read needs bytes.MinRead of room).
	buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, errBodyTooLarge()
		}
		return nil, New(ErrSerialization, "Could not read the request body.")
	}
	return body, nil
}

// encode marshals an action's output; nil (including a nil pointer) becomes {}.
func encode(out any) ([]byte, error) {
	if out == nil {
		return []byte("{}"), nil
	}
	if v := reflect.ValueOf(out); (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map) && v.IsNil() {
		return []byte("{}"), nil
	}
	if a, ok := out.(JSONAppender); ok {
		return a.AppendJSON(make([]byte, 0, 512)), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("awsjson: encoding output: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// JSONAppender is an action's output that writes itself as the dispatcher's encoding/json
// encoder would (HTML characters unescaped), without reflection: for the hot answers
// (GetUser), each held to encoding/json by its own tests.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// NewUUID returns a random UUID v4 from crypto/rand.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// 8-4-4-4-12 hex digits, written here rather than by fmt: every request makes one.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
