# The gateway (issue 5): JWT and SigV4 routes in front of origin APIs (internal/gateway).
# Its tests run in `make test` with everything else (go test ./...): internal/gateway (unit,
# fuzz seeds), hostsim (the http_fetch import), tests/e2e TestGatewayNative, TestGatewayHostsim
# and TestGatewayWorkerd (the Worker under wrangler dev). `make test-gateway` runs only them.

GATEWAY_BENCH_FLAGS ?= -n 3000 -c 8 -rounds 5

.PHONY: test-gateway
test-gateway: deps ## the gateway's tests: unit, http_fetch, end to end on native, hostsim and workerd
	$(GO) test -count=1 ./internal/gateway/ ./internal/userpool/ ./internal/abi/
	$(GO) test -count=1 -run 'TestHTTPFetch|TestGuestMatchesABITables' ./hostsim/
	$(GO) test -count=1 -run 'TestGateway' ./tests/e2e/

.PHONY: bench-gateway
bench-gateway: deps ## guarded request: poolgate Worker vs aws-jwt-verify Worker vs pass-through (workerd), hostsim vs native vs direct
	$(GO) test -run '^$$' -bench . -benchmem ./internal/gateway/
	$(GO) test -run '^$$' -bench BenchmarkGatewayHTTP ./tests/e2e/
	$(GO) run ./bench/gateway $(GATEWAY_BENCH_FLAGS)
	$(GO) run ./bench/gateway -n 900 -c 1 -rounds 3 -targets direct,native-poolgate,hostsim-poolgate,workerd-passthrough,workerd-jwt-verify,workerd-jwt-verify-sub,workerd-poolgate,workerd-poolgate-headless,workerd-poolgate-headless-noreuse,breakdown
