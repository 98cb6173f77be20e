//! Calling async code from a [`to_thread`](crate::to_thread) worker thread.
//!
//! Inside a closure run by [`to_thread::run_sync`](crate::to_thread::run_sync), [`run`] and
//! [`run_sync`] run code in the task awaiting the worker, inside its cancel scope, and block
//! the thread for the result; [`check_cancelled`] lets long computations notice that the
//! scope was cancelled. Futures cross threads on the way, so they must be `Send + 'static`,
//! though only that one task polls them. From any other thread these return
//! [`FromThreadError::NotInWorker`].
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! # anyio::run(async {
//! let n = anyio::to_thread::run_sync(|| {
//!     let five = anyio::from_thread::run(async {
//!         anyio::sleep(Duration::from_millis(1)).await;
//!         5
//!     })?;
//!     Ok::<_, anyio::from_thread::FromThreadError>(five * 2)
//! })
//! .await;
//! assert_eq!(n, Ok(10));
//! # }).unwrap();
//! ```

pub use anyio_core::thread::from_thread::{check_cancelled, run, run_sync, FromThreadError};
