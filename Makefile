# The README's commands. Everything installs itself into .venv on first use.
# The first of these that runs and is 3.11 or newer (a version manager may offer a shim for one that is
# not installed).
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian tools that two checks drive: compose-file validation and the benchmark harness.
DEBIAN_TOOLS := docker-compose wrk

# The OpenAPI linters and the TypeScript client generator (tests/clients), pinned by their lock file.
NODE_TOOLS := tools/contract
NODE_STAMP := $(NODE_TOOLS)/node_modules/.installed

.PHONY: install tools contract-tools run test lint openapi bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "CityOps needs Python 3.11 or newer (python3.11 … python3.13 on the PATH)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CityOps needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/cityops run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services gateway cli bench
	$(BIN)/lint-imports
	$(BIN)/python scripts/house_rules.py

# Installs the missing tools where it can (root with apt-get, as in CI); elsewhere it names them.
tools:
	@missing=""; for tool in $(DEBIAN_TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing$$missing (Debian packages)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Missing$$missing: the tests that need them will fail. Install: sudo apt-get install$$missing"; \
	fi

contract-tools: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		echo "The contract checks (tests/clients) need Node.js 20.19 or newer with npm, and none is on the PATH: https://nodejs.org"; exit 1; }
	@node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)' || { \
		echo "The contract checks (tests/clients) need Node.js 20.19 or newer; this is $$(node --version)"; exit 1; }
	cd $(NODE_TOOLS) && npm ci --loglevel=error
	@touch $@

test: lint tools contract-tools
	$(BIN)/pytest

openapi: install
	$(BIN)/cityops openapi

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(NODE_TOOLS)/node_modules $(NODE_TOOLS)/build
