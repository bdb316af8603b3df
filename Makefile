# newsmon: every target sets itself up; `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= newsmon.toml
DB     ?= data/newsmon.db
PORT   ?= 8001
HOST   ?= 127.0.0.1

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: install run test test-fast browser lint serve bench demo server deploy worker clean

install: $(STAMP)

# Reinstall whenever the lock or the project metadata changes.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $(STAMP)

run: install
	$(BIN)/newsmon run --config $(CONFIG)

test: install browser
	$(BIN)/python -m pytest

# The browser test drives Debian's Chromium; install it when we can (root with apt-get),
# otherwise that test skips with a message saying so.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: the browser test will be skipped"; \
	fi

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

serve: install
	$(BIN)/newsmon serve-db --db $(DB) --host $(HOST) --port $(PORT)

bench: install
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/dedup.py
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/desk.py

clean:
	rm -rf $(VENV) .prefect .pytest_cache

# --------------------------------------------------------------------------- scheduled runs
# A Prefect server, the deployments of deployments/prefect.yaml, and a worker that runs them.
# See docs/operations.md. PREFECT_API_URL is set for deploy/worker only, so that `make run`
# keeps running flows without a server.
PREFECT_PORT ?= 4200

server: install
	$(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT)

deploy worker: export PREFECT_API_URL ?= http://127.0.0.1:$(PREFECT_PORT)/api

# The schedule and time zone come from $(CONFIG) ([settings] schedule, timezone).
deploy: install
	$(BIN)/prefect work-pool inspect newsmon >/dev/null 2>&1 || \
		$(BIN)/prefect work-pool create newsmon --type process
	$(BIN)/python -m deployments.render --config $(CONFIG) -- \
		$(BIN)/prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml
	$(BIN)/python -m deployments.automations

worker: install
	$(BIN)/prefect worker start --pool newsmon --type process

# Offline demo: the replica of news sites on 127.0.0.1:8701-8706, one monitor run against it.
demo: install
	@mkdir -p data
	$(BIN)/python -m demo.replica --base-port 8701 --then \
		$(BIN)/newsmon run --config demo/newsmon.demo.toml --db data/demo.db
	@echo "Browse it: make serve DB=data/demo.db"
