package samlxml

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
)

const idpMetadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.test/md">` +
	`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
	`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.test/sso"/>` +
	`</IDPSSODescriptor></EntityDescriptor>`

// FuzzEngine hands the engine arbitrary IdP metadata and responses (the outside input it
// parses): every answer is a result or a *samlengine.Error, never a panic, and no response
// is accepted (none can carry a signature by a key of metadata that has none).
func FuzzEngine(f *testing.F) {
	f.Add([]byte(idpMetadata), []byte(`<Response xmlns="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">`+idpMetadata+`</EntitiesDescriptor>`), []byte("<x/>"))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`), []byte{})
	f.Add([]byte("garbage"), []byte("\xff\xfe<"))
	sp := samlengine.SP{EntityID: "urn:amazon:cognito:sp:us-east-1_fuzz", ACSURL: "https://login.test/saml2/idpresponse"}
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	ctx := context.Background()
	refusal := func(t *testing.T, err error) {
		var refused *samlengine.Error
		if err != nil && !errors.As(err, &refused) {
			t.Fatalf("error %T %v", err, err)
		}
	}
	f.Fuzz(func(t *testing.T, md, resp []byte) {
		refusal(t, Engine{}.CheckMetadata(ctx, md))
		_, err := Engine{}.AuthnRequest(ctx, samlengine.AuthnRequest{SP: sp, Metadata: md, RelayState: "rs", Now: now})
		refusal(t, err)
		a, err := Engine{}.VerifyResponse(ctx, samlengine.Verify{SP: sp, Metadata: md, RequestID: "id-1", Response: resp, Now: now})
		if err == nil {
			t.Fatalf("accepted %+v", a)
		}
		refusal(t, err)
	})
}

// TestAuthnRequest: the redirect goes to the IdP's HTTP-Redirect endpoint with the request
// and RelayState, and names the request's ID.
func TestAuthnRequest(t *testing.T) {
	r, err := Engine{}.AuthnRequest(context.Background(), samlengine.AuthnRequest{
		SP: samlengine.SP{EntityID: "urn:amazon:cognito:sp:p", ACSURL: "https://login.test/saml2/idpresponse"}, Metadata: []byte(idpMetadata),
		RelayState: "state-1", Now: time.Now()})
	if err != nil || r.RequestID == "" || len(r.URL) < len("https://idp.test/sso?SAMLRequest=") || r.URL[:len("https://idp.test/sso?")] != "https://idp.test/sso?" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := (Engine{}).AuthnRequest(context.Background(), samlengine.AuthnRequest{
		SP: samlengine.SP{EntityID: "e", ACSURL: "relative"}, Metadata: []byte(idpMetadata), Now: time.Now()}); err == nil {
		t.Fatal("a relative ACS URL was accepted")
	}
}
