//! Which portal's event loop the current thread is running, if any.
//!
//! A portal's own thread carries its mark for its whole life; the tasks it runs may be polled
//! on a multi-threaded runtime's workers, so each poll of a portal task marks the worker for
//! the duration of that poll. Waiting on the portal from a marked thread is refused.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// A fresh portal id; 0 means "no portal".
pub(super) fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Whether the current thread is running the event loop of portal `id`.
pub(super) fn is_inside(id: u64) -> bool {
    CURRENT.with(Cell::get) == id
}

/// Marks the current thread as running portal `id` until the guard is dropped.
pub(super) fn enter(id: u64) -> Mark {
    Mark(CURRENT.with(|current| current.replace(id)))
}

/// Restores the previous mark when dropped.
pub(super) struct Mark(u64);

impl Drop for Mark {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
    }
}
