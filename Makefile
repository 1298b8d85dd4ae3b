# Descent: the everyday commands. Start with `make book`, then `make test`.
#
#   make book       set up .venv from the lock (requirements.txt), then build the book (executing every chapter)
#   make test       the whole test suite, the full book build included
#   make lab        JupyterLab on the reader's edition of the chapters (in lab/)
#   make serve      serve the built site on http://127.0.0.1:8000/
#   make notebooks  strip outputs from the notebooks and write their install cell
#   make clean      remove the built site and its execution cache

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: book test lab serve notebooks benchmarks clean env

env: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml tools/jupyterlab-overrides.json tools/jupyter_server_config.py
	@$(PYTHON) tools/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# The lock: every package at the version the book is built and tested with (requirements.in).
	$(PY) -m pip install --quiet -r requirements.txt
	@# JupyterLab saves the explorers' state with the notebook, so a saved chapter reopens as it was.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@# Kernel websockets without Nagle's delay: a slider answers in half the time (see the file).
	mkdir -p $(VENV)/etc/jupyter
	cp tools/jupyter_server_config.py $(VENV)/etc/jupyter/jupyter_server_config.py
	@touch $@

book: env
	$(PY) tools/build_book.py

test: env
	$(PY) -m pytest

# The reader's edition (plain notebooks, numbers written in) is written by the build; it
# is rebuilt when a chapter, the package or the book's configuration changed.
EDITION := _build/readers/README.md
$(EDITION): $(VENV)/.installed _config.yml _toc.yml references.bib $(wildcard book/* _ext/*.py) \
            $(shell find src -type f -not -path '*/__pycache__/*')
	$(PY) tools/build_book.py

lab: $(EDITION)
	$(PY) tools/lab_notebooks.py _build/readers/book lab
	cd lab && ../$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -f _build/html/index.html || { echo "No built site in _build/html: run 'make book' first."; exit 1; }
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

notebooks: env
	$(PY) tools/notebooks.py fix

benchmarks: env
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf _build
