/work/main/rust/patches/godot-cell/target/release/deps/godot_cell-a12b2cf6413a1baf.d: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

/work/main/rust/patches/godot-cell/target/release/deps/libgodot_cell-a12b2cf6413a1baf.rlib: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

/work/main/rust/patches/godot-cell/target/release/deps/libgodot_cell-a12b2cf6413a1baf.rmeta: src/lib.rs src/blocking_cell.rs src/blocking_guards.rs src/borrow_state.rs src/cell.rs src/guards.rs src/tracker_lock.rs

src/lib.rs:
src/blocking_cell.rs:
src/blocking_guards.rs:
src/borrow_state.rs:
src/cell.rs:
src/guards.rs:
src/tracker_lock.rs:
