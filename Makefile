# HumanGov: `make run` starts the embedded default; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test bench synth deploy lint clean system-deps

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test,infra]'
	touch $@

$(VENV)/.installed-run: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

run: $(VENV)/.installed-run
	@$(MAKE) -s system-deps || echo "note: could not install Debian's chromium; the browser canary stays off"
	$(VENV)/bin/humangov serve

# Debian's Chromium for the browser tests and canary; wrk for the benchmarks.
system-deps:
	@if ! test -x /usr/bin/chromium || ! command -v wrk >/dev/null; then \
		echo "installing Debian packages: chromium wrk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium wrk >/dev/null; \
	fi

# playwright-core for the AWS browser canary's test (tests/infra/test_browser_canary.py), and
# axe-core for the accessibility test (tests/e2e/test_accessibility.py); it
# downloads no browser. Reinstalled only when the lock file changes: offline after the first.
BROWSER_CANARY_NODE := tests/infra/browser_canary
$(BROWSER_CANARY_NODE)/node_modules/.package-lock.json: $(BROWSER_CANARY_NODE)/package-lock.json
	cd $(BROWSER_CANARY_NODE) && npm ci --no-audit --no-fund --loglevel=error

test: $(VENV)/.installed system-deps $(BROWSER_CANARY_NODE)/node_modules/.package-lock.json
	$(VENV)/bin/pytest -q -n 2 --dist loadgroup

bench: $(VENV)/.installed system-deps
	$(PY) -m bench

# mypy reads its files and settings from pyproject.toml ([tool.mypy]).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench infra
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) infra/cdk.out .pytest_cache .ruff_cache .mypy_cache

include infra/Makefile.inc
