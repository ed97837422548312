# Yizhan: `make run` serves the demo, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/stations.gpkg
DEMO   := stations/data/demo_stations.csv
HOST   ?= 127.0.0.1
PORT   ?= 8000
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# The routing engine (Valhalla, PyPI pyvalhalla) needs Python >= 3.12; Yizhan runs on 3.11 and
# calls the engine's tools and HTTP service from an environment of their own (geo/valhalla.py).
PYTHON312 ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12) $(wildcard /usr/local/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
ROUTING_VENV := .venv-routing
PYVALHALLA := pyvalhalla==3.9.1
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: routing run test lint bench bench-national bench-http bench-batch bench-field-truth bench-rider-page bench-ride-time bench-ogc bench-osm bench-serving bench-all profile-nearest venv clean chromium postgres

# The set-up steps say what they do in one line each instead of echoing their commands
# (`make run` is the first thing a new user reads); pip stays quiet unless something is wrong.
$(BIN)/python:
	@echo "Creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per install flavour, so editing pyproject.toml reinstalls.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing Yizhan and its dependencies into $(VENV) (the first time takes a minute)"
	@$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "Installing Yizhan with its test tools into $(VENV)"
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

$(DB): | $(VENV)/.installed
	@mkdir -p $(dir $(DB))
	@echo "Loading the demo stations (invented, named 示例) into $(DB)"
	@$(BIN)/yizhan import $(DEMO) --db $(DB)

# `yizhan serve` prints where it serves and its limits itself.
run: $(VENV)/.installed $(DB)
	@echo "Riders: open http://$(HOST):$(PORT)/ (a phone-sized window is fine); API docs: /docs"
	@echo "Try: curl 'http://$(HOST):$(PORT)/v1/stations/nearest?lat=34.2610&lon=108.9423&amenities=microwave&open_now=true'"
	@$(BIN)/yizhan serve --db $(DB) --host $(HOST) --port $(PORT)

# The map's browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
# CI runs as root on a fresh Debian 12 machine: install it there when it is missing.
$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# A Chinese font (and emoji), so the browser tests and the screenshots in docs/ render text.
$(CJK_FONT):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei fonts-noto-color-emoji

chromium: $(CHROMIUM) $(CJK_FONT)

$(ROUTING_VENV)/.installed:
	@test -n "$(PYTHON312)" || { echo "make routing: no Python 3.12 found (set PYTHON312=/path/to/python3.12)"; exit 1; }
	@echo "Setting up the routing engine ($(PYVALHALLA), Python 3.12) in $(ROUTING_VENV) ..."
	@$(PYTHON312) -m venv $(ROUTING_VENV)
	@$(ROUTING_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(PYVALHALLA)"
	@touch $@

routing: $(ROUTING_VENV)/.installed

# The PostGIS store's tests start their own server from Debian's PostgreSQL + PostGIS binaries.
postgres:
	bash tools/ensure_postgres.sh

test: $(VENV)/.installed-test $(CHROMIUM) $(CJK_FONT) postgres $(ROUTING_VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check geo stations api
	$(BIN)/mypy

# Benchmarks print figures and say whether each target is met (never part of `make test`).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/nearest.py

bench-national: $(VENV)/.installed-test postgres
	$(BIN)/python bench/national.py

bench-http: $(VENV)/.installed-test
	$(BIN)/python bench/http_load.py

bench-batch: $(VENV)/.installed-test
	$(BIN)/python bench/batch.py

bench-field-truth: $(VENV)/.installed-test postgres
	$(BIN)/python bench/field_truth.py

bench-rider-page: $(VENV)/.installed-test $(CHROMIUM)
	$(BIN)/python bench/rider_page.py

bench-ride-time: $(VENV)/.installed-test $(ROUTING_VENV)/.installed
	$(BIN)/python bench/ride_time.py

bench-ogc: $(VENV)/.installed-test
	$(BIN)/python bench/ogc_paging.py

bench-osm: $(VENV)/.installed-test
	$(BIN)/python bench/osm_import.py

bench-serving: $(VENV)/.installed-test
	$(BIN)/python bench/serving.py

profile-nearest: $(VENV)/.installed-test
	$(BIN)/python bench/profile_nearest.py

bench-all: bench bench-national bench-http bench-batch bench-field-truth bench-rider-page bench-ride-time bench-ogc bench-osm bench-serving

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
