// Package samlremote is the SAML engine (samlengine.Engine) of the Worker: each call goes as
// bounded JSON (internal/federation/samlwire) through the host's transport to the companion
// Worker (edge/saml), which runs samlxml; on the Worker the transport reaches it through a
// service binding (binding://SAML/...). A refusal comes back as a *samlengine.Error with the
// companion's message, so a user sees what the in-process engine would have said; anything
// else (the companion unreachable, a malformed answer) is an ordinary error.
package samlremote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/federation/samlwire"
	"github.com/poolgate/poolgate/internal/fetch"
)

// timeout bounds one call to the companion.
const timeout = 10 * time.Second

// Client calls the companion at Base (e.g. "binding://SAML") through Transport.
type Client struct {
	Transport http.RoundTripper
	Base      string
}

var _ samlengine.Engine = Client{}

// CheckMetadata implements samlengine.Engine.
func (c Client) CheckMetadata(ctx context.Context, metadata []byte) error {
	var out struct{}
	return c.call(ctx, samlwire.OpCheckMetadata, struct {
		Metadata []byte `json:"metadata"`
	}{metadata}, &out)
}

// AuthnRequest implements samlengine.Engine.
func (c Client) AuthnRequest(ctx context.Context, req samlengine.AuthnRequest) (*samlengine.Redirect, error) {
	var out samlengine.Redirect
	if err := c.call(ctx, samlwire.OpAuthnRequest, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyResponse implements samlengine.Engine.
func (c Client) VerifyResponse(ctx context.Context, req samlengine.Verify) (*samlengine.Assertion, error) {
	var out samlengine.Assertion
	if err := c.call(ctx, samlwire.OpVerifyResponse, req, &out); err != nil {
		return nil, err
	}
	if len(out.Attributes) > samlengine.MaxAttributes {
		return nil, fmt.Errorf("samlremote: %d attributes, over %d", len(out.Attributes), samlengine.MaxAttributes)
	}
	return &out, nil
}

// SPMetadata implements samlengine.Engine.
func (c Client) SPMetadata(ctx context.Context, req samlengine.MetadataRequest) ([]byte, error) {
	var out samlwire.SPMetadataAnswer
	if err := c.call(ctx, samlwire.OpSPMetadata, req, &out); err != nil {
		return nil, err
	}
	return out.Metadata, nil
}

// call POSTs in to Base/op and decodes a 200's answer into out.
func (c Client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("samlremote: %w", err)
	}
	if len(body) > samlwire.MaxRequest {
		// Metadata and a response this large together: refused as the IdP's doing.
		return samlengine.Errorf("SAML metadata and response together are over %d bytes", samlwire.MaxRequest)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/"+op, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("samlremote: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := fetch.Do(c.Transport, req, timeout)
	if err != nil {
		return fmt.Errorf("samlremote: %s: %w", op, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, samlwire.MaxAnswer+1))
	if err != nil {
		return fmt.Errorf("samlremote: %s: reading the answer: %w", op, err)
	}
	if len(answer) > samlwire.MaxAnswer {
		return fmt.Errorf("samlremote: %s: answer over %d bytes", op, samlwire.MaxAnswer)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("samlremote: %s: the answer is not the JSON expected: %w", op, err)
		}
		return nil
	case http.StatusUnprocessableEntity:
		var r samlwire.Refusal
		if err := json.Unmarshal(answer, &r); err != nil || r.Error == "" {
			return fmt.Errorf("samlremote: %s: a refusal without a message", op)
		}
		return &samlengine.Error{Msg: bound.String(r.Error, bound.MessageBytes-64)}
	}
	var r samlwire.Refusal
	json.Unmarshal(answer, &r)
	return fmt.Errorf("samlremote: %s: status %d: %s", op, resp.StatusCode, bound.String(r.Error, 256))
}
