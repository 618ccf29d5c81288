# One entry point per job. Every target installs what it needs, so a fresh clone works.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Port of `make run` (`make run PORT=8001`).
PORT ?= 8000

# pytest-xdist workers for the test targets: one per core (`make test WORKERS=0` runs in one process).
WORKERS ?= auto

.PHONY: run test test-fast lint typecheck lock clean system-packages

# Serve the web app and the API at http://127.0.0.1:$(PORT) (default 8000) with the demo study;
# prints the demo logins.
run: $(STAMP)
	$(BIN)/remission demo --database sqlite:///remission.sqlite
	$(BIN)/remission web --demo --database sqlite:///remission.sqlite --host 127.0.0.1 --port $(PORT)

# Everything CI checks: lint and import contracts, types, then every test tier.
test: lint typecheck system-packages
	$(BIN)/pytest -n $(WORKERS)

# The quick loop: every tier but PostgreSQL, the browser and live R (markers in pyproject.toml).
test-fast: $(STAMP)
	$(BIN)/pytest -n $(WORKERS) -m "not postgresql and not browser and not r_live and not dask"

# Debian packages the test tiers need: a real PostgreSQL server for the store and API suites;
# R with survival, cmprsk and jsonlite for the live R reference tier of the statistics suite;
# Debian's Chromium for the web app's browser tests (Playwright drives it; it downloads no browser);
# DejaVu Sans and NanumGothic (Hangul), the TrueType fonts the casebook PDF embeds.
system-packages:
	scripts/ensure-debian-packages '/usr/lib/postgresql/*/bin/pg_ctl' postgresql
	scripts/ensure-debian-packages '/usr/lib/R/site-library/cmprsk/DESCRIPTION' \
	  r-base-core r-cran-survival r-cran-cmprsk r-cran-jsonlite
	scripts/ensure-debian-packages '/usr/lib/R/site-library/jsonlite/DESCRIPTION' r-cran-jsonlite
	scripts/ensure-debian-packages /usr/bin/chromium chromium
	scripts/ensure-debian-packages /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf fonts-dejavu-core
	scripts/ensure-debian-packages /usr/share/fonts/truetype/nanum/NanumGothic.ttf fonts-nanum

# Style, formatting, and DESIGN.md's layer order ([tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

# mypy as configured in pyproject.toml: strict for the kernel, record, rules, protocols and stats.
typecheck: $(STAMP)
	$(BIN)/mypy

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the pinned dependency set after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build src/*.egg-info
