//! Child processes: run a command to completion, or start one and talk to it through its
//! standard streams, on every backend.
//!
//! A command is an argument vector — the program and its arguments, never a shell command
//! line — given as an array, a vector or a [`Command`] with options. [`run_process`] captures
//! the output and, by default, turns an unsuccessful exit into [`ProcessError::Failed`]
//! carrying that output; [`open_process`] returns a [`Process`] whose standard streams are
//! anyio byte streams.
//!
//! No child outlives its handle unreaped: a cancelled `run_process`, or a dropped `Process`
//! whose child still runs, kills the child, and a watcher thread per child reaps it.
//!
//! # Examples
//!
//! ```
//! use anyio::process::{run_process, Command};
//!
//! # anyio::run(async {
//! let done = run_process(Command::new("tr").args(["a-z", "A-Z"]).input("shout")).await.unwrap();
//! assert_eq!(done.stdout, b"SHOUT");
//! # }).unwrap();
//! ```

mod child;
mod command;
mod error;
mod run;

pub use child::Process;
pub use command::{Command, Redirect};
pub use error::ProcessError;
pub use run::{open_process, run_process, CompletedProcess};
