//! Command-line handling the examples share: flag values, `--backend` and `--port`, usage
//! errors, running the program on the chosen backend, and announcing a server's address.

use std::future::Future;
use std::io::Write as _;
use std::process::{ExitCode, Termination};

use anyio::net::{create_tcp_listener, SocketAttributes as _, TcpListener};
use anyio::{Backend, BoxError};

/// The value after `flag`, or an error saying it is missing.
pub(crate) fn value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<String, String> {
    args.next().ok_or(format!("{flag} needs a value"))
}

/// The backend named by `--backend`.
pub(crate) fn backend(args: &mut impl Iterator<Item = String>) -> Result<Backend, String> {
    value(args, "--backend")?
        .parse()
        .map_err(|e| format!("{e}"))
}

/// The port given by `--port`; anything outside 0..=65535 is refused with a clear message.
pub(crate) fn port(args: &mut impl Iterator<Item = String>) -> Result<u16, String> {
    let port = value(args, "--port")?;
    port.parse()
        .map_err(|_| format!("invalid port '{port}': expected a number from 0 to 65535"))
}

/// The parsed options, or exit status 2 after printing `message` (if any) and `usage`.
pub(crate) fn parsed<T>(name: &str, usage: &str, parsed: Result<T, String>) -> Result<T, ExitCode> {
    parsed.map_err(|message| {
        if !message.is_empty() {
            eprintln!("{name}: {message}");
        }
        eprintln!("{usage}");
        ExitCode::from(2)
    })
}

/// Runs `program` on `backend`, or on the one `ANYIO_BACKEND` (or the default) picks; a
/// failure to start or an error from the program is printed after `prefix` and exits with
/// status 1.
pub(crate) fn run<T: Termination>(
    prefix: &str,
    backend: Option<Backend>,
    program: impl Future<Output = Result<T, BoxError>>,
) -> ExitCode {
    let outcome = match backend {
        Some(backend) => anyio::run_with(backend, program),
        None => anyio::run(program),
    };
    let failure = match outcome {
        Ok(Ok(value)) => return value.report(),
        Ok(Err(error)) => error.to_string(),
        Err(error) => error.to_string(),
    };
    eprintln!("{prefix}: {failure}");
    ExitCode::FAILURE
}

/// A TCP listener on `host:port`, announced on stdout as `listening on HOST:PORT` (flushed at
/// once: scripts and tests wait for that line); a failure names the address.
pub(crate) async fn listen(host: &str, port: u16) -> Result<TcpListener, BoxError> {
    let listener = create_tcp_listener(Some(host), port)
        .await
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", listener.local_address()?)?;
    stdout.flush()?;
    Ok(listener)
}
