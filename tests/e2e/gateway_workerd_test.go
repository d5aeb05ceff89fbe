package e2e

import "testing"

// TestGatewayWorkerd runs the gateway scenarios against the Worker in workerd: origins and the
// external JWKS are reached with the Worker's fetch, and the glue sends allowed requests to
// the origin with both bodies streaming.
func TestGatewayWorkerd(t *testing.T) {
	o, idp := newGwOrigin(t), newExtIssuer(t)
	ep := startWorker(t, gatewayConfig(o.srv.URL, idp.url()), fakeStart)
	runGatewayScenarios(t, &gwFixture{ep: ep, o: o, idp: idp, largeBody: 32 << 20})
}
