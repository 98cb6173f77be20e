//! Low-level checkpoints, for code that builds its own waiting primitives: a checkpoint that
//! only delivers cancellation, one that only yields, and whether a cancellation is pending.
//!
//! # Examples
//!
//! ```
//! use anyio::lowlevel::{cancel_shielded_checkpoint, checkpoint_if_cancelled, has_pending_cancellation};
//!
//! # anyio::run(async {
//! checkpoint_if_cancelled().await; // not cancelled: completes without yielding
//! let scope = anyio::CancelScope::new();
//! scope.cancel();
//! let outcome = scope
//!     .run(async {
//!         assert!(has_pending_cancellation());
//!         cancel_shielded_checkpoint().await; // yields, delivers nothing
//!         checkpoint_if_cancelled().await; // delivers the cancellation
//!         unreachable!();
//!     })
//!     .await;
//! assert_eq!(outcome, None::<()>);
//! # }).unwrap();
//! ```

pub use anyio_core::lowlevel::{
    cancel_shielded_checkpoint, checkpoint, checkpoint_if_cancelled, has_pending_cancellation,
    CancelShieldedCheckpoint, Checkpoint, CheckpointIfCancelled,
};
