/work/main/rust/patches/godot-cell/target/release/deps/godot_cell-2aa2769fbd8e7e1a.d: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs Cargo.toml

/work/main/rust/patches/godot-cell/target/release/deps/libgodot_cell-2aa2769fbd8e7e1a.rmeta: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs Cargo.toml

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
