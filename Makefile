# The daily commands. README and .ci/run call these targets.
#   make run    set everything up, then serve the app (and its local model) on :8000
#   make test   set everything up, then lint and run the whole suite twice:
#               on SQLite + in-memory layer, then on PostgreSQL + Redis
#   make test-fast  the edit-test loop: the suite without the slow parts, in under a minute
#   make typecheck  mypy on the app package
#   make bench  the streaming benchmark (README, Performance): a table and bench-results.json
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/playground
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: help install run test test-fast test-defaults test-scaleout lint format typecheck \
	migrations-check bench bench-smoke

help:
	@echo "make run    set up and serve the playground on http://127.0.0.1:8000"
	@echo "make test   set up, lint and run every test (SQLite, then PostgreSQL + Redis)"
	@echo "make test-fast  the quick tests only, on SQLite, for the edit-test loop"
	@echo "make lint   ruff, djade, import-linter and mypy"
	@echo "make typecheck  mypy with django-stubs on playground/"
	@echo "make bench  measure what the playground adds to streaming (about 5 minutes)"

# llama.cpp (in llama-cpp-python) is compiled for x86-64 with AVX2, not with -march=native:
# a native build also uses what the CPU lists but a sandbox may refuse (AMX tiles: SIGILL
# at the first token, seen here). Built without pip's cache, so that a wheel cached from a
# native build is never reused. Its version is the one pyproject.toml asks for.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF
LLAMA_REQUIREMENT = $$($(PY) -c 'import tomllib; print(next(r for r in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["local"] if r.startswith("llama-cpp-python")))')

$(STAMP): pyproject.toml
	@python_bin=$$(bin/find-python) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python_bin"; "$$python_bin" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir "$(LLAMA_REQUIREMENT)"
	$(PY) -m pip install --quiet -e ".[dev,local]"
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium drives the browser tests; Playwright may not download its own here.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djade --check $$(find templates -name '*.html')
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy playground

# mypy with django-stubs on the app package ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(VENV)/bin/mypy playground

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djade $$(find templates -name '*.html')

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

test-defaults: $(STAMP) /usr/bin/chromium
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest $(PYTEST_ARGS)

test-scaleout: $(STAMP) /usr/bin/chromium
	DATABASE_URL=$(PG_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

test: lint migrations-check test-defaults test-scaleout

# SQLite and the in-memory layer; no browser, no local model, no fault tests, nothing that
# starts a server or another program (marked `subprocess`), a tenth of the fuzz examples,
# on pytest-xdist's workers. `make test` runs all of it. PYTEST_ARGS picks tests, e.g.
# PYTEST_ARGS=tests/runs.
test-fast: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -n auto --hypothesis-profile=fast \
	  -m "not browser and not localmodel and not subprocess" --ignore=tests/faults $(PYTEST_ARGS)

run: $(STAMP)
	$(PY) manage.py serve --host 127.0.0.1 --port 8000

# Needs the local PostgreSQL (figure 7) and Redis (figure 5), as test-scaleout does.
bench: $(STAMP)
	$(PY) -m bench --postgres-url $(PG_URL)

bench-smoke: $(STAMP)
	$(PY) -m bench --smoke --postgres-url $(PG_URL) --json bench-results-smoke.json
