//! Task groups: structured concurrency.
//!
//! A task group runs a body and any number of child tasks, and completes only when all of them
//! have finished. The first failure (an `Err` or a panic) cancels everything else in the group;
//! dropping the group's future cancels its children; nothing outlives the group.

mod child;
mod group;
mod handle;
mod status;

pub use group::{task_group, TaskGroup, TaskGroupFuture};
pub use handle::TaskHandle;
pub use status::{StartFuture, TaskStatus};
