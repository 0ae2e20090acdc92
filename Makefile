# connlab — `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO      ?= go
NPM     ?= npm
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)
STATICCHECK_VERSION ?= v0.8.2
TEST_TIMEOUT ?= 8m
# eBPF objects (internal/tcpevents) are generated with Debian 12's clang 14
# and libbpf 1.1 headers (gen.go names the same tools): another compiler
# version would change the bytes.
BPF_CLANG := clang-14
BPF_STRIP := llvm-strip-14
BPF_DEBS  := clang-14 llvm-14 libbpf-dev
SOAK    ?= 10m
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: help run build test deps go-test lint web-deps web-test web check-assets e2e bench bench-flow release clean web-dev flake fuzz deps-ebpf ebpf check-ebpf soak soak-abuse

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

run: ## start the dashboard on http://127.0.0.1:9000
	$(GO) run .

build: ## build ./bin/connlab (static, version stamped)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/connlab .

test: deps go-test lint web-test check-assets check-ebpf e2e ## install what the tests need, then run every test
	@echo "make test: all suites passed"

deps: web-deps ## install test dependencies (npm packages; Debian chromium and prometheus when root)
	@if [ -x "$(CHROMIUM)" ]; then echo "chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian chromium (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Chromium. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM=/path/to/chromium." >&2; exit 1; \
	fi
	@if command -v prometheus >/dev/null && command -v promtool >/dev/null; then echo "prometheus: $$(command -v prometheus)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian prometheus and promtool (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	else \
		echo "NOTE: prometheus/promtool not found: the /metrics tests against a real Prometheus and promtool will skip. Install them (Debian/Ubuntu: sudo apt-get install -y prometheus) to run them." >&2; \
	fi

go-test: ## Go tests with -race (after vet, gofmt and a go.mod/go.sum tidiness check)
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit both"; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

FUZZTIME ?= 10s
# package:target for every fuzz test
FUZZ_TARGETS := ./internal/sockstat:FuzzParseDump ./server:FuzzAddPortBody ./server:FuzzWebsocketRequest \
	./internal/experiment:FuzzSet ./internal/experiment:FuzzParseSpec ./internal/verdict:FuzzAnalyze \
	./internal/runstore:FuzzDecode

fuzz: ## run every fuzz target for FUZZTIME each (default 10s; FUZZTIME=60s for a real run)
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; done

flake: ## hunt flaky tests: the Go suite 10 times without -race, the Lab preset tests 20 times
	$(GO) test -count=10 -timeout 60m ./...
	$(GO) test -count=20 -timeout 30m -run 'TestPresets' ./internal/lab/

soak: ## run connlab under churn, viewers and Lab runs for 10 min (SOAK=30m make soak); fail if it dies, hangs or keeps growing
	$(GO) run ./cmd/soak -duration $(SOAK)

soak-abuse: ## measure issue 6's abuse figures: RSS after 36 Lab runs at concurrency 1000, 8 websocket floods vs /healthz and a viewer
	$(GO) run ./cmd/soak -abuse

lint: ## staticcheck; eslint and prettier --check for web/
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@if [ -f web/package.json ]; then cd web && $(NPM) run lint && $(NPM) run format:check; fi

web-deps:
	@if [ -f web/package.json ]; then cd web && $(NPM) ci --no-audit --no-fund; fi

web-test: ## front-end unit tests and type checks
	@if [ -f web/package.json ]; then cd web && $(NPM) run check && $(NPM) test; fi

web: ## rebuild assets/ from web/
	cd web && $(NPM) run build

web-dev: ## Vite dev server with /api and /ws proxied to a running connlab
	cd web && $(NPM) run dev

check-assets: ## fail if rebuilding web/ changes the committed assets/
	@if [ -f web/package.json ]; then cd web && $(NPM) run build >/dev/null; fi
	@test -z "$$(git status --porcelain -- assets)" || { echo "assets/ is stale: run 'make web' and commit assets/"; git status --porcelain -- assets; exit 1; }

deps-ebpf: ## install the eBPF generation toolchain (Debian clang-14, llvm-14, libbpf-dev) when root
	@if command -v $(BPF_CLANG) >/dev/null && command -v $(BPF_STRIP) >/dev/null && [ -f /usr/include/bpf/bpf_helpers.h ]; then \
		echo "eBPF toolchain: $$(command -v $(BPF_CLANG)), $$(command -v $(BPF_STRIP)), libbpf headers"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian $(BPF_DEBS) (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BPF_DEBS) >/dev/null; \
	else \
		echo "Regenerating the eBPF objects needs $(BPF_CLANG), $(BPF_STRIP) and the libbpf headers (Debian/Ubuntu: sudo apt-get install -y $(BPF_DEBS)). Building connlab does not: the objects are committed." >&2; exit 1; \
	fi

ebpf: deps-ebpf ## regenerate internal/tcpevents' eBPF objects from bpf/probe.c (bpf2go)
	cd internal/tcpevents && $(GO) generate ./...

check-ebpf: ebpf ## fail if regenerating the eBPF objects changes the committed ones
	@test -z "$$(git status --porcelain -- internal/tcpevents)" || { echo "internal/tcpevents is stale or dirty: run 'make ebpf' and commit it"; git status --porcelain -- internal/tcpevents; exit 1; }

e2e: ## real-browser tests (headless Debian chromium via playwright-core)
	@if [ -f web/package.json ]; then cd web && CHROMIUM=$(CHROMIUM) $(NPM) run e2e; fi

bench: ## benchmarks: sampler cost (netlink vs gopsutil vs ss), Lab client vs hey and 1M-request RSS, eBPF vs polls (root), Go micro-benchmarks
	$(GO) run ./cmd/pollbench
	$(GO) run ./cmd/loadbench
	$(MAKE) bench-flow
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-flow: ## Watch's eBPF transitions vs polls: connlab CPU (idle port at 10k/50k sockets, per 1,000 transitions/s), kernel cost per transition, transition-to-browser latency (root)
	@if [ "$$(id -u)" != 0 ]; then echo "bench-flow needs root (eBPF): skipped"; exit 0; fi; \
	set -e; $(GO) run ./cmd/flowbench; echo; \
	if [ -f web/package.json ]; then \
		[ -d web/node_modules ] || $(MAKE) web-deps; \
		cd web && CHROMIUM=$(CHROMIUM) node bench/latency.mjs; \
	fi

release: ## static binaries for linux, darwin, windows on amd64 and arm64 in dist/
	@mkdir -p dist
	@for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "dist/connlab-$$os-$$arch$$ext"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/connlab-$$os-$$arch$$ext . || exit 1; \
	done

clean: ## remove build and test outputs
	rm -rf bin dist test-output web/node_modules
