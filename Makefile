# The README's two commands: `make reproduce` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Same matplotlib backend when recording and testing: the kernel's inline backend.
unexport MPLBACKEND
export PYTHONHASHSEED := 0

.PHONY: help venv data notebooks scoreboard figures reproduce test unit nbval lab site profile clean-cache bench
# Notebooks (make notebooks / reproduce / bench) and pytest workers (make test) run JOBS at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

help:
	@echo "make reproduce  - install, build the data cache, execute every notebook, export figures, write the scoreboard"
	@echo "make test       - unit tests and nbval regression tests of every notebook"
	@echo "make data | notebooks | scoreboard | figures | site | lab | bench | profile TI=ti-8416"
	@echo "  (notebooks and tests run JOBS=$(JOBS) at a time: make test JOBS=1 for a sequential run)"

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 on PATH (set PYTHON=/path/to/python3.11)"; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: $(VENV) uses Python %d.%d; 3.11 or newer is needed: rm -rf $(VENV) and set PYTHON=python3.11" % sys.version_info[:2])'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $(STAMP)

venv: $(STAMP)

data: venv
	$(BIN)/python -m analysis.build_cache

notebooks: data
	$(BIN)/python -m analysis.run_notebooks -j $(JOBS) $(NB)

scoreboard: venv
	$(BIN)/python -m analysis.claims

# Notebooks run on the warm cache (each in seconds): their figure cells re-export every figure;
# the scoreboard is rebuilt too since the notebooks re-record their claims.
figures: notebooks
	$(BIN)/python -m analysis.claims
	$(BIN)/python -m analysis.figures

# One recipe, in order: data cache, notebooks, scoreboard, figures README (safe under make -j).
reproduce: venv
	$(BIN)/python -m analysis.build_cache
	$(BIN)/python -m analysis.run_notebooks -j $(JOBS)
	$(BIN)/python -m analysis.claims
	$(BIN)/python -m analysis.figures

# Tests never write into the working tree: results and figures go to a temporary folder.
# pytest-xdist runs JOBS workers; --dist loadscope keeps each notebook's cells (and each test
# module) on one worker, in order. Notebook figures are exported as SVG only under test (nbval
# compares printed numbers; tests/test_figures.py covers the PDF and PNG exports).
test: venv
	@tmp=$$(mktemp -d); \
	ANALYSIS_RESULTS_DIR=$$tmp/results ANALYSIS_FIGURES_DIR=$$tmp/figures ANALYSIS_FIG_FORMATS=svg \
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider \
	  $$( [ "$(JOBS)" -gt 1 ] && echo "-n $(JOBS) --dist loadscope" ) $(PYTEST_ARGS); \
	status=$$?; rm -rf $$tmp; exit $$status

lab: venv
	$(BIN)/jupyter lab notebooks/

site: venv
	$(BIN)/python -m analysis.site

# Per-notebook and whole-run wall time and peak memory (executes into a temporary folder).
bench: venv
	$(BIN)/python -m analysis.bench -j $(JOBS) $(NB)

profile: venv
	@test -n "$(TI)" || (echo "usage: make profile TI=<territory id, e.g. ti-8416>"; exit 2)
	$(BIN)/python -m analysis.profile $(TI)

clean-cache: venv
	$(BIN)/python -c "import shutil, analysis.registry as r; shutil.rmtree(r.cache_dir(), ignore_errors=True); print('removed', r.cache_dir())"
