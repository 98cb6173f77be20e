//! The bridge between async code and blocking code on threads.
//!
//! [`to_thread::run_sync`] runs a blocking closure on the runtime's pool for blocking work,
//! bounded by a [`CapacityLimiter`](crate::sync::CapacityLimiter); from inside that closure,
//! [`from_thread::run`] and [`from_thread::run_sync`] run code back on the event loop, in the
//! task and cancel scope that started the worker, and [`from_thread::check_cancelled`] tells
//! the thread whether that scope was cancelled.
//!
//! # Examples
//!
//! ```
//! use anyio::AnyRuntime;
//! use anyio_core::thread::{from_thread, to_thread};
//!
//! # anyio::run(async {
//! let doubled = to_thread::run_sync::<AnyRuntime, _, _>(|| {
//!     let n = from_thread::run(async { anyio::checkpoint().await; 21 }).unwrap();
//!     n * 2
//! })
//! .await;
//! assert_eq!(doubled, 42);
//! # }).unwrap();
//! ```

pub mod from_thread;
pub mod to_thread;
mod worker;
