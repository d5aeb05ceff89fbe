package samlremote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/federation/samlwire"
)

// recorder is an engine that keeps each request and answers with what it is given.
type recorder struct {
	got      []any
	redirect samlengine.Redirect
	asserted samlengine.Assertion
	err      error
}

func (r *recorder) CheckMetadata(_ context.Context, md []byte) error {
	r.got = append(r.got, md)
	return r.err
}
func (r *recorder) AuthnRequest(_ context.Context, req samlengine.AuthnRequest) (*samlengine.Redirect, error) {
	r.got = append(r.got, req)
	return &r.redirect, r.err
}
func (r *recorder) VerifyResponse(_ context.Context, req samlengine.Verify) (*samlengine.Assertion, error) {
	r.got = append(r.got, req)
	return &r.asserted, r.err
}
func (r *recorder) SPMetadata(_ context.Context, req samlengine.MetadataRequest) ([]byte, error) {
	r.got = append(r.got, req)
	return []byte(`<?xml version="1.0"?><md/>`), r.err
}

// over is a transport to samlwire.Serve over eng, as the companion Worker runs it.
func over(eng samlengine.Engine) http.RoundTripper {
	return rt(func(r *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(r.Body)
		status, answer := samlwire.Serve(r.Context(), eng, strings.TrimPrefix(r.URL.Path, "/"), body)
		return &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(answer)), Header: http.Header{}}, nil
	})
}

type rt func(*http.Request) (*http.Response, error)

func (f rt) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRoundTrip: every request reaches the engine as sent (bytes that are not UTF-8, times
// to the nanosecond and zone), every answer comes back as the engine gave it.
func TestRoundTrip(t *testing.T) {
	until := time.Date(2026, 12, 7, 14, 3, 0, 123456789, time.FixedZone("x", 3600))
	eng := &recorder{redirect: samlengine.Redirect{URL: "https://idp.test/sso?SAMLRequest=abc&RelayState=s", RequestID: "id-1"},
		asserted: samlengine.Assertion{ID: "a1", AcceptableUntil: until, Issuer: "https://idp.test", NameID: "alice <a@b>",
			Attributes: []samlengine.Attribute{{Name: "urn:oid:1", FriendlyName: "mail", Values: []string{"a@b", "c&d"}}}}}
	c := Client{Transport: over(eng), Base: "binding://SAML"}
	ctx := context.Background()
	sp := samlengine.SP{EntityID: "urn:amazon:cognito:sp:p", ACSURL: "https://l.test/saml2/idpresponse"}
	md := []byte("<md>\xff\x00</md>")
	areq := samlengine.AuthnRequest{SP: sp, Metadata: md, RelayState: "state", Now: until}
	vreq := samlengine.Verify{SP: sp, Metadata: md, RequestID: "id-1", Response: []byte("<r>\xfe</r>"), Now: until}

	if err := c.CheckMetadata(ctx, md); err != nil {
		t.Fatal(err)
	}
	redirect, err := c.AuthnRequest(ctx, areq)
	if err != nil || *redirect != eng.redirect {
		t.Fatalf("AuthnRequest: %+v %v", redirect, err)
	}
	a, err := c.VerifyResponse(ctx, vreq)
	if err != nil || !reflect.DeepEqual(a.Attributes, eng.asserted.Attributes) || !a.AcceptableUntil.Equal(until) || a.NameID != "alice <a@b>" || a.ID != "a1" {
		t.Fatalf("VerifyResponse: %+v %v", a, err)
	}
	smd, err := c.SPMetadata(ctx, samlengine.MetadataRequest{SP: sp, Now: until})
	if err != nil || string(smd) != `<?xml version="1.0"?><md/>` {
		t.Fatalf("SPMetadata: %q %v", smd, err)
	}
	if len(eng.got) != 4 || !bytes.Equal(eng.got[0].([]byte), md) || eng.got[3].(samlengine.MetadataRequest).SP != sp ||
		!eng.got[3].(samlengine.MetadataRequest).Now.Equal(until) {
		t.Fatalf("engine saw %+v", eng.got)
	}
	if g := eng.got[1].(samlengine.AuthnRequest); !bytes.Equal(g.Metadata, md) || g.RelayState != "state" || !g.Now.Equal(until) || g.SP != sp {
		t.Fatalf("engine saw %+v", g)
	}
	if g := eng.got[2].(samlengine.Verify); !bytes.Equal(g.Response, vreq.Response) || g.RequestID != "id-1" || !g.Now.Equal(until) {
		t.Fatalf("engine saw %+v", g)
	}
}

// TestErrors: a refusal keeps its message and type; anything else is a plain error.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	eng := &recorder{err: samlengine.Errorf("SAML response refused: signature element not present")}
	c := Client{Transport: over(eng), Base: "binding://SAML"}
	var refused *samlengine.Error
	if err := c.CheckMetadata(ctx, []byte("x")); !errors.As(err, &refused) || refused.Msg != "SAML response refused: signature element not present" {
		t.Fatalf("refusal: %v", err)
	}
	eng.err = errors.New("engine broke")
	if err := c.CheckMetadata(ctx, []byte("x")); err == nil || errors.As(err, &refused) {
		t.Fatalf("failure: %v", err)
	}
	for name, answer := range map[string]func() (int, string){
		"not JSON":         func() (int, string) { return 200, "<html>" },
		"huge":             func() (int, string) { return 200, strings.Repeat(" ", samlwire.MaxAnswer+1) },
		"refusal, no text": func() (int, string) { return 422, `{}` },
		"gateway error":    func() (int, string) { return 502, "bad gateway" },
	} {
		c := Client{Base: "binding://SAML", Transport: rt(func(*http.Request) (*http.Response, error) {
			status, body := answer()
			return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}, nil
		})}
		if _, err := c.AuthnRequest(ctx, samlengine.AuthnRequest{}); err == nil || errors.As(err, &refused) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := Client{Base: "binding://SAML", Transport: over(eng)}
	if _, err := big.VerifyResponse(ctx, samlengine.Verify{Metadata: make([]byte, samlwire.MaxRequest)}); !errors.As(err, &refused) {
		t.Errorf("oversized request: %v", err)
	}
}
