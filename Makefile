# Everything installs into .venv from the pinned versions in uv.lock; nothing needs AWS or Docker.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PYTHON ?= python3
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install dev test lint unit handlers e2e infra-test bench load openapi synth layer deploy clean console console-check browser screenshots

install: $(VENV)/.installed web/node_modules/.installed chromium

# The web console's packages, exactly as web/package-lock.json pins them.
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests and the console bench (Playwright's own browser download
# cannot work here). CI runs as root; elsewhere install it once by hand if it is missing.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

$(VENV)/.installed: pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==0.13.8
	$(UV) sync --frozen --inexact --compile-bytecode --quiet
	# The shared layer and the repository root on the path, as Lambda's /opt/python and task root are.
	$(PY) -c 'import pathlib, sysconfig; root = pathlib.Path.cwd(); pathlib.Path(sysconfig.get_paths()["purelib"], "contactcenter.pth").write_text(f"{root}/layers/common/python\n{root}\n")'
	touch $@

PORT ?= 8787
dev: install console  ## start the local stack with demo data, the console at its root URL (make dev PORT=8788)
	$(PY) -m local --port $(PORT)

console: install  ## type-check against docs/openapi.json and build the web console into web/dist
	cd web && npm run --silent build

console-check: install  ## the console's type check and unit tests
	cd web && npm run --silent check && npm run --silent test

test: install lint console console-check  ## every test (the browser tests included), plus ruff and mypy
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/common/python functions infra local ops

unit: install
	$(PY) -m pytest -q tests/unit

bench: install  ## measure and write bench/results.json and docs/benchmarks.md
	$(PY) -m bench

load: install  ## bounded load run on the local stack; checks nothing was lost; figures into docs/benchmarks.md
	$(PY) -m bench.load

openapi: install  ## regenerate docs/openapi.json
	$(PY) -m local.openapi > docs/openapi.json

layer: install  ## build the dependencies layer for Lambda (arm64) into build/layer
	rm -rf build/layer && mkdir -p build/layer/python
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project | grep -v '^boto' > build/requirements.txt
	# Lambda's python3.13 runtime is Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels (pyarrow's) run there.
	$(VENV)/bin/pip install --quiet --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
		--implementation cp --python-version 3.13 \
		--only-binary=:all: -r build/requirements.txt -t build/layer/python
	# pyarrow's parts the Parquet writer never loads (Flight RPC, cloud file systems, C++ headers, its
	# tests): 156 MB -> about 100 MB of the 250 MB a function and its layers may unzip to.
	cd build/layer/python/pyarrow && rm -rf tests include libarrow_flight* libarrow_python_flight* _flight*.so \
		libarrow_s3* _s3fs*.so _gcsfs*.so _azurefs*.so _hdfs*.so
	du -sm build/layer/python build/layer/python/pyarrow

synth: layer console
	$(PY) -m infra.app

deploy: layer console  ## needs AWS credentials and the CDK CLI (npm install -g aws-cdk)
	cdk deploy --all
	# The console's files and config.json, from the stack's outputs (STAGE as deployed: -c stage=...).
	$(PY) -m ops.publish_console --stack ContactCenterPresence-$${STAGE:-dev}

browser: install console  ## the browser tests alone
	$(PY) -m pytest -q -p no:randomly tests/browser

screenshots: install console  ## the browser tests, writing the README's pictures into docs/screenshots
	CONSOLE_SCREENSHOTS=1 $(PY) -m pytest -q -p no:randomly tests/browser

clean:
	rm -rf $(VENV) cdk.out build .mypy_cache .ruff_cache web/node_modules web/dist
