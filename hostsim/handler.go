package hostsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/poolgate/poolgate/internal/abi"
)

// ServeHTTP hands the request to a guest instance and writes its response. The guest runs
// under the request timeout, detached from the client's cancellation (a client that hangs up
// must not cost an instance).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "InvalidParameterException", "Request body too large.")
			return
		}
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "Could not read the request body.")
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

	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.timeout)
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
			writeError(w, http.StatusGatewayTimeout, "InternalErrorException", "The request timed out.")
			return
		}
		writeError(w, http.StatusInternalServerError, "InternalErrorException", "Internal server error.")
		return
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// writeError writes an error in the JSON 1.1 shape the Cognito clients parse.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}
