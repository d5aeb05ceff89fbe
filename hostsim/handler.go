package hostsim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/handoff"
)

// ServeHTTP hands the request to a guest instance and writes its response. The guest runs
// under the request timeout, detached from the client's cancellation (a client that hangs up
// must not cost an instance).
//
// Poolgate's JSON APIs and requests without a body reach the guest with their body (at most
// maxRequestBytes); any other body stays pending, for the guest to read as far as it needs
// (abi.BodyRead). A request the guest's gateway lets through comes back as a handoff, which
// is sent to its origin here, after the instance is free again and under the client's
// context: the body (what the guest read of it, then the rest) and the origin's response
// stream through without a size limit. Every body must keep arriving (Options.BodyIdleTimeout,
// see progressBody); one read for the guest must also arrive whole within Options.BodyTimeout.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.assets.serve(w, r) {
		return
	}
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		// Handlers called directly (no RequestURI), or an absolute-form target.
		uri = r.URL.RequestURI()
	}
	msg := &abi.Request{
		Method:     r.Method,
		URI:        uri,
		Host:       r.Host,
		RemoteAddr: r.RemoteAddr,
		Header:     r.Header,
	}
	var progress *progressBody
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		progress = newProgressBody(w, r.Body, s.limits.bodyIdle)
		r.Body = progress
	}
	var pending *pendingBody
	if needsBody(r) {
		if progress != nil {
			progress.setLimit(time.Now().Add(s.limits.body))
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				s.writeError(w, r, awsjson.New(awsjson.ErrSerialization, "The request body is larger than %d bytes.", maxRequestBytes))
			case isTimeout(err):
				s.writeError(w, r, requestTimeout())
			default:
				s.writeError(w, r, awsjson.New(awsjson.ErrSerialization, "Could not read the request body."))
			}
			return
		}
		msg.Body = body
	} else {
		msg.BodyPending = true
		pending = &pendingBody{tee: handoff.NewBodyTee(r.Body)}
		if r.ContentLength > 0 && r.Header.Get("Content-Length") == "" {
			// The guest learns the length from the header (a handler called without a
			// server has only the field).
			msg.Header = r.Header.Clone()
			msg.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		}
	}
	req := abi.EncodeRequest(msg)

	ctx, cancel := context.WithTimeout(withFetchSlot(context.WithoutCancel(r.Context())), s.timeout)
	defer cancel()
	if pending != nil {
		// The guest's reads end by its deadline too: wazero cannot stop a host function.
		ctx = withPendingBody(ctx, pending)
		deadline, _ := ctx.Deadline()
		progress.setLimit(deadline)
	}
	var resp *abi.Response
	var overrun func()
	if pending == nil {
		// The guest runs on this goroutine; at the deadline the answer is given from another
		// (the guest reads nothing more of the request, so nothing else touches w meanwhile).
		overrun = func() { s.writeOverrun(w, r) }
	}
	err := s.pool.do(ctx, func(in *instance) error {
		out, err := in.call(ctx, in.handle, req)
		if err == nil {
			resp, err = abi.DecodeResponse(out)
		}
		return err
	}, overrun)
	if errors.Is(err, errAnswered) {
		s.logf("hostsim: %s %s: %v", r.Method, uri, err)
		return
	}
	if err != nil {
		// A guest abandoned at its deadline may still be blocked reading the body: the
		// deadline stays so that the read ends.
		s.logf("hostsim: %s %s: %v", r.Method, uri, err)
		if ctx.Err() != nil {
			s.writeError(w, r, timedOut())
			return
		}
		s.writeError(w, r, awsjson.Internal("Internal server error."))
		return
	}
	if pending != nil {
		progress.setLimit(time.Time{}) // the origin gets the rest at the client's pace
	}
	if resp.Status == abi.StatusHandoff {
		body := io.NopCloser(bytes.NewReader(msg.Body))
		if pending != nil {
			body = pending.tee.Replay()
		}
		s.serveUpstream(w, r, uri, resp.Body, body)
		return
	}
	if pending != nil {
		progress.setLimit(time.Now().Add(s.limits.body))
		discardUnread(r.Body)
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// maxUnreadBody bounds what the host reads of a body the guest left unread (a form refused as
// too large, a POST to an endpoint that takes none).
const maxUnreadBody = 16 << 20

// discardUnread reads what the guest left of a request body before the answer goes out:
// net/http closes a connection with more than 256 KiB of body unread, and a client still
// sending it then sees a reset instead of the answer (a 300 KB form to /oauth2/token got
// "connection reset" about one time in three). Past maxUnreadBody the connection is closed.
func discardUnread(body io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxUnreadBody))
}

// serveUpstream sends a request the guest handed off (its Upstream's JSON in raw) to the
// origin with body and streams the answer; a handoff that does not decode is a 500.
func (s *Server) serveUpstream(w http.ResponseWriter, r *http.Request, uri string, raw []byte, body io.ReadCloser) {
	u, err := handoff.Decode(raw)
	if err != nil {
		s.logf("hostsim: %s %s: the guest's handoff: %v", r.Method, uri, err)
		s.writeError(w, r, awsjson.Internal("Internal server error."))
		return
	}
	handoff.Serve(w, r, body, u, originTransport, s.logf)
}

// timedOut is the answer to a request the guest did not finish by its deadline.
func timedOut() *awsjson.Error {
	e := awsjson.Internal("The request timed out.")
	e.Status = http.StatusGatewayTimeout
	return e
}

// writeOverrun answers, from a goroutine of its own, a request whose guest is still running
// past its deadline on the request's goroutine: a 504 sent at once (flushed: the handler has
// not returned), on a connection closed after it, since the request's goroutine stays busy
// until the guest returns.
func (s *Server) writeOverrun(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	s.writeError(w, r, timedOut())
	_ = http.NewResponseController(w).Flush()
}

// requestTimeout is the answer to a body that stopped arriving (S3's wording for the same).
func requestTimeout() *awsjson.Error {
	return awsjson.New(awsjson.ErrRequestTimeout, "Your socket connection to the server was not read from or written to within the timeout period.")
}

// writeError answers for the host itself (the guest never saw the request) in the shape the
// guest would have used: a Cognito JSON error with x-amzn-RequestId, Date and CORS headers,
// so browser clients can read it too.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *awsjson.Error) {
	awsjson.CORS(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-amzn-RequestId", awsjson.NewUUID())
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		awsjson.WriteError(w, e)
	})).ServeHTTP(w, r)
}

// now is the host's clock: Options.Clock when set.
func (s *Server) now() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock()
	}
	return time.Now()
}
