# spm_sim: the two commands of the README are `make demo` and `make test`.
# Every target sets up .venv first; the setup is redone only when pyproject.toml
# changes (the stamp file .venv/.installed is older than it) or .venv is missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TRIALS ?=
# extra JupyterLab options, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# the no-code app listens on 127.0.0.1:$(APP_PORT)
APP_PORT ?= 8866
# make test's processes (pytest-xdist): each takes whole test files, so a file's module
# fixtures are built once; TEST_WORKERS=0 runs the suite in this one process
TEST_WORKERS ?= 2

.PHONY: help setup demo test app lab bench clean data

help:
	@echo "make demo   set up .venv, run the sample scenarios, write reports/demo.html"
	@echo "make test   set up .venv, run every test (on 2 processes; TEST_WORKERS=0 for one)"
	@echo "make app    the no-code planner app (Voila) on http://127.0.0.1:$(APP_PORT)"
	@echo "make lab    JupyterLab on notebooks/"
	@echo "make bench  run every benchmark in benchmarks/"
	@echo "make data   regenerate data/sample/ (bit for bit) from data/make_sample.py"
	@echo "make clean  remove .venv, reports/ and caches"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "spm_sim needs Python 3.11 or newer; found %d.%d at %s. Install a newer Python or run make PYTHON=/path/to/python3.11" % (v[0], v[1], sys.executable))'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,dask]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/spm-sim demo --out reports $(if $(TRIALS),--trials $(TRIALS),)

test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

app: $(STAMP)
	@echo "The planner's workbench: open http://127.0.0.1:$(APP_PORT) (Ctrl-C stops it)"
	JUPYTER_PATH=share/jupyter $(VENV)/bin/voila notebooks/app.ipynb --template=spm-app --no-browser --port=$(APP_PORT) --Voila.ip=127.0.0.1 --show_tracebacks=False --MappingKernelManager.cull_interval=60 --MappingKernelManager.cull_idle_timeout=600 --MappingKernelManager.cull_connected=False

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

bench: $(STAMP)
	@set -e; for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b --quick; done

data: $(STAMP)
	$(PY) data/make_sample.py --out data/sample

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
