//! A small Redis-compatible server (RESP2) on anyio, and a client for it.
//!
//! It speaks enough of the protocol for `redis-cli` and `redis-benchmark`: `PING [msg]`,
//! `ECHO`, `SET key value [NX|XX] [EX s|PX ms]`, `GET`, `DEL`, `INCR`, `EXISTS`, `KEYS pattern`
//! (`*` and `?` globs), `FLUSHDB`, `QUIT`, plus minimal `COMMAND` and `CONFIG GET` answers.
//! Requests may be RESP arrays or inline lines, pipelined or not. Keys with a deadline expire
//! lazily, when next touched. Malformed input gets `-ERR Protocol error: ...` and the
//! connection is closed; an unknown command gets an error and the connection stays open.
//!
//! ```text
//! cargo run --example mini_redis --all-features -- --backend smol --port 6380
//! redis-cli -p 6380 SET greeting hello
//! cargo run --example mini_redis -- --port 6380 client GET greeting
//! redis-benchmark -p 6380 -t set,get,incr -q
//! ```
//!
//! `--backend tokio|async-std|smol` picks the backend; without it `ANYIO_BACKEND` or the
//! default one is used. `--port 0` picks a free port; the server prints
//! `listening on HOST:PORT` once it accepts connections. The `client` subcommand sends one
//! command and prints the reply as `redis-cli` does on a terminal; it exits with status 1 on
//! an error reply.

#[path = "../support/cli.rs"]
mod cli;
mod commands;
mod resp;
mod store;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::net::{connect_tcp, TcpStream};
use anyio::streams::{BufferedByteReceiveStream, StreamError};
use anyio::{Backend, BoxError};

use commands::Next;
use resp::{encode, ReadError, Reader};
use store::Store;

const USAGE: &str = "usage: mini_redis [--backend tokio|async-std|smol] [--host HOST] \
                     [--port PORT] [client COMMAND [ARG...]]";

/// How long a closing connection keeps reading what the peer still sends, so that the last
/// reply is not lost to a reset.
const LINGER: Duration = Duration::from_secs(1);
/// Replies held back for one send at most; a larger batch goes out at once.
const MAX_BATCH: usize = 64 * 1024;
/// How long the client waits for the server.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Options {
    backend: Option<Backend>,
    host: String,
    port: u16,
    /// The command to send, for the `client` subcommand.
    client: Option<Vec<String>>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        backend: None,
        host: String::from("127.0.0.1"),
        port: 6379,
        client: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => options.backend = Some(cli::backend(&mut args)?),
            "--host" => options.host = cli::value(&mut args, "--host")?,
            "--port" => options.port = cli::port(&mut args)?,
            "client" => {
                let command: Vec<String> = args.by_ref().collect();
                if command.is_empty() {
                    return Err(String::from(
                        "client needs a command, such as `client PING`",
                    ));
                }
                options.client = Some(command);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match cli::parsed("mini_redis", USAGE, parse_args(std::env::args().skip(1))) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let program = async move {
        match options.client {
            Some(command) => client(&options.host, options.port, command).await,
            None => server(&options.host, options.port).await,
        }
    };
    cli::run("mini_redis", options.backend, program)
}

async fn server(host: &str, port: u16) -> Result<ExitCode, BoxError> {
    let listener = cli::listen(host, port).await?;
    let store = Arc::new(Mutex::new(Store::default()));
    listener
        .serve(move |stream| serve_connection(stream, Arc::clone(&store)))
        .await?;
    Ok(ExitCode::SUCCESS)
}

async fn serve_connection(stream: TcpStream, store: Arc<Mutex<Store>>) {
    let reader = BufferedByteReceiveStream::new(stream);
    let mut out = Vec::new();
    loop {
        let next = match resp::read_command(&reader).await {
            Ok(Some(args)) => commands::execute(&store, &args, &mut out),
            Ok(None) | Err(ReadError::Stream(_)) => break,
            Err(error @ ReadError::Protocol(_)) => {
                encode::error(&mut out, &format!("ERR {error}"));
                Next::Close
            }
        };
        // Replies to a pipelined burst go out together, once no complete request is left in
        // the buffer: one send per burst instead of one per request. Replies stay in order, a
        // client that waits for replies before finishing a request is never kept waiting,
        // and a slow reader holds back only its own connection.
        let more_waiting = reader.buffered_len() > 0
            && out.len() < MAX_BATCH
            && reader.peek(resp::holds_complete_command);
        if next == Next::Continue && more_waiting {
            continue;
        }
        if reader.get_ref().send(&out).await.is_err() {
            break;
        }
        out.clear();
        if next == Next::Close {
            break;
        }
    }
    close_gracefully(&reader).await;
}

/// Sends EOF, then reads and discards until the peer closes too (bounded by [`LINGER`]):
/// closing with unread input would reset the connection and could destroy the last reply
/// before the peer reads it.
async fn close_gracefully(reader: &Reader) {
    let stream = reader.get_ref();
    if stream.send_eof().await.is_ok() {
        let _ = anyio::move_on_after(LINGER, async {
            while stream.receive(64 * 1024).await.is_ok() {}
        })
        .await;
    }
    stream.close().await;
}

async fn client(host: &str, port: u16, command: Vec<String>) -> Result<ExitCode, BoxError> {
    let reply = anyio::fail_after(CLIENT_TIMEOUT, async {
        let stream = connect_tcp(host, port)
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let mut request = Vec::new();
        encode::command(&mut request, &command);
        stream.send(&request).await?;
        let reader = BufferedByteReceiveStream::new(stream);
        let reply = resp::read_reply(&reader)
            .await
            .map_err(|error| match error {
                ReadError::Stream(
                    StreamError::EndOfStream | StreamError::IncompleteRead { .. },
                ) => "the server closed the connection before replying".into(),
                other => BoxError::from(other),
            })?;
        reader.get_ref().close().await;
        Ok::<_, BoxError>(reply)
    })
    .await
    .map_err(|_| format!("no reply from {host}:{port} within {CLIENT_TIMEOUT:?}"))??;
    let mut text = String::new();
    reply.render(0, &mut text);
    println!("{text}");
    Ok(match reply {
        resp::Reply::Error(_) => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}
