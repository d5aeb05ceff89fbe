// Package samlwire is the protocol between the main Worker and its SAML companion
// (edge/saml): each samlengine.Engine call is one POST of a JSON request to /<op>, answered
// with a JSON result (200), a refusal {"error": message} (422: the metadata, request or
// response is wrong, samlengine.Error), or a protocol error (400, 413; 500 when the engine
// itself failed). Both directions are bounded. Serve is the companion's side; samlremote is
// the caller's. The package links no net/http, so the companion stays small.
package samlwire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/federation/samlengine"
)

// The operations, one per Engine method: the request path is "/" + op.
const (
	OpCheckMetadata  = "check-metadata"
	OpAuthnRequest   = "authn-request"
	OpVerifyResponse = "verify-response"
	OpSPMetadata     = "sp-metadata"
)

const (
	// MaxRequest bounds a request's JSON: the largest metadata federation reads (1 MiB) and
	// the largest SAMLResponse it accepts (512 KiB of base64), each base64 in the JSON, fit,
	// and so does the Worker's bound on a request it sends (edge/httpjs.go, 2 MiB).
	MaxRequest = 2 << 20
	// MaxAnswer bounds an answer's JSON (an assertion is at most about twice its share of
	// the response, see Serve).
	MaxAnswer = 1 << 20
	// MaxMetadata bounds IdP metadata (federation's maxBody); MaxResponse a Response's XML.
	MaxMetadata = 1 << 20
	MaxResponse = 512 << 10
	// maxField bounds the short strings: entity ID, ACS URL, request ID, RelayState.
	maxField = 8192
)

// Refusal is the body of a 422 (and of the protocol errors).
type Refusal struct {
	Error string `json:"error"`
}

// Serve answers one request: op is the path without its slash, body the request's JSON.
// It returns the status and the answer's JSON. It never panics (a panic in the engine is a
// 500) and its answer is at most MaxAnswer bytes.
func Serve(ctx context.Context, eng samlengine.Engine, op string, body []byte) (status int, answer []byte) {
	defer func() {
		if p := recover(); p != nil {
			status, answer = refuse(500, fmt.Sprintf("SAML engine: %v", p))
		}
	}()
	if len(body) > MaxRequest {
		return refuse(413, fmt.Sprintf("request over %d bytes", MaxRequest))
	}
	var result any
	var err error
	switch op {
	case OpCheckMetadata:
		var in struct {
			Metadata []byte `json:"metadata"`
		}
		if err := decode(body, &in); err != nil {
			return refuse(400, err.Error())
		}
		if err := checkMetadata(in.Metadata); err != nil {
			return refuse(400, err.Error())
		}
		err = eng.CheckMetadata(ctx, in.Metadata)
		result = struct{}{}
	case OpAuthnRequest:
		var in samlengine.AuthnRequest
		if err := decode(body, &in); err != nil {
			return refuse(400, err.Error())
		}
		if err := errors.Join(checkSP(in.SP), checkMetadata(in.Metadata), checkField("relayState", in.RelayState, false), checkNow(in.Now)); err != nil {
			return refuse(400, err.Error())
		}
		result, err = eng.AuthnRequest(ctx, in)
	case OpVerifyResponse:
		var in samlengine.Verify
		if err := decode(body, &in); err != nil {
			return refuse(400, err.Error())
		}
		if err := errors.Join(checkSP(in.SP), checkMetadata(in.Metadata), checkField("requestId", in.RequestID, true), checkNow(in.Now)); err != nil {
			return refuse(400, err.Error())
		}
		if len(in.Response) == 0 || len(in.Response) > MaxResponse {
			return refuse(400, fmt.Sprintf("response: want 1 to %d bytes", MaxResponse))
		}
		result, err = eng.VerifyResponse(ctx, in)
	case OpSPMetadata:
		var in samlengine.MetadataRequest
		if err := decode(body, &in); err != nil {
			return refuse(400, err.Error())
		}
		if err := errors.Join(checkSP(in.SP), checkNow(in.Now)); err != nil {
			return refuse(400, err.Error())
		}
		var md []byte
		md, err = eng.SPMetadata(ctx, in)
		result = SPMetadataAnswer{Metadata: md}
	default:
		return refuse(400, "unknown operation "+bound.String(op, 64))
	}
	if err != nil {
		var refused *samlengine.Error
		if errors.As(err, &refused) {
			return refuse(422, refused.Msg)
		}
		return refuse(500, "SAML engine: "+err.Error())
	}
	out, err := encode(result)
	if err != nil {
		return refuse(500, "SAML engine: "+err.Error())
	}
	if len(out) > MaxAnswer {
		return refuse(422, fmt.Sprintf("SAML response: the assertion is over %d bytes", MaxAnswer))
	}
	return 200, out
}

// SPMetadataAnswer is the answer of OpSPMetadata.
type SPMetadataAnswer struct {
	Metadata []byte `json:"metadata"`
}

// decode reads exactly one JSON object with no unknown members.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("request: more than one JSON value")
	}
	return nil
}

// encode writes v without HTML escaping: an attribute value full of '<' stays its size.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func refuse(status int, msg string) (int, []byte) {
	out, _ := encode(Refusal{Error: bound.String(msg, bound.MessageBytes-64)})
	return status, out
}

func checkSP(sp samlengine.SP) error {
	return errors.Join(checkField("entityId", sp.EntityID, true), checkField("acsUrl", sp.ACSURL, true))
}

func checkField(name, v string, required bool) error {
	if required && v == "" || len(v) > maxField {
		return fmt.Errorf("%s: want 1 to %d bytes", name, maxField)
	}
	return nil
}

func checkMetadata(md []byte) error {
	if len(md) == 0 || len(md) > MaxMetadata {
		return fmt.Errorf("metadata: want 1 to %d bytes", MaxMetadata)
	}
	return nil
}

func checkNow(t time.Time) error {
	if t.IsZero() {
		return errors.New("now: missing")
	}
	return nil
}
