package samlwire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
)

// echo is an engine that records what it was asked and answers with fixed values, or with
// err.
type echo struct {
	got any
	err error
}

func (e *echo) CheckMetadata(_ context.Context, md []byte) error { e.got = md; return e.err }
func (e *echo) AuthnRequest(_ context.Context, r samlengine.AuthnRequest) (*samlengine.Redirect, error) {
	e.got = r
	return &samlengine.Redirect{URL: "https://idp.test/sso?SAMLRequest=x", RequestID: "id-1"}, e.err
}
func (e *echo) VerifyResponse(_ context.Context, r samlengine.Verify) (*samlengine.Assertion, error) {
	e.got = r
	return &samlengine.Assertion{ID: "a1", NameID: "alice", Attributes: []samlengine.Attribute{{Name: "n", Values: []string{"<&>"}}}}, e.err
}
func (e *echo) SPMetadata(_ context.Context, r samlengine.MetadataRequest) ([]byte, error) {
	e.got = r
	return []byte("<md/>"), e.err
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServeStatuses(t *testing.T) {
	sp := samlengine.SP{EntityID: "urn:amazon:cognito:sp:p", ACSURL: "https://l.test/saml2/idpresponse"}
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	verify := mustJSON(t, samlengine.Verify{SP: sp, Metadata: []byte("<md/>"), RequestID: "id-1", Response: []byte("<r/>"), Now: now})
	for _, c := range []struct {
		name, op string
		body     []byte
		err      error
		status   int
	}{
		{"verify", OpVerifyResponse, verify, nil, 200},
		{"refused", OpVerifyResponse, verify, samlengine.Errorf("SAML response refused: no"), 422},
		{"engine failure", OpVerifyResponse, verify, errors.New("boom"), 500},
		{"unknown op", "nope", verify, nil, 400},
		{"sp metadata", OpSPMetadata, mustJSON(t, samlengine.MetadataRequest{SP: sp, Now: now}), nil, 200},
		{"sp metadata, no time", OpSPMetadata, mustJSON(t, sp), nil, 400},
		{"unknown member", OpSPMetadata, []byte(`{"entityId":"e","acsUrl":"a","now":"2026-12-07T14:00:00Z","x":1}`), nil, 400},
		{"two values", OpSPMetadata, []byte(`{"entityId":"e","acsUrl":"a","now":"2026-12-07T14:00:00Z"} {}`), nil, 400},
		{"no request id", OpVerifyResponse, mustJSON(t, samlengine.Verify{SP: sp, Metadata: []byte("m"), Response: []byte("r"), Now: now}), nil, 400},
		{"no time", OpAuthnRequest, mustJSON(t, samlengine.AuthnRequest{SP: sp, Metadata: []byte("m")}), nil, 400},
		{"no metadata", OpCheckMetadata, []byte(`{}`), nil, 400},
		{"too large", OpCheckMetadata, make([]byte, MaxRequest+1), nil, 413},
	} {
		e := &echo{err: c.err}
		status, answer := Serve(context.Background(), e, c.op, c.body)
		if status != c.status || !json.Valid(answer) {
			t.Errorf("%s: %d %s, want %d", c.name, status, answer, c.status)
		}
		if c.status == 422 && !bytes.Contains(answer, []byte("no")) {
			t.Errorf("%s: refusal %s lost its message", c.name, answer)
		}
	}
}

// FuzzServe feeds the companion's request parser arbitrary operations and bodies: it never
// panics, answers only with the statuses of the protocol, always with JSON within MaxAnswer,
// and hands the engine only requests that pass its checks.
func FuzzServe(f *testing.F) {
	sp := samlengine.SP{EntityID: "urn:amazon:cognito:sp:p", ACSURL: "https://l.test/saml2/idpresponse"}
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	f.Add(OpVerifyResponse, mustJSON(f, samlengine.Verify{SP: sp, Metadata: []byte("<md/>"), RequestID: "id-1", Response: []byte("<r/>"), Now: now}))
	f.Add(OpAuthnRequest, mustJSON(f, samlengine.AuthnRequest{SP: sp, Metadata: []byte("<md/>"), RelayState: "rs", Now: now}))
	f.Add(OpSPMetadata, mustJSON(f, samlengine.MetadataRequest{SP: sp, Now: now}))
	f.Add(OpCheckMetadata, []byte(`{"metadata":"PG1kLz4="}`))
	f.Add(OpCheckMetadata, []byte(`{"metadata":"%%%"}`))
	f.Add("", []byte(`null`))
	f.Add(OpVerifyResponse, []byte(`{"now":"not a time","response":[1,2]}`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		e := &echo{}
		status, answer := Serve(context.Background(), e, op, body)
		switch status {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d: %s", status, answer)
		}
		if !json.Valid(answer) || len(answer) > MaxAnswer {
			t.Fatalf("answer %q", answer)
		}
		if status != 200 && e.got != nil {
			t.Fatalf("refused with %d after asking the engine: %s", status, answer)
		}
		if v, ok := e.got.(samlengine.Verify); ok && (v.RequestID == "" || len(v.Response) == 0 || v.Now.IsZero()) {
			t.Fatalf("engine asked to verify %+v", v)
		}
	})
}
