/*
 * Copyright (c) godot-rust; Bromeon and contributors.
 * This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/.
 */

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::tracker_lock::TrackerLock;
use crate::guards::{MutGuard, RefGuard};
use crate::panicking::InaccessibleGuard;

/// Extended version of [`panicking::RefGuard`](crate::panicking::RefGuard) that tracks which thread a reference belongs to and when it's dropped.
///
/// See [`panicking::RefGuard`](crate::panicking::RefGuard) for more details.
///
/// PATCHED (openssl-dtls): the blocking guards borrow the cell's mutex and condition variables (`&'a`)
/// instead of holding `Arc` clones of them: the guard cannot outlive the cell it borrows anyway, and each
/// clone and drop was an atomic operation on every bind.
#[derive(Debug)]
pub struct RefGuardBlocking<'a, T> {
    inner: ManuallyDrop<RefGuard<'a, T>>,
    state: &'a TrackerLock,
    /// PATCHED (openssl-dtls): the thread that made this guard (and drops it: the guard is not `Send`).
    thread: std::thread::ThreadId,
}

impl<'a, T> RefGuardBlocking<'a, T> {
    pub(crate) fn new(
        inner: RefGuard<'a, T>,
        state: &'a TrackerLock,
        thread: std::thread::ThreadId,
    ) -> Self {
        Self {
            inner: ManuallyDrop::new(inner),
            state,
            thread,
        }
    }
}

impl<'a, T> Deref for RefGuardBlocking<'a, T> {
    type Target = <RefGuard<'a, T> as Deref>::Target;

    fn deref(&self) -> &Self::Target {
        self.inner.deref().deref()
    }
}

impl<T> Drop for RefGuardBlocking<'_, T> {
    fn drop(&mut self) {
        let mut state_lock = self.state.lock();

        state_lock.decrement_shared_count(self.thread);

        // SAFETY: guard is dropped exactly once, here, while state is guarded by `_tracker_guard` preventing access from any other thread.
        unsafe { ManuallyDrop::drop(&mut self.inner) };

        // PATCHED (openssl-dtls): wake only when a thread waits (see `ThreadTracker`).
        if state_lock.mut_waiters > 0 {
            self.state.wake_all();
        }
        drop(state_lock);
    }
}

/// Extended version of [`panicking::MutGuard`](crate::panicking::MutGuard) that tracks which thread a reference belongs to and when it's dropped.
///
/// See [`panicking::MutGuard`](crate::panicking::MutGuard) for more details.
#[derive(Debug)]
pub struct MutGuardBlocking<'a, T> {
    inner: ManuallyDrop<MutGuard<'a, T>>,
    state: &'a TrackerLock,
}

impl<'a, T> MutGuardBlocking<'a, T> {
    pub(crate) fn new(inner: MutGuard<'a, T>, state: &'a TrackerLock) -> Self {
        Self {
            inner: ManuallyDrop::new(inner),
            state,
        }
    }
}

impl<'a, T> Deref for MutGuardBlocking<'a, T> {
    type Target = <MutGuard<'a, T> as Deref>::Target;

    fn deref(&self) -> &Self::Target {
        // PATCHED (openssl-dtls): see `deref_mut`.
        if cfg!(debug_assertions) {
            let _tracker_guard = self.state.lock();
            return self.inner.deref().deref();
        }
        // SAFETY: as in `deref_mut`.
        unsafe { self.inner.value_unchecked().as_ref() }
    }
}

impl<T> DerefMut for MutGuardBlocking<'_, T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        // PATCHED (openssl-dtls): upstream takes the tracker lock here to run the inner guard's check
        // that this borrow is the current one (one lock per call of a `&mut self` method, on top of
        // the bind and the unbind). Release builds skip the check and the lock; debug builds keep both.
        if cfg!(debug_assertions) {
            let _tracker_guard = self.state.lock();
            return self.inner.deref_mut().deref_mut();
        }
        // SAFETY: this borrow is the current one whenever it can be dereferenced. Another borrow can
        // only be made current through `make_inaccessible`, which takes a `&mut T` obtained from this
        // guard's `deref_mut`: while that inaccessible guard (and any borrow made under it) lives, this
        // guard is mutably borrowed and cannot be dereferenced. No other thread writes the value
        // meanwhile: this thread holds the cell's mutable borrow, so their binds wait.
        unsafe { self.inner.value_unchecked().as_mut() }
    }
}

impl<T> Drop for MutGuardBlocking<'_, T> {
    fn drop(&mut self) {
        let mut tracker_guard = self.state.lock();

        // SAFETY: guard is dropped exactly once, here, while state is guarded by `tracker_guard` preventing access from any other thread.
        unsafe { ManuallyDrop::drop(&mut self.inner) };

        // PATCHED (openssl-dtls): count the guard out, and wake only when a thread waits (see `ThreadTracker`).
        tracker_guard.decrement_mut_count();
        if tracker_guard.mut_waiters > 0 || tracker_guard.immut_waiters > 0 {
            self.state.wake_all();
        }
    }
}

/// Extended version of [`panicking::InaccessibleGuard`](crate::panicking::InaccessibleGuard) that blocks thread upon dropping.
///
/// See [`panicking::InaccessibleGuard`](crate::panicking::InaccessibleGuard) for more details.
#[derive(Debug)]
pub struct InaccessibleGuardBlocking<'a, T> {
    inner: ManuallyDrop<InaccessibleGuard<'a, T>>,
    state: &'a TrackerLock,
}

impl<'a, T> InaccessibleGuardBlocking<'a, T> {
    pub(crate) fn new(inner: InaccessibleGuard<'a, T>, state: &'a TrackerLock) -> Self {
        Self {
            inner: ManuallyDrop::new(inner),
            state,
        }
    }

    /// Drop self if possible, otherwise returns self again.
    ///
    /// Used currently in the mock-tests, as we need a thread safe way to drop self. Using the normal drop
    /// logic may poison state, however it should not cause any UB either way.
    ///
    /// See [`panicking::InaccessibleGuard::try_drop`](crate::panicking::InaccessibleGuard::try_drop) for more details.
    pub fn try_drop(self) -> Result<(), Self> {
        // Intentional: `lock()` is not unwrapped, and the check is not atomic with the drop. Worst case is a poisoned cell,
        // which is acceptable here (see doc above); do not harden.
        let can_drop = {
            let _tracker_guard = self.state.lock();
            self.inner.can_drop()
        };

        if !can_drop { Err(self) } else { Ok(()) }
    }
}

impl<T> Drop for InaccessibleGuardBlocking<'_, T> {
    fn drop(&mut self) {
        let _tracker_guard = self.state.lock();
        unsafe { ManuallyDrop::drop(&mut self.inner) };
        drop(_tracker_guard)
    }
}
