# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The native llama.cpp build segfaults on this CPU at the first decode: build portable.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export RAGAS_DO_NOT_TRACK := true
export TOKENIZERS_PARALLELISM := false

.PHONY: install setup run test test-unit test-integration bench finetune e2e lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

# Reinstall when the dependency list changes.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

setup: install
	$(BIN)/hyanggi setup

run: setup
	$(BIN)/hyanggi chat

test: setup
	$(BIN)/pytest -q -m "not integration"
	$(BIN)/pytest -q -m integration

test-unit: install
	$(BIN)/pytest -q -m "not integration"

# Browser end-to-end test: Debian's Chromium (no browser download) and CJK fonts for the screenshot.
e2e: setup
	apt-get update && apt-get install -y chromium fonts-noto-cjk
	$(BIN)/pytest -q -m e2e tests/e2e

bench: setup
	$(BIN)/hyanggi bench

finetune: setup
	$(BIN)/hyanggi finetune dataset
	$(BIN)/hyanggi finetune train
	$(BIN)/hyanggi finetune export

# Schemathesis at length: 1,000 examples per operation and phase (`make test` runs 40), same seed and checks.
.PHONY: contract
contract: install
	HYANGGI_CONTRACT_EXAMPLES=1000 $(BIN)/pytest -q tests/unit/test_api_contract.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache
