package e2e

import "testing"

// TestGatewayWorkerd runs the gateway scenarios against the Worker in workerd: origins and the
// external JWKS are reached with the Worker's fetch.
func TestGatewayWorkerd(t *testing.T) {
	o, idp := newGwOrigin(t), newExtIssuer(t)
	ep := startWorker(t, gatewayConfig(o.srv.URL, idp.url()), fakeStart)
	// The Worker's glue buffers request bodies up to 2 MiB (edge/worker.mjs maxBody).
	runGatewayScenarios(t, &gwFixture{ep: ep, o: o, idp: idp, largeBody: 1 << 20})
}
