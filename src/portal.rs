//! Blocking portals: plain sync code calling async code, on any backend.
//!
//! [`start_blocking_portal`] starts the chosen backend's runtime on a background thread;
//! the returned [`BlockingPortal`] runs futures there for any sync thread. See
//! [`anyio_core::portal`] for the details.
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), anyio::portal::PortalError> {
//! use std::time::Duration;
//!
//! for backend in anyio::Backend::available() {
//!     let portal = anyio::start_blocking_portal(backend)?;
//!     let task = portal.start_task_soon(async {
//!         anyio::sleep(Duration::from_millis(5)).await;
//!         "slept"
//!     })?;
//!     assert_eq!(portal.call(async { 1 + 1 })?, 2);
//!     assert_eq!(task.wait()?, "slept");
//!     portal.stop(false);
//! }
//! # Ok(())
//! # }
//! ```

use crate::{AnyRuntime, Backend};

pub use anyio_core::portal::{PortalError, PortalTask};

/// A blocking portal on one of the enabled backends; see
/// [`anyio_core::portal::BlockingPortal`].
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), anyio::portal::PortalError> {
/// let portal: anyio::BlockingPortal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
/// assert_eq!(portal.call(async { 7 })?, 7);
/// # Ok(())
/// # }
/// ```
pub type BlockingPortal = anyio_core::portal::BlockingPortal<AnyRuntime>;

/// Starts a [`BlockingPortal`] on `backend`, from plain sync code: its runtime runs on a new
/// background thread until the portal is stopped or dropped.
///
/// # Examples
///
/// Choosing the backend the way [`run`](crate::run) does, from `ANYIO_BACKEND`:
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = match std::env::var("ANYIO_BACKEND") {
///     Ok(name) => name.parse()?,
///     Err(_) => anyio::Backend::available()[0],
/// };
/// let portal = anyio::start_blocking_portal(backend)?;
/// assert_eq!(portal.call(async { anyio::Backend::current() })?, Some(backend));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`PortalError::Start`] if `backend`'s feature is not enabled (the message names the feature
/// to enable) or its runtime could not be started.
pub fn start_blocking_portal(backend: Backend) -> Result<BlockingPortal, PortalError> {
    let runtime =
        AnyRuntime::try_from(backend).map_err(|error| PortalError::Start(Box::new(error)))?;
    BlockingPortal::start(runtime)
}
