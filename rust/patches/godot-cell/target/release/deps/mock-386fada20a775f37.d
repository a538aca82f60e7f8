/work/main/rust/patches/godot-cell/target/release/deps/mock-386fada20a775f37.d: tests/mock/main.rs tests/mock/blocking.rs tests/mock/panicking.rs Cargo.toml

/work/main/rust/patches/godot-cell/target/release/deps/libmock-386fada20a775f37.rmeta: tests/mock/main.rs tests/mock/blocking.rs tests/mock/panicking.rs Cargo.toml

tests/mock/main.rs:
tests/mock/blocking.rs:
tests/mock/panicking.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=
# env-dep:CLIPPY_CONF_DIR
