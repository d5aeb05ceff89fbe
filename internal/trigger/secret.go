package trigger

import (
	"encoding/base64"

	"github.com/poolgate/poolgate/internal/seal"
)

// DeriveSecret is the secret invocations are signed with when a host is given none: the
// base64url text (no padding) of a key derived from the master key, so it changes only with
// the master key. The text itself is the HMAC key, as a webhook secret is: an endpoint
// configures the same string. hostsim tells it (Server.TriggerSecret); on the Worker, setting
// the secret POOLGATE_TRIGGER_SECRET avoids computing it.
func DeriveSecret(masterKey []byte) string {
	return base64.RawURLEncoding.EncodeToString(seal.DeriveKey(masterKey, "poolgate trigger v1"))
}
