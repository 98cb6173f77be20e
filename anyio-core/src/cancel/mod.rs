//! Cancel scopes: deadlines, shields and cancellation that reach every task started inside.
//!
//! A scope wraps a future. When the scope is cancelled — by [`CancelHandle::cancel`] from any
//! task or thread, or by its deadline passing — it wakes and polls its body, which runs on
//! until it next suspends; there the body is dropped and the scope resolves to "cancelled".
//! That is the delivery rule: **cancellation is delivered at checkpoints**.
//!
//! - Every anyio checkpoint inside a cancelled scope returns `Pending` at once and does
//!   nothing: a send does not deliver, a receive takes nothing, a sleep does not sleep.
//! - A body that starts in a cancelled scope still runs up to its first checkpoint (a child
//!   spawned into a cancelled group, a scope cancelled before it was entered).
//! - An operation that completed before the cancellation reached its task keeps its result (an
//!   `Event` that was set, a nested task group that finished).
//! - Level-triggered: every checkpoint inside a cancelled scope stays cancelled, and when an
//!   inner scope catches its own cancellation while an outer one is cancelled too, the outer
//!   one is responsible: the code after the inner scope does not run.
//! - A shielded scope is immune to the cancellation of scopes outside it, and an outer scope
//!   waits for the shielded part (and for task-group children) to finish before it drops its
//!   body. The shield can be switched while the scope runs ([`CancelHandle::set_shield`]).
//! - Deadlines are instants of the runtime's clock (`anyio::current_time`), so a paused or
//!   simulated clock governs them as it governs sleeps.
//!
//! Everything here is generic over the [`Runtime`](crate::backend::Runtime) that serves
//! deadlines; the `anyio` facade re-exports it for its `AnyRuntime`.
//!
//! # Examples
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use anyio_core::cancel::CancelScope;
//!
//! # anyio::run(async {
//! static STEPS: AtomicU32 = AtomicU32::new(0);
//! let scope = CancelScope::<anyio::AnyRuntime>::new();
//! let handle = scope.handle();
//! let outcome = scope
//!     .run(async move {
//!         handle.cancel();
//!         STEPS.fetch_add(1, Ordering::Relaxed); // still runs: no checkpoint yet
//!         anyio::sleep_forever().await // the cancellation is delivered here
//!     })
//!     .await;
//! assert_eq!(outcome, None);
//! assert_eq!(STEPS.load(Ordering::Relaxed), 1);
//! # }).unwrap();
//! ```

mod deadline;
mod handle;
mod scope;
mod scoped;
mod timeout;

pub(crate) use deadline::DeadlineTimer;
pub use handle::CancelHandle;
pub(crate) use handle::DEADLINE_REASON;
pub use scope::{current_effective_deadline, CancelScope};
pub use scoped::Scoped;
pub use timeout::{fail_after, fail_at, move_on_after, move_on_at, FailAfter, MoveOnAfter};
