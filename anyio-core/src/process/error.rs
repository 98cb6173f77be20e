//! Why starting, talking to or waiting for a child process failed.

use std::fmt;
use std::io;
use std::process::ExitStatus;

use crate::streams::StreamError;

/// The error of [`run_process`](super::run_process) and [`open_process`](super::open_process).
///
/// # Examples
///
/// ```
/// use anyio::process::{run_process, ProcessError};
///
/// # anyio::run(async {
/// let error = run_process(["nonexistent-binary-xyz"]).await.unwrap_err();
/// assert!(matches!(error, ProcessError::NotFound { .. }));
/// assert_eq!(error.to_string(), "no such program: 'nonexistent-binary-xyz' (check the name and PATH)");
/// # }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ProcessError {
    /// The command had no program: pass at least the program's name, as in `["echo", "hi"]`.
    EmptyCommand,
    /// The command's options do not fit together; the message says what to change.
    InvalidArgument(&'static str),
    /// The program was not found (on `PATH`, or at the path given).
    NotFound {
        /// The program as given.
        program: String,
    },
    /// The program exists but could not be started, for example because it is not
    /// executable, or the working directory does not exist.
    Spawn {
        /// The program as given.
        program: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The process exited unsuccessfully and the command asked for that to be checked (the
    /// default of [`run_process`](super::run_process)). Carries everything it wrote.
    Failed {
        /// The command line, one string per argument (lossily converted to UTF-8).
        command: Vec<String>,
        /// How the process ended.
        status: ExitStatus,
        /// What it wrote to its standard output, if that was captured.
        stdout: Vec<u8>,
        /// What it wrote to its standard error, if that was captured.
        stderr: Vec<u8>,
    },
    /// Talking to the process through its standard streams failed.
    Stream(StreamError),
    /// Waiting for or signalling the process failed.
    Io(io::Error),
}

impl ProcessError {
    /// The exit status of a [`Failed`](Self::Failed) process.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::run_process;
    ///
    /// # anyio::run(async {
    /// let error = run_process(["sh", "-c", "exit 3"]).await.unwrap_err();
    /// assert_eq!(error.status().and_then(|s| s.code()), Some(3));
    /// # }).unwrap();
    /// ```
    pub fn status(&self) -> Option<ExitStatus> {
        match self {
            Self::Failed { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyCommand => f.write_str(
                "the command is empty: pass at least the program's name, as in [\"echo\", \"hi\"]",
            ),
            Self::InvalidArgument(message) => f.write_str(message),
            Self::NotFound { program } => {
                write!(f, "no such program: '{program}' (check the name and PATH)")
            }
            Self::Spawn { program, source } => write!(f, "could not start '{program}': {source}"),
            Self::Failed {
                command, status, ..
            } => write!(f, "command {command:?} failed: {status}"),
            Self::Stream(error) => write!(f, "talking to the process failed: {error}"),
            Self::Io(error) => write!(f, "waiting for or signalling the process failed: {error}"),
        }
    }
}

impl std::error::Error for ProcessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spawn { source, .. } | Self::Io(source) => Some(source),
            Self::Stream(error) => Some(error),
            _ => None,
        }
    }
}

impl From<StreamError> for ProcessError {
    fn from(error: StreamError) -> Self {
        Self::Stream(error)
    }
}

impl From<io::Error> for ProcessError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}
