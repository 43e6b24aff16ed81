# Two commands for a new machine: `make run` and `make test`. Both build the venvs they need on first use.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
TOOLS := .tools-venv
APP_PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/layers/core:$(CURDIR)
export AWS_DEFAULT_REGION ?= cn-north-1
export SAM_CLI_TELEMETRY := 0
# Every process writes (and then reads) its bytecode, whatever the machine's PYTHONDONTWRITEBYTECODE:
# without it each process of a test run (the pytest workers, the three servers, the import probes)
# compiles botocore, moto, pydantic, pytest and ours from source again, seconds of CPU each.
unexport PYTHONDONTWRITEBYTECODE
NOW ?=
PORT ?= 3000

.PHONY: run test unit lint static sam-build deploy bench venv tools clean chromium clients i18n

# uv installs (~15 s on a new machine, against ~150 s for pip); pip is the fallback should uv fail
UV := $(VENV)/bin/uv
export UV_NATIVE_TLS := 1
define install
	$(UV) pip install -q -p $(1) -r $(2) || $(1) -m pip install -q -r $(2)
endef

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	@command -v $(PY) >/dev/null || { echo "need $(PY) on PATH"; exit 1; }
	$(PY) -m venv $(VENV)
	$(APP_PY) -m pip install -q uv==0.13.9
	$(call install,$(APP_PY),requirements-dev.txt)
	touch $@

$(TOOLS)/.stamp: requirements-tools.txt | $(VENV)/.stamp
	$(PY) -m venv $(TOOLS)
	$(call install,$(TOOLS)/bin/python,requirements-tools.txt)
	touch $@

venv: $(VENV)/.stamp
tools: $(TOOLS)/.stamp

## make i18n: the message catalogue (docs/i18n.md): new raised details into the .po files, what is missing listed
i18n: venv
	$(APP_PY) -m local.i18n

## make run [NOW=2026-09-14T09:00+08:00] [PORT=3000]: the whole system on http://127.0.0.1:$(PORT)
run: venv
	$(APP_PY) -m local $(if $(NOW),--now $(NOW)) --port $(PORT)

## make test: every test and the lint. The main suite first, on both cores (pytest -n 2); then, side
## by side, the lint and the three suites that drive a server of their own (black-box, schemathesis,
## browser): each mostly waits, on its server or on chromium (a third to a half of a core), so together
## they take about as long as the longest alone. Each one's output (its 15 slowest tests too) is printed
## whole when it ends (make -O); any failure fails the run. What waits on the network runs beside the
## main suite: Debian's chromium (on first use), the client test's npm packages and the SAM build.
SUITES := static blackbox schemathesis browser
test:
	@mkdir -p build && rm -f build/chromium.rc build/sam-build.rc && \
	  { $(MAKE) -s chromium > build/chromium.log 2>&1; echo $$? > build/chromium.rc; } &
	@rm -f build/clients.rc; { $(MAKE) -s clients > build/clients.log 2>&1; echo $$? > build/clients.rc; } &
	@$(MAKE) -s venv tools
	@{ $(MAKE) -s sam-build > build/sam-build.log 2>&1; echo $$? > build/sam-build.rc; } &
	$(APP_PY) -m pytest -n 2 -q --durations=15 tests --ignore=tests/blackbox --ignore=tests/browser
	@for job in clients sam-build chromium; do while [ ! -f build/$$job.rc ]; do sleep 1; done; \
	  [ "$$(cat build/$$job.rc)" = 0 ] || { cat build/$$job.log; echo "$$job failed"; exit 1; }; done
	@mkdir -p build/tmp && $(MAKE) -s --no-print-directory -j $(words $(SUITES)) -O $(addprefix suite-,$(SUITES))

# the suites of make test's second half; each pytest its own --basetemp (under build/tmp), as they run at once
.PHONY: $(addprefix suite-,$(SUITES))
suite-static: static
suite-blackbox:
	$(APP_PY) -m pytest -p no:cacheprovider -q --durations=15 --basetemp=build/tmp/blackbox tests/blackbox
suite-schemathesis:
	HALLBOOK_SCHEMATHESIS=1 $(APP_PY) -m pytest -p no:cacheprovider -q -s --durations=15 \
	  --basetemp=build/tmp/schemathesis --confcutdir tests/schemathesis tests/schemathesis
suite-browser:
	$(APP_PY) -m pytest -p no:cacheprovider -q --durations=15 --basetemp=build/tmp/browser tests/browser

## make clients: the generators of tests/blackbox/test_20_generated_clients.py (openapi-typescript,
## openapi-fetch, typescript from the npm registry, as tests/clients/ts/package-lock.json pins them)
clients:
	@command -v npm >/dev/null || { echo "no npm: the TypeScript client test skips"; exit 0; }; \
	  mkdir -p build/clients/ts && cp tests/clients/ts/package.json tests/clients/ts/package-lock.json build/clients/ts/ && \
	  cd build/clients/ts && { [ -f .lock-sha256 ] && [ "$$(cat .lock-sha256)" = "$$(sha256sum package-lock.json | cut -d' ' -f1)" ] && [ -d node_modules ] || \
	  { npm ci --no-audit --no-fund --loglevel=error && sha256sum package-lock.json | cut -d' ' -f1 > .lock-sha256; }; }

## make chromium: Debian's chromium (and CJK fonts for the screenshots) for tests/browser, on first use
chromium:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for tests/browser"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq --no-install-recommends \
	  chromium fonts-noto-cjk >/dev/null; }

unit: venv
	$(APP_PY) -m pytest -q tests/unit

## make lint: ruff (lint and format --check) and mypy (pyproject.toml), cfn-lint, sam validate --lint and a sam build of the template
lint: static sam-build

static: venv tools
	$(APP_PY) -m ruff check .
	$(APP_PY) -m ruff format --check .
	$(APP_PY) -m mypy
	$(TOOLS)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/sam validate --lint --region cn-north-1

## make sam-build: sam build of the template into build/sam, then the bytecode its functions import at a
## cold start (Lambda cannot write it; local/bytecode.py)
sam-build: tools venv
	$(TOOLS)/bin/sam build --template template.yaml --build-dir build/sam >/dev/null
	$(APP_PY) -m local.bytecode build/sam

## make deploy [CONFIG_ENV=prod]: sam-build, then sam deploy of that build (samconfig.toml's environments)
CONFIG_ENV ?= default
deploy: sam-build
	$(TOOLS)/bin/sam deploy --template-file build/sam/template.yaml --config-env $(CONFIG_ENV)

## make bench: the figures in bench/README.md
bench: venv
	$(APP_PY) -m bench

clean:
	rm -rf $(VENV) $(TOOLS) build .aws-sam
