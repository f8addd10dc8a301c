# make run: set up and serve the demo site on SQLite.   make test: set up and run every test.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

STATUS_WIDGET := @statuspage/status-widget@1.0.5
VNU_JAR := vnu-jar@26.9.27
AXE_CORE := axe-core@4.14.1

.PHONY: install catalogues run mail test test-sqlite test-postgres chromium clients bench clean

$(STAMP): pyproject.toml pinned-by-hash.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q --no-deps --require-hashes -r pinned-by-hash.txt
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

catalogues: $(STAMP)
	$(VENV)/bin/pybabel compile -d statuspage/translations >/dev/null

run: install catalogues
	$(VENV)/bin/statuspage init-db
	$(VENV)/bin/statuspage demo --if-empty
	@echo "Serving http://$(HOST):$(PORT)/ (console: http://$(HOST):$(PORT)/admin/) with the scheduler beside it"
	$(VENV)/bin/statuspage scheduler & scheduler=$$!; trap 'kill $$scheduler' EXIT INT TERM; \
	  STATUSPAGE_BIND=$(HOST):$(PORT) STATUSPAGE_ACCESS_LOG=- $(VENV)/bin/gunicorn -c gunicorn.conf.py

# A local mail catcher that prints every message it gets: run `make run` with STATUSPAGE_SMTP_PORT=1025.
mail: install
	$(PY) -m aiosmtpd -n -l 127.0.0.1:1025

chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
	  { echo "Browser tests need Debian's Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'."; exit 1; }

# Third-party clients and checkers the tests drive unchanged (from the npm registry; skipped with a note
# without npm): Atlassian's status widget, the W3C Nu HTML validator (vnu.jar, run with Java) and axe-core.
clients: .cache/clients/status-widget/dist/index.js .cache/clients/vnu-jar/.$(VNU_JAR) .cache/clients/axe-core/.$(AXE_CORE)

# $(call npm_fetch,package@version,folder,what is skipped without it): the package unpacked into
# .cache/clients/folder, with a stamp naming the version (a new version is fetched anew).
define npm_fetch
	@if command -v npm >/dev/null 2>&1; then \
	  rm -rf .cache/clients/$(2) && mkdir -p .cache/clients/$(2) && cd .cache/clients && \
	  { tarball=$$(npm pack --silent $(1) | tail -n 1) && tar xzf "$$tarball" -C $(2) --strip-components=1 && \
	    rm -f "$$tarball" && touch $(2)/.$(1); } || \
	  { rm -rf $(2); echo "Could not fetch $(1): $(3) will be skipped."; }; \
	else echo "npm not found: $(3) will be skipped."; fi
endef

.cache/clients/vnu-jar/.$(VNU_JAR):
	$(call npm_fetch,$(VNU_JAR),vnu-jar,the W3C validator test)

.cache/clients/axe-core/.$(AXE_CORE):
	$(call npm_fetch,$(AXE_CORE),axe-core,the accessibility (axe) test)

.cache/clients/status-widget/dist/index.js:
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p .cache/clients/status-widget && cd .cache/clients && \
	  { npm pack --silent $(STATUS_WIDGET) >/dev/null && \
	    tar xzf statuspage-status-widget-*.tgz -C status-widget --strip-components=1; } || \
	  { rm -rf status-widget; echo "Could not fetch $(STATUS_WIDGET): the widget test will be skipped."; }; \
	else echo "npm not found: the Statuspage widget test will be skipped."; fi

# The two passes run side by side (each pytest keeps one core busy; the machine has two), each printing
# its output when it ends.
test: install catalogues chromium clients
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install catalogues
	$(PY) -m pytest -q -p no:cacheprovider

# The PostgreSQL pass: skipped with one line when no server answers, unless STATUSPAGE_REQUIRE_POSTGRES=1 (CI).
test-postgres: install catalogues
	@if $(PY) -c "import psycopg; psycopg.connect('$(subst +psycopg,,$(PG_TEST_URL))', connect_timeout=3).close()" 2>/dev/null; then \
	  STATUSPAGE_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q -p no:cacheprovider; \
	elif [ "$$STATUSPAGE_REQUIRE_POSTGRES" = 1 ]; then \
	  echo "PostgreSQL is required but not reachable at $(PG_TEST_URL)."; exit 1; \
	else \
	  echo "PostgreSQL not reachable at $(PG_TEST_URL): ran the SQLite pass only."; \
	fi

bench: install catalogues
	$(PY) bench/bench_index.py

clean:
	rm -rf $(VENV) dist build *.egg-info test-artifacts .cache
