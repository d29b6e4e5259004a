# Every target sets itself up: a fresh machine needs only python3 (>= 3.11), node and npm.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PEER := tests/peer/medplum
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
# `make run` needs only the runtime lock: a first start installs far less than `make setup`.
RUN_STAMP := $(VENV)/.run-installed-$(shell cat requirements.lock | cksum | cut -d' ' -f1)
NODE_STAMP := $(PEER)/node_modules/.installed
CLIENTS := tests/clients
CLIENTS_STAMP := $(CLIENTS)/node_modules/.installed

.PHONY: setup redis chromium run test lint typecheck unit bench schema graphiql-assets clean

setup: $(STAMP)

$(STAMP): requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

# Runs from the checkout (python -m gateway finds ./gateway), so the package itself is not
# installed here; `make setup` adds the development tools to the same .venv.
$(RUN_STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	rm -f $(VENV)/.run-installed-*
	touch $@

$(NODE_STAMP): $(PEER)/package-lock.json
	cd $(PEER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CLIENTS_STAMP): $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The tests start a real redis-server (shared state across gateway processes); Debian's package
# is installed only when none is on PATH.
redis:
	@command -v redis-server >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; }

# The GraphiQL page test drives Debian's headless Chromium (puppeteer-core downloads no
# browser); installed only when missing.
chromium:
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

run: $(RUN_STAMP)
	$(PY) -m gateway serve

# GraphiQL's scripts are checked in under gateway/static/graphiql/vendor (see
# tools/graphiql/README.md): only updating them needs npm.
graphiql-assets:
	cd tools/graphiql && npm ci --no-audit --no-fund --loglevel=error && node vendor.mjs

lint: $(STAMP)
	$(PY) -m ruff check gateway tests bench
	$(PY) -m ruff format --check gateway tests bench

typecheck: $(STAMP)
	$(PY) -m mypy gateway tests bench

schema: $(STAMP)
	$(PY) -m gateway export-schema --output schema.graphql

test: $(STAMP) $(NODE_STAMP) $(CLIENTS_STAMP) redis chromium lint typecheck
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(STAMP) $(NODE_STAMP) redis
	$(PY) bench/medplum_compare.py
	$(PY) bench/gateway_bench.py
	$(PY) bench/store_scale.py
	$(PY) bench/subscriptions_bench.py
	$(PY) bench/fanout_latency.py

clean:
	rm -rf $(VENV) $(PEER)/node_modules $(CLIENTS)/node_modules .mypy_cache .pytest_cache .ruff_cache
