# The two commands of the README: `make demo` (install + run the main job on
# the bundled corpus) and `make test` (install + pass the tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow accuracy install install-dev system-deps lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python system-deps
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python system-deps
	$(BIN)/pip install -q -e '.[dev]'

system-deps:
	bash scripts/system-deps.sh

demo: install
	$(BIN)/saidao demo

test: install-dev
	$(BIN)/python -m pytest -q

test-slow: install-dev
	$(BIN)/python -m pytest -q -m slow

accuracy: install-dev
	$(BIN)/python scripts/accuracy_report.py

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
