# Entry points: `make demo` and `make test` for a new user; `make check`, `make coverage`, `make lint`
# while changing the kit (CONTRIBUTING.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -q

.PHONY: demo test check coverage lint venv clean

# The kit itself is installed too (editable, without dependencies: requirements.txt pins them): MkDocs
# finds the site's sanitiser `cgvkit-safe`, declared in mkdocs.yml, through the kit's entry points.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python build.py dunning companies/atelier-lyonnais.yaml --ledger ledgers/example.csv
	$(BIN)/python build.py dunning companies/cave-des-halles.yaml --ledger ledgers/cave-des-halles.csv
	$(BIN)/python build.py all

# Every test, browser ones included (they skip without /usr/bin/chromium), in two processes: the tests
# that read the shared session build run in one of them, so it is built once.
test: $(STAMP)
	$(PYTEST) -n 2 --dist loadgroup

# The fast part: no PDF printed, no site built, no browser, in two processes.
check: $(STAMP)
	$(PYTEST) -n 2 -m "not slow and not browser"

# Every test, with the kit's subprocesses (build.py, python -m cgvkit, build workers) measured too.
coverage: $(STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -q -n 2 --dist loadgroup
	$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report

# ruff on everything; mypy --strict on the files pyproject.toml's [tool.mypy] lists (core, sources, law, model, dunning).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf dist site docs/generated .coverage .coverage.* htmlcov .mypy_cache
