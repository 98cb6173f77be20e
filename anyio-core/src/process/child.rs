//! A running child process: its standard streams as anyio byte streams, and waiting for its
//! exit without blocking the event loop.
//!
//! Each child has a watcher thread that sleeps in `waitid(WNOWAIT)` until the child exits
//! (which does not reap it), then reaps it with `Child::wait` under the lock that signalling
//! also takes. So a signal is only ever sent to a pid that is still ours (alive or a zombie),
//! never to a recycled one, and every child is reaped even when nobody waits for it.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};

use rustix::process::{kill_process, waitid, Pid, Signal, WaitId, WaitIdOptions};

use super::command::{Command, Redirect};
use super::error::ProcessError;
use crate::backend::Reactor;
use crate::net::UnixStream;
use crate::sync::Event;
use crate::wait::Acquire;

/// The exit status once reaped, or the error reaping it (kept as parts: `io::Error` is not
/// `Clone`, and every waiter gets its own copy).
type Reaped = Result<ExitStatus, (io::ErrorKind, String)>;

struct State {
    child: Child,
    status: Option<Reaped>,
}

struct Shared {
    state: Mutex<State>,
    exited: Event,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.acquire()
    }

    fn status(&self) -> Option<Result<ExitStatus, ProcessError>> {
        self.lock().status.as_ref().map(|reaped| {
            reaped
                .clone()
                .map_err(|(kind, message)| ProcessError::Io(io::Error::new(kind, message)))
        })
    }
}

/// A child process started by [`open_process`](super::open_process).
///
/// Its piped standard streams are anyio [`UnixStream`]s: anyio connects them through Unix
/// socket pairs rather than pipes, since sockets can be made non-blocking without `unsafe`
/// code. Programs read and write them as they would pipes.
///
/// Dropping a `Process` whose child still runs kills the child (`SIGKILL`); it is reaped in
/// the background either way, so no zombie remains.
///
/// # Examples
///
/// ```
/// use anyio::process::open_process;
///
/// # anyio::run(async {
/// let mut process = open_process(["cat"]).await.unwrap();
/// let stdin = process.take_stdin().unwrap();
/// stdin.send(b"ping").await.unwrap();
/// drop(stdin);
/// assert_eq!(&process.stdout().unwrap().receive(4).await.unwrap()[..], b"ping");
/// assert!(process.wait().await.unwrap().success());
/// # }).unwrap();
/// ```
pub struct Process<R: Reactor> {
    pid: u32,
    shared: Arc<Shared>,
    stdin: Option<UnixStream<R>>,
    stdout: Option<UnixStream<R>>,
    stderr: Option<UnixStream<R>>,
}

/// One standard stream of the child: what the child gets, and our end when piped.
fn redirect<R: Reactor>(how: Redirect) -> io::Result<(Stdio, Option<UnixStream<R>>)> {
    Ok(match how {
        Redirect::Inherit => (Stdio::inherit(), None),
        Redirect::Null => (Stdio::null(), None),
        Redirect::Pipe => {
            let (ours, theirs) = StdUnixStream::pair()?;
            (
                Stdio::from(OwnedFd::from(theirs)),
                Some(UnixStream::from_std(ours)?),
            )
        }
    })
}

impl<R: Reactor> Process<R> {
    /// Starts `command`, with `default_stdin` unless it says where standard input comes from.
    pub(super) fn spawn(command: &Command, default_stdin: Redirect) -> Result<Self, ProcessError> {
        let program = match command.argv.first() {
            Some(program) if !program.is_empty() => program,
            _ => return Err(ProcessError::EmptyCommand),
        };
        let mut std_command = std::process::Command::new(program);
        std_command.args(&command.argv[1..]);
        if command.env_clear {
            std_command.env_clear();
        }
        for (key, value) in &command.env {
            match value {
                Some(value) => std_command.env(key, value),
                None => std_command.env_remove(key),
            };
        }
        if let Some(dir) = &command.cwd {
            std_command.current_dir(dir);
        }
        let (stdin_child, stdin) = redirect(command.stdin.unwrap_or(default_stdin))?;
        let (stdout_child, stdout) = redirect(command.stdout)?;
        let (stderr_child, stderr) = redirect(command.stderr)?;
        std_command
            .stdin(stdin_child)
            .stdout(stdout_child)
            .stderr(stderr_child);
        let spawned = std_command.spawn();
        // The command holds the child's ends of the socket pairs: close ours of them now, or
        // the child's reads would never see the end of our writes.
        drop(std_command);
        let child = spawned.map_err(|error| spawn_error(command, error))?;
        let pid = child.id();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                child,
                status: None,
            }),
            exited: Event::new(),
        });
        let watched = shared.clone();
        let watcher = std::thread::Builder::new()
            .name(format!("anyio-process-{pid}"))
            .spawn(move || watch(&watched));
        if let Err(error) = watcher {
            let mut state = shared.lock();
            let _ = state.child.kill();
            let _ = state.child.wait();
            return Err(ProcessError::Io(error));
        }
        Ok(Self {
            pid,
            shared,
            stdin,
            stdout,
            stderr,
        })
    }

    /// The child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["true"]).await.unwrap();
    /// assert!(process.pid() > 0);
    /// # }).unwrap();
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The child's standard input, while piped and not taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["cat"]).await.unwrap();
    /// process.stdin().unwrap().send(b"x").await.unwrap();
    /// # }).unwrap();
    /// ```
    pub fn stdin(&self) -> Option<&UnixStream<R>> {
        self.stdin.as_ref()
    }

    /// The child's standard output, while piped and not taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["echo", "hi"]).await.unwrap();
    /// assert_eq!(&process.stdout().unwrap().receive(3).await.unwrap()[..], b"hi\n");
    /// # }).unwrap();
    /// ```
    pub fn stdout(&self) -> Option<&UnixStream<R>> {
        self.stdout.as_ref()
    }

    /// The child's standard error, while piped and not taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["sh", "-c", "echo oops >&2"]).await.unwrap();
    /// assert_eq!(&process.stderr().unwrap().receive(5).await.unwrap()[..], b"oops\n");
    /// # }).unwrap();
    /// ```
    pub fn stderr(&self) -> Option<&UnixStream<R>> {
        self.stderr.as_ref()
    }

    /// Takes the child's standard input, for example to move it into another task or to drop
    /// it, which the child sees as the end of its input.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let mut process = open_process(["cat"]).await.unwrap();
    /// drop(process.take_stdin());
    /// assert!(process.wait().await.unwrap().success());
    /// # }).unwrap();
    /// ```
    pub fn take_stdin(&mut self) -> Option<UnixStream<R>> {
        self.stdin.take()
    }

    /// Takes the child's standard output.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let mut process = open_process(["echo", "hi"]).await.unwrap();
    /// let stdout = process.take_stdout().unwrap();
    /// assert_eq!(&stdout.receive(3).await.unwrap()[..], b"hi\n");
    /// # }).unwrap();
    /// ```
    pub fn take_stdout(&mut self) -> Option<UnixStream<R>> {
        self.stdout.take()
    }

    /// Takes the child's standard error.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let mut process = open_process(["sh", "-c", "echo oops >&2"]).await.unwrap();
    /// let stderr = process.take_stderr().unwrap();
    /// assert_eq!(&stderr.receive(5).await.unwrap()[..], b"oops\n");
    /// # }).unwrap();
    /// ```
    pub fn take_stderr(&mut self) -> Option<UnixStream<R>> {
        self.stderr.take()
    }

    /// Waits for the child to exit and returns its status; at once if it already has.
    ///
    /// It does not close the child's standard input: a child that reads until the end of
    /// its input needs [`take_stdin`](Self::take_stdin) and a drop first.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["sh", "-c", "exit 7"]).await.unwrap();
    /// assert_eq!(process.wait().await.unwrap().code(), Some(7));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`ProcessError::Io`] when the child could not be reaped, for example because the
    /// application set `SIGCHLD` to be ignored, which reaps children before anyio can.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the child keeps running and can be waited for again.
    pub async fn wait(&self) -> Result<ExitStatus, ProcessError> {
        self.shared.exited.wait().await;
        self.shared
            .status()
            .unwrap_or_else(|| Err(io::Error::other("the child was not reaped").into()))
    }

    /// The child's exit status if it has exited (and been reaped, which follows at once),
    /// without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["sleep", "5"]).await.unwrap();
    /// assert!(process.try_wait().unwrap().is_none());
    /// process.kill().unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, ProcessError> {
        self.shared.status().transpose()
    }

    /// Kills the child with `SIGKILL`; nothing if it has already exited.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["sleep", "30"]).await.unwrap();
    /// process.kill().unwrap();
    /// assert_eq!(process.wait().await.unwrap().signal(), Some(9));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`ProcessError::Io`] with the operating system's error.
    pub fn kill(&self) -> Result<(), ProcessError> {
        self.signal(Signal::KILL)
    }

    /// Asks the child to terminate with `SIGTERM`; nothing if it has already exited.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use anyio::process::open_process;
    ///
    /// # anyio::run(async {
    /// let process = open_process(["sleep", "30"]).await.unwrap();
    /// process.terminate().unwrap();
    /// assert_eq!(process.wait().await.unwrap().signal(), Some(15));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`ProcessError::Io`] with the operating system's error.
    pub fn terminate(&self) -> Result<(), ProcessError> {
        self.signal(Signal::TERM)
    }

    fn signal(&self, signal: Signal) -> Result<(), ProcessError> {
        let state = self.shared.lock();
        if state.status.is_some() {
            return Ok(());
        }
        // Not reaped (the watcher reaps only under this lock), so the pid is still ours.
        kill_process(Pid::from_child(&state.child), signal).map_err(io::Error::from)?;
        Ok(())
    }
}

impl<R: Reactor> fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("status", &self.shared.lock().status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl<R: Reactor> Drop for Process<R> {
    fn drop(&mut self) {
        if !self.shared.exited.is_set() {
            let _ = self.kill();
        }
    }
}

/// The watcher thread: waits for the child's exit, reaps it, and wakes its waiters.
fn watch(shared: &Shared) {
    let pid = Pid::from_child(&shared.lock().child);
    // WNOWAIT leaves the child a zombie, so its pid cannot be recycled before the reap
    // below, done under the lock `signal` takes. On any outcome but an interruption, `wait`
    // either reaps or reports why it cannot.
    let exited = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
    while let Err(rustix::io::Errno::INTR) = waitid(WaitId::Pid(pid), exited) {}
    let mut state = shared.lock();
    let reaped = state
        .child
        .wait()
        .map_err(|error| (error.kind(), error.to_string()));
    state.status = Some(reaped);
    drop(state);
    shared.exited.set();
}

fn spawn_error(command: &Command, source: io::Error) -> ProcessError {
    let program = command.argv[0].to_string_lossy().into_owned();
    match &command.cwd {
        Some(dir) if !dir.is_dir() => ProcessError::Spawn {
            program,
            source: io::Error::new(
                source.kind(),
                format!("the working directory {} is not a directory", dir.display()),
            ),
        },
        _ if source.kind() == io::ErrorKind::NotFound => ProcessError::NotFound { program },
        _ => ProcessError::Spawn { program, source },
    }
}
