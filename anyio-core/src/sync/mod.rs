//! Synchronization primitives for tasks: [`Event`], [`Lock`] (and the data-owning
//! [`Mutex`]), [`Semaphore`], [`Condition`] and [`CapacityLimiter`].
//!
//! They need no runtime, so they work the same on every backend, and across tasks and OS
//! threads. All of them share one design:
//!
//! - **Fair**: waiters are served in the order they started waiting.
//! - **Handed over**: what a waiter waits for (the lock, a unit, a token, a notification) is
//!   given directly to the first waiter on release, so a task that arrives later cannot grab
//!   it first.
//! - **Checkpoints**: every wait is an anyio checkpoint. Inside a cancelled scope it does not
//!   complete, and the scope drops it.
//! - **Nothing lost to cancellation**: a waiting future dropped (cancelled) before it was
//!   handed anything just leaves the line; one dropped after the hand-over but before it
//!   returned passes what it was given to the next waiter, or back to the primitive.
//! - Holding is a **guard** that releases on drop; `try_*` twins never wait and fail with
//!   [`WouldBlock`]; misuse of the explicit AnyIO-style operations (releasing what is not
//!   held, borrowing twice, zero tokens) is a typed error.
//! - Uncontended, acquiring and releasing a [`Lock`] or a [`Semaphore`] is one atomic
//!   operation each: no locking, no allocation, no waking.
//!
//! The primitives are plain values: share them by reference, or behind an
//! [`Arc`](std::sync::Arc) with tasks that must be `'static`.
//!
//! # Examples
//!
//! A lock-protected counter updated by many tasks, who then wait for an event:
//!
//! ```
//! use std::sync::Arc;
//! use anyio_core::sync::{Event, Mutex};
//!
//! # anyio::run(async {
//! let count = Arc::new(Mutex::new(0));
//! let done = Arc::new(Event::new());
//! let (c, d) = (count.clone(), done.clone());
//! anyio::task_group(|tg| async move {
//!     for _ in 0..10 {
//!         let (count, done) = (c.clone(), d.clone());
//!         tg.spawn(async move {
//!             let mut n = count.lock().await;
//!             *n += 1;
//!             if *n == 10 {
//!                 done.set();
//!             }
//!             drop(n);
//!             done.wait().await;
//!             Ok(())
//!         })?;
//!     }
//!     Ok::<_, anyio::BoxError>(())
//! })
//! .await
//! .unwrap();
//! assert_eq!(*count.lock().await, 10);
//! assert!(done.is_set());
//! # }).unwrap();
//! ```

mod condition;
mod error;
mod event;
mod limiter;
mod lock;
mod mutex;
mod permits;
mod semaphore;
mod waiters;

#[cfg(all(test, loom))]
mod loom_tests;

pub use condition::{
    Condition, ConditionAcquire, ConditionGuard, ConditionStatistics, ConditionWait,
    ConditionWaitFor,
};
pub use error::{
    AlreadyBorrowed, InvalidTokens, NotBorrowed, NotLocked, SemaphoreFull, TryBorrowError,
    ValueAboveMax, WouldBlock,
};
pub use event::{Event, EventStatistics, EventWait};
pub use limiter::{
    AcquireOnBehalfOf, Borrower, CapacityLimiter, CapacityLimiterAcquire, CapacityLimiterGuard,
    CapacityLimiterStatistics, OwnedCapacityLimiterAcquire, OwnedCapacityLimiterGuard,
};
pub use lock::{Lock, LockAcquire, LockGuard, LockStatistics, OwnedLockAcquire, OwnedLockGuard};
pub use mutex::{Mutex, MutexGuard, MutexLock};
pub use semaphore::{
    OwnedSemaphoreAcquire, OwnedSemaphoreGuard, Semaphore, SemaphoreAcquire, SemaphoreGuard,
    SemaphoreStatistics,
};

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn everything_is_send_and_sync() {
        send_sync::<Event>();
        send_sync::<EventWait<'_>>();
        send_sync::<Lock>();
        send_sync::<LockAcquire<'_>>();
        send_sync::<LockGuard<'_>>();
        send_sync::<OwnedLockAcquire>();
        send_sync::<OwnedLockGuard>();
        send_sync::<Mutex<Vec<u8>>>();
        send_sync::<MutexLock<'_, Vec<u8>>>();
        send_sync::<MutexGuard<'_, Vec<u8>>>();
        send_sync::<Semaphore>();
        send_sync::<SemaphoreAcquire<'_>>();
        send_sync::<SemaphoreGuard<'_>>();
        send_sync::<OwnedSemaphoreAcquire>();
        send_sync::<OwnedSemaphoreGuard>();
        send_sync::<Condition>();
        send_sync::<ConditionAcquire<'_>>();
        send_sync::<ConditionGuard<'_>>();
        send_sync::<ConditionWait<'_>>();
        send_sync::<ConditionWaitFor<'_, fn() -> bool>>();
        send_sync::<CapacityLimiter>();
        send_sync::<CapacityLimiterAcquire<'_>>();
        send_sync::<CapacityLimiterGuard<'_>>();
        send_sync::<AcquireOnBehalfOf<'_>>();
        send_sync::<TryBorrowError>();
    }
}
