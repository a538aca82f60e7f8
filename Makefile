# OpenSSL DTLS for Godot: build, test, demo and benchmark commands. Everything is built in the
# release profile so the vendored OpenSSL is compiled once.
SHELL := /bin/bash
CARGO ?= cargo
ADDON := addons/openssl_dtls
LIB := target/release/libopenssl_dtls.so

.PHONY: addon test test-deps lint rust-test godot-test fuzz-smoke fuzz soak demo bench clean

## Build the extension and install it, with the .gdextension file, into addons/openssl_dtls/.
addon:
	$(CARGO) build --release -p openssl-dtls-godot
	mkdir -p $(ADDON)/bin
	cp $(LIB) $(ADDON)/bin/
	cp openssl_dtls.gdextension $(ADDON)/

## Everything that proves the project (the README's test command; CI runs it).
test: test-deps lint rust-test fuzz-smoke addon godot-test

## Programs the tests talk to: OpenSSL and GnuTLS command-line peers, debootstrap for Godot.
test-deps:
	scripts/install-test-deps.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --release --workspace
	$(CARGO) test --release --manifest-path rust/patches/godot-cell/Cargo.toml --target-dir target/godot-cell

godot-test: addon
	scripts/run-godot-tests.sh

## Every fuzz target for a few seconds (part of `make test`).
fuzz-smoke:
	scripts/fuzz.sh 10

## Longer fuzzing: FUZZ_SECONDS per target (default 300).
fuzz:
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),300)

## Loss soak, flood and mutation tests with their figures printed.
soak:
	$(CARGO) test --release -p openssl-dtls-core --test soak --test flood --test mutation -- --nocapture

## The main job: build the addon, provision Godot if needed, run the demo headless.
demo: addon
	scripts/run-demo.sh

## Benchmarks (figures, not pass/fail).
bench: addon
	$(CARGO) run --release -p openssl-dtls-core --example core_bench
	bench/godot/run.sh

clean:
	$(CARGO) clean
	rm -rf $(ADDON)/bin $(ADDON)/openssl_dtls.gdextension
