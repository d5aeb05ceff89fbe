# The Worker (issue 3): poolgate's core as a Cloudflare Worker (edge/, GOOS=js) on Durable Objects,
# run locally under wrangler dev (workerd) and deployed with wrangler deploy. Included by the
# Makefile. `make test` runs its tests with everything else (./tests/workerd: edge's tests
# inside workerd, restart, soak, configuration errors, static assets; ./tests/node: the glue's
# JS copies of Go rules against shared vectors; ./tests/e2e TestWorkerd: the user-pool
# scenarios against the Worker); `make test-edge` runs only them.

EDGE_BUILD   := edge/build
EDGE_WASM    := $(EDGE_BUILD)/poolgate.wasm
EDGE_SOURCES := $(shell find edge internal -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
WRANGLER     := node_modules/.bin/wrangler
# Both Workers are built without inlining: see edgelocal.WorkerGCFlags, which must match.
EDGE_GCFLAGS := -gcflags=all=-l

$(EDGE_WASM): $(EDGE_SOURCES)
	@mkdir -p $(EDGE_BUILD)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s $(EDGE_GCFLAGS) -o $@ ./edge

$(EDGE_BUILD)/wasm_exec.js: go.mod
	@mkdir -p $(EDGE_BUILD)
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $@

# The SAML companion Worker (edge/saml: crewjam/saml's XML work, reached by the main Worker
# through its service binding SAML only), built beside the Worker.
SAML_BUILD := edge/saml/build
SAML_WASM  := $(SAML_BUILD)/saml.wasm

$(SAML_WASM): $(EDGE_SOURCES)
	@mkdir -p $(SAML_BUILD)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s $(EDGE_GCFLAGS) -o $@ ./edge/saml

$(SAML_BUILD)/wasm_exec.js: go.mod
	@mkdir -p $(SAML_BUILD)
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $@

.PHONY: edge
edge: $(EDGE_WASM) $(EDGE_BUILD)/wasm_exec.js $(SAML_WASM) $(SAML_BUILD)/wasm_exec.js web ## build the Worker (edge/build: Go for js/wasm, wasm_exec.js, the sign-in app as assets) and its SAML companion (edge/saml/build)
	rm -rf $(EDGE_BUILD)/assets && mkdir -p $(EDGE_BUILD)/assets && cp $(BUILD)/web/* $(EDGE_BUILD)/assets/
	(cd $(EDGE_BUILD)/assets && printf '[%s]\n' "$$(ls | sed 's|.*|"/&"|' | paste -sd, -)") > $(EDGE_BUILD)/assets-manifest.json

.PHONY: dev
dev: deps edge ## run the Worker (and its SAML companion) locally under wrangler dev (same ADDR, DATA, CONFIG, POOLGATE_* as make run; the store in DATA/wrangler)
	$(GO) run ./edge/cmd/poolgate-dev -addr $(ADDR) -data $(DATA) $(if $(CONFIG),-config $(CONFIG))

.PHONY: deploy
deploy: deps edge ## deploy the SAML companion, then the Worker, with wrangler deploy (see README: secrets first)
	$(WRANGLER) deploy -c edge/saml/wrangler.toml
	$(WRANGLER) deploy

.PHONY: test-edge
test-edge: deps web $(WASM) ## only the Worker's tests: edge's tests inside workerd, restart, soak, scenarios on workerd
	GOOS=js GOARCH=wasm $(GO) vet ./edge ./edge/saml
	$(GO) vet ./edge/... ./tests/workerd/ ./bench/edge/
	$(GO) test -count=1 ./edge/... ./tests/workerd/ ./tests/node/
	POOLGATE_WASM=$(abspath $(WASM)) $(GO) test -count=1 -run 'TestWorkerd|TestTriggers.*Workerd' ./tests/e2e/

.PHONY: bench-edge
bench-edge: deps web ## the Worker's figures: p50/p95, CPU, cold start, bundle size, crypto in workerd (vs hostsim)
	$(GO) run ./bench/edge | tee $(BUILD)/bench-edge.md

.PHONY: soak-edge
soak-edge: deps web ## the full soak: 100k requests on one Worker isolate
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkSoak' -benchtime 100000x -timeout 60m ./tests/workerd/
