# Two commands do all the set-up on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run   — virtualenv in .venv/, install the site's packages (requirements.txt: no TensorFlow, the web
#                process runs the model with LiteRT), migrate the SQLite database, collect the static files and
#                serve http://127.0.0.1:8000 as a visitor meets the site: debugging off (its own 404 and 500
#                pages), plain HTTP, a secret key made once for this checkout (make run PORT=8080 HOST=0.0.0.0
#                serves elsewhere; Python 3.11 or newer, checked first)
#   make test  — install the training packages (requirements-ml.txt) and the test tools (and Debian's chromium,
#                nginx and postgresql when missing), lint, run every test on SQLite, then again those that touch
#                the database on a throw-away PostgreSQL cluster
#   make dev   — Django's development server with debugging on, for working on the site: tracebacks and the
#                list of URL patterns in the browser, code reloaded when it changes, static files from static/
#   make serve — the production pair on one machine: nginx on $(PORT) in front of gunicorn (docs/deploy.md)
# They are idempotent: the stamps below skip installs that are already up to date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

NGINX := /usr/sbin/nginx
# Debian's PostgreSQL server binaries (initdb, pg_ctl) live in /usr/lib/postgresql/<version>/bin.
POSTGRESQL := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin/initdb)))

.PHONY: run dev test lint format bench train export serve postgresql-server

# make run's settings. Debugging off, so a mistyped address gets the site's own 404 page (Django's debug page
# lists the URL patterns and settings, and its inline style breaks the Content-Security-Policy); plain HTTP on
# this machine (DJANGO_HTTPS=0: no redirect to HTTPS, cookies without Secure); WhiteNoise serves the static
# files collectstatic gathers. The secret key is made once for this checkout in $(LOCAL_SECRET_KEY) (ignored
# by git, readable by you alone), so sessions and the visitors' avatars survive a restart; production sets
# its own DJANGO_SECRET_KEY (docs/deploy.md). The host names it answers to: loopback, HOST itself, and with
# HOST=0.0.0.0 this machine's name and addresses; DJANGO_ALLOWED_HOSTS in the environment replaces them.
LOCAL_SECRET_KEY ?= .local-secret-key
comma := ,
empty :=
space := $(empty) $(empty)
NETWORK_NAMES = $(shell hostname 2>/dev/null) \
	$(foreach address,$(shell hostname -I 2>/dev/null),$(if $(findstring :,$(address)),[$(address)],$(address)))
LOCAL_HOSTS = $(subst $(space),$(comma),$(sort 127.0.0.1 localhost [::1] $(if $(filter 0.0.0.0,$(HOST)),$(NETWORK_NAMES),$(HOST))))
LOCAL_ENV = DJANGO_DEBUG=0 DJANGO_HTTPS=0 DJANGO_SECRET_KEY="$$(cat $(LOCAL_SECRET_KEY))" \
	DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-$(LOCAL_HOSTS)}"

run: $(VENV)/.runtime-installed $(LOCAL_SECRET_KEY)
	$(LOCAL_ENV) $(BIN)/python manage.py migrate --noinput
	$(LOCAL_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(LOCAL_ENV) $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

# Debugging on: Django's debug pages, code reloaded on change, static files straight from static/.
dev: $(VENV)/.runtime-installed
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

$(LOCAL_SECRET_KEY): | $(VENV)/.runtime-installed
	umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@

# Two passes: every test on SQLite; then the tests that touch the database (migrations from empty, accounts,
# avatars, the browser walks, the two-node stack of tests/test_scale_out.py) on a throw-away PostgreSQL cluster
# that testkit/postgres.py starts in a temporary folder on a free loopback port and removes at the end.
test: lint /usr/bin/chromium $(NGINX) postgresql-server
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --database postgresql

# Style is checked, not remembered: ruff (pyproject.toml) lints and checks the formatting of the whole tree.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Fix what `make lint` finds that ruff can fix itself (import order, formatting).
format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production-style serving (see docs/deploy.md): static files collected once, then nginx on $(PORT) in front
# of gunicorn (2 workers × 4 threads) on $(PORT)+1, both stopped by Ctrl-C.
serve: $(VENV)/.runtime-installed $(NGINX)
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --workers 2 --threads 4

bench: $(VENV)/.test-installed
	$(BIN)/python bench/model_speed.py
	$(BIN)/python bench/training_speed.py
	$(BIN)/python bench/rendering_speed.py
	$(BIN)/python bench/emotion_api_speed.py
	$(BIN)/python bench/emojify_speed.py
	$(BIN)/python bench/animation_speed.py

train: $(VENV)/.ml-installed
	$(BIN)/python -m ml.train

# After replacing ml/weights/emotion_cnn.keras by hand: write the .tflite the site serves (ml.train does it).
export: $(VENV)/.ml-installed
	$(BIN)/python -m ml.export

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "emojify needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1 || echo 'not installed')." \
	       "Install python3.11 and run: make $(MAKECMDGOALS) PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip
	touch $@

$(VENV)/.runtime-installed: requirements.txt $(VENV)/.created
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

# TensorFlow, Keras and matplotlib: for training, export and evaluation (and the tests, which do all three).
$(VENV)/.ml-installed: requirements-ml.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-ml.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.ml-installed
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-test.txt
	touch $@

/usr/bin/chromium:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core

# Debian's nginx; the package's own service (port 80) is not what `make serve` runs.
$(NGINX):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx

# Debian's PostgreSQL server, when no /usr/lib/postgresql/*/bin/initdb is there yet; the tests never use the
# package's own cluster or service (testkit/postgres.py runs its own).
postgresql-server:
ifeq ($(POSTGRESQL),)
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
endif
