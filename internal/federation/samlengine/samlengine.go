// Package samlengine is the XML half of poolgate's SAML 2.0 service provider, as an interface
// with plain-value requests and answers: building the AuthnRequest's HTTP-Redirect URL,
// verifying a Response against the IdP's metadata, writing the SP's metadata, and checking IdP
// metadata. Everything stateful stays with its caller, internal/federation: fetching and
// caching metadata, the pending request ID sealed in the sign-in's state, and the replay cache
// in the store. An engine is therefore pure: bytes and a time in, a result out.
//
// Two engines implement it. samlxml runs github.com/crewjam/saml in-process (hostsim's guest,
// the native builds). samlremote sends the same calls as bounded JSON to a companion Worker
// running samlxml (edge/saml), so that the main Worker's wasm links no XML, XML signature or
// X.509 code (issue 17: the Worker's bundle size).
package samlengine

import (
	"context"
	"fmt"
	"time"
)

// Engine is the XML side of the SAML service provider. Every method is safe for concurrent
// use. An error that is the IdP's or the response's fault is an *Error; any other error means
// the engine could not be asked (the companion Worker was unreachable).
type Engine interface {
	// CheckMetadata reports what is wrong with IdP metadata: it must be an
	// EntityDescriptor, or an EntitiesDescriptor with exactly one entity that is an IdP.
	CheckMetadata(ctx context.Context, metadata []byte) error
	// AuthnRequest makes an AuthnRequest toward the IdP metadata describes and returns its
	// HTTP-Redirect URL (RelayState carried) and its ID.
	AuthnRequest(ctx context.Context, req AuthnRequest) (*Redirect, error)
	// VerifyResponse checks a Response (the decoded XML of a SAMLResponse posted to the ACS
	// URL): the XML signature by a certificate of the IdP's metadata (SHA-1 refused),
	// audience, Destination and Recipient, validity window, InResponseTo == RequestID. It
	// does not check replay: the caller consumes Assertion.ID until AcceptableUntil.
	VerifyResponse(ctx context.Context, req Verify) (*Assertion, error)
	// SPMetadata is the service provider's metadata XML, valid for two days from Now.
	SPMetadata(ctx context.Context, req MetadataRequest) ([]byte, error)
}

// SP names the service provider: the pool's entity ID and its ACS URL (absolute).
type SP struct {
	EntityID string `json:"entityId"`
	ACSURL   string `json:"acsUrl"`
}

// MetadataRequest is what SPMetadata needs.
type MetadataRequest struct {
	SP
	Now time.Time `json:"now"` // validUntil is two days later
}

// AuthnRequest is what AuthnRequest needs.
type AuthnRequest struct {
	SP
	Metadata   []byte    `json:"metadata"` // the IdP's
	RelayState string    `json:"relayState"`
	Now        time.Time `json:"now"` // IssueInstant
}

// Redirect is an AuthnRequest sent by HTTP-Redirect.
type Redirect struct {
	URL       string `json:"url"`
	RequestID string `json:"requestId"`
}

// Verify is what VerifyResponse needs.
type Verify struct {
	SP
	Metadata  []byte    `json:"metadata"`  // the IdP's
	RequestID string    `json:"requestId"` // the pending AuthnRequest's ID
	Response  []byte    `json:"response"`  // the Response's XML
	Now       time.Time `json:"now"`       // the validity window is checked at this time
}

// Assertion is what a verified Response says about its subject.
type Assertion struct {
	ID              string      `json:"id"`
	AcceptableUntil time.Time   `json:"acceptableUntil"` // when a replay could no longer be accepted
	Issuer          string      `json:"issuer"`
	NameID          string      `json:"nameId"`
	Attributes      []Attribute `json:"attributes,omitempty"` // at most MaxAttributes
}

// Attribute is one attribute of the assertion's AttributeStatements.
type Attribute struct {
	Name         string   `json:"name"`
	FriendlyName string   `json:"friendlyName,omitempty"`
	Values       []string `json:"values"`
}

// MaxAttributes bounds the attributes an Assertion carries.
const MaxAttributes = 256

// Error is an engine's refusal: the metadata, the request or the response is wrong. Its
// message is the one poolgate shows (bounded by the caller).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Errorf is an *Error.
func Errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}
