//go:build wasip1

package guest

import (
	"bytes"
	"net/http"

	"github.com/poolgate/poolgate/internal/abi"
)

// recorder is the http.ResponseWriter the App writes to. Like net/http it snapshots the header
// when the status is written, and a Write without WriteHeader means 200.
type recorder struct {
	header http.Header
	sent   http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.sent != nil || status < 200 || status > 999 {
		// A second WriteHeader is ignored, as net/http does; 1xx informational responses are
		// not forwarded.
		return
	}
	r.status = status
	r.sent = r.header.Clone()
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.sent == nil {
		r.WriteHeader(http.StatusOK)
	}
	return r.body.Write(p)
}

func (r *recorder) response() *abi.Response {
	if r.sent == nil {
		r.WriteHeader(http.StatusOK)
	}
	var b []byte
	if r.body.Len() > 0 {
		b = r.body.Bytes()
	}
	return &abi.Response{Status: r.status, Header: r.sent, Body: b}
}
