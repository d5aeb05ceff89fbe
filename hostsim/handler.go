package hostsim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/awsjson"
)

// ServeHTTP hands the request to a guest instance and writes its response. The guest runs
// under the request timeout, detached from the client's cancellation (a client that hangs up
// must not cost an instance).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.assets.serve(w, r) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, r, awsjson.New("SerializationException", "The request body is larger than %d bytes.", maxRequestBytes))
			return
		}
		s.writeError(w, r, awsjson.New("SerializationException", "Could not read the request body."))
		return
	}
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		// Handlers called directly (no RequestURI), or an absolute-form target.
		uri = r.URL.RequestURI()
	}
	req := abi.EncodeRequest(&abi.Request{
		Method:     r.Method,
		URI:        uri,
		Host:       r.Host,
		RemoteAddr: r.RemoteAddr,
		Header:     r.Header,
		Body:       body,
	})

	ctx, cancel := context.WithTimeout(withFetchSlot(context.WithoutCancel(r.Context())), s.timeout)
	defer cancel()
	var resp *abi.Response
	err = s.pool.do(ctx, func(in *instance) error {
		out, err := in.call(ctx, in.handle, req)
		if err == nil {
			resp, err = abi.DecodeResponse(out)
		}
		return err
	})
	if err != nil {
		s.logf("hostsim: %s %s: %v", r.Method, uri, err)
		if ctx.Err() != nil {
			e := awsjson.Internal("The request timed out.")
			e.Status = http.StatusGatewayTimeout
			s.writeError(w, r, e)
			return
		}
		s.writeError(w, r, awsjson.Internal("Internal server error."))
		return
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
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
