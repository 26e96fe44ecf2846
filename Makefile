# The two commands: `make run` (the product) and `make test` (every check). Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Offline machine: models come from installed packages, never from a hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install lint bench eval clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	CMAKE_ARGS="-DGGML_BLAS=OFF -DGGML_CUDA=OFF" $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,st]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/assistant index
	$(BIN)/assistant ask "Combien Meta a-t-il investi dans Scale AI ?"
	$(BIN)/assistant ask "Who leads Meta's superintelligence team?"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/assistant eval

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_retrieval.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
