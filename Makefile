# AutoMQ BYOC billing warehouse. `make demo` and `make test` work on a fresh machine with
# Python 3.11 and make: the first target that needs it creates .venv with the pinned dependencies.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LANDING ?= data/landing
MONTH ?= 2026-10
DEMO_MONTHS ?= 2026-09:2026-10
ROWS ?= 1000000
SEED ?= 1

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

.PHONY: help install demo test test-fast lint build docs bench validate clean

help:
	@echo "make demo    - install, generate demo landing data if none, close $(MONTH), show the statements"
	@echo "make test    - the whole test suite (pytest + dbt data and unit tests)"
	@echo "make build   - dbt build (seeds, models, tests) over LANDING=$(LANDING)"
	@echo "make docs    - dbt docs generate (target/index.html)"
	@echo "make bench ROWS=N - time the close at N usage rows against the DuckDB engine floor"
	@echo "make validate - check LANDING=$(LANDING) with the landing suites (Data Docs in validation/)"
	@echo "make lint    - ruff"

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	@if [ -z "$$(find $(LANDING)/usage_events -name '*.parquet' 2>/dev/null | head -n 1)" ]; then \
		echo "No landing data in $(LANDING): generating the demo landing ($(DEMO_MONTHS), 12 organizations)"; \
		$(BIN)/automq-billing generate --out $(LANDING) --months $(DEMO_MONTHS) --orgs 12 --seed 42; \
	fi
	$(BIN)/automq-billing close --month $(MONTH) --landing $(LANDING)

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

build: $(STAMP)
	AUTOMQ_BILLING_LANDING=$(abspath $(LANDING)) $(BIN)/dbt build --project-dir . --profiles-dir .

docs: $(STAMP)
	AUTOMQ_BILLING_LANDING=$(abspath $(LANDING)) $(BIN)/dbt docs generate --project-dir . --profiles-dir .

validate: $(STAMP)
	$(BIN)/automq-billing validate --landing $(LANDING)

bench: $(STAMP)
	$(BIN)/python -m automq_billing.bench --rows $(ROWS) --seed $(SEED)

clean:
	rm -rf target logs warehouse output .pytest_cache
