# OpenSSL DTLS for Godot: build, test, demo and benchmark commands. Everything is built optimised:
# the shipped libraries, the platforms' tests and the benchmarks in the release profile (thin LTO),
# the native tests and lints in test-release (release without LTO, see Cargo.toml). Each profile
# compiles the vendored OpenSSL once per target; `make test` uses only test-release natively.
SHELL := /bin/bash
CARGO ?= cargo
ADDON := addons/openssl_dtls
LIB := target/platforms/bin/libopenssl_dtls.linux.x86_64.so
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

.PHONY: windows-test arm64-test linux-test addon floor-addon docs test test-deps lint rust-test godot-test fuzz-smoke fuzz soak demo bench clean platform-test dist

## Build the Linux x86_64 library that ships (zig against glibc 2.28, stripped: the same file
## `make dist` zips, so the Godot tests run on it) into addons/openssl_dtls/bin/ under the name the
## .gdextension gives it; the folder's other files (.gdextension, licenses, README) are in the
## repository. A plain `cargo build --release -p openssl-dtls-godot` gives a native one for hacking.
addon:
	scripts/build-platform.sh linux.x86_64 >/dev/null
	mkdir -p $(ADDON)/bin
	cp $(LIB) $(ADDON)/bin/libopenssl_dtls.linux.x86_64.so

## The benchmark's floor peers (rust/godot/src/floor/: no handshake, no encryption, never shipped) with
## the rest of the addon, native, in an addon folder of their own for `bench/godot/run.sh --floor`.
FLOOR_ADDON := target/floor-addon
floor-addon:
	$(CARGO) build --release -p openssl-dtls-godot --features floor-peers
	mkdir -p $(FLOOR_ADDON)/bin
	cp $(ADDON)/openssl_dtls.gdextension $(FLOOR_ADDON)/
	cp target/release/libopenssl_dtls.so $(FLOOR_ADDON)/bin/libopenssl_dtls.linux.x86_64.so

## The API reference in docs/api/ (Markdown) from the classes' doc comments: Godot's --doctool XML of the
## addon just built, converted by c3-godot-docs-gen (pinned in scripts/docs/requirements.txt). Commit the
## result: the Godot suite's test_docs_current step fails when docs/api/ differs from what this writes.
docs: addon
	scripts/make-docs.sh

## Everything that proves the project (the README's test command; CI runs it): the Windows, Linux
## arm64 and Linux x86_64 platform checks included; `make dist` adds macOS and the zip's own check.
test: test-deps lint rust-test fuzz-smoke windows-test arm64-test linux-test godot-test

## The Windows DLL's checks and the core's tests under Wine (part of `make test`).
windows-test:
	scripts/test-platform.sh windows.x86_64

## The Linux arm64 library's checks, the core's tests under qemu-aarch64 and the headless smoke test
## in Debian's arm64 Godot under qemu (part of `make test`).
arm64-test:
	scripts/test-platform.sh linux.arm64

## The Linux x86_64 library's checks: glibc 2.28 symbols at most, no libgcc_s (part of `make test`;
## the Godot suite then runs on this library).
linux-test:
	scripts/test-platform.sh linux.x86_64

## The Windows, Linux arm64 and Linux x86_64 libraries checked, and tested under Wine and qemu
## (scripts/test-platform.sh says what each runs).
platform-test: linux-test windows-test arm64-test

## The release: every platform's library, checked, with licenses and third-party notices, in
## dist/openssl_dtls-$(VERSION).zip, then unpacked into new Godot projects and tested headless.
dist:
	scripts/make-dist.sh $(VERSION)

## Programs the tests talk to: OpenSSL and GnuTLS command-line peers, debootstrap for Godot.
test-deps:
	scripts/install-test-deps.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --profile test-release --workspace --all-targets -- -D warnings
	$(CARGO) clippy --profile test-release -p openssl-dtls-godot --features floor-peers -- -D warnings

rust-test:
	$(CARGO) test --profile test-release --workspace
	$(CARGO) test --release --manifest-path rust/patches/godot-cell/Cargo.toml --target-dir target/godot-cell
	$(CARGO) test --release --manifest-path rust/patches/renet/Cargo.toml --target-dir target/renet --lib --tests

## The multiplayer tests that also run on plain ENetMultiplayerPeer (MP_PEER_KIND=enet), which checks the
## tests themselves: a check that fails on ENet tests the test, not the addon. (test_multiplayer_certs is DTLS
## only; test_multiplayer_frames and test_multiplayer_statistics measure ENet beside the addon themselves.)
MP_ENET_TESTS := test_multiplayer_smoke test_multiplayer_peer test_multiplayer_rpc test_multiplayer_lossy \
	test_multiplayer_replication test_multiplayer_clients

godot-test: addon
	scripts/run-godot-tests.sh
	MP_PEER_KIND=enet scripts/run-godot-tests.sh $(MP_ENET_TESTS)

## Every fuzz target for a few seconds (part of `make test`).
fuzz-smoke:
	scripts/fuzz.sh 10

## Longer fuzzing: FUZZ_SECONDS per target (default 300).
fuzz:
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),300)

## Loss soak, flood and mutation tests with their figures printed.
soak:
	$(CARGO) test --profile test-release -p openssl-dtls-core --test soak --test flood --test mutation -- --nocapture

## The main job: build the addon, provision Godot if needed, run the demo headless.
demo: addon
	scripts/run-demo.sh

## Benchmarks (figures, not pass/fail); last, the floor: what any GDExtension peer pays (bench/godot/README.md).
bench: addon floor-addon
	$(CARGO) run --release -p openssl-dtls-core --example core_bench
	$(CARGO) run --release -p openssl-dtls-core --example mp_throughput
	$(CARGO) build --release -p link-emulator
	bench/godot/run.sh
	bench/godot/run.sh --addon $(FLOOR_ADDON) --floor

clean:
	$(CARGO) clean
	rm -rf $(ADDON)/bin dist
