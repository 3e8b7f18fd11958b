# The two commands of README.md, and their parts.
CARGO ?= cargo
PYTHON_VENV := .venv/bin/python

.PHONY: demo test build lint rust-test emulator-setup emulator-test schemas

## demo: build driftless and validate the quickstart (and show what a bad repository gets)
demo: build
	./target/release/driftless validate examples/quickstart
	@echo
	@echo "A repository with two mistakes (exit code 1 is expected):"
	@! ./target/release/driftless validate tests/fixtures/invalid/errors-in-several-files

build:
	$(CARGO) build --release --bin driftless

## test: every test, on a fresh machine too (installs the emulator's pinned venv)
test: lint emulator-setup rust-test emulator-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test: emulator-setup
	$(CARGO) test --workspace --all-targets

emulator-setup:
	tests/emulator/run --setup-only

emulator-test: emulator-setup
	$(PYTHON_VENV) -m pytest tests/emulator -q -p no:cacheprovider

## schemas: regenerate specs/*.schema.json from the Rust types
schemas:
	DRIFTLESS_BLESS=1 $(CARGO) test --test it schemas
