# community-report: two commands on a fresh machine.
#   make demo   installs everything, generates the sample community, runs the whole pipeline
#   make test   installs everything and runs the test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := fonts-noto-cjk fontconfig

.PHONY: setup system-deps venv demo test dagster bench clean

setup: system-deps venv

# Debian packages (CJK font for charts). Installed only when missing; needs root or sudo.
system-deps:
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  echo "Installing Debian packages: $(APT_PACKAGES)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
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

clean:
	rm -rf demo sample .pytest_cache
