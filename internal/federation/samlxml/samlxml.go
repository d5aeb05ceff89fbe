// Package samlxml is the in-process SAML engine (samlengine.Engine) over
// github.com/crewjam/saml: hostsim's guest and the native builds use it directly, and the
// companion Worker (edge/saml) serves it to the main Worker, whose wasm then links none of
// crewjam, goxmldsig, etree or encoding/xml. No XML signature code lives in poolgate: crewjam
// checks the signature (the Response's or else every Assertion's, by a certificate of the
// IdP's metadata; SHA-1 refused), the audience, the Destination and the bearer confirmation's
// Recipient, the validity window and InResponseTo.
package samlxml

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
)

// Engine is the crewjam engine. The zero value is ready to use.
type Engine struct{}

var _ samlengine.Engine = Engine{}

// CheckMetadata implements samlengine.Engine.
func (Engine) CheckMetadata(_ context.Context, metadata []byte) error {
	_, err := parseIDPMetadata(metadata)
	return err
}

// AuthnRequest implements samlengine.Engine.
func (Engine) AuthnRequest(_ context.Context, r samlengine.AuthnRequest) (*samlengine.Redirect, error) {
	sp, err := providerFor(r.Metadata, r.SP, r.Now)
	if err != nil {
		return nil, err
	}
	loc := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return nil, samlengine.Errorf("SAML metadata: the IdP has no HTTP-Redirect SingleSignOnService")
	}
	req, err := sp.MakeAuthenticationRequest(loc, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return nil, samlengine.Errorf("SAML request: %v", err)
	}
	u, err := req.Redirect(r.RelayState, sp)
	if err != nil {
		return nil, samlengine.Errorf("SAML request: %v", err)
	}
	return &samlengine.Redirect{URL: u.String(), RequestID: req.ID}, nil
}

// VerifyResponse implements samlengine.Engine. crewjam's replay check runs against a
// recorder that accepts every ID: it is the last check crewjam makes, and the caller makes
// it for real, in its store, with the ID and time the recorder saw.
func (Engine) VerifyResponse(_ context.Context, r samlengine.Verify) (*samlengine.Assertion, error) {
	sp, err := providerFor(r.Metadata, r.SP, r.Now)
	if err != nil {
		return nil, err
	}
	var seen recorder
	sp.ReplayCache = &seen
	a, err := sp.ParseXMLResponse(r.Response, []string{r.RequestID}, sp.AcsURL)
	if err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			err = ire.PrivateErr
		}
		return nil, samlengine.Errorf("SAML response refused: %v", err)
	}
	if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "" {
		return nil, samlengine.Errorf("SAML assertion names no subject")
	}
	out := &samlengine.Assertion{ID: seen.id, AcceptableUntil: seen.until, Issuer: a.Issuer.Value, NameID: a.Subject.NameID.Value}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			if len(out.Attributes) == samlengine.MaxAttributes {
				return out, nil
			}
			vals := make([]string, 0, len(attr.Values))
			for _, v := range attr.Values {
				vals = append(vals, v.Value)
			}
			out.Attributes = append(out.Attributes, samlengine.Attribute{Name: attr.Name, FriendlyName: attr.FriendlyName, Values: vals})
		}
	}
	return out, nil
}

// recorder is the replay cache crewjam sees during one verification: it keeps the ID it is
// asked to consume, and when.
type recorder struct {
	id    string
	until time.Time
}

func (c *recorder) Consume(assertionID string, expiresAt time.Time) error {
	c.id, c.until = assertionID, expiresAt
	return nil
}

// SPMetadata implements samlengine.Engine.
func (Engine) SPMetadata(_ context.Context, r samlengine.MetadataRequest) ([]byte, error) {
	sp, err := serviceProvider(r.SP, nil, r.Now)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	io.WriteString(&buf, xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(sp.Metadata()); err != nil {
		return nil, samlengine.Errorf("SAML metadata: %v", err)
	}
	return buf.Bytes(), nil
}

// providerFor is the pool's SP toward the IdP that metadata describes.
func providerFor(metadata []byte, s samlengine.SP, now time.Time) (*saml.ServiceProvider, error) {
	idp, err := parseIDPMetadata(metadata)
	if err != nil {
		return nil, err
	}
	return serviceProvider(s, idp, now)
}

// serviceProvider is the pool's SP toward idp (nil when only its own metadata is wanted),
// its clock standing at now.
func serviceProvider(s samlengine.SP, idp *saml.EntityDescriptor, now time.Time) (*saml.ServiceProvider, error) {
	acs, err := url.Parse(s.ACSURL)
	if err != nil || !acs.IsAbs() {
		return nil, samlengine.Errorf("the ACS URL is not absolute")
	}
	if s.EntityID == "" {
		return nil, samlengine.Errorf("the SP has no entity ID")
	}
	return &saml.ServiceProvider{
		EntityID:                         s.EntityID,
		AcsURL:                           *acs,
		IDPMetadata:                      idp,
		Clock:                            dsig.NewFakeClockAt(now),
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		RejectSHA1Signatures:             true,
		RejectUnknownConditions:          true,
	}, nil
}

// parseIDPMetadata reads an EntityDescriptor, or the one entity with an IDPSSODescriptor of
// an EntitiesDescriptor, into crewjam's types.
func parseIDPMetadata(b []byte) (*saml.EntityDescriptor, error) {
	root, err := rootElement(b)
	if err != nil {
		return nil, samlengine.Errorf("SAML metadata: %v", err)
	}
	var idps []*saml.EntityDescriptor
	switch root {
	case "EntityDescriptor":
		var e saml.EntityDescriptor
		if err := xml.Unmarshal(b, &e); err != nil {
			return nil, samlengine.Errorf("SAML metadata: %v", err)
		}
		idps = append(idps, &e)
	case "EntitiesDescriptor":
		var es saml.EntitiesDescriptor
		if err := xml.Unmarshal(b, &es); err != nil {
			return nil, samlengine.Errorf("SAML metadata: %v", err)
		}
		for i := range es.EntityDescriptors {
			if len(es.EntityDescriptors[i].IDPSSODescriptors) > 0 {
				idps = append(idps, &es.EntityDescriptors[i])
			}
		}
	default:
		return nil, samlengine.Errorf("SAML metadata: root element %s", root)
	}
	if len(idps) != 1 || len(idps[0].IDPSSODescriptors) == 0 {
		return nil, samlengine.Errorf("SAML metadata: want one identity provider, found %d", len(idps))
	}
	return idps[0], nil
}

// rootElement is the local name of the document's first element.
func rootElement(b []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, nil
		}
	}
}
