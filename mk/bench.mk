# bench: poolgate side by side with cognito-local and moto (issue 7); see bench/loadgen.
# `make bench` runs the default mode (about 8 minutes); BENCH_FULL=1 runs the long one.
# One run measures the Cognito API on poolgate (hostsim, native, the Worker under wrangler dev)
# and the peers, the gateway (poolgate vs an aws-jwt-verify Worker vs a pass-through Worker),
# identity pools (vs moto), start-up, peak RSS and the Worker's bundle.
# The results go to bench/results/<date>.md (and every sample to bench/results/<date>.json; `go run ./bench/loadgen -render X.json -out X.md` redraws one).
# `make test` keeps the harness working through bench/loadgen's smoke test (n=5, seconds).

BENCH_DATE    ?= $(shell date -u +%Y-%m-%d)
BENCH_OUT     ?= bench/results/$(BENCH_DATE).md
BENCH_SYSTEMS ?= hostsim,native,workerd,cognito-local,moto
ifeq ($(BENCH_FULL),1)
BENCH_FLAGS ?= -mode full -n 1000 -n-loaded 50 -clients-loaded 1,8 -reps 3 -users 100000 -users-workerd 100000 -cognito-local-api-users 2000 \
  -gateway-n 5000 -identity-n 500 -oauth-n 500
else
BENCH_FLAGS ?= -mode default -n 150 -n-loaded 50 -clients-loaded 8 -reps 3 -users 10000 -users-workerd 10000 -gateway-n 1500 -identity-n 100 -oauth-n 100
endif

.PHONY: bench
bench: deps web $(WASM) $(CLI) $(COMPILED)/.stamp ## poolgate (hostsim, native, workerd) vs cognito-local, moto and aws-jwt-verify on this machine (BENCH_FULL=1: longer) → bench/results/<date>.md
	@command -v moto_server >/dev/null || echo "bench: moto_server not found (moto[server] in this machine's Python); run with BENCH_SYSTEMS=hostsim,native,workerd,cognito-local"
	$(GO) run ./bench/loadgen -systems $(BENCH_SYSTEMS) -poolgate $(CLI) -module $(WASM) -compiled $(COMPILED) $(BENCH_FLAGS) \
	  -out $(BENCH_OUT) -json $(BENCH_OUT:.md=.json)
