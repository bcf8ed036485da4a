# dsr: the two commands that matter are `make run` and `make test`.
GO          ?= go
BIN         := bin/dsr
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
TEST_TIMEOUT ?= 40m

.DEFAULT_GOAL := help
.PHONY: help build run test test-short lint fmt bench postgres packages clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/dsr
	$(GO) build -o $(BIN) ./cmd/dsr

postgres: ## start the local PostgreSQL cluster if it is installed and not running
	@sh .ci/postgres

run: postgres build ## build and run `dsr serve` with the embedded defaults (API on 127.0.0.1:8080)
	DSR_WEBHOOK_ALLOW_NETS=$${DSR_WEBHOOK_ALLOW_NETS-127.0.0.0/8,::1/128} ./$(BIN) serve

packages: ## install the Debian packages the tests use, when missing (root only)
	@bash .ci/packages

test: postgres packages ## run every test against the local PostgreSQL and an embedded Temporal server
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(GO) test -run '^$$' -fuzz '^FuzzBody$$' -fuzztime 20s ./http/api/request/

test-short: ## the tests that need neither PostgreSQL nor Temporal
	$(GO) test -count=1 ./internal/deadline/ ./workflows/

lint: ## go vet, gofmt, staticcheck and Temporal's workflowcheck
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

bench: postgres ## dsr against same-run baselines (erasure, export, workflows, ...); adds the table to BENCHMARKS.md
	$(GO) run ./bench

clean: ## remove the binary and the local data directory
	rm -rf bin data
