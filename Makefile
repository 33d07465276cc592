# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Each step leaves a stamp file, so a second run with nothing changed takes a second.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8501

.PHONY: run test lint format clean chromium postgresql font

run: $(VENV)/.runtime  ## create the venv, install, start the app
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev chromium postgresql  ## same set-up plus test tools, Chromium and PostgreSQL, then the whole suite
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: $(VENV)/.dev
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt constraints.txt | $(VENV)/bin/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium:  ## install Debian's Chromium when missing (needs root)
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and this is not root: browser tests will be skipped (run as root or apt-get install chromium)"; fi

# Workspace tests run on SQLite and on a real PostgreSQL server, which the tests start and stop themselves.
postgresql:  ## install Debian's PostgreSQL when missing (needs root); the app itself never needs it
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's postgresql for the workspace tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL is missing and this is not root: its tests will be skipped (run as root or apt-get install postgresql)"; fi

# The Japanese font the app ships (committed): Debian's Noto Sans CJK, cut down by tools/subset_japanese_font.py.
font: $(VENV)/.dev  ## remake static/fonts from Debian's fonts-noto-cjk (downloads the package, ~57 MB)
	@tmp=$$(mktemp -d) && cd $$tmp && apt-get download -qq fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb pkg && \
	cd $(CURDIR) && $(PY) tools/subset_japanese_font.py $$tmp/pkg/usr/share/fonts/opentype/noto \
		--debian-copyright $$tmp/pkg/usr/share/doc/fonts-noto-cjk/copyright && rm -rf $$tmp

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
