//! Write async code once; run it on tokio, async-std or smol with the same semantics.
//!
//! anyio gives library authors structured concurrency, cancel scopes with deadlines and
//! shields, and time — written once against a small runtime waist and run unmodified on every
//! runtime enabled by cargo features. The model is Python's AnyIO (and Trio behind it).
//!
//! ```
//! use std::time::Duration;
//!
//! // A library function: no runtime named anywhere.
//! async fn fetch_all(n: u32) -> Result<u32, anyio::BoxError> {
//!     anyio::task_group(|tg| async move {
//!         let mut handles = Vec::new();
//!         for i in 0..n {
//!             handles.push(tg.spawn(async move {
//!                 anyio::sleep(Duration::from_millis(5)).await;
//!                 Ok(i)
//!             })?);
//!         }
//!         let mut sum = 0;
//!         for handle in handles {
//!             sum += handle.await?;
//!         }
//!         Ok(sum)
//!     })
//!     .await
//!     .map_err(|e| e.into_first().unwrap_or_else(|| "cancelled".into()))
//! }
//!
//! for backend in anyio::Backend::available() {
//!     let sum = anyio::run_with(backend, fetch_all(10)).unwrap().unwrap();
//!     assert_eq!(sum, 45);
//! }
//! ```
//!
//! # Choosing the runtime
//!
//! The features `tokio` (default), `async-std` and `smol` are additive. [`run`] starts the
//! runtime named by the `ANYIO_BACKEND` environment variable, else the first enabled of tokio,
//! smol, async-std; [`run_with`] picks one explicitly. Inside a runtime the application
//! started itself (`#[tokio::main]`, `smol::block_on`, `async_std::task::block_on`) anyio
//! detects it and needs no [`run`]. Libraries depend on `anyio` with
//! `default-features = false` and leave the choice to the application.
//!
//! # Cancel scopes and the delivery rule
//!
//! A [`CancelScope`] wraps a future. Cancelling it — with [`CancelHandle::cancel`] from any
//! task or thread, or by its deadline passing — reaches every task started inside it, at once,
//! whatever state they are in. Rust cancels a future by dropping it and has no async drop;
//! AnyIO and Trio cancel by raising at the next checkpoint. anyio unifies them with one rule:
//! **cancellation is delivered at checkpoints**. The cancelled scope wakes and polls its body,
//! which runs on until it suspends: every anyio checkpoint ([`sleep`], [`checkpoint`], a
//! receive, an [`Event::wait`], a task group's exit, ...) inside a cancelled scope returns
//! `Pending` at once and does nothing, and the first time the body returns `Pending` the
//! scope drops it and resolves to `None`. So:
//!
//! - A body that starts in a cancelled scope runs up to its first checkpoint: a child spawned
//!   into a cancelled group, a scope cancelled before it was entered.
//! - An operation that completed before the cancellation reached its task keeps its result:
//!   an event that was set, a nested group that finished with errors; the code after it runs
//!   on to the next checkpoint.
//! - **Level-triggered**: every checkpoint inside a cancelled scope stays cancelled. The
//!   outermost cancelled scope (up to a shield) is the one that catches; when an inner scope
//!   finishes while an outer one is cancelled, the code after the inner scope does not run.
//! - **Shields**: a shielded scope ignores cancellation of scopes outside it, and can be
//!   switched while it runs ([`CancelHandle::set_shield`]); the outer scope waits for the
//!   shielded part to finish before dropping the body. Its own deadline still applies.
//! - **Children too**: a cancelled scope containing a task group cancels the children and
//!   completes only once they have all finished, so "the scope returned" means "nothing started
//!   inside it still runs" — also when the group's body had returned already.
//! - Deadlines are instants of the runtime's clock ([`current_time`]), so a paused tokio
//!   clock governs timeouts as it governs sleeps.
//! - [`move_on_after`] / [`move_on_at`] give `Option<T>`; [`fail_after`] / [`fail_at`] give
//!   `Result<T, TimeoutError>`, an error only when that deadline was reached.
//!   [`lowlevel`] has checkpoints that only deliver or only yield.
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//!
//! # anyio::run(async {
//! static STEPS: AtomicU32 = AtomicU32::new(0);
//! let outcome = anyio::move_on_after(Duration::from_millis(20), async {
//!     anyio::task_group(|tg| async move {
//!         for _ in 0..3 {
//!             tg.spawn(async {
//!                 STEPS.fetch_add(1, Ordering::Relaxed);
//!                 anyio::sleep_forever().await; // the deadline is delivered here
//!                 Ok::<_, anyio::BoxError>(())
//!             })?;
//!         }
//!         Ok::<_, anyio::BoxError>(()) // the body returns; the children are still reached
//!     })
//!     .await
//! })
//! .await;
//! assert!(outcome.is_none());
//! assert_eq!(STEPS.load(Ordering::Relaxed), 3);
//! # }).unwrap();
//! ```
//!
//! # Task groups
//!
//! [`task_group`] runs a body that spawns children; it completes when all have finished. The
//! first failure (`Err` or panic) cancels the rest and is returned; panics are re-raised after
//! every child finished, as `std::thread::scope` does; dropping the group's future cancels its
//! children. [`TaskGroup::start`](anyio_core::task::TaskGroup::start) waits until a child
//! reports readiness through [`TaskStatus::started`];
//! [`start_with_handle`](anyio_core::task::TaskGroup::start_with_handle) also returns the
//! child's [`TaskHandle`], to stop that service alone later. Cancelling the group itself
//! ([`TaskGroup::cancel`](anyio_core::task::TaskGroup::cancel)) makes it resolve to a
//! [`TaskGroupError`] that [`is_cancelled`](TaskGroupError::is_cancelled), whether its body
//! had returned or not.
//!
//! # Tests on every backend
//!
//! [`macro@test`] turns one `async fn` into one `#[test]` per enabled backend
//! (`my_test::tokio`, `my_test::smol`, ...), so `cargo test smol` runs the smol half.
//!
//! # Streams and networking
//!
//! [`net`] has TCP (connections with happy eyeballs, listeners), UDP, Unix sockets and name
//! resolution; [`streams`] has the byte-stream traits they implement, wrappers over any byte
//! stream (buffered, text, stapled) and memory object streams. Streams take `&self`: one task
//! may receive while another sends, and a second task using the same direction gets
//! [`StreamError::Busy`](streams::StreamError::Busy). Closing a stream wakes whoever waits on
//! it with `Closed`. TCP and Unix streams are also `futures::io` `AsyncRead`/`AsyncWrite` (and
//! tokio's, with the `tokio-io` feature); [`IoStream`](streams::IoStream) makes any other byte
//! stream (TLS, the wrappers) one. [`prelude`] imports the traits.
//!
//! # Threads, processes, signals and files
//!
//! [`to_thread::run_sync`] runs blocking code off the event loop, bounded by a
//! [`CapacityLimiter`]; code on that thread calls back into async code with
//! [`from_thread::run`]. Plain sync code calls async code through a [`BlockingPortal`]
//! ([`start_blocking_portal`]). [`process`] runs child processes (killed and reaped when
//! cancelled), [`signal`] receives Unix signals as a stream, and [`fs`] has async files.

#![forbid(unsafe_code)]

mod backend;
mod cancel;
pub mod from_thread;
pub mod fs;
pub mod lowlevel;
mod macros;
#[cfg(unix)]
pub mod net;
pub mod portal;
pub mod prelude;
#[cfg(unix)]
pub mod process;
mod reactor;
mod runtime;
#[cfg(unix)]
pub mod signal;
pub mod streams;
pub mod sync;
mod task;
pub mod testing;
mod time;
pub mod to_thread;

pub use backend::{run, run_with, Backend, RunError, UnknownBackend};
pub use cancel::{
    current_effective_deadline, fail_after, fail_at, move_on_after, move_on_at, CancelHandle,
    CancelScope, FailAfter, Scoped, TimeoutError,
};
pub use portal::{start_blocking_portal, BlockingPortal};
#[cfg(unix)]
pub use reactor::AnyRegistration;
pub use runtime::{AnyJoinHandle, AnyRuntime, AnyTimer};
pub use streams::memory::{
    create_memory_object_stream, create_unbounded_memory_object_stream, MemoryObjectReceiver,
    MemoryObjectSender,
};
pub use sync::{CapacityLimiter, Condition, Event, Lock, Semaphore};

/// Makes `async fn main()` the program's entry point: the generated sync `main` runs the body
/// with [`run`], so the backend is the one named by `ANYIO_BACKEND`, else the default one.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// #[anyio::main]
/// async fn main() {
///     let start = Instant::now();
///     anyio::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
///     assert!(anyio::Backend::current().is_some());
/// }
/// ```
///
/// `main` may return a `Result`, and `?` works in the body:
///
/// ```
/// #[anyio::main]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     anyio::checkpoint().await;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
pub use anyio_macros::main;

/// Turns one `async fn` into one `#[test]` per enabled backend, named `<fn>::tokio`,
/// `<fn>::async_std` and `<fn>::smol`, so `cargo test smol` runs the smol half of a suite.
///
/// # Examples
///
/// In a test module (the generated `#[test]` functions exist only under `cargo test`, so this
/// example checks that the tests compile):
///
/// ```
/// use std::time::Duration;
///
/// #[anyio::test]
/// async fn sleeps() {
///     anyio::sleep(Duration::from_millis(1)).await;
/// }
///
/// #[anyio::test(backends = ["tokio", "smol"])]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     assert_eq!("42".parse::<u32>()?, 42);
///     Ok(())
/// }
/// # fn main() {}
/// ```
pub use anyio_macros::test;
pub use task::{
    task_group, JoinError, SpawnError, StartError, StartFuture, StartWithHandle, TaskGroup,
    TaskGroupError, TaskGroupFuture, TaskHandle, TaskStatus,
};
pub use time::{
    checkpoint, current_time, sleep, sleep_forever, sleep_until, Checkpoint, Sleep, SleepForever,
};

/// The runtime waist and the core crate, for backend authors and advanced use.
///
/// # Examples
///
/// Code generic over [`Runtime`](anyio_core::backend::Runtime) runs on [`AnyRuntime`]:
///
/// ```
/// use anyio::core::backend::Runtime;
///
/// async fn spawn_on<R: Runtime>() -> Option<u32> {
///     R::current().ok()?.spawn(async { 42 }).await
/// }
///
/// assert_eq!(anyio::run(spawn_on::<anyio::AnyRuntime>()).unwrap(), Some(42));
/// ```
pub use anyio_core as core;

/// A catch-all error type for task groups whose children fail in different ways.
///
/// # Examples
///
/// `?` converts each child's own error type into it:
///
/// ```
/// # anyio::run(async {
/// let address = anyio::task_group(|tg| async move {
///     let port = tg.spawn(async { Ok("8080".parse::<u16>()?) })?; // ParseIntError
///     let host = tg.spawn(async { Ok(String::from_utf8(b"db".to_vec())?) })?; // FromUtf8Error
///     Ok::<_, anyio::BoxError>(format!("{}:{}", host.await?, port.await?)) // JoinError
/// })
/// .await;
/// assert_eq!(address.unwrap(), "db:8080");
///
/// let error = anyio::task_group(|tg| async move {
///     tg.spawn(async { Ok("http".parse::<u16>()?) })?;
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap_err();
/// assert_eq!(error.first().unwrap().to_string(), "invalid digit found in string");
/// # }).unwrap();
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
