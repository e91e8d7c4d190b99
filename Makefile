# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
SHELL := /bin/bash
PY ?= $(shell for p in python3.12 python3.13 /root/.pyenv/versions/3.12*/bin/python3.12 /root/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.13; do \
        if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
DEMO_PATIENTS ?= 60
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := speciosa.settings

.PHONY: venv demo test test-sqlite test-postgres lint format bench browsers clean

$(BIN)/.installed: pyproject.toml requirements.lock
	@test -n "$(PY)" || { echo "Python 3.12+ is required (python3.12 not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv pip install -q -r requirements.lock
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv pip install -q --no-deps -e .
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/speciosa migrate
	$(BIN)/speciosa demo-data --patients $(DEMO_PATIENTS) --seed 7 --if-empty
	$(BIN)/speciosa serve --port $(PORT)

# Browser tests need Debian's chromium (no browser download at run time).
browsers:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; \
	  else sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; fi; }

test: venv browsers
	$(BIN)/python -m pytest -n 2 -q
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "== PostgreSQL at 127.0.0.1:5432 =="; \
	  DATABASE_URL=$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/speciosa} $(BIN)/python -m pytest -n 2 -q -m "not browser"; \
	else echo "PostgreSQL not reachable at 127.0.0.1:5432: skipped the PostgreSQL run"; fi

test-sqlite: venv
	$(BIN)/python -m pytest -q

test-postgres: venv
	DATABASE_URL=$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/speciosa} $(BIN)/python -m pytest -q -m "not browser"

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: venv
	$(BIN)/speciosa bench

clean:
	rm -rf $(VENV) build *.egg-info
