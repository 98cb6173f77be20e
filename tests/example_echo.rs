//! The `echo` example in its three modes, on every enabled backend.
//!
//! Plain `#[test]`s looping over the backends rather than `#[anyio::test]`s: the program under
//! test runs as a child process started with `--backend`, and the peers are std sockets or
//! another child, so the test needs no async runtime itself.

mod example_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use example_support::{assert_fails, backends, example_binary, run_bounded, ChildGuard};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn without_a_mode_it_serves_itself_and_exits() {
    let binary = example_binary("echo");
    for backend in backends() {
        let finished = run_bounded(Command::new(&binary).args(["--backend", &backend]), LIMIT);
        assert!(finished.status.success(), "{backend}: {}", finished.stderr);
        assert!(
            finished
                .stdout
                .ends_with("echoed: hello\nechoed: from\nechoed: anyio\n"),
            "{backend}: {}",
            finished.stdout
        );
    }
}

#[test]
fn server_mode_echoes_a_std_client() {
    let binary = example_binary("echo");
    for backend in backends() {
        let server =
            ChildGuard::start_server(&binary, &["--backend", &backend, "server", "--port", "0"]);
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        // Bigger than any socket buffer, so echoing must interleave with sending.
        let sent: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let writer = {
            let mut stream = stream.try_clone().unwrap();
            let sent = sent.clone();
            std::thread::spawn(move || {
                stream.write_all(&sent).unwrap();
                stream.shutdown(std::net::Shutdown::Write).unwrap();
            })
        };
        let mut echoed = Vec::new();
        stream
            .read_to_end(&mut echoed)
            .expect("the server half-closes after echoing everything");
        writer.join().unwrap();
        assert_eq!(echoed.len(), sent.len(), "{backend}");
        assert!(
            echoed == sent,
            "{backend}: the echo differs from what was sent"
        );
    }
}

#[test]
fn client_mode_talks_to_server_mode() {
    let binary = example_binary("echo");
    for backend in backends() {
        let server =
            ChildGuard::start_server(&binary, &["--backend", &backend, "server", "--port", "0"]);
        let port = server.port.to_string();
        let finished = run_bounded(
            Command::new(&binary).args([
                "--backend",
                &backend,
                "client",
                "--port",
                &port,
                "first line",
                "second",
            ]),
            LIMIT,
        );
        assert!(finished.status.success(), "{backend}: {}", finished.stderr);
        assert_eq!(
            finished.stdout, "echoed: first line\nechoed: second\n",
            "{backend}"
        );
    }
}

#[test]
fn client_errors_exit_non_zero_with_a_message() {
    let binary = example_binary("echo");
    // Nothing listens on port 1 of the loopback interface.
    assert_fails(
        &binary,
        &["client", "--port", "1", "hi"],
        None,
        "cannot connect to 127.0.0.1:1",
    );
    assert_fails(&binary, &["client", "hi"], Some(2), "--port");
    assert_fails(
        &binary,
        &["server", "--port", "70000"],
        Some(2),
        "invalid port '70000'",
    );
}
