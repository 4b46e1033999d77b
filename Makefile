# Two entry points a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python build.py dunning companies/atelier-lyonnais.yaml --ledger ledgers/example.csv
	$(BIN)/python build.py all

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf dist site docs/generated
