# Everything runs from a project-local virtualenv (.venv) installed from constraints.txt.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint typecheck bench lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## the main job on the bundled samples
run: setup
	$(VENV)/bin/news-etl run

## the test suite (fails loudly if no test ran)
test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check core sources transforms collect render warehouse flows cli tests bench tools
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench.all

## pin the versions of a working .venv
lock:
	$(PY) -m pip freeze --exclude-editable | sort -f > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
