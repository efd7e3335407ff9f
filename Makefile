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
# Build llama-cpp-python's C++ on every core (make install), not one.
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
# The unit tier runs on this many processes (pytest-xdist); the integration tier runs in one, since its
# servers and models share the machine's cores anyway.
UNIT_WORKERS ?= auto

.PHONY: install setup run test test-unit test-integration servers bench bench-scale finetune judge e2e lint clean

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

# Each tier prints its wall time (bash `time`), so a slow tier shows in the log.
test: setup servers
	time $(BIN)/pytest -q -n $(UNIT_WORKERS) -m "not integration"
	time $(BIN)/pytest -q -m integration --durations=15

# The integration tier starts its own PostgreSQL, Redis and Chroma servers (ops/servers.py);
# Debian's packages provide the first two. Without root or apt the install is skipped and those tests say why.
servers:
	@if [ -x "$$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | tail -1)" ] && command -v redis-server >/dev/null; then \
	  echo "postgresql and redis-server present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server \
	    || echo "could not install postgresql/redis-server: their integration tests will be skipped"; \
	else \
	  echo "postgresql/redis-server missing and not root: their integration tests will be skipped"; \
	fi

test-unit: install
	$(BIN)/pytest -q -n $(UNIT_WORKERS) -m "not integration"

test-integration: setup servers
	$(BIN)/pytest -q -m integration --durations=15

# Browser end-to-end test: Debian's Chromium (no browser download) and CJK fonts for the screenshot.
e2e: setup
	apt-get update && apt-get install -y chromium fonts-noto-cjk
	$(BIN)/pytest -q -m e2e tests/e2e

bench: setup
	$(BIN)/hyanggi bench

# The scale-out stack at length (PostgreSQL, Redis, Chroma, a job worker, two web workers): minutes, not a test.
bench-scale: setup servers
	$(BIN)/hyanggi bench scale

finetune: setup
	$(BIN)/hyanggi finetune dataset --rft-briefs 100
	$(BIN)/hyanggi finetune vocab
	$(BIN)/hyanggi finetune train
	$(BIN)/hyanggi finetune export

# The verdict model behind ragas' Faithfulness (finetune/adapters/hyanggi-judge): pairs by construction, one
# epoch on a 4-layer e5 cross-encoder (~28 min on 2 quiet cores), then its agreement with the yardstick.
judge: setup
	$(BIN)/hyanggi finetune judge-data --briefs 500 --questions 120
	$(BIN)/hyanggi finetune judge --out finetune/adapters/hyanggi-judge
	$(BIN)/hyanggi eval judge

# Schemathesis at length: 1,000 examples per operation and phase (`make test` runs 40), same seed and checks,
# an API key and the admin key configured; prints the number of requests sent (-rP).
.PHONY: contract
contract: install
	HYANGGI_CONTRACT_EXAMPLES=1000 $(BIN)/pytest -q -rP tests/unit/test_api_contract.py

# ruff, then the package layers and the no-cycle rule ([tool.importlinter] in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) data .pytest_cache
