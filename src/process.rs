//! Child processes on the backend in use; see [`anyio_core::process`].
//!
//! # Examples
//!
//! ```
//! use anyio::process::run_process;
//!
//! # anyio::run(async {
//! let done = run_process(["echo", "hi"]).await.unwrap();
//! assert_eq!(done.stdout, b"hi\n");
//! # }).unwrap();
//! ```

use anyio_core::process as core;

pub use anyio_core::process::{Command, CompletedProcess, ProcessError, Redirect};

use crate::AnyRuntime;

/// A running child process on the backend in use; see [`anyio_core::process::Process`].
pub type Process = core::Process<AnyRuntime>;

/// Runs a command to completion, capturing its output; see
/// [`anyio_core::process::run_process`].
///
/// # Examples
///
/// ```
/// use anyio::process::{run_process, Command};
///
/// # anyio::run(async {
/// let done = run_process(Command::new("cat").input("echoed")).await.unwrap();
/// assert_eq!(done.stdout, b"echoed");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ProcessError::Failed`] with the output on an unsuccessful exit of a checked command,
/// [`ProcessError::NotFound`] naming a missing program, and the other [`ProcessError`]s.
///
/// # Cancel safety
///
/// Cancelling it kills and reaps the process; its output is lost.
pub async fn run_process(command: impl Into<Command>) -> Result<CompletedProcess, ProcessError> {
    core::run_process::<AnyRuntime>(command).await
}

/// Starts a command with piped standard streams; see [`anyio_core::process::open_process`].
///
/// # Examples
///
/// ```
/// use anyio::process::open_process;
///
/// # anyio::run(async {
/// let process = open_process(["sh", "-c", "exit 2"]).await.unwrap();
/// assert_eq!(process.wait().await.unwrap().code(), Some(2));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ProcessError::NotFound`] naming a missing program, [`ProcessError::Spawn`] when it
/// cannot be started, [`ProcessError::InvalidArgument`] for a command with `input`.
///
/// # Cancel safety
///
/// Cancel safe: the process starts in the poll that returns it.
pub async fn open_process(command: impl Into<Command>) -> Result<Process, ProcessError> {
    core::open_process::<AnyRuntime>(command).await
}
