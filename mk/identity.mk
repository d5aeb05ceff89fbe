# Identity pools (issue 4): the figures. `make test` needs nothing extra here: the unit tests,
# the hostsim scenarios (tests/e2e/identity_*_test.go) and the Node test with
# @aws-sdk/credential-providers + @aws-sdk/client-s3 (tests/node/identity_s3.mjs, after `npm ci`)
# run with everything else.

.PHONY: bench-identity
bench-identity: $(WASM) ## identity pools: policy evaluation, SigV4+policy per gateway request, vends/s natively and on hostsim
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./internal/policy/ ./internal/creds/ ./internal/identitypool/ | tee $(BUILD)/bench-identity.txt
	POOLGATE_WASM=$(abspath $(WASM)) $(GO) test -run '^$$' -bench 'Identity' -benchtime 3s -count 3 ./tests/e2e/ | tee -a $(BUILD)/bench-identity.txt
