# Two commands on a fresh machine:
#   make build   set up, generate demo data, publish it (load + dbt build + tests in a work copy,
#                then swap it in for BI), write the HTML dashboard
#   make test    set up, lint SQL, run the whole pytest suite (which builds small data with dbt,
#                on DuckDB and on a throwaway PostgreSQL 15 cluster)
# and for Spark, whose start-up is slow: make test-spark
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= data/raw
CUSTOMERS ?= 5000
CDNOW_DIR ?= data/cdnow
CDNOW_DB ?= warehouse/cdnow.duckdb
DB_PATH := $(or $(WAREHOUSE_DB_PATH),warehouse/retention.duckdb)
DASHBOARD := reports/$(basename $(notdir $(DB_PATH))).html
# Debian's Chromium for the dashboard's browser test (no browser download needed).
CHROMIUM := /usr/bin/chromium
# The papers' backtest: calibration to 1997-09-30 (39 weeks), holdout to 1998-06-30 (39 weeks).
CDNOW_VARS := {clv_calibration_end_date: "1997-09-30", clv_holdout_end_date: "1998-06-30", clv_time_unit_days: 7}
# The PostgreSQL 15 server binaries the tests start a throwaway cluster with (Debian package postgresql-15).
PG_BIN ?= /usr/lib/postgresql/15/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup setup-all build generate load dbt-build publish contract report docs cdnow bench test test-pytest lint clean \
	postgres-server \
	test-spark build-postgres build-spark slim-ci

help:
	@echo "make build   set up, generate demo data, publish it to $(DB_PATH), write $(DASHBOARD)"
	@echo "make test    set up, lint SQL with sqlfluff, run the pytest suite (installs chromium if missing)"
	@echo "make cdnow   import the real CDNOW purchases and publish the same marts to $(CDNOW_DB)"
	@echo "make docs    dbt docs as one static HTML file: reports/dbt-docs.html"
	@echo "make slim-ci build and test only what you changed since the last publish, and its children"
	@echo "make bench   time the build vs an engine floor, a core vs a hand floor and pandas, an incremental run (BENCH_ORDERS=10000000)"
	@echo "make lint    sqlfluff lint only;  make clean  remove built files"
	@echo "make test-spark   build the test data on Spark (local mode) and compare every mart with DuckDB"
	@echo "make build-postgres / build-spark   make build, then the same marts on that target (docs/engines.md)"

# uv itself comes from PyPI into a private tools venv, so nothing is needed on PATH but python3.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The project environment as locked, re-synced when pyproject.toml or uv.lock change. `setup` installs what
# the embedded DuckDB default needs (no engine drivers, no dev tools; --inexact keeps what a fuller sync
# added); `setup-all` adds the PostgreSQL and Spark drivers (extras postgres, spark) and the dev tools.
$(VENV)/.synced-duckdb: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --no-dev --inexact
	@touch $@

$(VENV)/.synced-all: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --all-extras
	@touch $@ $(VENV)/.synced-duckdb

# dbt-duckdb does not create the folder of the database file.
setup: $(VENV)/.synced-duckdb
	@mkdir -p $(dir $(DB_PATH))

setup-all: $(VENV)/.synced-all
	@mkdir -p $(dir $(DB_PATH))

generate: setup
	$(BIN)/warehouse generate --out $(DATA_DIR) --customers $(CUSTOMERS)

# Development: load and build straight into $(DB_PATH), no publishing step.
load: setup
	$(BIN)/warehouse load --data-dir $(DATA_DIR)

dbt-build: setup
	$(BIN)/dbt build
	$(BIN)/dbt source freshness

# Write-audit-publish: load and build in a work copy, run every test, then swap it in.
publish: setup
	$(BIN)/warehouse publish --data-dir $(DATA_DIR)

# The raw contract as a dbt macro (macros/contract/raw_contract.sql), written from ingest/contract.py.
contract: setup
	$(BIN)/python -c 'from retention_warehouse.ingest.contract import CONTRACT_MACRO, dbt_contract_macro; open(CONTRACT_MACRO, "w").write(dbt_contract_macro())'

report: setup
	$(BIN)/warehouse report --html $(DASHBOARD)

build: generate publish report
	@echo "published warehouse: $(DB_PATH)   dashboard: $(DASHBOARD)"

# Slim CI: only what the working tree changed against the last publish, and its children (docs/serving.md).
slim-ci: setup
	$(BIN)/warehouse ci

# dbt docs over a read-only connection (BI may hold the published file open meanwhile).
docs: setup
	DBT_TARGET=duckdb_read_only $(BIN)/dbt docs generate --static
	@mkdir -p reports && cp target/static_index.html reports/dbt-docs.html
	@echo "dbt docs: reports/dbt-docs.html (one file; open it in a browser)"

# The same marts on PostgreSQL (a server at PGHOST/PGPORT/PGDATABASE) or on Spark in local mode, built
# there with the model fits beside dbt. Spark reads the demo files itself (warehouse load --target spark);
# PostgreSQL's raw tables are an EL tool's in real use, so the demo copies the DuckDB file's (export-raw).
build-postgres: setup-all generate load
	$(BIN)/warehouse export-raw --target postgres
	$(BIN)/warehouse build --target postgres
	$(BIN)/warehouse report --target postgres

build-spark: setup-all generate
	$(BIN)/warehouse load --target spark --data-dir $(DATA_DIR) --no-check
	$(BIN)/warehouse build --target spark
	$(BIN)/warehouse report --target spark

# The real CDNOW data set, built into its own warehouse file with the same models.
cdnow: setup
	$(BIN)/warehouse import-cdnow --out $(CDNOW_DIR)
	WAREHOUSE_DB_PATH=$(CDNOW_DB) $(BIN)/warehouse publish --data-dir $(CDNOW_DIR) --target-path target/cdnow \
		--vars '$(CDNOW_VARS)'
	WAREHOUSE_DB_PATH=$(CDNOW_DB) $(BIN)/warehouse report

# The benchmark (docs/performance.md): not part of make test; the default scale takes a while.
BENCH_ORDERS ?= 10000000
bench: setup
	$(BIN)/warehouse bench --orders $(BENCH_ORDERS)

# On an empty DuckDB file, so that the models render as in a first build (is_incremental() false)
# whether or not a warehouse was built here.
lint: setup-all
	@mkdir -p target && rm -f target/lint.duckdb target/lint.duckdb.wal
	WAREHOUSE_DB_PATH=$(CURDIR)/target/lint.duckdb $(BIN)/sqlfluff lint models $(wildcard data-tests analyses)

# The tests start their own PostgreSQL cluster from these binaries; install them when missing (as root).
postgres-server:
	@if [ ! -x $(PG_BIN)/pg_ctl ]; then \
		echo "PostgreSQL 15 server not found in $(PG_BIN): installing Debian package postgresql-15"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; \
	fi

# Lint and the pytest suite side by side: sqlfluff takes one core while the suite waits on builds it shares.
test: setup-all postgres-server $(CHROMIUM)
	@$(MAKE) --no-print-directory -j2 lint test-pytest

# Two pytest-xdist workers (tests/conftest.py: each module on one worker, tests/engines on one, every
# fixture warehouse built once and copied).
PYTEST_WORKERS ?= 2
test-pytest: setup-all
	WAREHOUSE_PG_BIN=$(PG_BIN) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

# Spark in local mode (pyspark, Java 17): the small data set built there and compared with DuckDB.
test-spark: setup-all
	$(BIN)/pytest --spark -m spark

$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

clean:
	rm -rf target logs warehouse data reports
