# Two entry points (README quick start): `make demo` and `make test`.
# Both create .venv when it is missing and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint ui install dbt-parse clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,generate]'
	touch $(STAMP)

install: $(STAMP)

# dagster-dbt needs the manifest before the definitions can be imported.
dbt-parse: $(STAMP)
	$(BIN)/python -m pbr_pipeline.dbt_prepare

demo: dbt-parse
	$(BIN)/pbr demo

# Lint first (ruff's and sqlfluff's settings: pyproject.toml, .sqlfluff), then every test.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

test: dbt-parse lint
	$(BIN)/python -m pytest

# The UI on loopback; UI_PORT and UI_HOME (the Dagster instance folder) can be overridden.
UI_PORT ?= 3000
UI_HOME ?= $(CURDIR)/dagster_home

ui: dbt-parse
	DAGSTER_HOME=$(UI_HOME) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

clean:
	rm -rf data/warehouse data/exports data/landing data/landing.generated data/logs data/validation data/dbt_docs dbt_project/target dbt_project/logs
	find dagster_home -mindepth 1 -not -name dagster.yaml -delete
