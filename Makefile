# AutoMQ BYOC billing warehouse. `make demo` and `make test` work on a fresh machine with
# Python 3.11 and make: the first target that needs it creates .venv with the pinned dependencies.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.installed-spark-stamp
LANDING ?= data/landing
OUTPUT ?= output
WAREHOUSE ?= warehouse/billing.duckdb
ROWS ?=
ORGS ?= 1000
SEED ?= 1
BENCH ?= small
DEMO := $(BIN)/automq-billing
DEMO_DATA := --out $(LANDING) --months 2026-09:2026-10 --orgs 12 --seed 42
PATHS := --landing $(LANDING) --output $(OUTPUT) --warehouse $(WAREHOUSE)

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

.PHONY: focus-validator help install install-spark test-spark demo demo-reset test test-fast test-deep lint build docs bench validate clean

help:
	@echo "make demo       - install, generate the demo landing, close and finalize 2026-09, land the"
	@echo "                  later files, close 2026-10 (with September's corrections), show status"
	@echo "make demo-reset - start the demo over: remove data/landing, output, warehouse, validation"
	@echo "make clean      - demo-reset, and dbt's target/ and logs/"
	@echo "make test       - the whole test suite: unit, dbt (data) and e2e tiers, timed per tier"
	@echo "make install-spark - add the Spark engine (pyspark, dbt-spark; needs Java 17)"
	@echo "make test-spark - the Spark tier: closes on Spark and DuckDB give the same files"
	@echo "make test-fast  - the unit tier (Python modules and every dbt unit test), under 2 minutes"
	@echo "make test-deep  - the whole suite with many more hypothesis examples"
	@echo "make lint       - ruff and sqlfluff"
	@echo "make build      - load LANDING=$(LANDING) into the warehouse, then dbt build"
	@echo "make docs       - dbt docs generate (lineage, grains and the billing rules)"
	@echo "make bench BENCH=small|history|scale|documents|engines ROWS=N ORGS=N - time closes (with their"
	@echo "                  documents) against DuckDB floor queries"
	@echo "make validate   - check LANDING=$(LANDING) as a close would"
	@echo "make focus-validator - the FinOps Foundation's FOCUS validator in .venv-focus (tests use it)"

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# The FinOps Foundation's FOCUS validator (SPEC 10.3) in its own environment: it pins an old
# pandas and declares Python >= 3.12 (it runs on 3.11 once one f-string is rewritten).
FOCUS_VENV := .venv-focus
FOCUS_STAMP := $(FOCUS_VENV)/.installed-stamp

focus-validator: $(FOCUS_STAMP)

$(FOCUS_STAMP): requirements-focus.lock tests/focus/patch_validator.py
	$(PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--ignore-requires-python -r requirements-focus.lock
	$(FOCUS_VENV)/bin/python tests/focus/patch_validator.py \
		$$(echo $(FOCUS_VENV)/lib/python3*/site-packages)
	@touch $(FOCUS_STAMP)

# SPEC 11: the Spark engine's pins on top of the project's (pyspark builds a ~450 MB wheel once)
install-spark: $(SPARK_STAMP)

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-spark.lock
	@touch $(SPARK_STAMP)

# The corrections story of SPEC 8, on demo data: September is closed and issued from the landing
# as it stood on 6 October; then the later files land (October's exports, a late September
# restatement, a licence export that was lost) and October's close books September's
# corrections. Run again: September stays issued, October gets a new draft version.
demo: $(STAMP)
	@if $(DEMO) generate $(DEMO_DATA) --as-of 2026-10-06 >/dev/null 2>$(VENV)/demo-generate.log; then \
		echo "Demo landing in $(LANDING), as it stood on 2026-10-06"; \
	else \
		echo "$(LANDING) holds other data than the demo's: using it as it is"; \
		cat $(VENV)/demo-generate.log; \
	fi
	@if [ -f $(OUTPUT)/2026-09/final.json ]; then \
		echo "2026-09 is already issued"; \
	else \
		$(DEMO) close --month 2026-09 $(PATHS) --quiet && \
		$(DEMO) finalize --month 2026-09 --output $(OUTPUT); \
	fi
	@$(DEMO) generate $(DEMO_DATA) --as-of 2026-11-06 2>/dev/null \
		| sed 's/^/Later files landed: /' || true
	@if [ -f $(OUTPUT)/2026-10/final.json ]; then \
		echo "2026-10 is already issued: nothing to close (make demo-reset starts the demo over)"; \
	else \
		$(DEMO) close --month 2026-10 $(PATHS) --quiet; \
	fi
	@$(DEMO) status --output $(OUTPUT)
	@echo "One statement (HTML): $$(ls $$(ls -d $(OUTPUT)/2026-10/v* | sort -V | tail -1)/documents/*.html | grep -v -e /index.html -e /close_report.html | head -n 1)"
	@echo "One issued statement (PDF, September): $$(ls $(OUTPUT)/2026-09/v*/documents/*.pdf | grep -v /close_report.pdf | head -n 1)"
	@echo "September's close report, signed off (PDF): $$(ls $(OUTPUT)/2026-09/v*/documents/close_report.pdf | head -n 1)"
	@echo "One invoice (PDF, September, numbered at finalize): $$(ls $(OUTPUT)/2026-09/invoices/*.pdf | head -n 1)"
	@echo "September's journal (CSV, for the general ledger): $$(ls $(OUTPUT)/2026-09/v*/journal.csv | head -n 1)"
	@echo "Close report (HTML):  $$(ls -d $(OUTPUT)/2026-10/v* | sort -V | tail -1)/documents/close_report.html"

# Two workers (pytest-xdist), a test file each at a time: a file's module fixtures (one landing,
# one book of record) stay on one worker; the two cores are busy while a close waits on its dbt.
test: $(STAMP) $(FOCUS_STAMP)
	$(BIN)/python -m pytest -m "unit or dbt or e2e" -n 2 --dist loadfile

# one Spark session for the whole tier; DuckDB closes of the same landings to compare with
test-spark: $(SPARK_STAMP)
	$(BIN)/python -m pytest -m spark

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m unit

test-deep: $(STAMP) $(FOCUS_STAMP)
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -m "unit or dbt or e2e" -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	@# the dbt templater compiles against a warehouse and locks it: one scratch folder per run
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
		AUTOMQ_BILLING_WAREHOUSE=$$scratch/lint.duckdb \
		$(BIN)/sqlfluff lint models tests/dbt analysis

build: $(STAMP)
	$(DEMO) load --landing $(LANDING) --warehouse $(WAREHOUSE)
	AUTOMQ_BILLING_WAREHOUSE=$(abspath $(WAREHOUSE)) $(BIN)/dbt build --project-dir . --profiles-dir .

docs: $(STAMP)
	$(DEMO) load --landing $(LANDING) --warehouse $(WAREHOUSE)
	AUTOMQ_BILLING_WAREHOUSE=$(abspath $(WAREHOUSE)) $(BIN)/dbt docs generate --project-dir . --profiles-dir .

validate: $(STAMP)
	$(DEMO) validate --landing $(LANDING)

bench: $(STAMP)
	$(BIN)/python -m automq_billing.bench --scenario $(BENCH) $(if $(ROWS),--rows $(ROWS)) --orgs $(ORGS) --seed $(SEED)

# Starts the demo over: its landing, its statements (issued months included), its warehouse. Only
# the demo's own default folders, whatever LANDING, OUTPUT or WAREHOUSE say: a real landing or
# book of record is never removed by a make target.
demo-reset:
	rm -rf data/landing output warehouse validation .output.automq-billing.lock

# Build products and the demo's folders (as demo-reset).
clean: demo-reset
	rm -rf target logs .pytest_cache
