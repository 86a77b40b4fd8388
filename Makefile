# Set-up and checks. `make demo` runs the bridge demo; `make test` installs everything and runs the suite
# (lint, type check, pytest) and is what CI runs (.ci/run). Installs are stamped, so reruns take seconds.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RP_DIR := tests/integration/rp
RP_STAMP := $(RP_DIR)/node_modules/.installed-stamp
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
CADDY := /usr/bin/caddy
SYSTEMD_ANALYZE := /usr/bin/systemd-analyze

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help venv install browser nginx caddy systemd node-deps deps lint typecheck pytest test demo

help:
	@echo "make demo       run the bridge demo (installs the Python package first)"
	@echo "make test       install everything, then ruff, mypy and pytest (what CI runs)"
	@echo "make lint | typecheck | install | browser | nginx | caddy | node-deps"

# --- installs --------------------------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

venv install: $(STAMP)

# Debian's Chromium, driven by the Python playwright package (never `playwright install`).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "installing Debian's chromium (apt-get)"; \
	  $$sudo apt-get -o DPkg::Lock::Timeout=600 update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y chromium; \
	fi

# Debian's nginx, started by the forward-auth tests on a loopback port with their own config (never as a service).
nginx:
	@if [ ! -x $(NGINX) ]; then \
	  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "installing Debian's nginx (apt-get)"; \
	  $$sudo apt-get -o DPkg::Lock::Timeout=600 update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends nginx; \
	fi

# Debian's Caddy, started by the forward-auth tests on a loopback port with their own Caddyfile (never as a service).
caddy:
	@if [ ! -x $(CADDY) ]; then \
	  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "installing Debian's caddy (apt-get)"; \
	  $$sudo apt-get -o DPkg::Lock::Timeout=600 update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends caddy; \
	fi

# systemd-analyze checks deploy/idp-bridge.service (tests/deploy); nothing is started.
systemd:
	@if [ ! -x $(SYSTEMD_ANALYZE) ]; then \
	  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "installing Debian's systemd (apt-get) for systemd-analyze"; \
	  $$sudo apt-get -o DPkg::Lock::Timeout=600 update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends systemd; \
	fi

# The test relying party (openid-client), pinned by its package-lock.json.
$(RP_STAMP): $(RP_DIR)/package-lock.json $(RP_DIR)/package.json
	cd $(RP_DIR) && npm ci --no-audit --no-fund
	@touch $@

node-deps: $(RP_STAMP)

deps: install browser nginx caddy systemd node-deps

# --- checks ----------------------------------------------------------------------------------------------

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: deps
	@rc=0; $(BIN)/pytest -q || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; \
	exit $$rc

# Runs every check even when an earlier one fails (so CI shows all problems), pytest last so its
# summary line closes the output; fails if any check failed (pytest's exit 5, no tests, included).
test: deps
	@failed=; \
	echo "== ruff check ."; $(BIN)/ruff check . || failed="$$failed ruff"; \
	echo "== mypy"; $(BIN)/mypy || failed="$$failed mypy"; \
	echo "== pytest -q"; rc=0; $(BIN)/pytest -q || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	if [ $$rc -ne 0 ]; then failed="$$failed pytest"; fi; \
	if [ -n "$$failed" ]; then echo "make test failed:$$failed" >&2; exit 1; fi

# --- demo ------------------------------------------------------------------------------------------------

demo: $(STAMP)
	$(BIN)/idp-bridge demo
