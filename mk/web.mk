# The browser client SDK (web/, GOOS=js) and the sign-in app, built into build/web, which
# `make run` serves at / (the CLI's -assets flag defaults to build/web) and the Worker can ship
# as static assets. Included by the Makefile.

WEB_DIR        := $(BUILD)/web
WEB_SDK        := $(WEB_DIR)/poolgate-sdk.wasm
WEB_STATIC     := $(patsubst web/static/%,$(WEB_DIR)/%,$(wildcard web/static/*))
WEB_GO_SOURCES := $(shell find web internal -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
GO_JS_EXEC      = $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec
# The SDK is built without inlining, as the Worker is (EDGE_GCFLAGS): 6% smaller gzipped, and
# V8 inlines small wasm functions itself (bench/results/2026-12-07-sdk.md measures both).
# tools/wasmsize and tests/browser build it with the same flags.
WEB_GCFLAGS    := -gcflags=all=-l

$(WEB_SDK): $(WEB_GO_SOURCES)
	@mkdir -p $(WEB_DIR)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' $(WEB_GCFLAGS) -o $@ ./web

$(WEB_DIR)/wasm_exec.js: go.mod
	@mkdir -p $(WEB_DIR)
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $@

$(WEB_DIR)/%: web/static/%
	@mkdir -p $(WEB_DIR)
	cp $< $@

.PHONY: web
web: $(WEB_SDK) $(WEB_DIR)/wasm_exec.js $(WEB_STATIC) ## build the browser SDK (wasm) and the sign-in app into build/web

build: web

# Debian's chromium drives the browser test; installed once (apt-get can lose a temp file on a
# busy machine, hence the second try).
.PHONY: chromium
chromium: ## install Debian's chromium for the browser test, if missing
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium || \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; }

.PHONY: test-web-js
test-web-js: ## the SDK's Go tests compiled to GOOS=js and run in Node (go_js_wasm_exec)
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(GO_JS_EXEC)" ./web/...

.PHONY: test-web
test-web: deps chromium web $(WASM) test-web-js ## the SDK under Node, then the sign-in app in headless Chromium (screenshots in build/screenshots)
	POOLGATE_WASM=$(abspath $(WASM)) POOLGATE_WEB=$(abspath $(WEB_DIR)) $(GO) test -count=1 -v ./tests/browser/

# The sign-in app in Chromium against hostsim: cold first load and SRP sign-in p50 (a benchmark:
# it asserts no times). Compare builds of build/web side by side in one sitting with
# BENCH_WEB_FLAGS='-web before=/tmp/main-web -web after=build/web' (bench/browser's doc).
.PHONY: bench-web
bench-web: chromium web $(WASM) ## the sign-in app in Chromium: cold first load, SRP sign-in p50 (BENCH_WEB_FLAGS: -web label=dir …)
	$(GO) run ./bench/browser -module $(WASM) $(BENCH_WEB_FLAGS)
