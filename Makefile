# The two commands of README.md, and their parts.
CARGO ?= cargo
PYTHON_VENV := .venv/bin/python

.PHONY: demo test build lint rust-test emulator-setup emulator-test chart-test browser-test schemas

## demo: the main job end to end on the emulator (validate, plan, apply, drift, correct).
## It runs the debug build: `make test` builds the same profile, so `make demo && make
## test` compiles the dependencies once; the emulator's venv is set up while cargo
## builds. `make build` (cargo build --release) is for real use.
demo:
	@echo "==> make demo: building driftless (debug profile, shared with make test) and, meanwhile, the emulator's venv (.venv)"
	@tests/emulator/run --setup-only & venv=$$!; \
	  $(CARGO) build --bin driftless; built=$$?; \
	  wait $$venv; ready=$$?; \
	  if [ $$ready -ne 0 ]; then echo "make demo: setting up the emulator's venv failed (see above)" >&2; fi; \
	  [ $$built -eq 0 ] && [ $$ready -eq 0 ]
	@echo "==> make demo: running scripts/demo.sh against the emulator"
	BIN=target/debug/driftless scripts/demo.sh

build:
	$(CARGO) build --release --bin driftless

## test: every test, on a fresh machine too (installs the emulator's pinned venv)
test: lint emulator-setup rust-test emulator-test chart-test browser-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test: emulator-setup
	$(CARGO) test --workspace --all-targets

emulator-setup:
	tests/emulator/run --setup-only

emulator-test: emulator-setup
	$(PYTHON_VENV) -m pytest tests/emulator -q -p no:cacheprovider

## chart-test: lint and render charts/driftless with the Helm library (its own pinned
## venv, .venv-chart), validate against the Kubernetes schemas, and run the rendered
## command line against the debug binary that rust-test built
chart-test:
	$(CARGO) build --bin driftless
	DRIFTLESS_BIN=target/debug/driftless tests/chart/run

## browser-test: the dashboard in headless Chromium (Debian's chromium and
## chromium-driver, installed when missing) with Selenium from its own pinned venv
## (.venv-browser), against the debug binary on the emulator
browser-test: emulator-setup
	$(CARGO) build --bin driftless
	DRIFTLESS_BIN=target/debug/driftless tests/browser/run

## schemas: regenerate specs/*.schema.json from the Rust types
schemas:
	DRIFTLESS_BLESS=1 $(CARGO) test --test it schemas
