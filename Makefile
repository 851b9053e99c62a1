# Vigie: `make run` runs the pipeline locally, `make test` proves it. `make help` lists targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPOSE_VENV := .vigie/podman-compose
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
N ?= 10

.PHONY: help install system-deps run test test-deploy test-unit test-repeat lint bench soak schema env-example metrics-doc clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps: ## Java 17 and Maven for the local broker, promtool for the rule tests (Debian)
	bash deploy/install-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: system-deps $(STAMP) ## create .venv and install Vigie with its pinned dependencies

run: install ## run broker, ingest (seeds/), enrich and alert locally until Ctrl-C
	$(BIN)/vigie run

test: install ## unit, integration and fault tests against a real local Kafka
	$(BIN)/pytest $(PYTEST_ARGS)

test-deploy: install ## docker-compose.yml run for real with podman: images, health, an alert, Prometheus, scaling
	bash deploy/podman/install.sh $(COMPOSE_VENV)
	VIGIE_PODMAN_COMPOSE=$(COMPOSE_VENV)/bin/podman-compose $(BIN)/pytest -m deploy -s -p no:cacheprovider tests/deploy/test_stack.py $(PYTEST_ARGS)

test-unit: $(STAMP) ## the unit tests only (no broker)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-repeat: install ## every test that starts faust workers N times (fresh broker each), then N times beside a CPU hog
	$(BIN)/python -m tests.repeat $(N)

lint: $(STAMP) ## ruff, and the JSON Schema files up to date
	$(BIN)/ruff check services shared tests
	$(BIN)/vigie schema

bench: install ## throughput and latency figures, as ratios against baselines of the same run
	$(BIN)/python -m tests.bench.run

soak: install ## a million articles through dedup and publish-once: memory, state and take-over
	$(BIN)/python -m tests.soak

schema: $(STAMP) ## regenerate the JSON Schema files from the message definitions
	$(BIN)/vigie schema --write

env-example: $(STAMP) ## regenerate .env.example from the settings
	$(BIN)/python -m tests.deploy.catalog env > .env.example

metrics-doc: $(STAMP) ## print the table of every exported metric (docs/metrics.md)
	$(BIN)/python -m tests.deploy.catalog metrics

clean: ## stop the local broker and remove the venv and local state
	-$(BIN)/vigie broker stop 2>/dev/null
	rm -rf $(VENV) .vigie .pytest_cache .ruff_cache *.egg-info bench-results
