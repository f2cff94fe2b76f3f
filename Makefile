# The two commands: `make run` and `make test`. Nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
export FLASK_APP := wsgi

.PHONY: install run test lint check-migrations clean

$(STAMP): setup.cfg pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask groupbuy demo-data
	@echo ""
	@echo "  API          http://$(HOST):$(PORT)/api/v1/"
	@echo "  API docs     http://$(HOST):$(PORT)/api/docs"
	@echo "  OpenAPI      http://$(HOST):$(PORT)/api/openapi.json"
	@echo "  Health       http://$(HOST):$(PORT)/healthz   Metrics http://$(HOST):$(PORT)/metrics"
	@echo "  Scheduler    flask groupbuy scheduler runs in the background (jobs: GET /api/v1/admin/jobs); stops with the API"
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

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
