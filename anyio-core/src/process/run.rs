//! Running a command to completion, capturing what it writes.

use std::process::ExitStatus;

use super::child::Process;
use super::command::{Command, Redirect};
use super::error::ProcessError;
use crate::backend::Reactor;
use crate::net::UnixStream;
use crate::streams::StreamError;

/// How a command run by [`run_process`] ended, with everything it wrote.
///
/// # Examples
///
/// ```
/// use anyio::process::run_process;
///
/// # anyio::run(async {
/// let done = run_process(["printf", "\\377\\376"]).await.unwrap();
/// assert!(done.status.success());
/// assert_eq!(done.stdout, [0xff, 0xfe]);
/// assert!(done.stderr.is_empty());
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedProcess {
    /// How the process ended.
    pub status: ExitStatus,
    /// Its standard output, byte for byte (empty unless piped).
    pub stdout: Vec<u8>,
    /// Its standard error, byte for byte (empty unless piped).
    pub stderr: Vec<u8>,
}

/// Runs `command` (an argument vector such as `["echo", "hi"]`, or a [`Command`]) to
/// completion: feeds it its [`input`](Command::input), reads its standard output and error
/// concurrently (so no amount of output can deadlock it), and waits for its exit.
///
/// # Examples
///
/// ```
/// use anyio::process::{run_process, Command, ProcessError};
///
/// # anyio::run(async {
/// let done = run_process(["echo", "hi"]).await.unwrap();
/// assert_eq!(done.stdout, b"hi\n");
///
/// let error = run_process(Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]))
///     .await
///     .unwrap_err();
/// let ProcessError::Failed { status, stdout, stderr, .. } = error else { panic!() };
/// assert_eq!((status.code(), &stdout[..], &stderr[..]), (Some(3), &b"out\n"[..], &b"err\n"[..]));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ProcessError::Failed`] when the process exits unsuccessfully and the command is
/// [checked](Command::check) (the default), [`ProcessError::NotFound`] naming a missing
/// program, and the other [`ProcessError`]s.
///
/// # Cancel safety
///
/// Cancelling it kills the process (`SIGKILL`), which is then reaped in the background; what
/// it wrote is lost.
pub async fn run_process<R: Reactor>(
    command: impl Into<Command>,
) -> Result<CompletedProcess, ProcessError> {
    let command = command.into();
    let default_stdin = match command.input {
        Some(_) => Redirect::Pipe,
        None => Redirect::Null,
    };
    if command.input.is_some() && command.stdin.is_some_and(|s| s != Redirect::Pipe) {
        return Err(ProcessError::InvalidArgument(
            "a command with `input` needs its standard input piped: leave `stdin` unset",
        ));
    }
    let mut process = Process::<R>::spawn(&command, default_stdin)?;
    let feed = feed(process.take_stdin(), command.input.as_deref());
    let stdout = read_all(process.take_stdout());
    let stderr = read_all(process.take_stderr());
    let (fed, stdout, stderr) = futures_util::future::join3(feed, stdout, stderr).await;
    fed?;
    let (stdout, stderr) = (stdout?, stderr?);
    let status = process.wait().await?;
    if command.check && !status.success() {
        return Err(ProcessError::Failed {
            command: command.display_argv(),
            status,
            stdout,
            stderr,
        });
    }
    Ok(CompletedProcess {
        status,
        stdout,
        stderr,
    })
}

/// Writes `input` and closes standard input, so the child sees the end of it. A child that
/// exits without reading all of it is not an error, as with Python's `communicate`.
async fn feed<R: Reactor>(
    stdin: Option<UnixStream<R>>,
    input: Option<&[u8]>,
) -> Result<(), StreamError> {
    if let (Some(stdin), Some(input)) = (&stdin, input) {
        match stdin.send(input).await {
            Ok(()) | Err(StreamError::Broken(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

async fn read_all<R: Reactor>(stream: Option<UnixStream<R>>) -> Result<Vec<u8>, StreamError> {
    let mut data = Vec::new();
    let Some(stream) = stream else {
        return Ok(data);
    };
    loop {
        match stream.receive(64 * 1024).await {
            Ok(chunk) => data.extend_from_slice(&chunk),
            // A reset is how a socket pair reports a peer that exited with unread input.
            Err(StreamError::EndOfStream | StreamError::Broken(_)) => return Ok(data),
            Err(error) => return Err(error),
        }
    }
}

/// Starts `command` (an argument vector or a [`Command`]) with its standard streams piped
/// (unless the command says otherwise) and returns the running [`Process`].
///
/// # Examples
///
/// ```
/// use anyio::process::open_process;
///
/// # anyio::run(async {
/// let process = open_process(["echo", "hi"]).await.unwrap();
/// assert_eq!(&process.stdout().unwrap().receive(16).await.unwrap()[..], b"hi\n");
/// assert!(process.wait().await.unwrap().success());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ProcessError::NotFound`] naming a missing program, [`ProcessError::Spawn`] when it
/// cannot be started, and [`ProcessError::InvalidArgument`] for a command with
/// [`input`](Command::input), which only [`run_process`] feeds.
///
/// # Cancel safety
///
/// Cancel safe: the process starts in the poll that returns it.
pub async fn open_process<R: Reactor>(
    command: impl Into<Command>,
) -> Result<Process<R>, ProcessError> {
    let command = command.into();
    if command.input.is_some() {
        return Err(ProcessError::InvalidArgument(
            "open_process does not feed `input`: send it through the process's stdin",
        ));
    }
    Process::spawn(&command, Redirect::Pipe)
}
