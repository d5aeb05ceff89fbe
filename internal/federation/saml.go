package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// SAML 2.0, poolgate as the service provider, through github.com/crewjam/saml: SP-initiated
// sign-in only, the AuthnRequest sent with the HTTP-Redirect binding, the Response posted
// back to the ACS URL (/saml2/idpresponse). crewjam checks the XML signature (the Response's
// or else every Assertion's, by a certificate of the IdP's metadata; SHA-1 refused), the
// audience (the SP entity ID urn:amazon:cognito:sp:<poolId>), the Destination and the bearer
// confirmation's Recipient (the ACS URL), the validity window, and InResponseTo against the
// request ID Begin made; its ReplayCache here is the store, so an assertion ID is accepted
// once across instances. No XML signature code lives in poolgate.
//
// Not supported [est: Cognito does these]: signing AuthnRequests (RequestSigningAlgorithm),
// encrypted assertions (EncryptedResponses) and IdP-initiated sign-in (IDPInit): poolgate has
// no SP key pair yet, and an unsolicited response has no request to bind it to.

// spEntityPrefix + pool id is the SP entity ID Cognito gives a pool [est, spec §12].
const spEntityPrefix = "urn:amazon:cognito:sp:"

const (
	// metadataTTL is how long fetched IdP metadata is used before it is fetched again.
	metadataTTL = 6 * time.Hour
	// maxSAMLResponse bounds the posted SAMLResponse (base64 text).
	maxSAMLResponse = 512 << 10
)

// SPEntityID is the SAML entity ID of pool poolID's service provider.
func SPEntityID(poolID string) string { return spEntityPrefix + poolID }

type cachedMetadata struct {
	entity  *saml.EntityDescriptor
	fetched time.Time
}

// idpMetadata returns the IdP's metadata: MetadataFile, or MetadataURL fetched through the
// host's transport (cached for metadataTTL).
func (f *Federation) idpMetadata(ctx context.Context, ip *userpool.IdentityProvider) (*saml.EntityDescriptor, error) {
	if file := ip.ProviderDetails["MetadataFile"]; file != "" {
		return parseIDPMetadata([]byte(file))
	}
	mdURL := ip.ProviderDetails["MetadataURL"]
	if _, err := checkEndpoint("MetadataURL", mdURL); err != nil {
		return nil, err
	}
	now := f.cfg.Now()
	f.mu.Lock()
	c, ok := f.metadata[mdURL]
	f.mu.Unlock()
	if ok && now.Sub(c.fetched) < metadataTTL {
		return c.entity, nil
	}
	req, err := newGet(ctx, mdURL)
	if err != nil {
		return nil, err
	}
	body, err := f.send(req, "SAML metadata")
	if err != nil {
		return nil, err
	}
	entity, err := parseIDPMetadata(body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.metadata[mdURL] = cachedMetadata{entity: entity, fetched: now}
	f.mu.Unlock()
	return entity, nil
}

// parseIDPMetadata reads an EntityDescriptor, or the one entity with an IDPSSODescriptor of
// an EntitiesDescriptor, into crewjam's types.
func parseIDPMetadata(b []byte) (*saml.EntityDescriptor, error) {
	root, err := rootElement(b)
	if err != nil {
		return nil, providerErr("SAML metadata: %v", err)
	}
	var idps []*saml.EntityDescriptor
	switch root {
	case "EntityDescriptor":
		var e saml.EntityDescriptor
		if err := xml.Unmarshal(b, &e); err != nil {
			return nil, providerErr("SAML metadata: %v", err)
		}
		idps = append(idps, &e)
	case "EntitiesDescriptor":
		var es saml.EntitiesDescriptor
		if err := xml.Unmarshal(b, &es); err != nil {
			return nil, providerErr("SAML metadata: %v", err)
		}
		for i := range es.EntityDescriptors {
			if len(es.EntityDescriptors[i].IDPSSODescriptors) > 0 {
				idps = append(idps, &es.EntityDescriptors[i])
			}
		}
	default:
		return nil, providerErr("SAML metadata: root element %s", root)
	}
	if len(idps) != 1 || len(idps[0].IDPSSODescriptors) == 0 {
		return nil, providerErr("SAML metadata: want one identity provider, found %d", len(idps))
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

// serviceProvider is pool poolID's SP toward idp, its clock the injected one.
func (f *Federation) serviceProvider(poolID, acsURL string, idp *saml.EntityDescriptor) (*saml.ServiceProvider, error) {
	acs, err := url.Parse(acsURL)
	if err != nil || !acs.IsAbs() {
		return nil, providerErr("the ACS URL is not absolute")
	}
	return &saml.ServiceProvider{
		EntityID:                         SPEntityID(poolID),
		AcsURL:                           *acs,
		IDPMetadata:                      idp,
		Clock:                            dsig.NewFakeClockAt(f.cfg.Now()),
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		RejectSHA1Signatures:             true,
		RejectUnknownConditions:          true,
	}, nil
}

// beginSAML makes an AuthnRequest and returns its HTTP-Redirect URL.
func (f *Federation) beginSAML(ctx context.Context, poolID string, ip *userpool.IdentityProvider, acsURL, state string) (string, Pending, error) {
	if ip.ProviderDetails["EncryptedResponses"] == "true" || ip.ProviderDetails["RequestSigningAlgorithm"] != "" {
		return "", Pending{}, providerErr("poolgate neither signs SAML requests nor decrypts SAML responses yet")
	}
	idp, err := f.idpMetadata(ctx, ip)
	if err != nil {
		return "", Pending{}, err
	}
	sp, err := f.serviceProvider(poolID, acsURL, idp)
	if err != nil {
		return "", Pending{}, err
	}
	loc := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return "", Pending{}, providerErr("SAML metadata: the IdP has no HTTP-Redirect SingleSignOnService")
	}
	if _, err := checkEndpoint("SingleSignOnService", loc); err != nil {
		return "", Pending{}, err
	}
	req, err := sp.MakeAuthenticationRequest(loc, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", Pending{}, providerErr("SAML request: %v", err)
	}
	u, err := req.Redirect(state, sp)
	if err != nil {
		return "", Pending{}, providerErr("SAML request: %v", err)
	}
	return u.String(), Pending{RequestID: req.ID}, nil
}

// FinishSAML validates a SAMLResponse (the base64 form value posted to /saml2/idpresponse)
// with a maintained SAML library: signature, audience (SP entity ID urn:amazon:cognito:sp:<poolId>),
// recipient (acsURL), NotOnOrAfter, InResponseTo == p.RequestID, replay cache.
func (f *Federation) FinishSAML(ctx context.Context, poolID string, ip *userpool.IdentityProvider, acsURL, samlResponse string, p Pending) (*userpool.ExternalIdentity, error) {
	if ip == nil || ip.ProviderType != "SAML" {
		return nil, providerErr("not a SAML identity provider")
	}
	if f.cfg.Store == nil {
		return nil, errors.New("federation: no store for the SAML replay cache")
	}
	if p.RequestID == "" {
		return nil, providerErr("no SAML request is pending (IdP-initiated sign-in is not accepted)")
	}
	if len(samlResponse) > maxSAMLResponse {
		return nil, providerErr("SAMLResponse over %d bytes", maxSAMLResponse)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, samlResponse))
	if err != nil {
		return nil, providerErr("SAMLResponse is not base64")
	}
	idp, err := f.idpMetadata(ctx, ip)
	if err != nil {
		return nil, err
	}
	sp, err := f.serviceProvider(poolID, acsURL, idp)
	if err != nil {
		return nil, err
	}
	sp.ReplayCache = &replayCache{ctx: ctx, f: f, pool: poolID}
	assertion, err := sp.ParseXMLResponse(raw, []string{p.RequestID}, sp.AcsURL)
	if err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			err = ire.PrivateErr
		}
		return nil, providerErr("SAML response refused: %v", err)
	}
	if assertion.Subject == nil || assertion.Subject.NameID == nil || assertion.Subject.NameID.Value == "" {
		return nil, providerErr("SAML assertion names no subject")
	}
	return identity(ip, samlAttributes(assertion), assertion.Subject.NameID.Value, assertion.Issuer.Value)
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\t', '\r', '\n':
		return -1
	}
	return r
}

// samlAttributes are an assertion's attributes by Name (and by FriendlyName where no
// attribute has that Name); several values are joined with commas [est: Cognito's rendering
// of multi-valued attributes].
func samlAttributes(a *saml.Assertion) map[string]string {
	out := map[string]string{}
	friendly := map[string]string{}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			if len(out) == maxClaims {
				return out
			}
			vals := make([]string, 0, len(attr.Values))
			for _, v := range attr.Values {
				vals = append(vals, v.Value)
			}
			joined := strings.Join(vals, ",")
			out[attr.Name] = joined
			if attr.FriendlyName != "" {
				friendly[attr.FriendlyName] = joined
			}
		}
	}
	for k, v := range friendly {
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
	return out
}

// replayCache records accepted assertion IDs as consume-once store keys
// sar/<pool>/<sha256 of the ID>, kept until the assertion could no longer be accepted.
type replayCache struct {
	ctx  context.Context
	f    *Federation
	pool string
}

func samlReplayKey(pool, assertionID string) string {
	sum := sha256.Sum256([]byte(assertionID))
	return "sar/" + pool + "/" + hex.EncodeToString(sum[:])
}

func (c *replayCache) Consume(assertionID string, expiresAt time.Time) error {
	ttl := max(expiresAt.Sub(c.f.cfg.Now()), store.MinTTL)
	err := c.f.cfg.Store.Commit(c.ctx, []store.Op{store.Create(samlReplayKey(c.pool, assertionID), []byte{1}, ttl)})
	if errors.Is(err, store.ErrConflict) {
		return saml.ErrAssertionReplayed
	}
	return err
}

// SPMetadata is the pool's SAML service-provider metadata XML (served by oauth at
// GET /saml2/metadata?client_id=... or /<poolId>/saml2/metadata — oauth helper picks the path).
func (f *Federation) SPMetadata(poolID, acsURL string) ([]byte, error) {
	sp, err := f.serviceProvider(poolID, acsURL, nil)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	io.WriteString(&buf, xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(sp.Metadata()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
