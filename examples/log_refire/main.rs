//! Re-request the URLs that failed in an access log: read the log, pick every request whose
//! status was 5xx, request each again with `retry=True` added to its query against a local
//! HTTP server, and write the retried URLs to a second file.
//!
//! ```text
//! cargo run --example log_refire                         # the built-in sample log
//! cargo run --example log_refire -- access.log retried.txt
//! ANYIO_BACKEND=smol cargo run --example log_refire --all-features
//! ```
//!
//! The log is in Common Log Format (`... "GET /path?query HTTP/1.1" 503 91`); without a path
//! the built-in sample is written to a temporary file and read from there. The output file
//! (default: a temporary file, whose path is printed) gets one retried URL per line, such as
//! `/api/items?page=2&retry=True` or `/account/orders?retry=True`. The server it starts on
//! the loopback interface answers 200 only to requests carrying `retry=True`. Retries run
//! concurrently in a task group, each under `fail_after`; the program exits with status 1
//! if any failed. Every file read and write goes through `anyio::fs`. `--port` fixes the
//! server's port (default: a free one). `--backend
//! tokio|async-std|smol` picks the backend; without it `ANYIO_BACKEND` or the default.

#[path = "../support/cli.rs"]
mod cli;
#[path = "../fetch_many/http.rs"]
mod http;
mod sample;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyio::net::{connect_tcp, SocketAttributes as _, TcpListener, TcpStream};
use anyio::streams::BufferedByteReceiveStream;
use anyio::{Backend, BoxError, TaskStatus};

const USAGE: &str =
    "usage: log_refire [--backend tokio|async-std|smol] [--port PORT] [LOG [OUTPUT]]";
/// Each retry must finish within this, connection included.
const PER_REQUEST: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Options {
    backend: Option<Backend>,
    /// The local server's port; 0 picks a free one.
    port: u16,
    log: Option<PathBuf>,
    output: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        backend: None,
        port: 0,
        log: None,
        output: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => options.backend = Some(cli::backend(&mut args)?),
            "--port" => options.port = cli::port(&mut args)?,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option '{flag}'")),
            _ if options.log.is_none() => options.log = Some(arg.into()),
            _ if options.output.is_none() => options.output = Some(arg.into()),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    match cli::parsed("log_refire", USAGE, parse_args(std::env::args().skip(1))) {
        Ok(options) => cli::run("log_refire", options.backend, program(options)),
        Err(code) => code,
    }
}

/// One request of the log.
#[derive(Debug, PartialEq)]
struct Entry {
    method: String,
    url: String,
    status: u16,
}

/// The request and status of one Common Log Format line, or `None` for a line without them.
fn parse_line(line: &str) -> Option<Entry> {
    let (_, rest) = line.split_once('"')?;
    let (request, rest) = rest.split_once('"')?;
    let mut request = request.split(' ');
    let (method, url) = (request.next()?, request.next()?);
    let status = rest.split_whitespace().next()?.parse().ok()?;
    Some(Entry {
        method: method.to_owned(),
        url: url.to_owned(),
        status,
    })
}

/// `url` with `retry=True` added to its query.
fn retry_url(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}retry=True")
}

async fn program(options: Options) -> Result<(), BoxError> {
    let temp = std::env::temp_dir();
    let pid = std::process::id();
    let given = options.log.is_some();
    let log = match options.log {
        Some(log) => log,
        None => {
            let log = temp.join(format!("log_refire-{pid}-sample.log"));
            anyio::fs::write(&log, sample::SAMPLE_LOG).await?;
            println!(
                "no log given: using the built-in sample, written to {}",
                log.display()
            );
            log
        }
    };
    let output = options
        .output
        .unwrap_or_else(|| temp.join(format!("log_refire-{pid}-retried.txt")));

    let text = anyio::fs::read_to_string(&log).await?;
    if !given {
        anyio::fs::remove_file(&log).await?;
    }
    let entries: Vec<Entry> = text.lines().filter_map(parse_line).collect();
    let failed: Vec<String> = entries
        .iter()
        .filter(|entry| entry.method == "GET" && (500..600).contains(&entry.status))
        .map(|entry| retry_url(&entry.url))
        .collect();
    println!(
        "{}: {} requests, {} with a 5xx status",
        log.display(),
        entries.len(),
        failed.len()
    );

    let port = options.port;
    let started = Instant::now();
    let outcomes = anyio::task_group(|tg| async move {
        let (port, server) = tg
            .start_with_handle(|status: TaskStatus<u16>| async move {
                let listener = cli::listen("127.0.0.1", port).await?;
                status.started(listener.local_port().ok_or("the listener has no port")?);
                serve(listener).await
            })
            .await
            .map_err(|e| e.to_string())?;
        let outcomes = retry_all(port, failed).await;
        // The server would run forever; every retry is done.
        server.cancel();
        outcomes
    })
    .await?;

    let mut written = String::new();
    let mut errors = 0;
    for (url, outcome) in &outcomes {
        match outcome {
            Ok(()) => println!("retried {url}: 200 OK"),
            Err(error) => {
                errors += 1;
                println!("retried {url}: FAILED: {error}");
            }
        }
        written.push_str(url);
        written.push('\n');
    }
    anyio::fs::write(&output, &written).await?;
    println!(
        "wrote {} retried URLs to {} in {:?}",
        outcomes.len(),
        output.display(),
        started.elapsed()
    );
    if errors > 0 {
        return Err(format!("{errors} of {} retries failed", outcomes.len()).into());
    }
    Ok(())
}

async fn serve(listener: TcpListener) -> Result<(), BoxError> {
    listener.serve(answer).await?;
    Ok(())
}

/// Answers one request: 200 for a retry, 503 for anything else, as the failing backend the
/// log came from might.
async fn answer(stream: TcpStream) {
    let reader = BufferedByteReceiveStream::new(stream);
    let response = match http::read_request(&reader).await {
        Ok(request) if request.method != "GET" => http::response(
            "405 Method Not Allowed",
            "text/plain",
            b"only GET is supported\n",
        ),
        Ok(request) if request.path.contains("retry=True") => {
            http::response("200 OK", "text/plain", b"ok\n")
        }
        Ok(_) => http::response("503 Service Unavailable", "text/plain", b"retry me\n"),
        Err(error) => http::response(
            "400 Bad Request",
            "text/plain",
            format!("{error}\n").as_bytes(),
        ),
    };
    let stream = reader.get_ref();
    let _ = stream.send(&response).await;
    stream.close().await;
}

/// Requests every URL at once, each under `fail_after`; one failure does not cancel the
/// others. The outcomes come back in the order of `urls`.
async fn retry_all(
    port: u16,
    urls: Vec<String>,
) -> Result<Vec<(String, Result<(), String>)>, BoxError> {
    anyio::task_group(|tg| async move {
        let handles = urls
            .into_iter()
            .map(|url| {
                tg.spawn(async move {
                    let outcome = retry_one(port, &url).await;
                    Ok::<_, BoxError>((url, outcome))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut outcomes = Vec::with_capacity(handles.len());
        for handle in handles {
            outcomes.push(handle.await?);
        }
        Ok(outcomes)
    })
    .await
    .map_err(|e| e.into_first().unwrap_or_else(|| "cancelled".into()))
}

async fn retry_one(port: u16, url: &str) -> Result<(), String> {
    let fetched = anyio::fail_after(PER_REQUEST, async {
        let stream = connect_tcp("127.0.0.1", port).await?;
        http::get(stream, url).await
    })
    .await;
    match fetched {
        Err(_) => Err(format!("no response within {PER_REQUEST:?}")),
        Ok(Err(error)) => Err(error.to_string()),
        Ok(Ok((200, _))) => Ok(()),
        Ok(Ok((status, _))) => Err(format!("status {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_log_format() {
        let line = r#"10.0.0.7 - - [10/Mar/2024:13:55:41 +0000] "GET /a?b=1 HTTP/1.1" 503 91"#;
        let entry = parse_line(line).unwrap();
        assert_eq!(entry.url, "/a?b=1");
        assert_eq!(entry.status, 503);
        assert_eq!(parse_line("garbage"), None);
    }

    #[test]
    fn adds_retry_to_the_query() {
        assert_eq!(retry_url("/a?b=1"), "/a?b=1&retry=True");
        assert_eq!(retry_url("/a"), "/a?retry=True");
    }
}
