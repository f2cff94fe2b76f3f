# The two commands: `make run` and `make test`. Nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
export FLASK_APP := wsgi

.PHONY: install install-runtime run test lint check-migrations clean job shell user demo env-size

# Serving needs only the runtime requirements; tests and lint add the test and dev extras on top.
$(RUNTIME_STAMP): setup.cfg pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e .
	@touch $(RUNTIME_STAMP)

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(PIP_INSTALL) -e '.[test,dev]'
	@touch $(DEV_STAMP)

install-runtime: $(RUNTIME_STAMP)

install: $(DEV_STAMP)

run: install-runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask groupbuy demo-data
	@echo ""
	@echo "  API          http://$(HOST):$(PORT)/api/v1/"
	@echo "  API docs     http://$(HOST):$(PORT)/api/docs"
	@echo "  Workbench    http://$(HOST):$(PORT)/workbench/  (demo leader 13800001000, password Demo12345)"
	@echo "  CS console   http://$(HOST):$(PORT)/console/  (demo CS 13800000002, password Demo12345)"
	@echo "  OpenAPI      http://$(HOST):$(PORT)/api/openapi.json"
	@echo "  Health       http://$(HOST):$(PORT)/healthz   Metrics http://$(HOST):$(PORT)/metrics"
	@echo "  Scheduler    runs in the background (jobs: GET /api/v1/admin/jobs); stops with the API"
	@echo "  Operator     make job NAME=close_due_groups | make shell | make user ROLE=cs PHONE=... | make demo"
	@echo ""
	@$(BIN)/flask groupbuy scheduler & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null; trap - EXIT' INT TERM EXIT; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 4 --worker-class gthread \
		--no-control-socket --access-logfile - wsgi:app

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check-migrations: install
	@db=$$(mktemp -d)/check.db; \
	GROUPBUY_DATABASE_URL=sqlite:///$$db $(BIN)/flask db upgrade >/dev/null 2>&1 && \
	GROUPBUY_DATABASE_URL=sqlite:///$$db $(BIN)/flask db check

# Operator commands, without the virtualenv on PATH (they run .venv/bin/flask).
job: install-runtime
	@test -n "$(NAME)" || { echo "usage: make job NAME=close_due_groups [NOW=2026-11-22T20:00:00+08:00]"; exit 2; }
	$(BIN)/flask groupbuy run-job $(NAME) $(if $(NOW),--now $(NOW))

shell: install-runtime
	$(BIN)/flask shell

user: install-runtime
	@test -n "$(PHONE)$(EMAIL)" || { echo "usage: make user ROLE=cs PHONE=13800000009 [EMAIL=...] (asks for the password)"; exit 2; }
	$(BIN)/flask groupbuy create-user --role $(or $(ROLE),shopper) $(if $(PHONE),--phone $(PHONE)) \
		$(if $(EMAIL),--email $(EMAIL)) $(if $(NICKNAME),--nickname $(NICKNAME))

demo: install-runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask groupbuy demo-data $(if $(NOW),--now $(NOW))

# Size of the environment `make run` builds (a runtime-only venv in a temporary directory).
env-size:
	@tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp/venv && \
	$$tmp/venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt . && \
	du -sh $$tmp/venv && rm -rf $$tmp

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
