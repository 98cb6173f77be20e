//! Synchronization types, swapped for loom's under `cfg(loom)` so that the model checker can
//! explore every interleaving of the channel and lock state machines.

#[cfg(loom)]
pub(crate) use loom::sync::{atomic, Arc, Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{atomic, Arc, Condvar, Mutex, MutexGuard};
