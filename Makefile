# pixpress — `make run` serves on the embedded default; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
# Serving needs the runtime lock only; the tests, lint and benchmarks add the dev lock on top.
RUNTIME_STAMP = $(VENV)/.runtime-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
STAMP = $(VENV)/.installed-$(shell cat requirements-dev.lock requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install install-runtime run test check lint audit fuzz fuzz-atheris bench bench-smoke lock clean php-test test-deps wordpress-deps wordpress-up wordpress-down wordpress-test wordpress-plugin deploy-deps deploy-run-dir deploy-local deploy-local-down deploy-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.runtime-* && touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install-runtime: $(RUNTIME_STAMP)

install: $(STAMP)

run: install-runtime
	$(BIN)/pixpress serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

# Known vulnerabilities in the pinned runtime dependencies (pip-audit, dev extra). Fails and lists them
# when there are; says NOT AUDITED and passes when the vulnerability source cannot be reached
# (AUDIT_ARGS=--strict fails then too). See scripts/audit_deps.py.
audit: install
	$(BIN)/python scripts/audit_deps.py requirements.lock $(AUDIT_ARGS)

# The long fuzz run on demand (CI runs a bounded, derandomized one in tests/fuzz/test_fuzz.py): mutated
# uploads through sniff, probe and optimize, batch after batch for FUZZ_MINUTES, from a random seed it
# prints (FUZZ_SEED=N replays a run). A failing input is saved under tests/fuzz/findings/.
FUZZ_MINUTES ?= 30
fuzz: install
	$(BIN)/python -m tests.fuzz --minutes $(FUZZ_MINUTES) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# The same entry points under atheris (coverage-guided over pixpress's Python code; installed on demand,
# a 35 MB wheel that CI does not need). Corpus and crash-*/timeout-* files are kept in .fuzz/.
ATHERIS = atheris==3.0.0
fuzz-atheris: install
	$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/python -m pip install --quiet $(ATHERIS)
	mkdir -p .fuzz
	cd .fuzz && PYTHONPATH=$(CURDIR) $(abspath $(BIN))/python -m tests.fuzz.atheris_harness corpus \
	  -max_total_time=$$(( $(FUZZ_MINUTES) * 60 )) -timeout=6 -rss_limit_mb=3072 $(ATHERIS_ARGS)

# The PHP client's PHPUnit suite against a real `pixpress serve` (Debian packages: Packagist is not needed).
PHP_PACKAGES = php-cli php-curl php-mbstring php-xml phpunit
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
php-test: install
	@if ! command -v php >/dev/null || ! command -v phpunit >/dev/null || ! php -m | grep -qx curl; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(PHP_PACKAGES); fi
	phpunit -c clients/php/phpunit.xml

bench: install
	$(BIN)/python -m bench

bench-smoke: install
	$(BIN)/python -m bench --smoke

# Re-pin every dependency after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock --quiet
	uv pip compile pyproject.toml --python-version 3.11 --extra dev -o requirements-dev.lock --quiet

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# A local WordPress (Debian's package, MariaDB, php -S) for trying the WordPress plugin by hand;
# tests/wordpress brings up its own. See clients/wordpress/dev/README.md.
WP_RUN_DIR ?= /tmp/pixpress-wp/manual
WP_PORT ?= 8089
WP_DEV = clients/wordpress/dev

wordpress-deps:
	$(WP_DEV)/wp-deps.sh

wordpress-up: wordpress-deps
	WP_PORT=$(WP_PORT) WP_SKIP_DEPS=1 $(WP_DEV)/wp-up.sh $(WP_RUN_DIR)

wordpress-down:
	$(WP_DEV)/wp-down.sh $(WP_RUN_DIR) --purge

# What CI runs for the WordPress plugin and the PHP client: the Debian packages they need (wordpress-deps,
# PHP and phpunit, chromium for the bulk page's browser test) installed when missing, then the tests with
# nothing allowed to skip. The browser is Debian's /usr/bin/chromium, driven by playwright from the dev extra
# (never `playwright install`, which downloads a browser build).
apt_missing = $(shell for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done)
APT_INSTALL = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600
test-deps: wordpress-deps
	$(if $(call apt_missing,$(PHP_PACKAGES) chromium),$(SUDO) apt-get update -qq -o DPkg::Lock::Timeout=600)
	$(if $(call apt_missing,$(PHP_PACKAGES)),$(APT_INSTALL) --no-install-recommends $(call apt_missing,$(PHP_PACKAGES)))
	$(if $(call apt_missing,chromium),$(APT_INSTALL) chromium)

wordpress-test: install test-deps
	PIXPRESS_REQUIRE_WORDPRESS=1 PIXPRESS_REQUIRE_PHP=1 PIXPRESS_REQUIRE_BROWSER=1 \
	  $(BIN)/python -m pytest tests/wordpress tests/clients -q

# The WordPress plugin, self-contained: the PHP client copied into its vendor folder (gitignored).
# Without it the plugin falls back to ../../php/autoload.php (the repository layout, development).
WP_PLUGIN_DIR = clients/wordpress/pixpress
wordpress-plugin:
	rm -rf $(WP_PLUGIN_DIR)/vendor/pixpress-client
	mkdir -p $(WP_PLUGIN_DIR)/vendor/pixpress-client
	cp -R clients/php/src clients/php/autoload.php $(WP_PLUGIN_DIR)/vendor/pixpress-client/
	@for f in $$(find $(WP_PLUGIN_DIR) -name '*.php'); do php -l $$f >/dev/null || exit 1; done
	@echo "$(WP_PLUGIN_DIR) is ready to zip (vendor/pixpress-client bundled)"

# The production topology of docs/deploy.md on this machine, from Debian and PyPI packages: nginx (TLS) in
# front of 2 API and 2 worker processes run from deploy/systemd's units, PostgreSQL, Redis, an S3 server
# (moto's) and the licence server, each on a free loopback port with its data under DEPLOY_RUN_DIR
# (topology.json there says where everything is). `make deploy-test` runs the drills against it through
# nginx; `make deploy-local-down` stops it (DEPLOY_PURGE=1 also removes its data).
DEPLOY_RUN_DIR ?= /tmp/pixpress-deploy-$(shell echo $(CURDIR) | cksum | cut -d' ' -f1)
DEPLOY_PACKAGES = nginx postgresql redis-server openssl
deploy-deps:
	$(if $(call apt_missing,$(DEPLOY_PACKAGES)),$(SUDO) apt-get update -qq -o DPkg::Lock::Timeout=600)
	@# Installed without starting Debian's own nginx/PostgreSQL/Redis services (policy-rc.d, as in images).
	$(if $(call apt_missing,$(DEPLOY_PACKAGES)),if [ -e /usr/sbin/policy-rc.d ]; then \
	  $(APT_INSTALL) --no-install-recommends $(call apt_missing,$(DEPLOY_PACKAGES)); else \
	  printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null && $(SUDO) chmod +x /usr/sbin/policy-rc.d && \
	  { $(APT_INSTALL) --no-install-recommends $(call apt_missing,$(DEPLOY_PACKAGES)); s=$$?; $(SUDO) rm -f /usr/sbin/policy-rc.d; exit $$s; }; fi)

deploy-run-dir:
	@echo $(DEPLOY_RUN_DIR)

deploy-local: install deploy-deps
	$(BIN)/python -m scripts.deploy_local up $(DEPLOY_RUN_DIR)

deploy-local-down:
	$(if $(wildcard $(BIN)/python),$(BIN)/python,python3) -m scripts.deploy_local down $(DEPLOY_RUN_DIR) $(if $(DEPLOY_PURGE),--purge)

deploy-test: install
	PIXPRESS_DEPLOY_RUN_DIR=$(DEPLOY_RUN_DIR) $(BIN)/python -m pytest tests/deploy -p no:cacheprovider -q -s $(PYTEST_ARGS)
