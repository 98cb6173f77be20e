//! Memory: the peak resident set of a server with 10,000 idle connections, each waiting to
//! receive up to 64 KiB.
//!
//! Every sample of either side is a fresh server process of this binary (`anyio-bench
//! --c10k-child <facade|native> <backend>`), measured as for `park_1m`. The server starts a
//! client process of its own (`anyio-bench --c10k-clients <port> <n>`), which opens the
//! connections with blocking standard-library sockets and holds them until its stdin closes;
//! so the server holds only its own ends and its RSS counts only what serving costs. Both
//! processes raise their soft descriptor limit to the hard one.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{create_tcp_listener, SocketAttributes as _};

use super::memory::{footprint_in_child, rss_bytes, ChildReport, Footprint};
use super::parked::{mark_parked, native_pause, until_parked, PAUSE};
use crate::harness::{block_on_native, Rt, NATIVE_SMOL};

/// Idle connections per sample.
pub(crate) const C10K_N: usize = 10_000;
/// What every pending receive asks for.
const RECEIVE_MAX: usize = 65_536;
/// A server or client process still running after this long has hung: it exits with an error.
const LIMIT: Duration = Duration::from_secs(120);

/// The hidden command-line mode that runs one side's server in this process.
pub(crate) const C10K_CHILD_FLAG: &str = "--c10k-child";
/// The hidden command-line mode that opens and holds the connections.
pub(crate) const C10K_CLIENTS_FLAG: &str = "--c10k-clients";

/// One facade sample of `c10k_idle_rss`, in a fresh server process.
pub(crate) fn c10k_facade(rt: Rt) -> Footprint {
    footprint_in_child(C10K_CHILD_FLAG, "facade", rt, C10K_N)
}

/// One native sample of `c10k_idle_rss`, in a fresh server process.
pub(crate) fn c10k_native(rt: Rt) -> Footprint {
    footprint_in_child(C10K_CHILD_FLAG, "native", rt, C10K_N)
}

/// Entry point of a `--c10k-child <facade|native> <backend>` process: serves once and prints
/// `rss_before_bytes N` and `peak_rss_bytes N` on stdout.
pub(crate) fn c10k_child_main(args: &[String]) -> ExitCode {
    let (side, rt) = match args {
        [side, backend] => match Rt::parse(backend) {
            Some(rt) => (side.as_str(), rt),
            None => return usage(C10K_CHILD_FLAG, &format!("unknown backend {backend:?}")),
        },
        _ => return usage(C10K_CHILD_FLAG, "expected a side and a backend"),
    };
    raise_descriptor_limit();
    exit_after(LIMIT, C10K_CHILD_FLAG);
    let report = match side {
        "facade" => serve_facade(rt),
        "native" => serve_native(rt),
        _ => return usage(C10K_CHILD_FLAG, &format!("unknown side {side:?}")),
    };
    report.print();
    ExitCode::SUCCESS
}

/// Entry point of a `--c10k-clients <port> <n>` process: opens `n` connections to the
/// loopback `port`, prints `connected`, and holds them until stdin closes.
pub(crate) fn c10k_clients_main(args: &[String]) -> ExitCode {
    let (port, n) = match args {
        [port, n] => match (port.parse::<u16>(), n.parse::<usize>()) {
            (Ok(port), Ok(n)) => (port, n),
            _ => return usage(C10K_CLIENTS_FLAG, "expected a port and a count"),
        },
        _ => return usage(C10K_CLIENTS_FLAG, "expected a port and a count"),
    };
    raise_descriptor_limit();
    exit_after(LIMIT, C10K_CLIENTS_FLAG);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut connections = Vec::with_capacity(n);
    for i in 0..n {
        match TcpStream::connect_timeout(&address, Duration::from_secs(30)) {
            Ok(connection) => connections.push(connection),
            Err(error) => {
                eprintln!("anyio-bench {C10K_CLIENTS_FLAG}: connection {i} failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("connected");
    let _ = std::io::stdout().flush();
    // Returns at end of file, when the server closes our stdin or exits.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(connections);
    ExitCode::SUCCESS
}

fn usage(flag: &str, message: &str) -> ExitCode {
    eprintln!("anyio-bench {flag}: {message}");
    eprintln!("usage: anyio-bench {C10K_CHILD_FLAG} facade|native tokio|async-std|smol");
    eprintln!("       anyio-bench {C10K_CLIENTS_FLAG} PORT COUNT");
    ExitCode::FAILURE
}

/// Starts the client process for a server listening on loopback `port`.
fn start_clients(port: u16) -> Child {
    let exe = std::env::current_exe().expect("cannot find this executable");
    Command::new(exe)
        .args([C10K_CLIENTS_FLAG, &port.to_string(), &C10K_N.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start the --c10k-clients process")
}

/// Closes the clients' stdin, which ends their connections, and returns the process to wait
/// for once the server has seen every connection end.
fn release_clients(clients: &mut Child) {
    drop(clients.stdin.take());
}

fn wait_for_clients(mut clients: Child) {
    let status = clients.wait().expect("cannot wait for the client process");
    assert!(status.success(), "the client process failed: {status}");
}

/// The facade side: one task group whose body accepts `C10K_N` connections from the client
/// process and spawns a child per connection that waits in `receive(65536)`; once all are
/// waiting it reads the peak, lets the clients close, and the group finishes when every
/// receive has seen the end of its stream.
fn serve_facade(rt: Rt) -> ChildReport {
    anyio::run_with(rt.anyio(), async {
        let listener = create_tcp_listener(Some("127.0.0.1"), 0)
            .await
            .expect("failed to listen on loopback");
        let port = listener.local_port().expect("a bound listener has a port");
        let parked = Arc::new(AtomicUsize::new(0));
        let before = rss_bytes("VmRSS:");
        let mut clients = start_clients(port);
        let peak = anyio::task_group(|tg| async move {
            for _ in 0..C10K_N {
                let connection = listener.accept().await.expect("accept failed");
                let parked = Arc::clone(&parked);
                tg.spawn(async move {
                    mark_parked(&parked);
                    let received = connection.receive(RECEIVE_MAX).await;
                    assert!(received.is_err(), "a client sent data: {received:?}");
                    Ok(())
                })
                .expect("spawn refused");
            }
            until_parked(&parked, C10K_N, || anyio::sleep(PAUSE)).await;
            let peak = rss_bytes("VmHWM:");
            release_clients(&mut clients);
            Ok::<_, Infallible>((peak, clients))
        })
        .await
        .expect("task group failed");
        let (peak, clients) = peak;
        wait_for_clients(clients);
        ChildReport { before, peak }
    })
    .expect("anyio::run_with failed")
}

/// The native side: `C10K_N` connections accepted with the runtime's own listener, each
/// served by a detached native spawn that waits until the connection is readable and only
/// then allocates its 64 KiB buffer and reads, as a lean native server does (tokio:
/// `TcpStream::readable` and `try_read`; async-std and smol: async-io's `Async::readable`
/// and a read of the standard-library stream, async-io being the reactor under both). Once
/// all are waiting it reads the peak, lets the clients close, and waits until every task has
/// seen the end of its stream.
fn serve_native(rt: Rt) -> ChildReport {
    block_on_native(rt, async move {
        let parked = Arc::new(AtomicUsize::new(0));
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let (before, mut clients) = match rt {
            Rt::Tokio => {
                let listener = tokio::net::TcpListener::bind(loopback)
                    .await
                    .expect("failed to listen on loopback");
                let port = listener.local_addr().expect("no local address").port();
                let before = rss_bytes("VmRSS:");
                let clients = start_clients(port);
                for _ in 0..C10K_N {
                    let (connection, _) = listener.accept().await.expect("accept failed");
                    let parked = Arc::clone(&parked);
                    drop(tokio::spawn(async move {
                        mark_parked(&parked);
                        tokio_read_when_readable(&connection).await;
                        parked.fetch_sub(1, Ordering::Release);
                    }));
                }
                (before, clients)
            }
            Rt::AsyncStd | Rt::Smol => {
                let listener = async_io::Async::<std::net::TcpListener>::bind(loopback)
                    .expect("failed to listen on loopback");
                let port = listener
                    .get_ref()
                    .local_addr()
                    .expect("no local address")
                    .port();
                let before = rss_bytes("VmRSS:");
                let clients = start_clients(port);
                for _ in 0..C10K_N {
                    let (connection, _) = listener.accept().await.expect("accept failed");
                    let parked = Arc::clone(&parked);
                    let task = async move {
                        mark_parked(&parked);
                        async_io_read_when_readable(&connection).await;
                        parked.fetch_sub(1, Ordering::Release);
                    };
                    match rt {
                        Rt::AsyncStd => drop(async_std::task::spawn(task)),
                        _ => NATIVE_SMOL.spawn(task).detach(),
                    }
                }
                (before, clients)
            }
        };
        until_parked(&parked, C10K_N, || native_pause(rt)).await;
        let peak = rss_bytes("VmHWM:");
        release_clients(&mut clients);
        while parked.load(Ordering::Acquire) > 0 {
            native_pause(rt).await;
        }
        wait_for_clients(clients);
        ChildReport { before, peak }
    })
}

async fn tokio_read_when_readable(connection: &tokio::net::TcpStream) {
    loop {
        connection.readable().await.expect("readable failed");
        let mut buf = vec![0u8; RECEIVE_MAX];
        match connection.try_read(&mut buf) {
            Ok(n) => {
                assert_eq!(n, 0, "a client sent data");
                return;
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => panic!("read failed: {error}"),
        }
    }
}

async fn async_io_read_when_readable(connection: &async_io::Async<TcpStream>) {
    loop {
        connection.readable().await.expect("readable failed");
        let mut buf = vec![0u8; RECEIVE_MAX];
        match connection.get_ref().read(&mut buf) {
            Ok(n) => {
                assert_eq!(n, 0, "a client sent data");
                return;
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => panic!("read failed: {error}"),
        }
    }
}

/// Raises this process's soft limit on open descriptors to its hard limit: 10,000
/// connections need more than the usual soft limit of 1,024.
fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for the calls to read and write.
    let raised = unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0
        }
    };
    if !raised {
        eprintln!(
            "anyio-bench: cannot raise the descriptor limit: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Ends the process with an error if it still runs after `limit`: a sample that hangs fails.
fn exit_after(limit: Duration, what: &'static str) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("anyio-bench {what}: still running after {limit:?}, giving up");
        std::process::exit(2);
    });
}
