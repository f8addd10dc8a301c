# make run: set up and serve the demo site on SQLite.   make test: set up, lint and run every test.
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
# Everything that names the site follows HOST and PORT: links in mail and feeds, and the demo's health checks
# (checks/demo.toml probes ${base_url}). A wildcard bind address is reached on loopback. STATUSPAGE_BASE_URL
# set in the environment, on the command line or in .env wins.
BRACKETED := $(if $(findstring [,$(HOST)),$(HOST),$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)))
BIND := $(BRACKETED):$(PORT)
LOCAL_URL := http://$(if $(filter 0.0.0.0 [::],$(BRACKETED)),127.0.0.1,$(BRACKETED)):$(PORT)
# Only the processes `make run` starts see that address: a `statuspage …` command typed in another terminal
# reads the environment and .env, else http://127.0.0.1:8000. So on any other address, `make run` prints the
# export line to paste there (it writes no file of yours).
ifeq ($(origin STATUSPAGE_BASE_URL),undefined)
ifeq ($(shell grep -qsE '^[[:space:]]*(export[[:space:]]+)?STATUSPAGE_BASE_URL[[:space:]]*=' $(or $(STATUSPAGE_ENV_FILE),.env) && echo set),)
run: export STATUSPAGE_BASE_URL := $(LOCAL_URL)
ifneq ($(LOCAL_URL),http://127.0.0.1:8000)
RUN_URL_NOTE := yes
endif
endif
endif

STATUS_WIDGET := @statuspage/status-widget@1.0.5
VNU_JAR := vnu-jar@26.9.27
AXE_CORE := axe-core@4.14.1

# Three installs, each with its stamp: what the site needs (make run); the mail catcher (make mail); the
# test tools (make test). An extra's packages are installed alone (read from pyproject.toml), so the site
# that `make run` is serving is never reinstalled under it. Every install holds one lock and then asks
# make again whether it is still needed: `make run` and `make mail` started together on a fresh clone (two
# terminals, or make -j2 run mail) install one after the other, and the second finds the venv made. The
# lock is Python's fcntl.flock (flock(1) is Linux-only); the file lives beside the venv, which may not exist.
STAMP := $(VENV)/.installed-runtime
MAIL_STAMP := $(VENV)/.installed-mail
TEST_STAMP := $(VENV)/.installed-test
LOCK := python3 -c 'import fcntl, subprocess, sys; lock = open(sys.argv[1], "a"); \
  fcntl.flock(lock, fcntl.LOCK_EX); sys.exit(subprocess.call(sys.argv[2:]))' $(VENV).lock
UNDER_LOCK = @$(LOCK) $(MAKE) --no-print-directory -s LOCK_HELD=1 $@
EXTRA = $(PY) -c 'import sys, tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"][sys.argv[1]], sep="\n")'

.PHONY: install install-test catalogues run mail lint test test-sqlite test-postgres chromium alertmanager clients bench clean

$(STAMP): pyproject.toml pinned-by-hash.txt
ifndef LOCK_HELD
	$(UNDER_LOCK)
else
	@echo "Installing the site into $(VENV) (make test adds the test tools, make mail the mail catcher)"
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --upgrade pip
	@$(VENV)/bin/pip install -q --no-deps --require-hashes -r pinned-by-hash.txt
	@$(VENV)/bin/pip install -q -e .
	@touch $@
endif

$(MAIL_STAMP) $(TEST_STAMP): $(STAMP)
ifndef LOCK_HELD
	$(UNDER_LOCK)
else
	@$(EXTRA) $(if $(filter $@,$(MAIL_STAMP)),mail,test) | $(VENV)/bin/pip install -q -r /dev/stdin
	@touch $@
endif

install: $(STAMP)

install-test: $(TEST_STAMP)

catalogues: $(STAMP)
	$(VENV)/bin/pybabel compile -d statuspage/translations >/dev/null

run: install catalogues
	$(VENV)/bin/statuspage init-db
	$(VENV)/bin/statuspage demo --if-empty
	@echo "Serving $(LOCAL_URL)/ (console: $(LOCAL_URL)/admin/) with the scheduler beside it"
ifdef RUN_URL_NOTE
	@echo "statuspage commands typed in another terminal (checks sync, pages, export-static …) need this first there,"
	@echo "or the same line without 'export' in .env:"
	@echo "    export STATUSPAGE_BASE_URL=$(LOCAL_URL)"
endif
	$(VENV)/bin/statuspage scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	  STATUSPAGE_BIND=$(BIND) STATUSPAGE_ACCESS_LOG=- $(VENV)/bin/gunicorn -c gunicorn.conf.py

# A local mail catcher that prints every message it gets, decoded (statuspage/devmail.py): run `make run`
# with STATUSPAGE_SMTP_PORT=1025 (MAIL_PORT=… for another port).
MAIL_PORT ?= 1025
mail: $(MAIL_STAMP)
	$(PY) -m statuspage.devmail --host 127.0.0.1 --port $(MAIL_PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
	  { echo "Browser tests need Debian's Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'."; exit 1; }

# Prometheus Alertmanager (Debian's package) for tests/integration/test_alertmanager.py, which starts it on
# loopback; only the binary is used (the package's own service is not started). Without apt (not root, not
# Debian) the test is skipped with a note; CI runs as root on Debian, so there it always runs.
alertmanager:
	@command -v prometheus-alertmanager >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      prometheus-alertmanager >/dev/null) || \
	    { echo "Could not install prometheus-alertmanager with apt-get."; exit 1; }; \
	  else echo "apt-get not available (or not root): the Alertmanager test will be skipped; run 'sudo apt-get install prometheus-alertmanager'."; fi

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

# ruff (pycodestyle, pyflakes, bugbear, pyupgrade) and mypy, both configured in pyproject.toml. The code is
# not reformatted: `ruff check` only.
LINTED := statuspage tests bench wsgi.py gunicorn.conf.py hatch_build.py
lint: install-test
	$(VENV)/bin/ruff check --quiet $(LINTED)
	$(VENV)/bin/mypy

# Lint first; then the two passes run side by side (each pytest keeps one core busy; the machine has two),
# each printing its output when it ends, with its 15 slowest tests (to keep CI well under 30 minutes).
test: install-test catalogues chromium alertmanager clients
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install-test catalogues
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

# The PostgreSQL pass: skipped with one line when no server answers, unless STATUSPAGE_REQUIRE_POSTGRES=1 (CI).
# It checks the same screens as the SQLite pass without photographing them again (tests/browser/conftest.py).
test-postgres: install-test catalogues
	@if $(PY) -c "import psycopg; psycopg.connect('$(subst +psycopg,,$(PG_TEST_URL))', connect_timeout=3).close()" 2>/dev/null; then \
	  STATUSPAGE_TEST_DATABASE_URL=$(PG_TEST_URL) STATUSPAGE_SCREENSHOTS=0 $(PY) -m pytest -q -p no:cacheprovider --durations=15; \
	elif [ "$$STATUSPAGE_REQUIRE_POSTGRES" = 1 ]; then \
	  echo "PostgreSQL is required but not reachable at $(PG_TEST_URL)."; exit 1; \
	else \
	  echo "PostgreSQL not reachable at $(PG_TEST_URL): ran the SQLite pass only."; \
	fi

bench: install-test catalogues
	$(PY) bench/bench_index.py

clean:
	rm -rf $(VENV) $(VENV).lock dist build *.egg-info test-artifacts .cache
