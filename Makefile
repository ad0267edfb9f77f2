# community-report: two commands on a fresh machine.
#   make demo   installs everything, generates the sample community, runs the whole pipeline
#   make test   installs everything and runs the test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# fonts-noto-cjk: CJK glyphs (charts, PDF, browser); chromium: browser tests (Playwright drives it);
# poppler-utils: PDF checks in the tests; libpango*/libharfbuzz-subset0: WeasyPrint (report.pdf)
APT_PACKAGES := fonts-noto-cjk fontconfig chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

.PHONY: setup system-deps venv demo test dagster bench clean

setup: system-deps venv

# Debian packages. Only the missing ones are installed (each checked with dpkg -s); needs root or sudo.
system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  rm -rf $$HOME/.cache/matplotlib; \
	fi

venv: $(BIN)/community-report

$(BIN)/community-report: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

demo: setup
	DAGSTER_DISABLE_TELEMETRY=1 $(BIN)/community-report demo --out demo

test: setup
	DAGSTER_DISABLE_TELEMETRY=1 $(BIN)/python -m pytest -q

# The Dagster UI on the demo project (run `make demo` first): lineage, checks, reruns, backfills.
dagster: setup
	DAGSTER_HOME=$(CURDIR)/demo/.dagster COMMUNITY_CONFIG=$(CURDIR)/demo/community.yaml \
	  $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Scale benchmark (not a test): generates the large sample (~10.9M messages, ~8 GB) in
# $(BENCH_DATA) unless it is already there, measures ingest vs pandas, the full-year backfill,
# daily incremental updates and the demo; prints a table and writes benchmarks/results/<date>.json.
# BENCH_ARGS=--keep keeps the sample and the warehouses; see BENCHMARKS.md.
BENCH_DATA ?= /tmp/community_bench/data
bench: setup
	DAGSTER_DISABLE_TELEMETRY=1 BENCH_DATA=$(BENCH_DATA) $(BIN)/python benchmarks/bench_scale.py $(BENCH_ARGS)

clean:
	rm -rf demo sample .pytest_cache
