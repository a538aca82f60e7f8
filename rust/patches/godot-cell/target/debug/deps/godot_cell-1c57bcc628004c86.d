/work/main/rust/patches/godot-cell/target/debug/deps/godot_cell-1c57bcc628004c86.d: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

/work/main/rust/patches/godot-cell/target/debug/deps/godot_cell-1c57bcc628004c86: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

src/lib.rs:
src/blocking_cell.rs:
src/blocking_guards.rs:
src/borrow_state.rs:
src/cell.rs:
src/guards.rs:
src/tracker_lock.rs:
