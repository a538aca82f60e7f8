/work/main/rust/patches/godot-cell/target/debug/deps/godot_cell-d751b3dc1ab286f0.d: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

/work/main/rust/patches/godot-cell/target/debug/deps/libgodot_cell-d751b3dc1ab286f0.rlib: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

/work/main/rust/patches/godot-cell/target/debug/deps/libgodot_cell-d751b3dc1ab286f0.rmeta: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

src/lib.rs:
src/blocking_cell.rs:
src/blocking_guards.rs:
src/borrow_state.rs:
src/cell.rs:
src/guards.rs:
src/tracker_lock.rs:
