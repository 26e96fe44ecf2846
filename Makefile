# The two commands: `make run` (the product) and `make test` (every check). Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Offline machine: models come from installed packages, never from a hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install lint bench bench-scale bench-web eval clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	CMAKE_ARGS="-DGGML_BLAS=OFF -DGGML_CUDA=OFF" $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,st]'
	touch $(STAMP)

install: $(STAMP)

HOST ?= 127.0.0.1
PORT ?= 7860
CHROMIUM := /usr/bin/chromium
# apt-get needs root: sudo when make is not run as root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The web chat: updates the index, then serves http://$(HOST):$(PORT) until Ctrl+C.
run: $(STAMP)
	$(BIN)/python app.py --host $(HOST) --port $(PORT)

# Debian's Chromium for tests/test_browser.py (Playwright drives it; its own browser download is not used).
# Installed only when missing.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# cmake and ninja build llama.cpp's llama-server once for tests/test_llm_parallel.py; installed only when missing.
/usr/bin/ninja /usr/bin/cmake:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq cmake ninja-build

test: lint $(CHROMIUM) /usr/bin/ninja /usr/bin/cmake
	$(BIN)/pytest

# The seed questions, then all the external benchmark's questions over its 307 articles (benchmarks/data/external:
# dev, explanatory, and the 200 held out for validation), the assistant and the LangChain recipe side by side, dev
# and validation figures side by side: about 2.5 hours on 2 cores, indexes cached after the first run. Saved to
# benchmarks/results/external_eval_all.json; one set alone: benchmarks/external_eval.py --set dev|explain|validate.
eval: $(STAMP)
	$(BIN)/assistant eval
	$(BIN)/python benchmarks/external_eval.py --set all

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_retrieval.py

# 20,000 generated articles (about 170,000 chunks, stand-in vectors) in the embedded store and in a `chroma run`
# server: build, updates, first search, search latency, first answer, peak memory. Articles and indexes are cached
# in ~/.cache/article-assistant/scale; the first run builds them (long: see the script's docstring).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

# The web chat: cold start, then 8 simultaneous conversations in both modes: the embedded model (one answer at a
# time) and llama.cpp's llama-server with 4 parallel slots (4 at a time; llama-server is built once, about 4
# minutes on 2 cores, and cached). Each script starts its own app.py.
bench-web: $(STAMP)
	$(BIN)/python benchmarks/cold_start.py
	$(BIN)/python benchmarks/load_chat.py --mode both --slots 4

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
