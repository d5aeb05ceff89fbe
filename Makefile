# poolgate — Cognito user pools and identity pools in Go, compiled to WebAssembly.
# `make help` lists the targets.

ADDR   ?= 127.0.0.1:8787
HTTPS_ADDR ?= 127.0.0.1:8443
DATA   ?= .poolgate
CONFIG ?=
GO     ?= go
BUILD  := build
WASM   := $(BUILD)/poolgate.wasm
CLI    := $(BUILD)/poolgate
# wazero's compilation cache for `make run`: the module's machine code, compiled by `make build`
# (7–9 CPU-seconds), so that a first start loads it instead of compiling.
COMPILED := $(BUILD)/cache
FUZZTIME ?= 10s

GO_SOURCES := $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './$(BUILD)/*' 2>/dev/null) go.mod go.sum hostsim/default-config.json

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-10s %s\n", $$1, $$2}'

$(WASM): $(GO_SOURCES)
	@mkdir -p $(BUILD)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $@ ./wasm

$(CLI): $(GO_SOURCES)
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -o $@ ./hostsim/cmd/poolgate

# Rebuilt from scratch with the module: wazero keys its cache by the module's hash, so an old
# entry would only take space.
$(COMPILED)/.stamp: $(WASM) $(CLI)
	rm -rf $(COMPILED)
	$(CLI) -compile-only -module $(WASM) -cache $(COMPILED)
	@touch $@

.PHONY: build
build: $(WASM) $(CLI) $(COMPILED)/.stamp ## build the wasm module, the local server and the module's machine code

.PHONY: run
run: build ## run the local server (ADDR, HTTPS_ADDR, DATA, CONFIG override the defaults; HTTPS_ADDR=off: HTTP only)
	$(CLI) -addr $(ADDR) -https-addr $(HTTPS_ADDR) -data $(DATA) -module $(WASM) -cache $(COMPILED) $(if $(CONFIG),-config $(CONFIG))

node_modules/.poolgate-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.poolgate-stamp ## install the Node clients the tests drive (npm ci, once)

.PHONY: test
test: deps chromium $(WASM) web ## run every test: unit, fuzz seeds, store conformance, end to end with real clients, Chromium
	$(GO) vet ./...
	$(MAKE) test-web-js
	POOLGATE_WASM=$(abspath $(WASM)) POOLGATE_WEB=$(abspath $(BUILD)/web) $(GO) test -count=1 ./...

.PHONY: check
check: ## gofmt, vet, cross-builds for wasip1 and js, go.mod tidiness, the wasm size guard
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1)
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) build $$($(GO) list ./internal/... | grep -v /internal/native/) ./wasm
	GOOS=js GOARCH=wasm $(GO) build $$($(GO) list ./internal/... | grep -v /internal/native/) ./web ./edge ./edge/saml
	$(GO) mod tidy -diff
	$(GO) run ./tools/wasmsize

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

.PHONY: bench-go
bench-go: $(WASM) ## Go micro-benchmarks of the core and of hostsim (-count 5: take medians)
	POOLGATE_WASM=$(abspath $(WASM)) $(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/hostcrypto/ ./internal/srp/ ./internal/token/ ./hostsim/ ./tests/... | tee $(BUILD)/bench.txt

.PHONY: clean
clean: ## remove build outputs (not DATA)
	rm -rf $(BUILD)

# Areas add their own targets in mk/*.mk.
-include mk/*.mk
