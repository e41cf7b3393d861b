# gridboard — `make run` serves the dashboard on demo data; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCALE  ?= street
SEED   ?= 1
DATA   ?= data/demo-$(SCALE).gpkg
HOST   ?= 127.0.0.1
PORT   ?= 8050

NODE_STAMP := node_modules/.installed
PLOTLY_MAP := node_modules/.gridboard/plotly-map.min.js
REDIS_PING := $(BIN)/python -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null

.PHONY: run test bench loadtest lint format demo chromium redis postgis node_modules screenshot clean

run: $(VENV)/.installed $(DATA)
	@if [ -f "$(DATA).accounts.txt" ]; then \
	  echo "demo accounts (login and password per role): $(DATA).accounts.txt"; \
	else \
	  echo "no demo accounts beside $(DATA): run 'make demo', or add one with '$(BIN)/gridboard user add'"; \
	fi
	@echo "log in at http://$(HOST):$(PORT)/login"
	$(BIN)/gridboard serve --data $(DATA) --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev chromium redis postgis
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: $(VENV)/.installed-dev postgis
	$(BIN)/python -m bench

# 200 users for 60 s against one server, then two sharing a PostGIS and a Redis (a worker
# killed, PostgreSQL restarted, Redis stopped and started meanwhile); loopback only; the
# report goes to bench/out/loadtest.md.
loadtest: $(VENV)/.installed-dev redis postgis
	$(BIN)/python -m bench.load

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
	$(BIN)/lint-imports

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

# Every target that runs our code goes through a venv stamp, so the venv stamps carry the
# npm step as an order-only prerequisite: installed when missing or out of date, and a
# changed lock file reinstalls Leaflet and plotly.js without reinstalling the venv.
$(VENV)/.installed: pyproject.toml | $(BIN)/python $(PLOTLY_MAP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python $(PLOTLY_MAP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed

# The offline route sheet inlines Leaflet from npm's `leaflet`, and the map's plotly.js is
# built from npm's `plotly.js` (both pinned in package-lock.json): installed and built here,
# not copied into the repository.
node_modules: $(NODE_STAMP) $(PLOTLY_MAP)

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	  else \
	    echo "the route sheet and the map need code from npm: run 'sudo apt-get install npm'"; exit 1; \
	  fi; \
	fi
	npm ci --no-audit --no-fund --loglevel=error
	@test -f node_modules/leaflet/dist/leaflet.js && test -f node_modules/leaflet/dist/leaflet.css
	@touch $@

# The map's plotly.js: its core and the traces the map draws (dashboard/bundle/plotly-map.js),
# with MapLibre's styles beside it (plotly-map.min.css); dashboard/plotlymap.py serves both.
$(PLOTLY_MAP): dashboard/bundle/plotly-map.js $(NODE_STAMP)
	node_modules/.bin/esbuild $< --bundle --minify --format=iife --global-name=Plotly \
	  --target=es2016 --define:global=window --define:define.amd=false \
	  --log-level=warning --outfile=$@
	@test -s $@ && test -s $(@:.js=.css)

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work here.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "browser tests need Debian's chromium: run 'sudo apt-get install chromium'"; exit 1; \
	  fi; \
	fi

# The tests' Redis: the machine's on 127.0.0.1:6379, else Debian's redis-server started here
# (no persistence); one test also starts and stops a Redis of its own, so the program is needed.
redis: $(VENV)/.installed-dev
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	  else \
	    echo "the tests need Redis: run 'sudo apt-get install redis-server'"; exit 1; \
	  fi; \
	fi
	@if ! $(REDIS_PING); then \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no; \
	  for i in $$(seq 50); do $(REDIS_PING) && break; sleep 0.2; done; \
	  $(REDIS_PING) || { echo "Redis did not start on 127.0.0.1:6379"; exit 1; }; \
	fi

# The tests' PostgreSQL 15 + PostGIS 3 (Debian's packages, installed when missing): they use
# the server GRIDBOARD_TEST_PG names, else 127.0.0.1:5432 if it offers PostGIS, else a
# throwaway cluster of their own (tests/pgserver.py).
postgis:
	@if [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      postgresql-15 postgresql-15-postgis-3; \
	  else \
	    echo "the tests need PostGIS: run 'sudo apt-get install postgresql-15-postgis-3'"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) node_modules data .pytest_cache .ruff_cache .import_linter_cache tests/output bench/out
