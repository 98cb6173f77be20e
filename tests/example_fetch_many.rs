//! The `fetch_many` example on every enabled backend, and its server mode driven by `curl`, or
//! by a built-in Rust client where `curl` is not installed.
//!
//! Plain `#[test]`s looping over the backends rather than `#[anyio::test]`s: the program under
//! test runs as a child process started with `--backend`, and the HTTP client is `curl` or
//! `example_support::http` on a std socket, so the test needs no async runtime itself. Both
//! clients answer the same questions (the body `curl --fail` prints, the status
//! `-w %{http_code}` prints), so the same assertions apply. With `ANYIO_REQUIRE_TOOLS=1` (as
//! in CI) a missing `curl` fails the test, saying how to install it.

mod example_support;

// The example's own description of the files, so the expected bytes have one source.
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/fetch_many/files.rs"]
mod files;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use example_support::tools::tool_installed;
use example_support::{backends, example_binary, http, run_bounded, ChildGuard};

const LIMIT: Duration = Duration::from_secs(60);

fn start_server(backend: &str) -> ChildGuard {
    let binary = example_binary("fetch_many");
    ChildGuard::start_server(&binary, &["--backend", backend, "--serve", "--port", "0"])
}

/// The HTTP client the tests use: `curl` when installed, else the built-in one.
#[derive(Debug, Clone, Copy)]
enum Client {
    Curl,
    BuiltIn,
}

impl Client {
    fn pick() -> Self {
        if tool_installed("curl", "curl") {
            Client::Curl
        } else {
            Client::BuiltIn
        }
    }

    /// Like `curl --fail URL`: whether it succeeded, and the body it printed (none for an
    /// error status).
    fn fetch(self, port: u16, path: &str) -> (bool, Vec<u8>) {
        match self {
            Client::Curl => curl(&["--fail", &format!("http://127.0.0.1:{port}{path}")]),
            Client::BuiltIn => {
                let response = builtin(port, "GET", path);
                match response.status {
                    200..=399 => (true, response.body),
                    _ => (false, Vec::new()),
                }
            }
        }
    }

    /// Like `curl -o /dev/null -w %{http_code} [-X METHOD] URL`: the status code.
    fn status(self, port: u16, method: &str, path: &str) -> String {
        match self {
            Client::Curl => {
                let url = format!("http://127.0.0.1:{port}{path}");
                let mut args = vec!["-o", "/dev/null", "-w", "%{http_code}"];
                if method != "GET" {
                    args.extend(["-X", method]);
                }
                args.push(&url);
                String::from_utf8(curl(&args).1).unwrap()
            }
            Client::BuiltIn => builtin(port, method, path).status.to_string(),
        }
    }
}

fn curl(args: &[&str]) -> (bool, Vec<u8>) {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .args(args)
        .output()
        .expect("curl starts");
    (output.status.success(), output.stdout)
}

fn builtin(port: u16, method: &str, path: &str) -> http::Response {
    http::request(port, method, path, LIMIT)
        .unwrap_or_else(|e| panic!("the built-in client failed on {method} {path}: {e}"))
}

#[test]
fn fetches_all_twenty_files_and_exits() {
    let binary = example_binary("fetch_many");
    for backend in backends() {
        let finished = run_bounded(Command::new(&binary).args(["--backend", &backend]), LIMIT);
        assert!(finished.status.success(), "{backend}: {}", finished.stderr);
        assert!(
            finished.stdout.contains("summary: 20 ok, 0 failed, "),
            "{backend}: {}",
            finished.stdout
        );
        for index in 0..files::COUNT {
            let line = format!("/file/{index}: {} bytes, checksum ok\n", files::size(index));
            assert!(finished.stdout.contains(&line), "{backend}: no {line:?}");
        }
    }
}

#[test]
fn curl_gets_the_exact_file_bytes() {
    let client = Client::pick();
    for backend in backends() {
        let server = start_server(&backend);
        for index in [0, 3, 19] {
            let path = format!("/file/{index}");
            let (ok, body) = client.fetch(server.port, &path);
            assert!(ok, "{backend}: {client:?} {path} failed");
            assert_eq!(body.len(), files::size(index), "{backend}: {path}");
            assert!(body == files::contents(index), "{backend}: {path} differs");
        }
    }
}

#[test]
fn unknown_paths_and_methods_get_error_statuses() {
    let client = Client::pick();
    for backend in backends() {
        let mut server = start_server(&backend);
        let port = server.port;
        for path in ["/nope", "/file/20", "/file/", "/file/-1", "/file/3x"] {
            assert_eq!(client.status(port, "GET", path), "404", "{backend}: {path}");
        }
        assert_eq!(client.status(port, "POST", "/file/1"), "405", "{backend}");
        let (failed_ok, _) = client.fetch(port, "/missing");
        assert!(!failed_ok, "{backend}: --fail turns a 404 into an error");

        // Garbage gets a 400 and a closed connection; the server keeps serving.
        let mut raw = TcpStream::connect(("127.0.0.1", port)).unwrap();
        raw.set_read_timeout(Some(LIMIT)).unwrap();
        raw.write_all(b"garbage\r\n\r\n").unwrap();
        let mut reply = String::new();
        raw.read_to_string(&mut reply).unwrap();
        assert!(
            reply.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{backend}: {reply:?}"
        );
        assert_eq!(client.status(port, "GET", "/file/2"), "200", "{backend}");
        assert!(server.is_running(), "{backend}");
    }
}
