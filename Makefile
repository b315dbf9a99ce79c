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

.PHONY: help venv browser data notebooks run params scoreboard figures reproduce test unit nbval lab site profile lookup atlas rank compare impact clean-cache prune-cache bench
# Notebooks (make notebooks / reproduce / bench) and pytest workers (make test) run JOBS at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

help:
	@echo "make reproduce  - install, build the data cache, execute every notebook, export figures, write the scoreboard"
	@echo "make test       - unit tests and nbval regression tests of every notebook"
	@echo "make run NB=01 WINDOW=2010-2019 LEVEL=dep - a what-if run into runs/ (committed outputs untouched)"
	@echo "make params NB=01 - the parameters a what-if run of that notebook may change, with their defaults"
	@echo "make data | notebooks | scoreboard | figures | site | lab | bench | profile TI=ti-8416 | lookup Q=Issoire"
	@echo "make atlas | rank LEVEL=ti2023 FIGURE=industry_jobs_growth_pct | compare TI=ti-3208,ti-3210 WAVE=2018"
	@echo "make impact JOBS=300 SECTOR=CL TI=ti-5214 - local sheltered jobs that may follow announced jobs"
	@echo "  (every target calls the recalcul command line: .venv/bin/recalcul --help)"
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
	$(BIN)/recalcul data

notebooks: data
	$(BIN)/recalcul run -j $(JOBS) $(NB)

# What-if run of one notebook with other parameters, into runs/<notebook>-<parameters>/ (git-ignored; the
# working tree, results/ and figures/ are left as they were): make run NB=01 WINDOW=2010-2019 LEVEL=dep.
# Every variable given on the command line (except NB and the Makefile's own: JOBS, PYTHON, VENV...) is passed as a notebook
# parameter; a name the notebook's parameters cell does not have, or a bad value, is refused in one line.
RUN_EXCLUDED := NB JOBS PYTHON PYTEST_ARGS VENV BIN STAMP SHELL
run: venv
	@test -n "$(NB)" || { echo "error: make run needs NB=, e.g. make run NB=01 WINDOW=2010-2019 LEVEL=dep" >&2; exit 2; }
	@$(BIN)/recalcul whatif "$(NB)" $(strip $(foreach v,$(sort $(filter-out $(RUN_EXCLUDED),$(.VARIABLES))),$(if $(filter command line,$(origin $(v))),--set "$(v)=$($(v))")))

# The parameters a what-if run of notebook NB may change: their defaults and what they mean.
params: venv
	@test -n "$(NB)" || { echo "error: make params needs NB=, e.g. make params NB=01" >&2; exit 2; }
	@$(BIN)/recalcul whatif "$(NB)" --list

scoreboard: venv
	$(BIN)/recalcul scoreboard

# Notebooks run on the warm cache (each in seconds): their figure cells re-export every figure;
# the scoreboard is rebuilt too since the notebooks re-record their claims.
figures: notebooks
	$(BIN)/recalcul scoreboard
	$(BIN)/recalcul figures

# One recipe, in order: data cache, notebooks, scoreboard, figures README (safe under make -j).
reproduce: venv
	$(BIN)/recalcul data
	$(BIN)/recalcul run -j $(JOBS)
	$(BIN)/recalcul scoreboard
	$(BIN)/recalcul figures

# Tests never write into the working tree: results go to a temporary folder, the notebooks' figures (SVG, French)
# to <data cache>/test-figures, kept from one run to the next like every other export: a figure whose drawing,
# code and inputs did not change is not rendered again (analysis.report.figures.save_figure; nbval compares no image).
# pytest-xdist runs JOBS workers; --dist loadscope keeps each notebook's cells (and each test
# module) on one worker, in order; --no-loadscope-reorder hands the modules out in the order of
# tests/conftest.py (slowest first) instead of by their number of tests. Notebook figures are exported as SVG only under test (nbval
# compares printed numbers; tests/test_figures.py covers the PDF and PNG exports).
test: venv browser
	@tmp=$$(mktemp -d); \
	figs=$$($(BIN)/python -c 'from analysis.data.registry import cache_dir; print(cache_dir() / "test-figures")') || exit 2; \
	ANALYSIS_RESULTS_DIR=$$tmp/results ANALYSIS_FIGURES_DIR=$$figs ANALYSIS_FIG_FORMATS=svg ANALYSIS_FIG_LANGUAGES=fr \
	ANALYSIS_OFFICIAL=offline \
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider \
	  $$( [ "$(JOBS)" -gt 1 ] && echo "-n $(JOBS) --dist loadscope --no-loadscope-reorder" ) $(PYTEST_ARGS); \
	status=$$?; rm -rf $$tmp; exit $$status

# Key figures of every territory (TIs of both waves, EPCIs, zones d'emploi 2020, départements, régions) into atlas/.
# Key figures of every territory into atlas/; LEVELS=ti,dep rebuilds some levels and keeps the others
atlas: venv
	$(BIN)/recalcul atlas $(if $(LEVELS),--levels "$(LEVELS)")

# Territories ranked by a key figure, with their caveats: make rank LEVEL=ti2023 FIGURE=industry_jobs_growth_pct [N=10] [MAP=1]
# (LEVEL=ti WAVE=2018 is LEVEL=ti2018)
rank: venv
	@$(BIN)/recalcul rank --level "$(LEVEL)" --figure "$(FIGURE)" $(if $(WAVE),--wave "$(WAVE)") $(if $(N),--n "$(N)") $(if $(MAP),--map)

# 2 to 6 territories side by side (levels may be mixed) into runs/compare-<slug>/:
# make compare TI=ti-3208,ti-3210 WAVE=2018 | make compare EPCI=244400644 ZE=5219
compare: venv
	@$(BIN)/recalcul compare $(if $(TI),--ti "$(TI)") $(if $(WAVE),--wave "$(WAVE)") $(if $(EPCI),--epci "$(EPCI)") \
	  $(if $(ZE),--ze "$(ZE)") $(if $(DEP),--dep "$(DEP)") $(if $(REG),--reg "$(REG)") $(if $(COMMUNE),--commune "$(COMMUNE)")

# Local sheltered jobs that may follow an announcement: make impact JOBS=300 SECTOR=CL TI=ti-5214 (or EPCI=, ZE=, DEP=;
# JOBS here is the number of announced jobs and must be given on the command line)
impact: venv
	@$(BIN)/recalcul impact --jobs "$(if $(filter command line,$(origin JOBS)),$(JOBS))" --sector "$(SECTOR)" \
	  $(if $(TI),--ti "$(TI)") $(if $(WAVE),--wave "$(WAVE)") $(if $(EPCI),--epci "$(EPCI)") $(if $(ZE),--ze "$(ZE)") \
	  $(if $(DEP),--dep "$(DEP)") $(if $(REG),--reg "$(REG)") $(if $(COMMUNE),--commune "$(COMMUNE)")

# Find a territory's codes by name: make lookup Q=Saint-Nazaire
lookup: venv
	@$(BIN)/recalcul lookup $(Q)

lab: venv
	$(BIN)/recalcul lab

site: venv
	$(BIN)/recalcul site

# Per-notebook and whole-run wall time and peak memory (executes into a temporary folder), then the
# DuckDB aggregation of a synthetic national-size commune x APE file (timing only).
bench: venv
	$(BIN)/recalcul bench -j $(JOBS) $(NB)
	$(BIN)/recalcul bench --atlas
	$(BIN)/recalcul bench-official

# One territory: TI=ti-0401 | TI=ti-5209 WAVE=2018 | EPCI=244400644 | ZE=5219 | DEP=63 | REG=84 | COMMUNE=63113
# (checked before any work by analysis.geo.request, which imports no plotting code: a refused request fails in about a second).
profile: venv
	@$(BIN)/recalcul profile $(if $(TI),--ti "$(TI)") $(if $(WAVE),--wave "$(WAVE)") $(if $(EPCI),--epci "$(EPCI)") \
	  $(if $(ZE),--ze "$(ZE)") $(if $(DEP),--dep "$(DEP)") $(if $(REG),--reg "$(REG)") $(if $(COMMUNE),--commune "$(COMMUNE)")

# Remove the whole data cache (verified raw files and parsed tables); the next run rebuilds it.
clean-cache: venv
	$(BIN)/recalcul clean-cache

# Keep the cache but remove tables of earlier parser/data versions and leftovers of killed builds.
prune-cache: venv
	$(BIN)/recalcul prune-cache

# Official national files, for users with internet (README, "Official national sources"): the sources of
# data/official_sources.csv go to <cache>/official/<key>/ with a lock file (SHA-256, size, date, URL). A later run
# reuses the verified copy and warns if upstream changed; FORCE=1 downloads again; RECHECK=1 compares SHA-256s with
# a fresh download when the server gives no ETag / Last-Modified / size.
.PHONY: official bench-official
official: venv
	$(BIN)/recalcul official $(if $(FORCE),--force) $(if $(RECHECK),--recheck)

# Time and peak memory of the DuckDB aggregation (ZE2020, EPCI, département x A38, every year) on a synthetic
# file of national size (written once into <cache>/official/bench/; timing only, never results).
bench-official: venv
	$(BIN)/recalcul bench-official $(if $(SCALE),--scale $(SCALE))
