//! Synchronization primitives that work on every backend: [`Event`], [`Lock`] and the
//! data-owning [`Mutex`], [`Semaphore`], [`Condition`], [`CapacityLimiter`].
//!
//! They need no runtime, so they behave the same on tokio, async-std and smol, and across
//! tasks and OS threads. Every one of them is **fair** (waiters are served in the order they
//! started waiting, and a released lock, unit, token or notification is handed directly to
//! the first of them), every wait is an **anyio checkpoint** (inside a cancelled scope it
//! does not complete), and **nothing is lost to cancellation**: a waiter cancelled right
//! after being handed something passes it on to the next waiter.
//!
//! Holding is a guard that releases on drop; `try_*` twins never wait and fail with
//! [`WouldBlock`]; the AnyIO-style explicit operations ([`Lock::release`],
//! [`Semaphore::release`], [`CapacityLimiter::release_on_behalf_of`], ...) report misuse with
//! typed errors. Share a primitive by reference, or behind an [`Arc`](std::sync::Arc) with
//! spawned tasks.
//!
//! # Examples
//!
//! Workers limited to two at a time, started together by an event:
//!
//! ```
//! use std::sync::Arc;
//! use anyio::sync::{CapacityLimiter, Event, Mutex};
//!
//! # anyio::run(async {
//! let limiter = Arc::new(CapacityLimiter::new(2).unwrap());
//! let go = Arc::new(Event::new());
//! let results = Arc::new(Mutex::new(Vec::new()));
//! let (l, g, r) = (limiter.clone(), go.clone(), results.clone());
//! anyio::task_group(|tg| async move {
//!     for i in 0..6 {
//!         let (limiter, go, results) = (l.clone(), g.clone(), r.clone());
//!         tg.spawn(async move {
//!             go.wait().await;
//!             let _token = limiter.acquire().await;
//!             assert!(limiter.borrowed_tokens() <= 2);
//!             anyio::sleep(std::time::Duration::from_millis(1)).await;
//!             results.lock().await.push(i);
//!             Ok(())
//!         })?;
//!     }
//!     go.set();
//!     Ok::<_, anyio::BoxError>(())
//! })
//! .await
//! .unwrap();
//! assert_eq!(results.lock().await.len(), 6);
//! # }).unwrap();
//! ```

pub use anyio_core::sync::{
    AcquireOnBehalfOf, AlreadyBorrowed, Borrower, CapacityLimiter, CapacityLimiterAcquire,
    CapacityLimiterGuard, CapacityLimiterStatistics, Condition, ConditionAcquire, ConditionGuard,
    ConditionStatistics, ConditionWait, ConditionWaitFor, Event, EventStatistics, EventWait,
    InvalidTokens, Lock, LockAcquire, LockGuard, LockStatistics, Mutex, MutexGuard, MutexLock,
    NotBorrowed, NotLocked, OwnedCapacityLimiterAcquire, OwnedCapacityLimiterGuard,
    OwnedLockAcquire, OwnedLockGuard, OwnedSemaphoreAcquire, OwnedSemaphoreGuard, Semaphore,
    SemaphoreAcquire, SemaphoreFull, SemaphoreGuard, SemaphoreStatistics, TryBorrowError,
    ValueAboveMax, WouldBlock,
};
