# ccmadmin — the two commands are `make run` and `make test`. Every prerequisite they need is
# installed here, from rustup, crates.io, Debian's packages and the npm registry.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

WASM_TARGET := wasm32-unknown-unknown
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
SITE := target/site
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get

# PostgreSQL for the store tests and the second Playwright run (started by `make postgres`).
export CCMADMIN_TEST_PG_URL ?= postgres://ccmadmin:ccmadmin@127.0.0.1:5432/postgres
E2E_PG_URL := $(patsubst %/postgres,%/ccmadmin_e2e,$(CCMADMIN_TEST_PG_URL))
E2E_EMPTY_PG_URL := $(patsubst %/postgres,%/ccmadmin_e2e_empty,$(CCMADMIN_TEST_PG_URL))
E2E_RESTORE_PG_URL := $(patsubst %/postgres,%/ccmadmin_e2e_restore,$(CCMADMIN_TEST_PG_URL))
E2E_PORT ?= 18443

.PHONY: bench run test prereqs test-prereqs postgres site site-release server server-release \
        fmt-check clippy rust-tests e2e e2e-sqlite e2e-postgres clean-site

## make run — build in release mode and serve https://127.0.0.1:8443 on ./data
run: prereqs site-release server-release
	./target/release/ccmadmin serve

## make test — formatting, lints, Rust tests (SQLite and PostgreSQL), Playwright (both stores)
test: test-prereqs postgres fmt-check clippy rust-tests e2e

# The Rust toolchain pieces: the wasm32 target, OpenSSL's headers (RSA signing of the TFTP
# files), and the wasm-bindgen CLI that matches the wasm-bindgen crate in Cargo.lock.
prereqs:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@dpkg -s libssl-dev pkg-config >/dev/null 2>&1 || { $(APT_GET) update && $(APT_GET) install -y libssl-dev pkg-config; }
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

# What the tests need beyond the toolchain: rustfmt and clippy, Chromium, Node's Playwright, and
# Debian's age and script (the backup tests open an archive with `age -d` at a pseudo-terminal).
test-prereqs: prereqs
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@if [ ! -x /usr/bin/chromium ] || ! command -v pg_ctlcluster >/dev/null; then \
	  $(APT_GET) update && $(APT_GET) install -y chromium postgresql; \
	fi
	@command -v npm >/dev/null || { $(APT_GET) update && $(APT_GET) install -y nodejs npm; }
	@command -v openssl >/dev/null || { $(APT_GET) update && $(APT_GET) install -y openssl; }
	@command -v age >/dev/null && command -v script >/dev/null || { $(APT_GET) update && $(APT_GET) install -y age util-linux; }
	@cd end2end && if [ ! -d node_modules/@playwright/test ]; then PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; fi

# Starts Debian's PostgreSQL on loopback unless one already answers, and makes the test role.
postgres:
	@bash .ci/postgres-up "$(CCMADMIN_TEST_PG_URL)"

# The browser half: WASM, its JS glue, the CSS and the static files under target/site.
define build_site
	cargo build -p frontend --lib --target $(WASM_TARGET) $(1)
	rm -rf $(SITE) && mkdir -p $(SITE)/pkg
	wasm-bindgen --target web --out-dir $(SITE)/pkg --out-name ccmadmin $(3) \
	  target/$(WASM_TARGET)/$(2)/frontend.wasm
	cp style/main.css $(SITE)/pkg/ccmadmin.css
	cp -r public/. $(SITE)/
endef

site: prereqs
	$(call build_site,,debug,)

site-release: prereqs
	$(call build_site,--profile wasm-release,wasm-release,--remove-name-section --remove-producers-section)

server:
	cargo build -p server

server-release:
	cargo build -p server --release

fmt-check:
	cargo fmt --all -- --check

# Per package: a workspace-wide run would turn on `ssr` and `hydrate` together in `app`.
clippy:
	cargo clippy -p server -p migrations --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p frontend --lib --target $(WASM_TARGET) -- -D warnings

rust-tests:
	cargo test -p app -p server -p migrations --features app/ssr

e2e: e2e-sqlite e2e-postgres

# The specs run in a shuffled order (a random seed, printed; CCMADMIN_E2E_SEED=N repeats one):
# each stands alone, creating what it needs through the console.
CCMADMIN_E2E_SEED ?=

e2e-sqlite: site server
	cd end2end && CCMADMIN_E2E_PORT=$(E2E_PORT) npx playwright test --shuffle $(CCMADMIN_E2E_SEED)

e2e-postgres: site server
	psql "$(CCMADMIN_TEST_PG_URL)" -qc 'DROP DATABASE IF EXISTS ccmadmin_e2e' -c 'CREATE DATABASE ccmadmin_e2e' \
	  -c 'DROP DATABASE IF EXISTS ccmadmin_e2e_empty' -c 'CREATE DATABASE ccmadmin_e2e_empty' \
	  -c 'DROP DATABASE IF EXISTS ccmadmin_e2e_restore' -c 'CREATE DATABASE ccmadmin_e2e_restore'
	cd end2end && CCMADMIN_E2E_PORT=$(E2E_PORT) CCMADMIN_E2E_DATABASE_URL="$(E2E_PG_URL)" \
	  CCMADMIN_E2E_EMPTY_DATABASE_URL="$(E2E_EMPTY_PG_URL)" \
	  CCMADMIN_E2E_RESTORE_DATABASE_URL="$(E2E_RESTORE_PG_URL)" npx playwright test --shuffle $(CCMADMIN_E2E_SEED)
	psql "$(CCMADMIN_TEST_PG_URL)" -qc 'DROP DATABASE IF EXISTS ccmadmin_e2e' -c 'DROP DATABASE IF EXISTS ccmadmin_e2e_empty' \
	  -c 'DROP DATABASE IF EXISTS ccmadmin_e2e_restore'

## make bench — the benchmarks (release build, SQLite and PostgreSQL); print figures
bench: prereqs postgres site-release server-release
	@command -v wrk >/dev/null || { $(APT_GET) update && $(APT_GET) install -y wrk; }
	bash server/bench/phones.sh
	bash server/bench/resign.sh
	bash server/bench/resets.sh
	bash server/bench/bat.sh
	bash server/bench/backup.sh
