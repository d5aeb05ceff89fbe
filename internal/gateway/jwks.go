package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/poolgate/poolgate/internal/jose"
)

// httpSource fetches an issuer's JWKS over HTTP through rt (on wasm hosts, the host's
// outbound fetch). internal/jose parses and caches what it returns.
func httpSource(rt http.RoundTripper, uri string) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
			return nil, fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, jose.MaxJWKSBytes+1))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", uri, err)
		}
		if len(b) > jose.MaxJWKSBytes {
			return nil, fmt.Errorf("GET %s: more than %d bytes", uri, jose.MaxJWKSBytes)
		}
		return b, nil
	}
}
