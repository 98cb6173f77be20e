//! What to run: an argument vector (never a shell command line) and its options.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Where one of a child's standard streams goes.
///
/// # Examples
///
/// ```
/// use anyio::process::{run_process, Command, Redirect};
///
/// # anyio::run(async {
/// let done = run_process(Command::new("echo").arg("quiet").stdout(Redirect::Null)).await.unwrap();
/// assert!(done.stdout.is_empty());
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    /// Connected to the parent as an anyio byte stream (captured, for
    /// [`run_process`](super::run_process)).
    Pipe,
    /// Shared with the parent process.
    Inherit,
    /// Connected to the null device.
    Null,
}

/// A command to run: the program, its arguments, environment and working directory, the
/// bytes to feed its standard input, and whether a failure is an error.
///
/// Arrays, vectors and slices of strings convert into a `Command` whose first element is the
/// program, so `run_process(["echo", "hi"])` works. No shell is involved: arguments reach
/// the program exactly as given.
///
/// # Examples
///
/// ```
/// use anyio::process::{run_process, Command};
///
/// # anyio::run(async {
/// let command = Command::new("sh")
///     .args(["-c", "echo $GREETING from $(pwd)"])
///     .env("GREETING", "hello")
///     .current_dir("/");
/// let done = run_process(command).await.unwrap();
/// assert_eq!(done.stdout, b"hello from /\n");
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Command {
    pub(super) argv: Vec<OsString>,
    pub(super) env: Vec<(OsString, Option<OsString>)>,
    pub(super) env_clear: bool,
    pub(super) cwd: Option<PathBuf>,
    pub(super) input: Option<Vec<u8>>,
    pub(super) check: bool,
    pub(super) stdin: Option<Redirect>,
    pub(super) stdout: Redirect,
    pub(super) stderr: Redirect,
}

impl Command {
    /// A command running `program` with no arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// assert!(run_process(Command::new("true")).await.unwrap().status.success());
    /// # }).unwrap();
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self::from_argv(std::iter::once(program))
    }

    fn from_argv<S: AsRef<OsStr>>(argv: impl IntoIterator<Item = S>) -> Self {
        Self {
            argv: argv.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            env: Vec::new(),
            env_clear: false,
            cwd: None,
            input: None,
            check: true,
            stdin: None,
            stdout: Redirect::Pipe,
            stderr: Redirect::Pipe,
        }
    }

    /// Appends one argument.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("echo").arg("a b")).await.unwrap();
    /// assert_eq!(done.stdout, b"a b\n");
    /// # }).unwrap();
    /// ```
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.argv.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("echo").args(["a", "b"])).await.unwrap();
    /// assert_eq!(done.stdout, b"a b\n");
    /// # }).unwrap();
    /// ```
    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.argv
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("sh").args(["-c", "echo $X"]).env("X", "1")).await;
    /// assert_eq!(done.unwrap().stdout, b"1\n");
    /// # }).unwrap();
    /// ```
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let command = Command::new("sh").args(["-c", "echo ${X-unset}"]).env("X", "1").env_remove("X");
    /// assert_eq!(run_process(command).await.unwrap().stdout, b"unset\n");
    /// # }).unwrap();
    /// ```
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Starts the child with an empty environment, plus what [`env`](Self::env) adds.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let command = Command::new("/usr/bin/env").env_clear().env("ONLY", "me");
    /// assert_eq!(run_process(command).await.unwrap().stdout, b"ONLY=me\n");
    /// # }).unwrap();
    /// ```
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("pwd").current_dir("/")).await.unwrap();
    /// assert_eq!(done.stdout, b"/\n");
    /// # }).unwrap();
    /// ```
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// Bytes [`run_process`](super::run_process) writes to the child's standard input before
    /// closing it. Without input, `run_process` connects standard input to the null device.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("cat").input("fed in")).await.unwrap();
    /// assert_eq!(done.stdout, b"fed in");
    /// # }).unwrap();
    /// ```
    pub fn input(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.input = Some(input.into());
        self
    }

    /// Whether [`run_process`](super::run_process) turns an unsuccessful exit into
    /// [`ProcessError::Failed`](super::ProcessError::Failed); on by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("false").check(false)).await.unwrap();
    /// assert_eq!(done.status.code(), Some(1));
    /// # }).unwrap();
    /// ```
    pub fn check(mut self, check: bool) -> Self {
        self.check = check;
        self
    }

    /// Where the child's standard input comes from. By default a pipe for
    /// [`open_process`](super::open_process), and for [`run_process`](super::run_process) a
    /// pipe when there is [`input`](Self::input) and the null device otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{open_process, Command, Redirect};
    ///
    /// # anyio::run(async {
    /// let mut process = open_process(Command::new("cat").stdin(Redirect::Null)).await.unwrap();
    /// assert!(process.take_stdin().is_none());
    /// assert!(process.wait().await.unwrap().success());
    /// # }).unwrap();
    /// ```
    pub fn stdin(mut self, redirect: Redirect) -> Self {
        self.stdin = Some(redirect);
        self
    }

    /// Where the child's standard output goes; a pipe by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command, Redirect};
    ///
    /// # anyio::run(async {
    /// let done = run_process(Command::new("echo").stdout(Redirect::Null)).await.unwrap();
    /// assert!(done.stdout.is_empty());
    /// # }).unwrap();
    /// ```
    pub fn stdout(mut self, redirect: Redirect) -> Self {
        self.stdout = redirect;
        self
    }

    /// Where the child's standard error goes; a pipe by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::{run_process, Command, Redirect};
    ///
    /// # anyio::run(async {
    /// let command = Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Redirect::Null);
    /// assert!(run_process(command).await.unwrap().stderr.is_empty());
    /// # }).unwrap();
    /// ```
    pub fn stderr(mut self, redirect: Redirect) -> Self {
        self.stderr = redirect;
        self
    }

    /// The program and its arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::process::Command;
    ///
    /// let command = Command::from(["echo", "hi"]);
    /// assert_eq!(command.get_argv(), ["echo", "hi"]);
    /// ```
    pub fn get_argv(&self) -> &[OsString] {
        &self.argv
    }

    /// The command line for messages, one string per argument.
    pub(super) fn display_argv(&self) -> Vec<String> {
        self.argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }
}

impl<S: AsRef<OsStr>, const N: usize> From<[S; N]> for Command {
    fn from(argv: [S; N]) -> Self {
        Self::from_argv(argv)
    }
}

impl<S: AsRef<OsStr>> From<Vec<S>> for Command {
    fn from(argv: Vec<S>) -> Self {
        Self::from_argv(argv)
    }
}

impl<S: AsRef<OsStr>> From<&[S]> for Command {
    fn from(argv: &[S]) -> Self {
        Self::from_argv(argv)
    }
}
