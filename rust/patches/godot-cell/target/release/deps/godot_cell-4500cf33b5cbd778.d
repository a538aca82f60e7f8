/work/main/rust/patches/godot-cell/target/release/deps/godot_cell-4500cf33b5cbd778.d: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

/work/main/rust/patches/godot-cell/target/release/deps/godot_cell-4500cf33b5cbd778: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

src/lib.rs:
src/blocking_cell.rs:
src/blocking_guards.rs:
src/borrow_state.rs:
src/cell.rs:
src/guards.rs:
src/tracker_lock.rs:
