//! Fetch twenty files concurrently from a local HTTP/1.1 server, with a deadline per request.
//!
//! ```text
//! cargo run --example fetch_many                         # serve, fetch all, print a summary
//! cargo run --example fetch_many --all-features -- --backend async-std
//! cargo run --example fetch_many -- --serve --port 8080  # serve only, until killed
//! curl -sS --fail http://127.0.0.1:8080/file/3 | wc -c
//! ```
//!
//! The server offers `/file/0` to `/file/19` (deterministic contents, 1 byte to ~360 KiB)
//! on the loopback interface, one request per connection, and answers anything else with
//! 404. The client fetches all twenty at once in a task group, each under `fail_after`, and
//! checks every size and checksum. It prints one line per file and a summary such as
//! `summary: 20 ok, 0 failed, 2465080 bytes in 300ms`, and exits with status 1 if any fetch
//! failed.
//! `--serve` prints `listening on HOST:PORT` once ready (`--port 0`, the default, picks a
//! free port). `--backend tokio|async-std|smol` picks the backend; without it
//! `ANYIO_BACKEND` or the default one is used.

#[path = "../support/cli.rs"]
mod cli;
mod files;
mod http;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyio::net::{connect_tcp, SocketAttributes as _, TcpListener, TcpStream};
use anyio::streams::BufferedByteReceiveStream;
use anyio::{Backend, BoxError, TaskStatus};

const USAGE: &str =
    "usage: fetch_many [--backend tokio|async-std|smol] [--serve [--host HOST] [--port PORT]]";
/// Each fetch must finish within this, connection included.
const PER_REQUEST: Duration = Duration::from_secs(5);
/// How long a closing connection keeps reading what the peer still sends, so the response
/// is not lost to a reset.
const LINGER: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Options {
    backend: Option<Backend>,
    serve_only: bool,
    host: String,
    port: u16,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        backend: None,
        serve_only: false,
        host: String::from("127.0.0.1"),
        port: 0,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => options.backend = Some(cli::backend(&mut args)?),
            "--serve" => options.serve_only = true,
            "--host" => options.host = cli::value(&mut args, "--host")?,
            "--port" => options.port = cli::port(&mut args)?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    match cli::parsed("fetch_many", USAGE, parse_args(std::env::args().skip(1))) {
        Ok(options) => cli::run("fetch_many", options.backend, program(options)),
        Err(code) => code,
    }
}

async fn program(options: Options) -> Result<(), BoxError> {
    if options.serve_only {
        let listener = cli::listen(&options.host, options.port).await?;
        return serve(listener).await;
    }
    let done = anyio::task_group(|tg| async move {
        let (port, server) = tg
            .start_with_handle(|status: TaskStatus<u16>| async move {
                let listener = cli::listen("127.0.0.1", 0).await?;
                status.started(listener.local_port().ok_or("the listener has no port")?);
                serve(listener).await
            })
            .await
            .map_err(|e| e.to_string())?;
        let fetched = fetch_all(port).await;
        // The server would run forever; everything has been fetched.
        server.cancel();
        fetched
    })
    .await;
    Ok(done?)
}

async fn serve(listener: TcpListener) -> Result<(), BoxError> {
    listener.serve(answer).await?;
    Ok(())
}

/// Answers one request, then closes the connection.
async fn answer(stream: TcpStream) {
    let reader = BufferedByteReceiveStream::new(stream);
    let response = match http::read_request(&reader).await {
        Ok(request) if request.method != "GET" => http::response(
            "405 Method Not Allowed",
            "text/plain",
            b"only GET is supported\n",
        ),
        Ok(request) => match files::index_of(&request.path) {
            Some(index) => http::response(
                "200 OK",
                "application/octet-stream",
                &files::contents(index),
            ),
            None => http::response("404 Not Found", "text/plain", b"not found\n"),
        },
        Err(error) => http::response(
            "400 Bad Request",
            "text/plain",
            format!("{error}\n").as_bytes(),
        ),
    };
    let stream = reader.get_ref();
    if stream.send(&response).await.is_ok() && stream.send_eof().await.is_ok() {
        let _ = anyio::move_on_after(LINGER, async {
            while stream.receive(64 * 1024).await.is_ok() {}
        })
        .await;
    }
    stream.close().await;
}

/// What one fetch found.
#[derive(Debug)]
struct Fetched {
    index: usize,
    outcome: Result<usize, String>,
}

async fn fetch_one(port: u16, index: usize) -> Fetched {
    let path = format!("/file/{index}");
    let fetched = anyio::fail_after(PER_REQUEST, async {
        let stream = connect_tcp("127.0.0.1", port).await?;
        http::get(stream, &path).await
    })
    .await;
    let outcome = match fetched {
        Err(_) => Err(format!("no response within {PER_REQUEST:?}")),
        Ok(Err(error)) => Err(error.to_string()),
        Ok(Ok((status, _))) if status != 200 => Err(format!("status {status}")),
        Ok(Ok((_, body))) if body.len() != files::size(index) => Err(format!(
            "{} bytes, expected {}",
            body.len(),
            files::size(index)
        )),
        Ok(Ok((_, body))) if files::checksum(&body) != files::checksum(&files::contents(index)) => {
            Err(String::from("checksum mismatch"))
        }
        Ok(Ok((_, body))) => Ok(body.len()),
    };
    Fetched { index, outcome }
}

async fn fetch_all(port: u16) -> Result<(), BoxError> {
    let started = Instant::now();
    let results = anyio::task_group(|tg| async move {
        // One failed fetch is reported, not allowed to cancel the others.
        let handles = (0..files::COUNT)
            .map(|index| tg.spawn(async move { Ok::<_, BoxError>(fetch_one(port, index).await) }))
            .collect::<Result<Vec<_>, _>>()?;
        let mut results = Vec::with_capacity(handles.len());
        for handle in handles {
            results.push(handle.await?);
        }
        Ok::<_, BoxError>(results)
    })
    .await?;
    let (mut ok, mut bytes) = (0, 0);
    for Fetched { index, outcome } in &results {
        match outcome {
            Ok(size) => {
                ok += 1;
                bytes += size;
                println!("/file/{index}: {size} bytes, checksum ok");
            }
            Err(error) => println!("/file/{index}: FAILED: {error}"),
        }
    }
    let failed = results.len() - ok;
    println!(
        "summary: {ok} ok, {failed} failed, {bytes} bytes in {:?}",
        started.elapsed()
    );
    if failed > 0 {
        return Err(format!("{failed} of {} fetches failed", results.len()).into());
    }
    Ok(())
}
