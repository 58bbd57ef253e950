# SPRPA: `make run` brings the whole system up on this machine; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := registry providers referral reports notify web
STAMP := $(VENV)/.installed
INSTALL_INPUTS := requirements.lock package.json shared/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
PYTEST_ARGS ?=
# Tests spread over workers, each with its own PostgreSQL and NATS (tests marked with one xdist_group
# share a worker: they use fixed ports); TEST_WORKERS=0: one process. Three on two cores: much of a
# test is waiting on the servers and the browser (5:42 against 6:26 with two, 2026-12-01).
TEST_WORKERS ?= 3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv and install everything (Python packages, region data)

$(STAMP): $(INSTALL_INPUTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
		-e shared $(foreach s,$(SERVICES),-e services/$(s))
	npm install --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

browser: ## install Debian's Chromium (the browser tests) and poppler-utils (pdftoppm, the PDF tests), when missing
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null || { \
		echo "Installing Debian's chromium and poppler-utils for the browser and PDF tests..."; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get install -y -q chromium poppler-utils >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium poppler-utils >/dev/null; }; }

run: $(STAMP) ## start PostgreSQL, NATS and every service on this machine (Ctrl-C stops all); DEMO=1 loads demo providers
	$(PY) -m sprpa_shared.ops.stack run $(if $(DEMO),--demo)

test: $(STAMP) $(if $(filter-out reports,$(SERVICE)),,browser) ## run the whole test suite against real PostgreSQL and NATS, the pages in Chromium; SERVICE=referral: one service's tests
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(if $(SERVICE),services/$(SERVICE)/tests) $(PYTEST_ARGS)

bench: $(STAMP) ## start the embedded stack, run the benchmarks, print figures and ratios to raw PostgreSQL/NATS
	$(PY) -m bench.run $(BENCH_ARGS)

chaos: $(STAMP) ## kill NATS, the engine and PostgreSQL while flagging; print the invariants and the time to converge
	$(PY) -m bench.chaos $(CHAOS_ARGS)

sustained: $(STAMP) ## flag at a steady rate for minutes; print RSS, consumer lag and outbox backlog over time
	$(PY) -m bench.sustained $(SUSTAINED_ARGS)

fuzz: $(STAMP) ## Schemathesis against every service's OpenAPI, 100 cases per operation (make test runs 4)
	FUZZ_EXAMPLES=$(or $(EXAMPLES),100) $(PY) -m pytest tests/security/test_fuzzing.py

images: ## build one container image per service (needs a Docker engine; says so where there is none)
	deploy/images.sh

lint: $(STAMP) ## ruff over the whole tree; mypy over the platform, the contracts and the pure rules
	$(PY) -m ruff check shared services tests bench
	$(PY) -m mypy

asyncapi: $(STAMP) ## write the AsyncAPI document of the event catalogue to docs/generated/
	@mkdir -p docs/generated
	$(PY) -m sprpa_contracts.asyncapi > docs/generated/asyncapi.json
	@echo docs/generated/asyncapi.json

lock: ## re-pin requirements.lock from requirements.in
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	.lock-venv/bin/pip freeze --all --exclude-editable | grep -v "^pip==" > requirements.lock
	rm -rf .lock-venv

clean: ## remove the virtualenv and installed packages (keeps .sprpa data)
	rm -rf $(VENV) node_modules

.PHONY: help install browser run test bench chaos sustained fuzz images lint asyncapi lock clean
