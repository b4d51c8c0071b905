# GymIT serverless: the few entry points people type. `make dev` runs the whole stack
# locally; `make test` runs every test (what CI runs through .ci/run).

SHELL := /bin/bash
VENV := .venv
PY := python3
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-dev.txt | cut -c1-12)
TOOLS_STAMP := $(VENV)/.tools-$(shell cat requirements-dev.txt requirements-test.txt | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CARGO_TERM_COLOR ?= never
# The SAM CLI sends no usage data from here (and lint stays offline), and expands
# template.yaml's Fn::ForEach loops (AWS::LanguageExtensions) itself, as CloudFormation does.
export SAM_CLI_TELEMETRY ?= 0
export SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS ?= 1
# Cargo's target directory, wherever CARGO_TARGET_DIR or a cargo config puts it.
TARGET_DIR = $(shell cargo metadata --format-version 1 --no-deps | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

.PHONY: dev bins test test-bins lint build package bench soak load deploy events clean web web-test postgres

## Pinned tools in a local virtualenv: the stack's (moto, waitress, cargo-lambda) for
## `make dev`, and on top of them the checks' and the release build's (zig, cfn-lint, SAM
## CLI, Schemathesis) for everything else.
$(STAMP): requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@
$(TOOLS_STAMP): $(STAMP) requirements-test.txt
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements-test.txt
	rm -f $(VENV)/.tools-*
	touch $@

## The web app (web/): `npm ci` when the lock file changes, `vite build` (after tsc) when a
## source changes. gymit-local serves web/dist at / on the gateway's port.
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build
web: web/dist/index.html

## Debian's Chromium for the browser test (no browser download: see ../shared/FACTS.md).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## Debian's PostgreSQL for the migration test (a throwaway cluster the test starts itself:
## initdb + pg_ctl in a temporary directory, on a free port). Installed when missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

## The web app in headless Chromium against a fresh local stack (screenshots, bundle size
## and paint time: target/web-artifacts/ and the output).
web-test: $(STAMP) web $(CHROMIUM)
	cargo build --workspace --bins
	$(TARGET_DIR)/debug/gymit-local test-env -- node web/tests/e2e.mjs

## Run the whole system locally: emulator :4566, functions :9000, gateway :8000. The
## virtualenv, the web app and the functions' first build run side by side (mostly
## downloads beside compiling), then gymit-local starts the stack.
dev:
	$(MAKE) --no-print-directory -j3 $(STAMP) web bins
	$(TARGET_DIR)/debug/gymit-local dev

## Every binary of the workspace (the functions and gymit-local), as gymit-local builds them.
bins:
	cargo build --workspace --bins

## Every test: formatting, lints, template checks, unit, integration and end-to-end
## (against a stack that gymit-local starts on free ports and always stops), and
## openapi.yaml against the API (Schemathesis, every check, fixed seed: tests/contract.py).
## The downloads (virtualenv, npm, Chromium) run beside the build, as in `make dev`;
## formatting is checked first, as it fails in a second.
test:
	cargo fmt --all --check
	$(MAKE) --no-print-directory -j4 $(TOOLS_STAMP) web $(CHROMIUM) postgres test-bins
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/python local/test_emulator.py
	cargo test --workspace --lib -- --ignored hot_reload
	$(TARGET_DIR)/debug/gymit-local test-env -- cargo test --workspace --tests
	$(TARGET_DIR)/debug/gymit-local test-env -- cargo test --workspace --test legacy_import
	$(TARGET_DIR)/debug/gymit-local test-env -- node web/tests/e2e.mjs
	$(TARGET_DIR)/debug/gymit-local test-env -- node local/tests/ops_page.mjs
	$(TARGET_DIR)/debug/gymit-local test-env -- $(VENV)/bin/python tests/contract.py

test-bins:
	cargo build --workspace --bins --tests

lint: $(TOOLS_STAMP)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml
	sam validate --lint --region $${AWS_REGION:-us-east-1}

## Release zips for arm64 Lambda (target/lambda/<function>/bootstrap.zip).
build: $(TOOLS_STAMP)
	cargo lambda build --release --arm64 --output-format zip

## Cold starts of every function's release binary beside its peers (Runtime API stub, moto;
## table + target/bench/coldstart.json), then request latencies through the local stack, as
## Markdown tables: see README "Performance". The Python peer's virtualenv (Python 3.11,
## boto3, awslambdaric) lives in target/bench/py.
PY_PEER ?= python3.11
## The soak (tests/tests/soak.rs) for 10 minutes on its own fresh stack; `make test` runs
## it for 60 s on the stack the other end-to-end tests used. SOAK_SECONDS overrides.
soak: $(STAMP)
	cargo build --workspace --bins --tests
	SOAK_SECONDS=$${SOAK_SECONDS:-600} $(TARGET_DIR)/debug/gymit-local test-env -- cargo test -p gymit-e2e --test soak -- --nocapture

## A crowd on one tournament (tests/src/bin/load.rs): LOAD_SPECTATORS anonymous spectators
## (default 500, at most 5,000) from several loopback addresses and an organiser reporting
## LOAD_EVENTS results (default 3); prints the connect time and, per event, delivered/N,
## p50 and p99 (docs/capacity.md). On a stack of its own on free ports, never make dev's.
load: $(STAMP)
	cargo build --workspace --bins --tests
	$(TARGET_DIR)/debug/gymit-local test-env -- $(TARGET_DIR)/debug/load --spectators $${LOAD_SPECTATORS:-500} --events $${LOAD_EVENTS:-3}

## The cost of tracing (issue 30) is measured on functions that make AWS calls of every
## kind: a read, a transaction and its stream publish, an SNS-triggered fan-out.
TRACED_BENCH = tournaments-get tournaments-result-report tournaments-publish-events notifications-fanout auth-me
bench: $(STAMP)
	@cmp -s bench/peers/python/requirements.txt $(TARGET_DIR)/bench/py/requirements.txt || \
	  ( $(PY_PEER) -m venv $(TARGET_DIR)/bench/py && \
	    $(TARGET_DIR)/bench/py/bin/pip install --disable-pip-version-check -q -r bench/peers/python/requirements.txt && \
	    cp bench/peers/python/requirements.txt $(TARGET_DIR)/bench/py/requirements.txt )
	cargo build --release --workspace --bins
	$(TARGET_DIR)/release/coldstart
	COLDSTART_TRACES=compare $(TARGET_DIR)/release/coldstart $(TRACED_BENCH)
	$(TARGET_DIR)/release/swiss-pairing
	cargo build --workspace --bins
	$(TARGET_DIR)/debug/gymit-local test-env -- cargo run -q -p gymit-e2e --bin bench

## What `sam deploy` uploads: every function built for arm64 in release, then `sam build`
## into .aws-sam/build, and each function's zip size, largest first. sam build builds one
## function at a time with `cargo lambda build --release --arm64 --bin <name>` at the root:
## no package named, so cargo resolves dependency features for the whole workspace. The
## first step builds every function binary of the template the same way in one cargo run
## (two links at a time), so sam build finds each one fresh. (A build per package, `-p`,
## resolves other features: sam build then relinked every function itself, ~40 s each.)
FUNCTION_BINS = $(shell sed -n 's/.*BuildProperties: *{ *Binary: *\([a-z0-9-]*\).*/\1/p' template.yaml)
package: $(TOOLS_STAMP)
	cargo lambda build --release --arm64 $(addprefix --bin ,$(FUNCTION_BINS))
	sam build
	$(PY) local/package_sizes.py .aws-sam/build

## Deploy with SAM to the samconfig.toml environment DEPLOY_ENV (dev or prod; needs AWS
## credentials). Canary deploys: see README "Deploying".
DEPLOY_ENV ?= dev
## Then the web app goes to its bucket (hashed assets cached for a year, the rest
## revalidated) and CloudFront drops its copy of index.html (AWS CLI).
WEB_STACK = gymit-$(DEPLOY_ENV)
deploy: package web
	sam deploy --config-env $(DEPLOY_ENV)
	bucket=$$(aws cloudformation describe-stacks --stack-name $(WEB_STACK) --query "Stacks[0].Outputs[?OutputKey=='WebBucketName'].OutputValue" --output text) && \
	dist=$$(aws cloudformation describe-stacks --stack-name $(WEB_STACK) --query "Stacks[0].Outputs[?OutputKey=='WebDistributionId'].OutputValue" --output text) && \
	aws s3 sync web/dist/assets "s3://$$bucket/assets" --cache-control "public,max-age=31536000,immutable" && \
	aws s3 sync web/dist "s3://$$bucket" --exclude "assets/*" --delete --cache-control "no-cache" && \
	aws cloudfront create-invalidation --distribution-id "$$dist" --paths "/index.html" "/" > /dev/null

## Regenerate the sample events in events/ from template.yaml and the services' own types
## (events/src; events/README.md). `cargo test -p gymit-sample-events` fails while they are stale.
events:
	cargo run -q -p gymit-sample-events --bin sample-events

clean:
	cargo clean
	rm -rf .gymit
