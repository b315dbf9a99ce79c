# The README's two commands: `make reproduce` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Same matplotlib backend when recording and testing: the kernel's inline backend.
unexport MPLBACKEND
export PYTHONHASHSEED := 0
# Bytecode caches (__pycache__, git-ignored) are written even where PYTHONDONTWRITEBYTECODE is set: without
# them every test process rewrote the tests' assertions and compiled the package again (collection 7 s -> 3.5 s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help venv browser data notebooks scoreboard figures reproduce test unit nbval lab site profile clean-cache prune-cache bench
# Notebooks (make notebooks / reproduce / bench) and pytest workers (make test) run JOBS at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

help:
	@echo "make reproduce  - install, build the data cache, execute every notebook, export figures, write the scoreboard"
	@echo "make test       - unit tests and nbval regression tests of every notebook"
	@echo "make data | notebooks | scoreboard | figures | site | lab | bench | profile TI=ti-8416"
	@echo "make browser (Chromium for the site test) | clean-cache | prune-cache | official | bench-official"
	@echo "  (notebooks and tests run JOBS=$(JOBS) at a time: make test JOBS=1 for a sequential run)"

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 on PATH (set PYTHON=/path/to/python3.11)"; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: $(VENV) uses Python %d.%d; 3.11 or newer is needed: rm -rf $(VENV) and set PYTHON=python3.11" % sys.version_info[:2])'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $(STAMP)

venv: $(STAMP)

# Headless Chromium for the site test: the Debian packages chromium and chromium-driver, installed
# with apt-get when missing (as root, or with sudo); otherwise the error names the packages.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then exit 0; fi; \
	pkgs="chromium chromium-driver"; \
	if command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo=none; fi; \
	  if [ "$$sudo" != none ]; then \
	    echo "installing the Debian packages $$pkgs (headless browser of the site test)"; \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$pkgs >/dev/null \
	      && command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0; \
	  fi; \
	fi; \
	echo "error: the site test needs headless Chromium: install the Debian packages $$pkgs (apt-get install $$pkgs), then run make test again" >&2; \
	exit 2

data: venv
	$(BIN)/python -m analysis.data.build_cache

notebooks: data
	$(BIN)/python -m analysis.run.notebooks -j $(JOBS) $(NB)

scoreboard: venv
	$(BIN)/python -m analysis.report.claims

# Notebooks run on the warm cache (each in seconds): their figure cells re-export every figure;
# the scoreboard is rebuilt too since the notebooks re-record their claims.
figures: notebooks
	$(BIN)/python -m analysis.report.claims
	$(BIN)/python -m analysis.report.figures

# One recipe, in order: data cache, notebooks, scoreboard, figures README (safe under make -j).
reproduce: venv
	$(BIN)/python -m analysis.data.build_cache
	$(BIN)/python -m analysis.run.notebooks -j $(JOBS)
	$(BIN)/python -m analysis.report.claims
	$(BIN)/python -m analysis.report.figures

# Tests never write into the working tree: results and figures go to a temporary folder.
# pytest-xdist runs JOBS workers; --dist loadscope keeps each notebook's cells (and each test
# module) on one worker, in order; --no-loadscope-reorder hands the modules out in the order of
# tests/conftest.py (slowest first) instead of by their number of tests. Notebook figures are exported as SVG only under test (nbval
# compares printed numbers; tests/test_figures.py covers the PDF and PNG exports).
test: venv browser
	@tmp=$$(mktemp -d); \
	ANALYSIS_RESULTS_DIR=$$tmp/results ANALYSIS_FIGURES_DIR=$$tmp/figures ANALYSIS_FIG_FORMATS=svg ANALYSIS_OFFICIAL=offline \
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider \
	  $$( [ "$(JOBS)" -gt 1 ] && echo "-n $(JOBS) --dist loadscope --no-loadscope-reorder" ) $(PYTEST_ARGS); \
	status=$$?; rm -rf $$tmp; exit $$status

lab: venv
	$(BIN)/jupyter lab notebooks/

site: venv
	$(BIN)/python -m analysis.report.site

# Per-notebook and whole-run wall time and peak memory (executes into a temporary folder), then the
# DuckDB aggregation of a synthetic national-size commune x APE file (timing only).
bench: venv
	$(BIN)/python -m analysis.run.bench -j $(JOBS) $(NB)
	$(BIN)/python -m analysis.methods.official_aggregate bench

# One territory: TI=ti-0401 | TI=ti-5209 WAVE=2018 | EPCI=244400644 | ZE=5219 | DEP=63 (checked before any work,
# by a light module that imports no plotting code, so that a refused request fails in about a second).
profile: venv
	@$(BIN)/python -m analysis.report.profile_request $(if $(TI),--ti "$(TI)") $(if $(WAVE),--wave "$(WAVE)") \
	  $(if $(EPCI),--epci "$(EPCI)") $(if $(ZE),--ze "$(ZE)") $(if $(DEP),--dep "$(DEP)")

# Remove the whole data cache (verified raw files and parsed tables); the next run rebuilds it.
clean-cache: venv
	$(BIN)/python -c "import shutil, analysis.data.registry as r; shutil.rmtree(r.cache_dir(), ignore_errors=True); print('removed', r.cache_dir())"

# Keep the cache but remove tables of earlier parser/data versions and leftovers of killed builds.
prune-cache: venv
	$(BIN)/python -m analysis.data.build_cache --prune

# Official national files, for users with internet (README, "Official national sources"): the sources of
# data/official_sources.csv go to <cache>/official/<key>/ with a lock file (SHA-256, size, date, URL). A later run
# reuses the verified copy and warns if upstream changed; FORCE=1 downloads again; RECHECK=1 compares SHA-256s with
# a fresh download when the server gives no ETag / Last-Modified / size.
.PHONY: official bench-official
official: venv
	$(BIN)/python -m analysis.data.official $(if $(FORCE),--force) $(if $(RECHECK),--recheck)

# Time and peak memory of the DuckDB aggregation (ZE2020, EPCI, département x A38, every year) on a synthetic
# file of national size (written once into <cache>/official/bench/; timing only, never results).
bench-official: venv
	$(BIN)/python -m analysis.methods.official_aggregate bench $(if $(SCALE),--scale $(SCALE))
