# secretgraph: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test typecheck bench clean browser lambda-zip

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo,test]'
	touch $(STAMP)

## Set up, start the embedded AWS (moto on 127.0.0.1), build the demo estate, scan it, write reports.
demo: $(STAMP)
	$(BIN)/secretgraph demo --out out/demo

## Headless Chromium (Debian package) for the HTML report tests.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); }

## Set up and run the whole test suite (unit, moto, end-to-end, browser) and the type check.
test: $(STAMP) browser
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 -q

typecheck: $(STAMP)
	$(BIN)/python -m mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## The Lambda deployment package (zip) of every deployment (single function and organization
## scale): the package and its dependencies, for the python3.11 runtime on this platform
## (build on Linux x86_64, or in the public.ecr.aws/lambda/python:3.11 image).
LAMBDA_DIR := build/lambda-package
LAMBDA_ZIP := build/secretgraph-lambda.zip
lambda-zip: $(STAMP)
	rm -rf $(LAMBDA_DIR) $(LAMBDA_ZIP)
	$(BIN)/python -m pip install --quiet --no-compile --target $(LAMBDA_DIR) .
	rm -rf $(LAMBDA_DIR)/bin
	$(BIN)/python -c "import shutil; shutil.make_archive('$(basename $(LAMBDA_ZIP))', 'zip', '$(LAMBDA_DIR)')"
	@echo "$(LAMBDA_ZIP)"

clean:
	rm -rf $(VENV) out build *.egg-info
