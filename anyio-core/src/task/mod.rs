//! Task groups: structured concurrency.
//!
//! A task group runs a body and any number of child tasks, and completes only when all of them
//! have finished. The first failure (an `Err` or a panic) cancels everything else in the group;
//! dropping the group's future cancels its children; nothing outlives the group.
//!
//! Everything here is generic over the [`Runtime`](crate::backend::Runtime) children are
//! spawned on; the `anyio` facade re-exports it for its `AnyRuntime`.
//!
//! # Examples
//!
//! ```
//! use anyio::AnyRuntime;
//! use anyio_core::task::{task_group, TaskGroup};
//!
//! # anyio::run(async {
//! let sum = task_group(|tg: TaskGroup<AnyRuntime, anyio::BoxError>| async move {
//!     let a = tg.spawn(async { Ok(1) })?;
//!     let b = tg.spawn(async { Ok(2) })?;
//!     Ok(a.await? + b.await?)
//! })
//! .await;
//! assert_eq!(sum.unwrap(), 3);
//! # }).unwrap();
//! ```

mod child;
mod group;
mod handle;
mod shared;
mod status;

pub use group::{task_group, TaskGroup, TaskGroupFuture};
pub use handle::TaskHandle;
pub use status::{StartFuture, StartWithHandle, TaskStatus};
