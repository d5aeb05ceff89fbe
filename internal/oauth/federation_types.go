package oauth

import (
	"github.com/poolgate/poolgate/internal/federation"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Pending and ExternalIdentity are the federation package's and userpool's own types, so that
// *federation.Federation is a Federator and userpool's FederatedSignIn is
// Config.FederatedSignIn as they are.
type (
	Pending          = federation.Pending
	ExternalIdentity = userpool.ExternalIdentity
)
