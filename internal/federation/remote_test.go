package federation

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/federation/samlremote"
	"github.com/poolgate/poolgate/internal/federation/samlwire"
	"github.com/poolgate/poolgate/internal/federation/samlxml"
)

// companion is the companion Worker's side in memory: every request samlremote sends goes
// through samlwire.Serve over samlxml, as edge/saml serves it. calls counts them by path.
type companion struct{ calls map[string]int }

func (c *companion) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "binding" || r.URL.Host != "SAML" || r.Method != http.MethodPost {
		return nil, errors.New("not the SAML binding")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	op := strings.TrimPrefix(r.URL.Path, "/")
	c.calls[op]++
	status, answer := samlwire.Serve(r.Context(), samlxml.Engine{}, op, body)
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(answer)), Request: r}, nil
}

// TestSAMLRemote runs the SAML tests again with the Worker's engine: each XML step is a JSON
// round trip to the companion's code, and every result (acceptances, refusals and their
// errors, replay across instances) must be what the in-process engine gives.
func TestSAMLRemote(t *testing.T) {
	c := &companion{calls: map[string]int{}}
	testSAML = samlremote.Client{Transport: c, Base: "binding://SAML"}
	defer func() { testSAML = samlxml.Engine{} }()
	for name, test := range map[string]func(*testing.T){
		"RoundTrip": TestSAMLRoundTrip, "MetadataURL": TestSAMLMetadataURL, "Forgeries": TestSAMLForgeries,
		"RaceReplay": TestSAMLRaceReplay, "MetadataRefusals": TestSAMLMetadataRefusals, "SPMetadata": TestSAMLSPMetadata,
	} {
		t.Run(name, test)
	}
	for _, op := range []string{samlwire.OpCheckMetadata, samlwire.OpAuthnRequest, samlwire.OpVerifyResponse, samlwire.OpSPMetadata} {
		if c.calls[op] == 0 {
			t.Errorf("no %s call reached the companion", op)
		}
	}
}

// TestSAMLRemoteSameAnswers compares the two engines call by call: the same refusal messages
// and, for a genuine response, the same assertion.
func TestSAMLRemoteSameAnswers(t *testing.T) {
	e, c, ti, ip := newSAMLEnv(t)
	ctx := context.Background()
	remote := samlremote.Client{Transport: &companion{calls: map[string]int{}}, Base: "binding://SAML"}
	local := samlxml.Engine{}
	sp := samlengine.SP{EntityID: SPEntityID(e.pool.Id), ACSURL: acsURL}
	redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, acsURL, "rs")
	if err != nil {
		t.Fatal(err)
	}
	good, err := base64.StdEncoding.DecodeString(ti.response(t, redirect, nil, true))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]samlengine.Verify{
		"genuine":        {SP: sp, Metadata: ti.metadata, RequestID: p.RequestID, Response: good, Now: c.Now()},
		"other request":  {SP: sp, Metadata: ti.metadata, RequestID: "id-other", Response: good, Now: c.Now()},
		"too late":       {SP: sp, Metadata: ti.metadata, RequestID: p.RequestID, Response: good, Now: c.Now().Add(time.Hour)},
		"other audience": {SP: samlengine.SP{EntityID: "urn:amazon:cognito:sp:other", ACSURL: acsURL}, Metadata: ti.metadata, RequestID: p.RequestID, Response: good, Now: c.Now()},
		"tampered":       {SP: sp, Metadata: ti.metadata, RequestID: p.RequestID, Response: bytes.Replace(good, []byte("alice@corp.example"), []byte("mallory@corp.example"), 1), Now: c.Now()},
		"bad metadata":   {SP: sp, Metadata: []byte("<foo/>"), RequestID: p.RequestID, Response: good, Now: c.Now()},
	} {
		want, wantErr := local.VerifyResponse(ctx, v)
		got, gotErr := remote.VerifyResponse(ctx, v)
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Errorf("%s: remote error %v, in-process %v", name, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			var refused *samlengine.Error
			if !errors.As(gotErr, &refused) {
				t.Errorf("%s: remote error %T, want a refusal", name, gotErr)
			}
			continue
		}
		if got.ID != want.ID || !got.AcceptableUntil.Equal(want.AcceptableUntil) || got.NameID != want.NameID || got.Issuer != want.Issuer ||
			len(got.Attributes) != len(want.Attributes) || len(got.Attributes) == 0 {
			t.Errorf("%s: remote %+v, in-process %+v", name, got, want)
		}
	}
	mr := samlengine.MetadataRequest{SP: sp, Now: c.Now()}
	lm, lerr := local.SPMetadata(ctx, mr)
	rm, rerr := remote.SPMetadata(ctx, mr)
	if lerr != nil || rerr != nil || !bytes.Equal(lm, rm) {
		t.Errorf("SP metadata: remote %v %q, in-process %v %q", rerr, rm, lerr, lm)
	}
}

// TestSAMLRemoteUnreachable: without the companion, sign-in fails as a provider error (an
// OAuth error redirect), never as a server error.
func TestSAMLRemoteUnreachable(t *testing.T) {
	e, _, _, ip := newSAMLEnv(t)
	e.fed.cfg.SAML = samlremote.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("no service binding SAML")
	}), Base: "binding://SAML"}
	_, _, err := e.fed.Begin(context.Background(), e.pool.Id, ip, acsURL, "rs")
	if !errors.Is(err, ErrProvider) || !strings.Contains(err.Error(), "SAML engine") {
		t.Fatalf("Begin without the companion: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
