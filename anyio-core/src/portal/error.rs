//! Why a blocking portal could not run a request.

use std::error::Error;
use std::fmt;

/// Why a [`BlockingPortal`](super::BlockingPortal) could not run a request or return its
/// value.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), anyio::portal::PortalError> {
/// use anyio::portal::PortalError;
///
/// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
/// portal.stop(false);
/// let error = portal.call(async { 1 }).unwrap_err();
/// assert!(matches!(error, PortalError::Stopped));
/// assert!(error.to_string().contains("start a new portal"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum PortalError {
    /// The portal has been stopped (or its runtime thread has ended).
    Stopped,
    /// The portal was called, and would have been waited on, from its own event loop, where
    /// blocking would deadlock.
    ReEntrant,
    /// The task was cancelled (by its handle, or by stopping the portal) before it finished.
    Cancelled,
    /// The portal's runtime could not be started.
    Start(Box<dyn Error + Send + Sync + 'static>),
}

impl fmt::Display for PortalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortalError::Stopped => f.write_str(
                "the blocking portal has been stopped: start a new portal to run more async code",
            ),
            PortalError::ReEntrant => f.write_str(
                "cannot wait on a blocking portal from its own event loop, which would deadlock: \
                 await the future directly instead of going through the portal",
            ),
            PortalError::Cancelled => {
                f.write_str("the portal task was cancelled before it finished")
            }
            PortalError::Start(reason) => {
                write!(f, "could not start the blocking portal: {reason}")
            }
        }
    }
}

impl Error for PortalError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            PortalError::Start(reason) => Some(reason.as_ref()),
            _ => None,
        }
    }
}
