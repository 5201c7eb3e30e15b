# The two commands: `make run` (demo server on http://127.0.0.1:8000) and `make test` (everything CI runs).
# Each installs what is missing first; nothing else is needed on a machine with Python 3.11+ and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= .data
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p $(DATA_DIR)
	@test -s $(DATA_DIR)/demo-admin-password || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DATA_DIR)/demo-admin-password
	TENANTPLANE_DATA_DIR=$(DATA_DIR) $(BIN)/tenantplane migrate
	@TENANTPLANE_DATA_DIR=$(DATA_DIR) $(BIN)/tenantplane bootstrap --tenant demo --admin-email admin@demo.example.com --admin-password "$$(cat $(DATA_DIR)/demo-admin-password)"
	@echo ""
	@echo "  Tenant Plane is starting on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	@echo "  Sign in: tenant 'demo', admin@demo.example.com, password $$(cat $(DATA_DIR)/demo-admin-password)"
	@echo ""
	TENANTPLANE_DATA_DIR=$(DATA_DIR) TENANTPLANE_LOG_FORMAT=console $(BIN)/tenantplane serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.jobs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
