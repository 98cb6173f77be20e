//! A TCP echo server and client.
//!
//! ```text
//! cargo run --example echo                                  # both in one process, then exit
//! cargo run --example echo -- server --port 7000            # serve until killed
//! cargo run --example echo -- client --port 7000 hello there
//! cargo run --example echo --all-features -- --backend smol
//! ```
//!
//! The server sends back every byte it receives and half-closes once the client has; it
//! prints `listening on HOST:PORT` when ready (`--port 0` picks a free port). The client sends
//! each message as a line, prints each echoed line, and checks that it came back unchanged.
//! With no mode, the program starts a server on a free port in a task group, runs the client
//! against it, and cancels the server. `--backend tokio|async-std|smol` picks the backend;
//! without it `ANYIO_BACKEND` or the default one is used.

#[path = "support/cli.rs"]
mod cli;

use std::process::ExitCode;
use std::time::Duration;

use anyio::net::{connect_tcp, SocketAttributes as _, TcpListener, TcpStream};
use anyio::streams::{BufferedByteReceiveStream, StreamError};
use anyio::{Backend, BoxError, TaskStatus};

const USAGE: &str = "usage: echo [--backend tokio|async-std|smol] [--host HOST] \
                     [server [--port PORT] | client --port PORT MESSAGE...]";
/// The longest echoed line the client accepts.
const MAX_LINE: usize = 64 * 1024;
/// How long the client waits for its echoes.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq, Eq)]
enum Mode {
    Server,
    Client,
    Both,
}

#[derive(Debug)]
struct Options {
    backend: Option<Backend>,
    host: String,
    port: Option<u16>,
    mode: Mode,
    messages: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        backend: None,
        host: String::from("127.0.0.1"),
        port: None,
        mode: Mode::Both,
        messages: Vec::new(),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => options.backend = Some(cli::backend(&mut args)?),
            "--host" => options.host = cli::value(&mut args, "--host")?,
            "--port" => options.port = Some(cli::port(&mut args)?),
            "server" if options.mode == Mode::Both => options.mode = Mode::Server,
            "client" if options.mode == Mode::Both => options.mode = Mode::Client,
            "-h" | "--help" => return Err(String::new()),
            message if options.mode == Mode::Client && !message.starts_with("--") => {
                options.messages.push(message.to_string());
            }
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    match options.mode {
        Mode::Client if options.port.is_none() => {
            Err(String::from("client needs the server's --port"))
        }
        Mode::Client if options.messages.is_empty() => {
            Err(String::from("client needs at least one MESSAGE"))
        }
        _ => Ok(options),
    }
}

fn main() -> ExitCode {
    match cli::parsed("echo", USAGE, parse_args(std::env::args().skip(1))) {
        Ok(options) => cli::run("echo", options.backend, program(options)),
        Err(code) => code,
    }
}

async fn program(options: Options) -> Result<(), BoxError> {
    let host = options.host;
    match options.mode {
        Mode::Server => {
            let listener = cli::listen(&host, options.port.unwrap_or(0)).await?;
            serve(listener).await
        }
        Mode::Client => {
            let port = options.port.ok_or("client needs the server's --port")?;
            client(&host, port, &options.messages).await
        }
        Mode::Both => {
            let done = anyio::task_group(|tg| async move {
                let (port, server) = tg
                    .start_with_handle(|status: TaskStatus<u16>| async move {
                        let listener = cli::listen(&host, 0).await?;
                        status.started(listener.local_port().ok_or("the listener has no port")?);
                        serve(listener).await
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                let messages = ["hello", "from", "anyio"].map(String::from);
                client("127.0.0.1", port, &messages).await?;
                // The server would run forever; the demonstration is over.
                server.cancel();
                Ok::<_, BoxError>(())
            })
            .await;
            Ok(done?)
        }
    }
}

async fn serve(listener: TcpListener) -> Result<(), BoxError> {
    listener.serve(echo).await?;
    Ok(())
}

/// Echoes one connection until the peer half-closes, then half-closes in turn.
async fn echo(stream: TcpStream) {
    loop {
        match stream.receive(64 * 1024).await {
            Ok(data) => {
                if stream.send(&data).await.is_err() {
                    break;
                }
            }
            Err(StreamError::EndOfStream) => {
                let _ = stream.send_eof().await;
                break;
            }
            Err(_) => break,
        }
    }
    stream.close().await;
}

async fn client(host: &str, port: u16, messages: &[String]) -> Result<(), BoxError> {
    anyio::fail_after(CLIENT_TIMEOUT, async {
        let stream = connect_tcp(host, port)
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let reader = BufferedByteReceiveStream::new(stream);
        for message in messages {
            if message.contains('\n') {
                return Err(format!("{message:?}: a message must be one line").into());
            }
            reader
                .get_ref()
                .send(format!("{message}\n").as_bytes())
                .await?;
            let echoed = reader.receive_until(b"\n", MAX_LINE).await?;
            if echoed != message.as_bytes() {
                return Err(format!("sent {message:?} but got back {echoed:?}").into());
            }
            println!("echoed: {message}");
        }
        reader.get_ref().send_eof().await?;
        // The server half-closes once it has seen ours: nothing may follow the echoes.
        match reader.receive(1).await {
            Err(StreamError::EndOfStream) => {}
            Ok(extra) => return Err(format!("unexpected bytes after the echoes: {extra:?}").into()),
            Err(error) => return Err(error.into()),
        }
        reader.get_ref().close().await;
        Ok::<_, BoxError>(())
    })
    .await
    .map_err(|_| format!("no echo from {host}:{port} within {CLIENT_TIMEOUT:?}"))?
}
