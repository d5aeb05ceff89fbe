package federation

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// SAML 2.0, poolgate as the service provider: SP-initiated sign-in only, the AuthnRequest
// sent with the HTTP-Redirect binding, the Response posted back to the ACS URL
// (/saml2/idpresponse). The XML work (the request, the Response's signature, audience,
// Destination and Recipient, validity window and InResponseTo, metadata) is done by the
// host's samlengine.Engine: crewjam/saml in-process (samlxml), or on the Worker the same code
// in a companion Worker (samlremote). What has state stays here: fetched metadata and its
// cache, the pending request ID (in the caller's sealed state), and the replay cache, which
// is the store, so that an assertion ID is accepted once across instances.
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
	doc     []byte // checked by the engine
	fetched time.Time
}

// samlEngine is the host's engine, or an error saying there is none.
func (f *Federation) samlEngine() (samlengine.Engine, error) {
	if f.cfg.SAML == nil {
		return nil, providerErr("this host has no SAML engine")
	}
	return f.cfg.SAML, nil
}

// engineErr is an engine's error as this package reports it: a refusal keeps its message,
// a failure to reach the engine says so.
func engineErr(err error) error {
	var refused *samlengine.Error
	if errors.As(err, &refused) {
		return providerErr("%s", refused.Msg)
	}
	return providerErr("SAML engine: %v", err)
}

// idpMetadata returns the IdP's metadata document: MetadataFile (checked by the engine where
// it is used), or MetadataURL fetched through the host's transport, checked, and cached for
// metadataTTL.
func (f *Federation) idpMetadata(ctx context.Context, eng samlengine.Engine, ip *userpool.IdentityProvider) ([]byte, error) {
	if file := ip.ProviderDetails["MetadataFile"]; file != "" {
		return []byte(file), nil
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
		return c.doc, nil
	}
	req, err := newGet(ctx, mdURL)
	if err != nil {
		return nil, err
	}
	body, err := f.send(req, "SAML metadata")
	if err != nil {
		return nil, err
	}
	if err := eng.CheckMetadata(ctx, body); err != nil {
		return nil, engineErr(err)
	}
	f.mu.Lock()
	f.metadata[mdURL] = cachedMetadata{doc: body, fetched: now}
	f.mu.Unlock()
	return body, nil
}

// beginSAML makes an AuthnRequest and returns its HTTP-Redirect URL.
func (f *Federation) beginSAML(ctx context.Context, poolID string, ip *userpool.IdentityProvider, acsURL, state string) (string, Pending, error) {
	if ip.ProviderDetails["EncryptedResponses"] == "true" || ip.ProviderDetails["RequestSigningAlgorithm"] != "" {
		return "", Pending{}, providerErr("poolgate neither signs SAML requests nor decrypts SAML responses yet")
	}
	eng, err := f.samlEngine()
	if err != nil {
		return "", Pending{}, err
	}
	md, err := f.idpMetadata(ctx, eng, ip)
	if err != nil {
		return "", Pending{}, err
	}
	r, err := eng.AuthnRequest(ctx, samlengine.AuthnRequest{SP: samlengine.SP{EntityID: SPEntityID(poolID), ACSURL: acsURL},
		Metadata: md, RelayState: state, Now: f.cfg.Now()})
	if err != nil {
		return "", Pending{}, engineErr(err)
	}
	if _, err := checkEndpoint("SingleSignOnService", r.URL); err != nil {
		return "", Pending{}, err
	}
	if r.RequestID == "" {
		return "", Pending{}, providerErr("SAML request: no request ID")
	}
	return r.URL, Pending{RequestID: r.RequestID}, nil
}

// FinishSAML validates a SAMLResponse (the base64 form value posted to /saml2/idpresponse)
// with the host's engine: signature, audience (SP entity ID urn:amazon:cognito:sp:<poolId>),
// recipient (acsURL), NotOnOrAfter, InResponseTo == p.RequestID; then consumes the
// assertion's ID in the store (the replay cache).
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
	if len(raw) == 0 {
		return nil, providerErr("SAMLResponse is empty")
	}
	eng, err := f.samlEngine()
	if err != nil {
		return nil, err
	}
	md, err := f.idpMetadata(ctx, eng, ip)
	if err != nil {
		return nil, err
	}
	a, err := eng.VerifyResponse(ctx, samlengine.Verify{SP: samlengine.SP{EntityID: SPEntityID(poolID), ACSURL: acsURL},
		Metadata: md, RequestID: p.RequestID, Response: raw, Now: f.cfg.Now()})
	if err != nil {
		return nil, engineErr(err)
	}
	if a.ID == "" {
		return nil, providerErr("SAML response refused: assertion has no ID to check for replay")
	}
	if err := f.consumeAssertion(ctx, poolID, a); err != nil {
		return nil, err
	}
	if a.NameID == "" {
		return nil, providerErr("SAML assertion names no subject")
	}
	return identity(ip, samlAttributes(a.Attributes), a.NameID, a.Issuer)
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
func samlAttributes(attrs []samlengine.Attribute) map[string]string {
	out := map[string]string{}
	friendly := map[string]string{}
	for _, attr := range attrs {
		if len(out) == maxClaims {
			return out
		}
		joined := strings.Join(attr.Values, ",")
		out[attr.Name] = joined
		if attr.FriendlyName != "" {
			friendly[attr.FriendlyName] = joined
		}
	}
	for k, v := range friendly {
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
	return out
}

// samlReplayKey is the consume-once store key of an accepted assertion ID:
// sar/<pool>/<sha256 of the ID>, kept until the assertion could no longer be accepted.
func samlReplayKey(pool, assertionID string) string {
	sum := sha256.Sum256([]byte(assertionID))
	return "sar/" + pool + "/" + hex.EncodeToString(sum[:])
}

// consumeAssertion records a's ID in the store, refusing an ID recorded before: the replay
// check crewjam would make last, made here because the engine keeps no state.
func (f *Federation) consumeAssertion(ctx context.Context, pool string, a *samlengine.Assertion) error {
	ttl := max(a.AcceptableUntil.Sub(f.cfg.Now()), store.MinTTL)
	err := f.cfg.Store.Commit(ctx, []store.Op{store.Create(samlReplayKey(pool, a.ID), []byte{1}, ttl)})
	if errors.Is(err, store.ErrConflict) {
		return providerErr("SAML response refused: assertion %q: assertion has already been used", a.ID)
	}
	if err != nil {
		return providerErr("SAML response refused: assertion %q: %v", a.ID, err)
	}
	return nil
}

// SPMetadata is the pool's SAML service-provider metadata XML (served by oauth at
// GET /<poolId>/saml2/metadata).
func (f *Federation) SPMetadata(poolID, acsURL string) ([]byte, error) {
	eng, err := f.samlEngine()
	if err != nil {
		return nil, err
	}
	md, err := eng.SPMetadata(context.Background(), samlengine.MetadataRequest{
		SP: samlengine.SP{EntityID: SPEntityID(poolID), ACSURL: acsURL}, Now: f.cfg.Now()})
	if err != nil {
		return nil, engineErr(err)
	}
	return md, nil
}
