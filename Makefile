# Bourg — `make run` serves the demo region, `make test` runs every check.
# Both install what is missing first (Debian/Ubuntu: GDAL, curl and Chromium through apt-get, with
# sudo when not root; rustfmt and clippy through rustup; the web UI's npm packages, with
# playwright-core and the style and OpenAPI validators, from web/package-lock.json), and generate
# the synthetic demo files (layers/data/synthetic, gitignored) when missing or older than the
# generator and its inputs.

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(HOME)/.cache/bourg-target
export CARGO_TARGET_DIR
BOURG_ADDR ?= 127.0.0.1:8080
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libgdal-dev gdal-bin pkg-config curl chromium

SYNTH_DIR := layers/data/synthetic
SYNTH_FILES := $(SYNTH_DIR)/rpls.csv $(SYNTH_DIR)/vacance_batiments.csv
SYNTH_INPUTS := $(wildcard src/synth/*.rs) $(wildcard layers/data/france/*) layers/data/communes_62_25_cog2025.geojson
# The binary that generates them: the release one for run/check/bench, the debug one for test.
BOURG_BIN ?= $(CARGO_TARGET_DIR)/release/bourg

.PHONY: run test e2e setup system-deps rust-components web-deps build check bench bench-http synth-demo

run: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(CARGO_TARGET_DIR)/release/bourg serve --layers layers --web web --addr $(BOURG_ADDR)

test: setup
	cargo fmt --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo build --locked
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg
	cargo test --locked
	$(MAKE) e2e

# The map UI in headless Chromium against a real server (the debug binary `cargo test` built).
e2e: setup
	cargo build --locked
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg E2E_OUT=$(CARGO_TARGET_DIR)/e2e node --test tests/e2e/

# Synthetic RPLS and vacancy files of the demo region (Pas-de-Calais, Doubs), default seed.
synth-demo: $(SYNTH_FILES)

$(SYNTH_FILES) &: $(SYNTH_INPUTS)
	$(BOURG_BIN) synth --dep 62 --dep 25 --out $(SYNTH_DIR)

setup: system-deps rust-components web-deps

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

rust-components:
	@cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: setup
	cargo build --release --locked

# Load every layer and print counts, skipped geometries and bounds.
check: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(CARGO_TARGET_DIR)/release/bourg check --layers layers

bench: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	cargo bench --locked

# Latency of the analysis endpoints over HTTP (curl, the release server on the demo).
bench-http: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg bash benches/http.sh
