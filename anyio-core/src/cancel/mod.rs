//! Cancel scopes: deadlines, shields and cancellation that reach every task started inside.
//!
//! A scope wraps a future. When the scope is cancelled — by [`CancelHandle::cancel`] from any
//! task or thread, or by its deadline passing — its body is dropped at its next suspension
//! point and the scope resolves to "cancelled". Cancellation is level-triggered: every anyio
//! checkpoint inside a cancelled scope stays cancelled. A shielded scope is immune to the
//! cancellation of scopes outside it, and an outer scope waits for the shielded part (and for
//! task-group children) to finish before it drops its body.
//!
//! Everything here is generic over the [`Runtime`](crate::backend::Runtime) that serves
//! deadlines; the `anyio` facade re-exports it for its `AnyRuntime`.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use anyio_core::cancel::CancelScope;
//!
//! # anyio::run(async {
//! let scope = CancelScope::<anyio::AnyRuntime>::new();
//! let handle = scope.handle();
//! handle.set_deadline(Some(std::time::Instant::now() + Duration::from_millis(5)));
//! assert_eq!(scope.run(anyio::sleep_forever()).await, None);
//! assert!(handle.cancelled_caught());
//! # }).unwrap();
//! ```

mod handle;
pub(crate) mod instant;
pub(crate) mod node;
mod scope;
pub(crate) mod scoped;
mod timeout;

pub use handle::CancelHandle;
pub use scope::{current_effective_deadline, CancelScope};
pub use scoped::Scoped;
pub use timeout::{fail_after, fail_at, move_on_after, move_on_at, FailAfter, MoveOnAfter};
