/work/main/rust/patches/godot-cell/target/release/deps/godot_cell-e1c3a8f2b4670c98.d: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs Cargo.toml

/work/main/rust/patches/godot-cell/target/release/deps/libgodot_cell-e1c3a8f2b4670c98.rmeta: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs Cargo.toml

src/lib.rs:
src/blocking_cell.rs:
src/blocking_guards.rs:
src/borrow_state.rs:
src/cell.rs:
src/guards.rs:
src/tracker_lock.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=
# env-dep:CLIPPY_CONF_DIR
