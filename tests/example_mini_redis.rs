//! The `mini_redis` example, driven by `redis-cli` and `redis-benchmark`, or by built-in Rust
//! clients where those are not installed.
//!
//! These are plain `#[test]`s looping over the enabled backends rather than
//! `#[anyio::test]`s: the server under test is a separate process, started once per backend
//! with `--backend`, and the clients are external programs or blocking std sockets, so the
//! test itself needs no async runtime. The example binary is built by
//! `example_support::example_binary` (see there for how it is found). `redis-cli` and
//! `redis-benchmark` come from the `redis-tools` package. Without them the same commands go
//! through `example_support::resp`, whose replies are shown as `redis-cli` shows them so the
//! same assertions apply, and the benchmark's load comes from `example_support::redis_load`;
//! with `ANYIO_REQUIRE_TOOLS=1` (as in CI) a missing tool fails the test instead.

mod example_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use example_support::redis_load::{self, Load};
use example_support::tools::tool_installed;
use example_support::{assert_fails, backends, example_binary, resp, run_bounded, ChildGuard};

const LIMIT: Duration = Duration::from_secs(60);
/// The benchmark's load: `redis-benchmark -n 20000 -c 50`, bounded in time.
const REQUESTS: usize = 20_000;
const CLIENTS: usize = 50;
const BENCHMARK_LIMIT: Duration = Duration::from_secs(180);

fn start(backend: &str) -> ChildGuard {
    let binary = example_binary("mini_redis");
    ChildGuard::start_server(&binary, &["--backend", backend, "--port", "0"])
}

/// How the tests send one command and read the reply as text: `redis-cli` when installed,
/// else the built-in client.
fn redis_cli() -> fn(u16, &[&str]) -> String {
    if tool_installed("redis-cli", "redis-tools") {
        real_cli
    } else {
        builtin_cli
    }
}

/// Runs `redis-cli -p PORT ARGS...` and returns what it printed, without trailing newlines
/// (it ends error replies with two).
fn real_cli(port: u16, args: &[&str]) -> String {
    let finished = run_bounded(
        Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args),
        LIMIT,
    );
    assert!(
        finished.status.success(),
        "redis-cli {args:?} failed: {}",
        finished.stderr
    );
    finished.stdout.trim_end_matches('\n').to_string()
}

/// Sends `ARGS...` on a fresh connection and returns the reply as `redis-cli` would print it.
fn builtin_cli(port: u16, args: &[&str]) -> String {
    let reply = resp::command(port, args, LIMIT)
        .unwrap_or_else(|e| panic!("the built-in client failed on {args:?}: {e}"));
    reply.cli_text()
}

/// Sends raw bytes on a fresh connection, half-closes it, and returns everything the server
/// sent until it closed the connection.
fn raw_exchange(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream.write_all(request).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("the server closes the connection after replying");
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn redis_cli_commands_get_exact_replies() {
    let cli = redis_cli();
    for backend in backends() {
        let server = start(&backend);
        let port = server.port;
        assert_eq!(cli(port, &["PING"]), "PONG", "{backend}");
        assert_eq!(cli(port, &["PING", "hi"]), "hi", "{backend}");
        assert_eq!(
            cli(port, &["ECHO", "hello world"]),
            "hello world",
            "{backend}"
        );
        assert_eq!(cli(port, &["SET", "k", "v"]), "OK", "{backend}");
        assert_eq!(cli(port, &["GET", "k"]), "v", "{backend}");
        assert_eq!(cli(port, &["GET", "missing"]), "", "{backend}");
        assert_eq!(
            cli(port, &["INCR", "k"]),
            "ERR value is not an integer or out of range",
            "{backend}"
        );
        assert_eq!(cli(port, &["SET", "n", "41"]), "OK", "{backend}");
        assert_eq!(cli(port, &["INCR", "n"]), "42", "{backend}");
        assert_eq!(cli(port, &["INCR", "fresh"]), "1", "{backend}");
        assert_eq!(cli(port, &["SET", "n", "1", "NX"]), "", "{backend}");
        assert_eq!(cli(port, &["SET", "absent", "1", "XX"]), "", "{backend}");
        assert_eq!(
            cli(port, &["SET", "k", "v", "EX", "zero"]),
            "ERR invalid expire time in 'set' command",
            "{backend}"
        );
        assert_eq!(
            cli(port, &["EXISTS", "k", "n", "nope", "k"]),
            "3",
            "{backend}"
        );
        assert_eq!(cli(port, &["KEYS", "*"]), "fresh\nk\nn", "{backend}");
        assert_eq!(cli(port, &["KEYS", "?"]), "k\nn", "{backend}");
        assert_eq!(cli(port, &["KEYS", "f*h"]), "fresh", "{backend}");
        assert_eq!(cli(port, &["KEYS", "*x*"]), "", "{backend}");
        assert_eq!(cli(port, &["DEL", "k", "n", "nope"]), "2", "{backend}");
        assert_eq!(cli(port, &["KEYS", "*"]), "fresh", "{backend}");
        assert!(
            cli(port, &["NOPE", "x"]).starts_with("ERR unknown command 'NOPE'"),
            "{backend}"
        );
        // After an unknown command the server still answers.
        assert_eq!(cli(port, &["PING"]), "PONG", "{backend}");
    }
}

#[test]
fn keys_set_with_px_expire() {
    let cli = redis_cli();
    for backend in backends() {
        let server = start(&backend);
        let port = server.port;
        assert_eq!(
            cli(port, &["SET", "short", "x", "PX", "100"]),
            "OK",
            "{backend}"
        );
        assert_eq!(
            cli(port, &["SET", "long", "y", "EX", "100"]),
            "OK",
            "{backend}"
        );
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            cli(port, &["GET", "short"]),
            "",
            "{backend}: PX 100 expired"
        );
        assert_eq!(cli(port, &["EXISTS", "short"]), "0", "{backend}");
        assert_eq!(
            cli(port, &["GET", "long"]),
            "y",
            "{backend}: EX 100 has not"
        );
        assert_eq!(cli(port, &["KEYS", "*"]), "long", "{backend}");
    }
}

#[test]
fn redis_benchmark_runs_without_errors() {
    let real = tool_installed("redis-benchmark", "redis-tools");
    for backend in backends() {
        let server = start(&backend);
        for pipeline in [1, 16] {
            let results = if real {
                redis_benchmark(&backend, server.port, pipeline)
            } else {
                let load = Load {
                    requests: REQUESTS,
                    clients: CLIENTS,
                    pipeline,
                    limit: BENCHMARK_LIMIT,
                };
                redis_load::run(server.port, load)
            };
            for line in results {
                println!("{backend} -P {pipeline}: {}", line.trim());
            }
        }
    }
}

/// Runs `redis-benchmark -n 20000 -c 50 -P PIPELINE -t set,get,incr -q`, checks that it
/// reported no errors and a result for each test, and returns the result lines.
fn redis_benchmark(backend: &str, port: u16, pipeline: usize) -> Vec<String> {
    let finished = run_bounded(
        Command::new("redis-benchmark").args([
            "-p",
            &port.to_string(),
            "-n",
            &REQUESTS.to_string(),
            "-c",
            &CLIENTS.to_string(),
            "-P",
            &pipeline.to_string(),
            "-t",
            "set,get,incr",
            "-q",
        ]),
        BENCHMARK_LIMIT,
    );
    let output = format!("{}{}", finished.stdout, finished.stderr);
    assert!(finished.status.success(), "{backend}: {output}");
    assert!(!output.contains("rror"), "{backend}: {output}");
    // `-q` redraws progress with carriage returns; the last state of each line counts.
    let results: Vec<String> = output
        .split(['\r', '\n'])
        .filter(|line| line.contains("requests per second"))
        .map(String::from)
        .collect();
    for test in ["SET:", "GET:", "INCR:"] {
        assert!(
            results
                .iter()
                .any(|line| line.trim_start().starts_with(test)),
            "{backend}: no {test} result in {output}"
        );
    }
    results
}

#[test]
fn malformed_requests_get_a_protocol_error_and_the_server_lives_on() {
    for backend in backends() {
        let server = start(&backend);
        let port = server.port;
        let bad_length = raw_exchange(port, b"*2\r\n$3\r\nGET\r\n$x\r\n");
        assert!(
            bad_length.starts_with("-ERR Protocol error: invalid bulk length\r\n"),
            "{backend}: {bad_length:?}"
        );
        let not_bulk = raw_exchange(port, b"*1\r\n:1\r\n");
        assert!(
            not_bulk.starts_with("-ERR Protocol error: expected '$', got ':'"),
            "{backend}: {not_bulk:?}"
        );
        let huge_line = raw_exchange(port, &vec![b'a'; 100 * 1024]);
        assert!(
            huge_line.starts_with("-ERR Protocol error: too big request line"),
            "{backend}: {huge_line:?}"
        );
        // The replies before the bad frame are sent, nothing after it.
        let after_good = raw_exchange(port, b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n");
        assert_eq!(
            after_good, "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
            "{backend}"
        );
        // An unknown command keeps the connection: the next pipelined request is answered.
        let unknown = raw_exchange(port, b"*1\r\n$4\r\nNOPE\r\nPING\r\n");
        assert!(
            unknown.starts_with("-ERR unknown command 'NOPE'") && unknown.ends_with("+PONG\r\n"),
            "{backend}: {unknown:?}"
        );
        assert_eq!(raw_exchange(port, b"PING\r\n"), "+PONG\r\n", "{backend}");
    }
}

#[test]
fn silent_and_half_sent_clients_do_not_block_others() {
    for backend in backends() {
        let server = start(&backend);
        let port = server.port;
        let silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut partial = TcpStream::connect(("127.0.0.1", port)).unwrap();
        partial.write_all(b"*2\r\n$3\r\nGE").unwrap();
        for _ in 0..5 {
            assert_eq!(
                raw_exchange(port, b"*2\r\n$4\r\nECHO\r\n$2\r\nok\r\n"),
                "$2\r\nok\r\n",
                "{backend}"
            );
        }
        // The half-sent request completes later and is answered.
        partial.write_all(b"T\r\n$1\r\nk\r\n").unwrap();
        partial.set_read_timeout(Some(LIMIT)).unwrap();
        let mut reply = [0; 5];
        partial.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"$-1\r\n", "{backend}");
        drop(silent);
    }
}

#[test]
fn client_subcommand_talks_to_the_server() {
    let binary = example_binary("mini_redis");
    for backend in backends() {
        let server = start(&backend);
        let port = server.port.to_string();
        let client = |args: &[&str]| {
            run_bounded(
                Command::new(&binary)
                    .args(["--backend", &backend, "--port", &port, "client"])
                    .args(args),
                LIMIT,
            )
        };
        let set = client(&["SET", "greeting", "hello there"]);
        assert!(set.status.success(), "{backend}: {}", set.stderr);
        assert_eq!(set.stdout, "OK\n", "{backend}");
        assert_eq!(client(&["GET", "greeting"]).stdout, "\"hello there\"\n");
        assert_eq!(client(&["INCR", "counter"]).stdout, "(integer) 1\n");
        assert_eq!(
            client(&["KEYS", "*"]).stdout,
            "1) \"counter\"\n2) \"greeting\"\n"
        );
        let error = client(&["INCR", "greeting"]);
        assert!(
            !error.status.success(),
            "{backend}: an error reply exits non-zero"
        );
        assert_eq!(
            error.stdout,
            "(error) ERR value is not an integer or out of range\n"
        );
    }
}

#[test]
fn bad_flags_are_reported_with_a_non_zero_exit() {
    let binary = example_binary("mini_redis");
    assert_fails(&binary, &["--port", "70000"], None, "invalid port '70000'");
    assert_fails(&binary, &["--backend", "nonsense"], None, "nonsense");
    // Nothing listens on port 1 of the loopback interface.
    assert_fails(
        &binary,
        &["--port", "1", "client", "PING"],
        None,
        "cannot connect to 127.0.0.1:1",
    );
}
