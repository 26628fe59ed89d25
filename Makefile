# arbstream: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEMO_ARGS ?=

.PHONY: all setup demo test test-faults test-fast check bench bench-stream bench-replays mutate contracts build clean

all: setup

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

build/contracts/.stamp: node_modules/.package-lock.json scripts/compile_contracts.js $(wildcard executor/contracts/*.sol localstack/contracts/*.sol)
	node scripts/compile_contracts.js
	touch $@

contracts: build/contracts/.stamp

$(STAMP): $(VENV)/bin/python pyproject.toml setup.py $(wildcard cyext/*.pyx cyext/*.pxd cyext/*.pxi cyext/*.h cyext/*/*.pyx cyext/*/*.pxd cyext/*/*.pxi cyext/*/*.h)
	$(PIP) install -q -e '.[dev]'
	touch $@

build: $(STAMP)
	$(PIP) install -q -e '.[dev]'

setup: $(STAMP) contracts

demo: setup
	$(VENV)/bin/arbstream demo --summary .arbstream/demo-summary.json $(DEMO_ARGS)

# random test order (pytest-randomly), one seed for both passes; a red run reproduces with
# `make test TEST_SEED=<the seed printed>`
test: TEST_SEED := $(shell $(PYTHON) -c "import random; print(random.randrange(2**32))")
test: setup
	@echo "test order: --randomly-seed=$(TEST_SEED) (reproduce: make test TEST_SEED=$(TEST_SEED))"
	$(PY) -m pytest -q -p no:cacheprovider -p randomly --randomly-seed=$(TEST_SEED)
	# again on the pure-Python twins; explicit kernel-vs-twin comparisons already ran above
	ARBSTREAM_NO_CYTHON=1 $(PY) -m pytest -q -p no:cacheprovider -p randomly --randomly-seed=$(TEST_SEED) -m "not parity" tests/unit

# stream worker fault scenarios (a worker replaced mid-input; two workers sharing the input)
# FAULT_ROUNDS times over (`make test` runs them once): a stall or a lost state shows up
# in some rounds, not in every one
FAULT_ROUNDS ?= 5
test-faults: setup
	@pass=0; for i in $$(seq $(FAULT_ROUNDS)); do \
	  if $(PY) -m pytest -q -p no:cacheprovider -m fault tests/integration; then pass=$$((pass+1)); fi; \
	done; echo "fault scenarios: $$pass of $(FAULT_ROUNDS) rounds green"; test $$pass -eq $(FAULT_ROUNDS)

test-fast: setup
	$(PY) -m pytest -q -m "not slow and not integration"

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy arbstream ingest streams executor analytics cyext localstack bench

BENCH_PEER := bench/.venv-degenbot
$(BENCH_PEER)/.installed:
	$(PYTHON) -m venv $(BENCH_PEER)
	$(BENCH_PEER)/bin/pip install -q --upgrade pip
	$(BENCH_PEER)/bin/pip install -q degenbot==0.3.0
	touch $@

bench: setup $(BENCH_PEER)/.installed
	$(PY) bench/run.py --peer $(BENCH_PEER)/bin/python
	$(PY) bench/stream_bench.py $(STREAM_BENCH_ARGS)

# the stream path alone (broker + Faust workers); e.g. STREAM_BENCH_ARGS="--events 200000"
bench-stream: setup
	$(PY) bench/stream_bench.py $(STREAM_BENCH_ARGS)

# ten two-worker runs of the bench input, each checked to reach the end and emit each
# opportunity once (a stalled group fails it); ~15 minutes on two cores
bench-replays: setup
	$(PY) bench/stream_bench.py --workers --rates --replays 10 --out bench/replay_results.json $(STREAM_BENCH_ARGS)

# Mutation testing (not in CI): mutmut over tests/mutation/targets.toml, one module at a time,
# unit tests only. mutmut needs a newer click than faust allows, so it lives in its own venv
# that sees the project's dependencies through a .pth (but not the editable arbstream: the
# mutated copy is the one imported). MUTATE_ARGS: e.g. --only v2_math_py --children 1
MUTATE_VENV := .venv-mutate
MUTATE_ARGS ?=
$(MUTATE_VENV)/.installed: $(STAMP)
	$(PYTHON) -m venv $(MUTATE_VENV)
	$(MUTATE_VENV)/bin/pip install -q --upgrade pip
	$(PIP) freeze --exclude-editable | grep -iv '^click==' > $(MUTATE_VENV)/constraints.txt
	$(MUTATE_VENV)/bin/pip install -q -c $(MUTATE_VENV)/constraints.txt mutmut==3.8.1
	$(MUTATE_VENV)/bin/python -c "import site, sysconfig; print(sysconfig.get_path('purelib', vars={'base': '$(abspath $(VENV))'}))" \
		> $$($(MUTATE_VENV)/bin/python -c "import site; print(site.getsitepackages()[0])")/arbstream-deps.pth
	touch $@

mutate: setup $(MUTATE_VENV)/.installed
	$(MUTATE_VENV)/bin/python -m tests.mutation.run $(MUTATE_ARGS)

# every build output: setuptools' build/ (also the compiled contracts), the Cython C files,
# extension modules and annotation pages in every cyext/ folder, the egg-info and run data
clean:
	rm -rf build *.egg-info .arbstream .mypy_cache .ruff_cache .hypothesis bench/results.json
	find cyext \( -name '*.c' -o -name '*.so' -o -name '*.html' \) -delete
	find . -path ./node_modules -prune -o -path './.venv*' -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
