/*
 * Copyright (c) godot-rust; Bromeon and contributors.
 * This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/.
 */

//! PATCHED (openssl-dtls): the lock of the blocking cell's `ThreadTracker`, new in this patch.
//!
//! Upstream guards the tracker with a `std::sync::Mutex` and waits on two `Condvar`s. An uncontended
//! `Mutex` costs two atomic read-modify-write instructions (the compare-exchange of `lock`, the swap of
//! `unlock`), and a bind takes the lock two or three times (bind, `deref_mut`, unbind): on the
//! multiplayer peer's RPC benchmark these atomics were most of the ~23% of the process spent in the cell.
//! Here the tracker is held by a spin lock that costs one compare-exchange to take and a plain release
//! store to give back. Its critical sections are a few counter updates, so a thread that finds it
//! taken spins briefly, then yields. Threads waiting for the *cell* (not the lock: a borrow another
//! thread holds) sleep on a `Condvar` with a generation counter, woken by `wake_all`.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::blocking_cell::ThreadTracker;

/// A waiting thread looks again after this long even without a wake-up (a backstop: `wake_all` is
/// sent under the same lock order as the wait, so no wake-up is lost).
const WAIT_BACKSTOP: Duration = Duration::from_millis(100);
/// Spins before a thread that finds the lock taken yields its time slice.
const SPINS_BEFORE_YIELD: u32 = 64;

/// A `ThreadTracker` behind a spin lock, and the sleep of threads waiting for the cell.
#[derive(Debug, Default)]
pub(crate) struct TrackerLock {
    locked: AtomicBool,
    tracker: UnsafeCell<ThreadTracker>,
    /// Bumped by every `wake_all`: a waiter sleeps until it changes.
    generation: Mutex<u64>,
    wake: Condvar,
}

// SAFETY: the tracker is only reached through a `TrackerGuard`, and `lock` hands out one guard at a
// time (the compare-exchange from `false` to `true` with `Acquire`, the release store in the guard's
// drop): every access happens under mutual exclusion, ordered by that acquire/release pair.
unsafe impl Sync for TrackerLock {}

impl TrackerLock {
    /// Takes the lock.
    pub(crate) fn lock(&self) -> TrackerGuard<'_> {
        let mut spins = 0u32;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.locked.load(Ordering::Relaxed) {
                if spins < SPINS_BEFORE_YIELD {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
        TrackerGuard { lock: self }
    }

    /// Gives the lock up, sleeps until `wake_all` (or the backstop), and takes it again. The caller
    /// re-checks what it waits for.
    pub(crate) fn wait<'a>(&'a self, guard: TrackerGuard<'a>) -> TrackerGuard<'a> {
        // No wake-up is lost: the caller saw the cell taken under the tracker lock, and takes the sleep
        // mutex before giving that lock up. A thread freeing the cell does it under the tracker lock
        // and sends `wake_all` (which needs the sleep mutex) after: the generation changes after
        // `seen` was read, while this thread sleeps or before it starts to.
        let generation = self.generation.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = *generation;
        drop(guard);
        let (generation, _) = self
            .wake
            .wait_timeout_while(generation, WAIT_BACKSTOP, |now| *now == seen)
            .unwrap_or_else(PoisonError::into_inner);
        drop(generation);
        self.lock()
    }

    /// Wakes every thread sleeping in `wait`.
    pub(crate) fn wake_all(&self) {
        let mut generation = self.generation.lock().unwrap_or_else(PoisonError::into_inner);
        *generation = generation.wrapping_add(1);
        self.wake.notify_all();
    }
}

/// The tracker, locked; the lock is given back when this drops.
pub(crate) struct TrackerGuard<'a> {
    lock: &'a TrackerLock,
}

impl Deref for TrackerGuard<'_> {
    type Target = ThreadTracker;

    fn deref(&self) -> &ThreadTracker {
        // SAFETY: this guard is the only one alive (see `TrackerLock`'s `Sync`).
        unsafe { &*self.lock.tracker.get() }
    }
}

impl DerefMut for TrackerGuard<'_> {
    fn deref_mut(&mut self) -> &mut ThreadTracker {
        // SAFETY: this guard is the only one alive, and `&mut self` makes this the only reference
        // through it.
        unsafe { &mut *self.lock.tracker.get() }
    }
}

impl Drop for TrackerGuard<'_> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}
