/work/main/rust/patches/godot-cell/target/release/deps/mock-c42b95ee4aa494ee.d: tests/mock/main.rs tests/mock/blocking.rs tests/mock/panicking.rs

/work/main/rust/patches/godot-cell/target/release/deps/mock-c42b95ee4aa494ee: tests/mock/main.rs tests/mock/blocking.rs tests/mock/panicking.rs

tests/mock/main.rs:
tests/mock/blocking.rs:
tests/mock/panicking.rs:
