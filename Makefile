# The two commands: `make run` (demo server on http://127.0.0.1:8000) and `make test` (everything CI runs).
# Each installs what is missing first; nothing else is needed on a machine with Python 3.11+, Node.js 20.19+ and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= .data
HOST ?= 127.0.0.1
PORT ?= 8000
# API processes of `make run` (serve --workers): the demo serves one person, for whom one process is plenty and
# starts fastest; e.g. `make run WORKERS=2` to try several (one embedded job worker and database either way).
WORKERS ?= 1
# Web UI: web/ (React + TypeScript + Vite) builds into src/tenantplane/web_dist, which the API process serves.
WEB := web
WEB_DIST := src/tenantplane/web_dist
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public $(WEB)/scripts -type f 2>/dev/null) \
	$(addprefix $(WEB)/,index.html package.json vite.config.ts tsconfig.json)
PY_SOURCES := $(shell find src/tenantplane -name '*.py' -not -path '*/__pycache__/*')
NPM := $(shell command -v npm 2>/dev/null)

.PHONY: run test lint typecheck pytest install bench clean web-build web-test chromium sandbox no-npm screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install sandbox $(if $(NPM),web-build,no-npm)
	@mkdir -p $(DATA_DIR)
	@test -s $(DATA_DIR)/demo-admin-password || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DATA_DIR)/demo-admin-password
	TENANTPLANE_DATA_DIR=$(DATA_DIR) $(BIN)/tenantplane migrate
	@TENANTPLANE_DATA_DIR=$(DATA_DIR) $(BIN)/tenantplane bootstrap --tenant demo --admin-email admin@demo.example.com --admin-password "$$(cat $(DATA_DIR)/demo-admin-password)"
	@TENANTPLANE_DATA_DIR=$(DATA_DIR) $(BIN)/tenantplane apply -f examples --tenant demo --yes
	@echo "  Demo users (demo only, e-mail / password):"
	@awk '/^email:/{e=$$2} /^password:/{print "    " e "  " $$2}' examples/00-people.yaml
	@echo ""
	@echo "  Tenant Plane is starting on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	@echo "  Sign in: tenant 'demo', admin@demo.example.com, password $$(cat $(DATA_DIR)/demo-admin-password)"
	@echo ""
	TENANTPLANE_DATA_DIR=$(DATA_DIR) TENANTPLANE_LOG_FORMAT=console $(BIN)/tenantplane serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck web-test pytest

# Web UI. The API client is generated from the backend's OpenAPI document on every build (web/scripts/generate-api.mjs).
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_DIST)/index.html: $(WEB_SOURCES) $(WEB)/node_modules/.installed | $(STAMP)
	cd $(WEB) && npm run build

web-build: $(WEB_DIST)/index.html

# Type-check against the current API and run the unit tests (vitest); redone when the app or any Python changed.
$(WEB)/.stamps/checked: $(WEB_SOURCES) $(PY_SOURCES) $(WEB)/node_modules/.installed | $(STAMP)
	cd $(WEB) && npm run typecheck && npm run test -- --run
	@mkdir -p $(dir $@) && touch $@

web-test: $(WEB)/.stamps/checked

# tests/browser needs the built app and Debian's chromium (installed here; under CI=true it must be had).
chromium:
	@scripts/ensure-system-tool.sh chromium chromium "the browser tests"

# Runbook scripts run inside bubblewrap, their network filtered by nftables (docs/runbooks.md, "Security model");
# without bwrap they are refused, without nft (or root) they get no network.
sandbox:
	@scripts/ensure-system-tool.sh bwrap bubblewrap "runbook shell and python actions"
	@if [ "$$(id -u)" -eq 0 ]; then scripts/ensure-system-tool.sh nft nftables "network egress of runbook scripts"; fi

pytest: web-build chromium sandbox

no-npm:
	@echo "warning: npm not found: serving the API without its web UI (install Node.js 20.19+ and run make run again)"

# The README's screenshots are taken by the browser journeys (test-artifacts/screenshots); this refreshes them.
README_SHOTS := itsm-01-portal itsm-06-fulfilled inbox workflow-builder execution-view runbook-editor
screenshots: install web-build chromium
	$(BIN)/pytest -q tests/browser
	@mkdir -p docs/screenshots
	@for shot in $(README_SHOTS); do cp test-artifacts/screenshots/$$shot.png docs/screenshots/; done
	@echo "docs/screenshots/ refreshed: $(README_SHOTS)"

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.jobs
	$(BIN)/python -m bench.itsm
	$(BIN)/python -m bench.engine

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
