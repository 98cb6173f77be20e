//! Blocking portals: plain sync code calling async code.
//!
//! A [`BlockingPortal`] runs a runtime on a background thread and serves the futures that sync
//! threads hand it: [`call`](BlockingPortal::call) blocks for a future's value,
//! [`start_task_soon`](BlockingPortal::start_task_soon) returns a [`PortalTask`] to wait on,
//! await or cancel, and [`stop`](BlockingPortal::stop) shuts it down. It is the other direction
//! of the bridge to running blocking code from async code on the runtime's blocking pool.
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), anyio::portal::PortalError> {
//! // A sync library function that needs async code.
//! fn fetch_len(portal: &anyio::BlockingPortal, name: &'static str) -> usize {
//!     portal
//!         .call(async move {
//!             anyio::checkpoint().await;
//!             name.len()
//!         })
//!         .expect("the portal is running")
//! }
//!
//! let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
//! assert_eq!(fetch_len(&portal, "anyio"), 5);
//! portal.stop(false);
//! # Ok(())
//! # }
//! ```

mod blocking;
mod completion;
mod error;
mod marker;
mod serve;

pub use blocking::BlockingPortal;
pub use completion::PortalTask;
pub use error::PortalError;
