# Two set-up commands: `make run` and `make test`. Everything else is a helper of those two.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 3
BIN := $(VENV)/bin

.PHONY: run test install install-test migrate demo serve bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every runtime library at the version the suite ran with (deploy/constraints.txt), as the image
# installs them: a library released since (a new botocore for the pinned boto3) changes nothing.
$(VENV)/.installed: $(BIN)/python pyproject.toml deploy/constraints.txt
	$(BIN)/pip install --quiet --constraint deploy/constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --constraint deploy/constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/jiedao migrate --no-input
	$(BIN)/jiedao createcachetable

demo: migrate
	$(BIN)/jiedao demo load

# SMS texts name this server's status page (the demo's notices are queued by `demo load` already),
# unless JIEDAO_SMS_SITE says otherwise.
run: export JIEDAO_SMS_SITE ?= http://$(HOST):$(PORT)/status/
run: demo
	@$(BIN)/jiedao drafts purge
	@echo ""
	@echo "  Jiedao is starting on http://$(HOST):$(PORT)/"
	@echo "    public form (residents):  http://$(HOST):$(PORT)/"
	@echo "    English:                  http://$(HOST):$(PORT)/en/"
	@echo "    status lookup:            http://$(HOST):$(PORT)/status/"
	@echo "    activities (sign up):     http://$(HOST):$(PORT)/activities/"
	@echo "    staff back office:        http://$(HOST):$(PORT)/staff/"
	@echo "    configuration (admin):    http://$(HOST):$(PORT)/admin/"
	@echo "  Demo staff logins (username / password):"
	@$(BIN)/jiedao demo logins | sed 's/^/    /'
	@echo ""
	JIEDAO_MANIFEST_STATIC=1 $(BIN)/jiedao collectstatic --no-input --verbosity 0
# The SMS worker (`jiedao notices work`) runs beside the server and stops with it; Ctrl-C reaches both.
# The server is the container's: gunicorn with uvicorn worker processes and deploy/gunicorn.conf.py,
# whose access log leaves query strings out (a delivery-report token must not reach a log).
	$(BIN)/jiedao notices work & notices=$$!; \
	trap 'kill $$notices 2>/dev/null; wait $$notices 2>/dev/null' EXIT INT TERM; \
	JIEDAO_MANIFEST_STATIC=1 JIEDAO_BIND=$(HOST):$(PORT) JIEDAO_WEB_WORKERS=$(WORKERS) \
		$(BIN)/gunicorn --config deploy/gunicorn.conf.py jiedao.asgi:application

# One pytest worker per core (pytest-xdist), each with its own test database and browser;
# `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= auto
test: install-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)

messages: install
	cd src/jiedao && ../../$(BIN)/jiedao makemessages --locale en --no-obsolete --ignore '*/tests/*'
	cd src/jiedao && ../../$(BIN)/jiedao compilemessages --locale en

clean:
	rm -rf $(VENV) var build src/*.egg-info
