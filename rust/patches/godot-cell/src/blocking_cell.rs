/*
 * Copyright (c) godot-rust; Bromeon and contributors.
 * This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/.
 */

use std::error::Error;
use std::pin::Pin;
use std::thread;

use crate::blocking_guards::{InaccessibleGuardBlocking, MutGuardBlocking, RefGuardBlocking};
use crate::cell::GdCellInner;
use crate::tracker_lock::{TrackerGuard, TrackerLock};

/// Blocking version of [`panicking::GdCell`](crate::panicking::GdCell) for multithreaded usage.
///
/// This version of GdCell blocks the current thread if it does not yet hold references to the cell.
/// Since `GdCellInner` isn't thread-safe by itself, any access to `inner` must be guarded by locking the `thread_tracker`.
///
/// For more details on when threads are being blocked see [`Self::borrow`] and [`Self::borrow_mut`].
///
/// See [`panicking::GdCell`](crate::panicking::GdCell) for more details on the base concept of this type.
pub struct GdCellBlocking<T> {
    inner: Pin<Box<GdCellInner<T>>>,
    // PATCHED (openssl-dtls): a spin lock with the waiters' sleep (`tracker_lock.rs`) instead of a
    // `Mutex` and two `Condvar`s in `Arc`s; the guards borrow it.
    thread_tracker: TrackerLock,
}

impl<T> GdCellBlocking<T> {
    pub fn new(value: T) -> Self {
        Self {
            inner: GdCellInner::new(value),
            thread_tracker: TrackerLock::default(),
        }
    }

    /// Returns a new shared reference to the contents of the cell.
    ///
    /// Fails if an accessible mutable reference exists on the current thread.
    ///
    /// Blocks if another thread currently holds a mutable reference.
    pub fn borrow(&self) -> Result<RefGuardBlocking<'_, T>, Box<dyn Error>> {
        // PATCHED (openssl-dtls): the thread's id is read once per bind and kept by the guard.
        let thread = current_thread_id();
        let mut tracker_guard = self.thread_tracker.lock();

        // PATCHED (openssl-dtls): wait while *another* thread holds mutable borrows. Upstream asked the
        // `mut_thread` heuristic instead, which can name a thread that holds nothing (see `ThreadTracker`).
        if self.inner.as_ref().is_currently_mutably_bound()
            && !tracker_guard.has_mut_ref(thread)
        {
            // Block current thread until borrow becomes available.
            tracker_guard = self.block_immut(tracker_guard);
        }

        let inner_guard = self.inner.as_ref().borrow()?;

        tracker_guard.increment_shared_count(thread);

        Ok(RefGuardBlocking::new(inner_guard, &self.thread_tracker, thread))
    }

    /// Returns a new mutable reference to the contents of the cell.
    ///
    /// Fails if an accessible mutable reference, or a shared reference exists on the current thread.
    ///
    /// Blocks if another thread currently holds a mutable reference, or if another thread holds immutable references but the current thread
    /// doesn't.
    pub fn borrow_mut(&self) -> Result<MutGuardBlocking<'_, T>, Box<dyn Error>> {
        let thread = current_thread_id();
        let mut tracker_guard = self.thread_tracker.lock();

        if self.inner.as_ref().is_currently_bound()
            && tracker_guard.shared_count(thread) == 0
            && !tracker_guard.has_mut_ref(thread)
        {
            // Block current thread until borrow becomes available.
            tracker_guard = self.block_mut(tracker_guard);
        }

        let inner_guard = self.inner.as_ref().borrow_mut()?;

        tracker_guard.increment_mut_count(thread);

        Ok(MutGuardBlocking::new(inner_guard, &self.thread_tracker))
    }

    /// Make the current mutable borrow inaccessible, thus freeing the value up to be reborrowed again.
    ///
    /// Will error if:
    /// - There is currently no accessible mutable borrow.
    /// - There are any shared references.
    /// - `current_ref` is not equal to the pointer in `self.inner.state`.
    pub fn make_inaccessible<'cell, 'val>(
        &'cell self,
        current_ref: &'val mut T,
    ) -> Result<InaccessibleGuardBlocking<'val, T>, Box<dyn Error>>
    where
        'cell: 'val,
    {
        let _tracker_guard = self.thread_tracker.lock();
        let inner = self.inner.as_ref().make_inaccessible(current_ref)?;
        let inaccessible = InaccessibleGuardBlocking::new(inner, &self.thread_tracker);
        Ok(inaccessible)
    }

    /// Returns `true` if there are any mutable or shared references, regardless of whether the mutable
    /// references are accessible or not.
    ///
    /// In particular this means that it is safe to destroy this cell and the value contained within, as no
    /// references can exist that can reference this cell.
    ///
    /// Keep in mind that in multithreaded code it is still possible for this to return true, and then the
    /// cell hands out a new borrow before it is destroyed. So we still need to ensure that this cannot
    /// happen at the same time.
    pub fn is_currently_bound(&self) -> bool {
        self.inner.as_ref().is_currently_bound()
    }

    /// Blocks the current thread until all mutable and shared references have been dropped.
    fn block_mut<'a>(
        &'a self,
        mut tracker_guard: TrackerGuard<'a>,
    ) -> TrackerGuard<'a> {
        while self.inner.as_ref().is_currently_bound() {
            tracker_guard.mut_waiters += 1;
            tracker_guard = self.thread_tracker.wait(tracker_guard);
            tracker_guard.mut_waiters -= 1;
        }

        tracker_guard
    }

    /// Blocks the current thread until all mutable references have been dropped.
    fn block_immut<'a>(
        &'a self,
        mut tracker_guard: TrackerGuard<'a>,
    ) -> TrackerGuard<'a> {
        while self.inner.as_ref().is_currently_mutably_bound() {
            tracker_guard.immut_waiters += 1;
            tracker_guard = self.thread_tracker.wait(tracker_guard);
            tracker_guard.immut_waiters -= 1;
        }

        tracker_guard
    }
}

// SAFETY:
// - `T` must not be `Sync`, and the only way to access the underlying `T` is via `GdCellBlocking`.
// - It must be ensured that `GdCellInner`, which holds `T`, cannot be accessed from multiple threads simultaneously while handing out guards.
// The current implementation ensures this by locking the `thread_tracker`.
unsafe impl<T: Send> Sync for GdCellBlocking<T> {}

/// Holds the reference counts per thread and the threads waiting for the cell.
///
/// PATCHED (openssl-dtls): upstream kept `mut_thread: ThreadId`, "the thread that currently can hold the
/// mutable reference", always set to *some* thread and reassigned by the first shared borrow of an unbound
/// cell (gdext PR #787, which names a counted owner as the alternative). It goes stale: thread B takes the
/// first shared borrow (B becomes `mut_thread`), thread A takes a second one, B drops its own; now B holds
/// nothing but is still `mut_thread`, so B's `borrow_mut()` does not wait for A and fails "already bound"
/// (a panic in gdext) while A reads. Here the owner is counted instead: `mut_owner` is the thread holding
/// `mut_count` mutable guards (accessible or made inaccessible for re-entrant calls), `None` when there are
/// none.
///
/// Also patched: guards wake the condition variables only when a thread waits on them (`mut_waiters`,
/// `immut_waiters`, counted under the same mutex, so no wake-up is lost). Upstream woke them on every guard
/// drop, and `Condvar::notify_*` is a futex system call even with no waiter: about ten per DTLS echo round
/// trip of this addon, where plain UDP makes none.
#[derive(Debug, Default)]
pub(crate) struct ThreadTracker {
    /// The thread holding the mutable guards, while `mut_count > 0`.
    mut_owner: Option<thread::ThreadId>,
    /// Mutable guards alive (all on `mut_owner`: a second one is only handed out to re-entrant calls).
    mut_count: usize,

    /// Shared reference count per thread (threads at zero are removed).
    ///
    /// PATCHED (openssl-dtls): a short list searched in order, not a `HashMap`: it holds one entry per
    /// thread reading at this moment (rarely more than one), and hashing a `ThreadId` on every bind
    /// and unbind cost more than the search.
    shared_counts: Vec<(thread::ThreadId, usize)>,

    /// Threads blocked in `block_mut`.
    pub(crate) mut_waiters: usize,
    /// Threads blocked in `block_immut`.
    pub(crate) immut_waiters: usize,
}

impl ThreadTracker {
    /// Number of shared references in thread `id`.
    pub fn shared_count(&self, id: thread::ThreadId) -> usize {
        self.shared_counts
            .iter()
            .find(|(thread, _)| *thread == id)
            .map_or(0, |(_, count)| *count)
    }

    /// Increments the shared reference count of thread `id`.
    pub fn increment_shared_count(&mut self, id: thread::ThreadId) {
        match self.shared_counts.iter_mut().find(|(thread, _)| *thread == id) {
            Some((_, count)) => *count += 1,
            None => self.shared_counts.push((id, 1)),
        }
    }

    /// Decrements the shared reference count of thread `thread_id`.
    pub fn decrement_shared_count(&mut self, thread_id: thread::ThreadId) {
        let entry = self
            .shared_counts
            .iter()
            .position(|(thread, _)| *thread == thread_id);

        debug_assert!(
            entry.is_some(),
            "No shared reference count exists for {thread_id:?}."
        );

        let Some(index) = entry else {
            return;
        };

        self.shared_counts[index].1 -= 1;
        if self.shared_counts[index].1 == 0 {
            self.shared_counts.swap_remove(index);
        }
    }

    /// Returns if the current thread holds the mutable guards.
    #[cfg(test)]
    pub fn current_thread_has_mut_ref(&self) -> bool {
        self.has_mut_ref(current_thread_id())
    }

    /// Returns if thread `id` holds the mutable guards.
    pub fn has_mut_ref(&self, id: thread::ThreadId) -> bool {
        self.mut_owner == Some(id)
    }

    /// Counts a new mutable guard of thread `id` (the calling thread).
    fn increment_mut_count(&mut self, id: thread::ThreadId) {
        self.mut_owner = Some(id);
        self.mut_count += 1;
    }

    /// Counts a mutable guard dropped; the last one frees the cell for other threads' mutable borrows.
    pub(crate) fn decrement_mut_count(&mut self) {
        debug_assert!(self.mut_count > 0, "No mutable guard to drop.");
        self.mut_count = self.mut_count.saturating_sub(1);
        if self.mut_count == 0 {
            self.mut_owner = None;
        }
    }
}

/// The calling thread's id.
///
/// PATCHED (openssl-dtls): read from a thread-local copy; `thread::current()` clones and drops the
/// thread's handle (two atomic operations) on each of the several calls a bind makes.
fn current_thread_id() -> thread::ThreadId {
    thread_local! {
        static ID: thread::ThreadId = thread::current().id();
    }
    ID.with(|id| *id)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    /// Waits (bounded) until a thread blocks in `borrow_mut` or `done` says it has finished.
    fn wait_for_mut_waiter(cell: &GdCellBlocking<u32>, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while cell.thread_tracker.lock().mut_waiters == 0
            && !done()
            && Instant::now() < deadline
        {
            thread::yield_now();
        }
    }

    /// The stale "mutable thread" of upstream 0.5.5 (see `ThreadTracker`): B takes the first shared
    /// borrow, the main thread a second one, B drops its own and asks for a mutable borrow while the
    /// main thread still reads. B must wait for the reader, then get it. Upstream 0.5.5 fails here:
    /// B is still `mut_thread`, so `borrow_mut()` does not wait and returns "already bound".
    #[test]
    fn borrow_mut_waits_for_another_threads_reader_after_its_own_borrow_ended() {
        let cell = GdCellBlocking::new(0u32);
        let (b_reads, main_hears_b) = mpsc::channel::<()>();
        let (main_reads, b_hears_main) = mpsc::channel::<()>();
        let cell_ref = &cell;
        thread::scope(|scope| {
            let b = scope.spawn(move || {
                let cell = cell_ref;
                let first = cell.borrow().unwrap();
                b_reads.send(()).unwrap();
                b_hears_main.recv().unwrap();
                drop(first);
                cell.borrow_mut().map(|mut value| *value += 1).is_ok()
            });
            main_hears_b.recv().unwrap();
            let reading = cell.borrow().unwrap();
            main_reads.send(()).unwrap();
            wait_for_mut_waiter(&cell, || b.is_finished());
            assert_eq!(*reading, 0, "the writer must not get in while the main thread reads");
            drop(reading);
            assert!(b.join().unwrap(), "B's borrow_mut() failed instead of waiting for the reader");
        });
        assert_eq!(*cell.borrow().unwrap(), 1);
    }

    /// A writer on another thread waits for a reader and is woken when the reader is done; a reader
    /// waits for a writer likewise (the wake-ups that are now only sent when someone waits).
    #[test]
    fn waiting_threads_are_woken() {
        let cell = GdCellBlocking::new(0u32);
        thread::scope(|scope| {
            let reading = cell.borrow().unwrap();
            let writer = scope.spawn(|| cell.borrow_mut().map(|mut value| *value += 1).is_ok());
            wait_for_mut_waiter(&cell, || writer.is_finished());
            drop(reading);
            assert!(writer.join().unwrap());

            let writing = cell.borrow_mut().unwrap();
            let reader = scope.spawn(|| cell.borrow().map(|value| *value).ok());
            let deadline = Instant::now() + Duration::from_secs(10);
            while cell.thread_tracker.lock().immut_waiters == 0
                && !reader.is_finished()
                && Instant::now() < deadline
            {
                thread::yield_now();
            }
            drop(writing);
            assert_eq!(reader.join().unwrap(), Some(1));
        });
    }

    /// PATCHED (openssl-dtls): the tracker's spin lock (`tracker_lock.rs`) keeps the cell exclusive under
    /// contention: four threads increment through `borrow_mut` and read through `borrow` at once; every
    /// increment lands, and no reader ever sees a value mid-update (the two halves always agree).
    #[test]
    fn contended_borrows_stay_exclusive() {
        const THREADS: u64 = 4;
        const ROUNDS: u64 = 50_000;
        let cell = GdCellBlocking::new((0u64, 0u64));
        thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for round in 0..ROUNDS {
                        if round % 3 == 0 {
                            let value = cell.borrow().unwrap();
                            assert_eq!(value.0, value.1, "a reader saw a half-done update");
                        } else {
                            let mut value = cell.borrow_mut().unwrap();
                            value.0 += 1;
                            for _ in 0..50 {
                                std::hint::spin_loop();
                            }
                            value.1 += 1;
                        }
                    }
                });
            }
        });
        let expected = THREADS * (ROUNDS - ROUNDS.div_ceil(3));
        assert_eq!(*cell.borrow().unwrap(), (expected, expected));
    }

    /// The owner is counted: re-entrant mutable borrows (through `make_inaccessible`) keep the cell
    /// owned by their thread until the outermost guard is dropped, then it is free.
    #[test]
    fn mutable_owner_is_counted_through_reentrant_borrows() {
        let cell = GdCellBlocking::new(0u32);
        let mut outer = cell.borrow_mut().unwrap();
        {
            let inaccessible = cell.make_inaccessible(&mut outer).unwrap();
            let inner = cell.borrow_mut().unwrap();
            assert!(cell.thread_tracker.lock().current_thread_has_mut_ref());
            drop(inner);
            drop(inaccessible);
        }
        assert!(cell.thread_tracker.lock().current_thread_has_mut_ref());
        drop(outer);
        let tracker = cell.thread_tracker.lock();
        assert!(!tracker.current_thread_has_mut_ref());
        assert_eq!(tracker.mut_count, 0);
    }
}
