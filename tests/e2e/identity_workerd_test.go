package e2e

import (
	"testing"
	"time"
)

// TestIdentityWorkerd runs the identity scenarios against the Worker (edge/) under wrangler dev
// (workerd) with local KV: the same configuration, the same SDK calls, the same gateway route
// in front of a test origin.
func TestIdentityWorkerd(t *testing.T) {
	o := newTestOrigin(t)
	runIdentityScenarios(t, startWorker(t, identityConfig(o.srv.URL), time.Time{}), o)
}
