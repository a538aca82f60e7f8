/work/main/rust/patches/godot-cell/target/debug/deps/mock-e0a8ae684ada3c4c.d: tests/mock/main.rs tests/mock/blocking.rs tests/mock/panicking.rs

/work/main/rust/patches/godot-cell/target/debug/deps/mock-e0a8ae684ada3c4c: tests/mock/main.rs tests/mock/blocking.rs tests/mock/panicking.rs

tests/mock/main.rs:
tests/mock/blocking.rs:
tests/mock/panicking.rs:
