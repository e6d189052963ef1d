# Two commands do all the set-up on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run   — virtualenv in .venv/, install the site's packages (requirements.txt: no TensorFlow, the web
#                process runs the model with LiteRT), migrate the SQLite database, serve http://127.0.0.1:8000
#                (make run PORT=8080 HOST=0.0.0.0 serves elsewhere; Python 3.11 or newer, checked first)
#   make test  — install the training packages (requirements-ml.txt) and the test tools (and Debian's chromium,
#                nginx and postgresql when missing), lint, run every test on SQLite, then again those that touch
#                the database on a throw-away PostgreSQL cluster
#   make serve — the production pair on one machine: nginx on $(PORT) in front of gunicorn (docs/deploy.md)
# Both are idempotent: the stamps below skip installs that are already up to date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

NGINX := /usr/sbin/nginx
# Debian's PostgreSQL server binaries (initdb, pg_ctl) live in /usr/lib/postgresql/<version>/bin.
POSTGRESQL := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin/initdb)))

.PHONY: run test lint format bench train export serve postgresql-server

run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

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
