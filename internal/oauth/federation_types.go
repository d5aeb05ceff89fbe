package oauth

// Pending and ExternalIdentity are this branch's copies of federation.Pending and
// userpool.ExternalIdentity (CONTRACT.md), which the federation branch defines. Once both
// are in one tree this file becomes two aliases,
//
//	type Pending = federation.Pending
//	type ExternalIdentity = userpool.ExternalIdentity
//
// so that *federation.Federation is a Federator and userpool's FederatedSignIn is
// Config.FederatedSignIn, unchanged.

// Pending is what the federation keeps between Begin and Finish; sealed here.
type Pending struct {
	Nonce     string `json:"n,omitempty"`
	Verifier  string `json:"v,omitempty"`
	RequestID string `json:"r,omitempty"`
}

// ExternalIdentity is a user signed in at an identity provider, attributes mapped.
type ExternalIdentity struct {
	ProviderName string
	ProviderType string
	UserID       string
	Issuer       string
	Attributes   map[string]string
}
