//! The `fetch_many` example on every enabled backend, and its server mode driven by `curl`.
//!
//! Plain `#[test]`s looping over the backends rather than `#[anyio::test]`s: the program under
//! test runs as a child process started with `--backend`, and the HTTP client is `curl`, so
//! the test needs no async runtime itself. `curl` missing fails the test with a message
//! saying how to install it.

mod example_support;

// The example's own description of the files, so the expected bytes have one source.
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/fetch_many/files.rs"]
mod files;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use example_support::{backends, example_binary, require_tool, run_bounded, ChildGuard};

const LIMIT: Duration = Duration::from_secs(60);

fn start_server(backend: &str) -> ChildGuard {
    let binary = example_binary("fetch_many");
    ChildGuard::start_server(&binary, &["--backend", backend, "--serve", "--port", "0"])
}

fn curl(args: &[&str]) -> (bool, Vec<u8>) {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .args(args)
        .output()
        .expect("curl starts");
    (output.status.success(), output.stdout)
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
    require_tool("curl", "curl");
    for backend in backends() {
        let server = start_server(&backend);
        for index in [0, 3, 19] {
            let url = format!("http://127.0.0.1:{}/file/{index}", server.port);
            let (ok, body) = curl(&["--fail", &url]);
            assert!(ok, "{backend}: curl {url} failed");
            assert_eq!(body.len(), files::size(index), "{backend}: {url}");
            assert!(body == files::contents(index), "{backend}: {url} differs");
        }
    }
}

#[test]
fn unknown_paths_and_methods_get_error_statuses() {
    require_tool("curl", "curl");
    for backend in backends() {
        let mut server = start_server(&backend);
        let base = format!("http://127.0.0.1:{}", server.port);
        let status = |extra: &[&str], path: &str| {
            let url = format!("{base}{path}");
            let mut args = vec!["-o", "/dev/null", "-w", "%{http_code}"];
            args.extend_from_slice(extra);
            args.push(&url);
            let (_, code) = curl(&args);
            String::from_utf8(code).unwrap()
        };
        for path in ["/nope", "/file/20", "/file/", "/file/-1", "/file/3x"] {
            assert_eq!(status(&[], path), "404", "{backend}: {path}");
        }
        assert_eq!(status(&["-X", "POST"], "/file/1"), "405", "{backend}");
        let (failed_ok, _) = curl(&["--fail", &format!("{base}/missing")]);
        assert!(!failed_ok, "{backend}: --fail turns a 404 into an error");

        // Garbage gets a 400 and a closed connection; the server keeps serving.
        let mut raw = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        raw.set_read_timeout(Some(LIMIT)).unwrap();
        raw.write_all(b"garbage\r\n\r\n").unwrap();
        let mut reply = String::new();
        raw.read_to_string(&mut reply).unwrap();
        assert!(
            reply.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{backend}: {reply:?}"
        );
        assert_eq!(status(&[], "/file/2"), "200", "{backend}");
        assert!(server.is_running(), "{backend}");
    }
}
