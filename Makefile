# gridboard — `make run` serves the dashboard on demo data; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCALE  ?= street
SEED   ?= 1
DATA   ?= data/demo-$(SCALE).gpkg
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: run test bench lint format demo chromium screenshot clean

run: $(VENV)/.installed $(DATA)
	$(BIN)/gridboard serve --data $(DATA) --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# The README's screenshot; Chinese glyphs need a CJK font (Debian's fonts-noto-cjk).
screenshot: $(VENV)/.installed-dev chromium
	@if ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk; \
	  else \
	    echo "Chinese text needs a CJK font: run 'sudo apt-get install fonts-noto-cjk'"; exit 1; \
	  fi; \
	fi
	$(BIN)/python -m bench.screenshot assets/screenshots/map.png

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(VENV)/.installed
	@mkdir -p $(dir $(DATA))
	$(BIN)/gridboard demo --scale $(SCALE) --seed $(SEED) --out $(DATA)

$(DATA): | $(VENV)/.installed
	@mkdir -p $(dir $(DATA))
	$(BIN)/gridboard demo --scale $(SCALE) --seed $(SEED) --out $(DATA)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "gridboard needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work here.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "browser tests need Debian's chromium: run 'sudo apt-get install chromium'"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache tests/output bench/out
