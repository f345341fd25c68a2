# FlexUnity: the few commands a newcomer needs. Every target runs the idempotent setup first.
#   make demo        set up, then run a full community round on a local anvil devnet (the main job)
#   make test        set up, then run every test tier and static check (what CI runs)
#   make test-quick  ruff + the pure-Python tests (no chain, no devnet, no slow tests): about 20 s
#   make test-faults the fault-injection tier alone (the real oracle killed, cut off, disputed, doubled)
SHELL := /bin/bash
VENV := .venv/bin
export PATH := $(CURDIR)/.venv/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export MPLBACKEND := Agg
PYTEST_WORKERS ?= 2

.PHONY: setup demo test test-quick test-faults lint typecheck pytest forge slither bench clean

setup:
	@tools/setup.sh

demo: setup
	$(VENV)/flexunity demo $(ARGS)

test: setup lint typecheck pytest forge slither
	@echo "make test: every tier passed"

test-quick: setup
	$(VENV)/ruff check flexunity tests scripts
	$(VENV)/pytest -q -m "not chain and not devnet and not slow" -n $(PYTEST_WORKERS)

test-faults: setup
	$(VENV)/pytest -q -m faults -n $(PYTEST_WORKERS)

lint:
	$(VENV)/ruff check flexunity tests scripts
	$(VENV)/ruff format --check flexunity tests scripts

typecheck:
	$(VENV)/mypy

pytest:
	$(VENV)/pytest -q -n $(PYTEST_WORKERS)

# The native forge (tools/setup.sh links it into the venv): its exit status is the step's status.
# forge-fails-check proves it: a deliberately failing test in a temporary copy must turn this step red.
FORGE_ARGS ?=
forge:
	$(VENV)/forge test --offline $(FORGE_ARGS)
	@[ -n "$$IN_FORGE_CHECK" ] || tools/check-forge-fails.sh

slither:
	$(VENV)/slither . --config-file slither.config.json --fail-medium

bench:
	$(VENV)/flexunity bench clearing --peers 40 --intervals 96
	$(VENV)/flexunity bench gas

clean:
	rm -rf build out cache crytic-export .pytest_cache .mypy_cache .ruff_cache
