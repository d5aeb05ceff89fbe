package awsjson

import (
	"net/http"
	"slices"
)

// ExposedHeaders are the response headers browsers may read; real Cognito exposes the same.
const ExposedHeaders = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"

// defaultAllowedHeaders answers a preflight that does not list the headers it wants.
const defaultAllowedHeaders = "content-type,x-amz-target,x-amz-user-agent,x-amz-date,x-amz-security-token," +
	"x-amz-content-sha256,authorization,amz-sdk-invocation-id,amz-sdk-request,cache-control"

// CORS lets browsers call h from any origin. It answers every OPTIONS request itself as a
// preflight (204; Allow-Methods POST, GET, OPTIONS; the requested headers echoed; Max-Age 2 h)
// and adds Access-Control-Allow-Origin (the request's Origin, or * without one) and
// Access-Control-Expose-Headers to every response. Credentials (cookies) are not allowed:
// Cognito clients carry their tokens in the body.
func CORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		if origin := r.Header.Get("Origin"); origin != "" {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Add("Vary", "Origin")
		} else {
			hdr.Set("Access-Control-Allow-Origin", "*")
		}
		hdr.Set("Access-Control-Expose-Headers", ExposedHeaders)
		if r.Method != http.MethodOptions {
			h.ServeHTTP(w, r)
			return
		}
		hdr.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
		if want := r.Header.Values("Access-Control-Request-Headers"); len(want) > 0 {
			hdr["Access-Control-Allow-Headers"] = slices.Clone(want)
			hdr.Add("Vary", "Access-Control-Request-Headers")
		} else {
			hdr.Set("Access-Control-Allow-Headers", defaultAllowedHeaders)
		}
		hdr.Set("Access-Control-Max-Age", "7200")
		w.WriteHeader(http.StatusNoContent)
	})
}
