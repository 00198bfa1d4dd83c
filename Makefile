# trustdocs: `make demo` runs the pipeline on the local stack, `make test` runs the tests.
# The local stack (MinIO, fauxqs, DynamoDB Local; PostgreSQL is the machine's) is installed
# once under $(CACHE) and shared by every clone.
SHELL := /bin/bash
CACHE ?= $(or $(TRUSTDOCS_CACHE),$(HOME)/.cache/trustdocs)
export TRUSTDOCS_CACHE := $(CACHE)

GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(CACHE)/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)
# promtool checks and unit-tests deploy/prometheus/ (make rules); internal/monitoring finds it here.
PROMTOOL := $(CACHE)/tools/promtool
GO_TEST_FLAGS ?= -count=1 -timeout 30m
# Start (or reuse) the stack and load its variables into the recipe's shell.
WITH_STACK = eval "$$(scripts/devstack.sh up)" &&

.DEFAULT_GOAL := help
.PHONY: help build up down status migrate bootstrap demo demo-stop test rules fuzz unit vet lint fmt-check clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build worker, receiver and pipelinectl into bin/
	@go build -o bin/ ./cmd/...

up: ## install (once) and start the local stack; eval "$(make -s up)" sets up a shell
	@scripts/devstack.sh up

down: ## stop what `make up` started (by pid); PostgreSQL keeps running
	@scripts/devstack.sh down

status: ## show which parts of the local stack answer
	@scripts/devstack.sh status

migrate: build ## apply the database migrations to DATABASE_URL
	@$(WITH_STACK) bin/pipelinectl migrate

bootstrap: build ## create topics, queues, subscriptions, bucket and table
	@$(WITH_STACK) bin/pipelinectl bootstrap

demo: build ## start the stack, migrate, bootstrap and run worker + receiver
	@scripts/demo.sh start

demo-stop: ## stop the demo's worker and receiver
	@scripts/demo.sh stop

test: build fmt-check vet lint rules ## vet, lint, the alerting rules, a short fuzz of each parser, then every test against the local stack
	@$(MAKE) -s fuzz FUZZTIME=$(FUZZTIME)
	@$(WITH_STACK) go test $(GO_TEST_FLAGS) ./...

# A count, not a duration: a duration ends with a deadline that a slow worker start can
# hit ("context deadline exceeded"), which is a flake, not a finding.
FUZZTIME ?= 3000x
# package:FuzzTarget, one go test run each (go test fuzzes one target at a time)
FUZZ_TARGETS := ./render/:FuzzRender ./webhook/:FuzzVerify ./webhook/:FuzzNormalize ./events/:FuzzDecode

fuzz: ## fuzz every parser and verifier, FUZZTIME inputs or time each (make fuzz FUZZTIME=5m for longer)
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
	  go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg > /tmp/trustdocs-fuzz.log 2>&1 || { cat /tmp/trustdocs-fuzz.log; exit 1; }; \
	done; echo "fuzz: no failures"

unit: ## run every test that needs no stack (-short skips those that reach it through testkit)
	@go test -short $(GO_TEST_FLAGS) ./...

vet: ## go vet
	@go vet ./...

lint: $(GOLANGCI_LINT) ## golangci-lint (.golangci.yml, staticcheck among its linters), then the architecture test
	@$(GOLANGCI_LINT) run ./...
	@go test -count=1 ./internal/archtest/

$(GOLANGCI_LINT):
	@echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(CACHE)/tools" >&2
	@mkdir -p $(CACHE)/tools
	@GOBIN=$$(mktemp -d) && GOBIN=$$GOBIN go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) && mv $$GOBIN/golangci-lint $@

rules: $(PROMTOOL) ## check the Prometheus alerting rules and run their unit tests (promtool)
	@$(PROMTOOL) check rules deploy/prometheus/alerts.yml
	@$(PROMTOOL) check config deploy/prometheus/prometheus.yml
	@$(PROMTOOL) test rules deploy/prometheus/alerts_test.yml deploy/prometheus/alerts_week_test.yml

# promtool from Debian's prometheus package, extracted from the .deb (apt-get install would
# also set up the Prometheus server as a service and pull in its web UI); a promtool already
# on PATH is used as is.
$(PROMTOOL):
	@mkdir -p $(CACHE)/tools
	@if command -v promtool >/dev/null; then ln -sf "$$(command -v promtool)" $@; exit 0; fi; \
	  echo "installing promtool (Debian package prometheus) into $(CACHE)/tools" >&2; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  tmp=$$(mktemp -d) && cd $$tmp && \
	  { apt-get download -q=2 -o APT::Sandbox::User="$$(id -un)" prometheus || \
	    { $$sudo apt-get update -qq >&2 && apt-get download -q=2 -o APT::Sandbox::User="$$(id -un)" prometheus; }; } && \
	  dpkg-deb -x prometheus_*.deb x && mv x/usr/bin/promtool $@ && cd / && rm -rf $$tmp && $@ --version | head -1 >&2

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out" >&2; exit 1; fi

clean: ## remove bin/
	@rm -rf bin/
