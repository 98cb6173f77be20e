//! anyio's TLS listener against a real peer: OpenSSL's `s_client`, on every backend.
//!
//! Where `openssl` is not installed, the same scenario runs with a blocking rustls client on
//! a std socket (its own implementation, not anyio's TLS stream): it must verify the
//! certificate, get its line back and see the server's `close_notify`, or refuse a
//! certificate from a CA it does not trust. With `ANYIO_REQUIRE_TOOLS=1` (as in CI) a missing
//! `openssl` fails the test instead, saying how to install it.

#![cfg(feature = "tls")]

#[path = "tls_certs/mod.rs"]
mod tls_certs;
#[path = "example_support/tools.rs"]
mod tools;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::core::backend::{Reactor, Runtime};
use anyio::net::{create_tcp_listener, SocketAttributes};
use anyio::streams::tls::rustls::pki_types::ServerName;
use anyio::streams::tls::rustls::{self, CertificateError, ClientConfig, ClientConnection};
use anyio::streams::tls::TlsListener;
use anyio::AnyRuntime;
use futures_util::future::Either;
use tls_certs::Ca;

const OPENSSL: &str = "openssl";
/// The most the child may run before it is killed, and the most the built-in client waits
/// on its socket, so the test can never hang.
const CHILD_LIMIT: Duration = Duration::from_secs(20);
const LINE: &str = "hello from s_client\n";

/// What `s_client` printed, and whether it succeeded.
#[derive(Debug)]
struct SClientOutcome {
    success: bool,
    stdout: String,
    stderr: String,
}

/// How a client's session went.
#[derive(Debug)]
enum Outcome {
    SClient(SClientOutcome),
    /// The built-in client: what it read up to `close_notify`, or why it failed.
    Rustls(io::Result<String>),
}

/// A file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "anyio-tls-{tag}-{}-{:?}.pem",
            std::process::id(),
            Instant::now()
        ));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `openssl s_client` against `port`, feeding it `line`; kills it after `CHILD_LIMIT`.
fn s_client(port: u16, ca_file: &Path, line: &str) -> SClientOutcome {
    let mut child = Command::new(OPENSSL)
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-verify_return_error", "-quiet"])
        .arg("-CAfile")
        .arg(ca_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    // Dropping stdin after the line: -quiet ignores stdin's end, so the session lasts
    // until the server's close_notify (or the kill below).
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CHILD_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.is_some(), "openssl s_client hung: {stderr}");
    SClientOutcome {
        success: status.is_some_and(|status| status.success()),
        stdout,
        stderr,
    }
}

/// What `s_client` does here, with rustls on a std socket: connects to `localhost` on `port`,
/// verifying its certificate against `config`'s roots, sends `line`, and reads until the
/// server's `close_notify` (a connection closed without one is an error).
fn rustls_client(port: u16, config: Arc<ClientConfig>, line: &str) -> io::Result<String> {
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(CHILD_LIMIT))?;
    tcp.set_write_timeout(Some(CHILD_LIMIT))?;
    let name = ServerName::try_from("localhost").expect("a valid name");
    let connection = ClientConnection::new(config, name).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    // The first write completes the handshake, certificate verification included.
    tls.write_all(line.as_bytes())?;
    tls.flush()?;
    let mut echoed = String::new();
    tls.read_to_string(&mut echoed)?;
    Ok(echoed)
}

/// The rustls error inside an I/O error from the built-in client.
fn rustls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref()
}

/// Serves one line of echo per connection on a TLS listener with a `localhost` certificate
/// from `server_ca`, while a client trusting `client_ca` talks to it: `s_client` when
/// `openssl` is installed, else the built-in rustls client.
async fn echo_to_client(server_ca: &Ca, client_ca: &Ca) -> Outcome {
    let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = tcp.local_port().unwrap();
    let listener = TlsListener::new(tcp, Arc::new(server_ca.server(&["localhost"])));
    let server = listener.serve(|tls| async move {
        let mut line = Vec::new();
        while !line.contains(&b'\n') {
            match tls.receive(1024).await {
                Ok(data) => line.extend_from_slice(&data),
                Err(_) => return,
            }
        }
        let _ = tls.send(&line).await;
        tls.close().await;
    });
    let ca_file = TempFile::new("ca", &client_ca.pem());
    let ca_path = ca_file.0.clone();
    let config = client_ca.client();
    // Asked here rather than on the blocking thread, so a required but missing tool fails
    // the test with its own message.
    let real = tools::tool_installed(OPENSSL, "openssl");
    let client = AnyRuntime::current().unwrap().spawn_blocking(move || {
        if real {
            Outcome::SClient(s_client(port, &ca_path, LINE))
        } else {
            Outcome::Rustls(rustls_client(port, config, LINE))
        }
    });
    let outcome = match futures_util::future::select(pin!(server), client).await {
        Either::Left((served, _)) => panic!("serving ended early: {served:?}"),
        Either::Right((outcome, _)) => outcome,
    };
    outcome.expect("the client thread panicked")
}

#[anyio::test]
async fn s_client_verifies_the_certificate_and_gets_its_line_back() {
    let ca = Ca::new("anyio test ca");
    match echo_to_client(&ca, &ca).await {
        Outcome::SClient(outcome) => {
            assert!(outcome.success, "{outcome:?}");
            assert_eq!(outcome.stdout, LINE, "{outcome:?}");
            assert!(outcome.stderr.contains("verify return:1"), "{outcome:?}");
            assert!(!outcome.stderr.contains("verify error"), "{outcome:?}");
        }
        Outcome::Rustls(echoed) => assert_eq!(echoed.unwrap(), LINE),
    }
}

#[anyio::test]
async fn s_client_refuses_a_certificate_from_another_ca() {
    let (server_ca, client_ca) = (Ca::new("server's ca"), Ca::new("client's ca"));
    match echo_to_client(&server_ca, &client_ca).await {
        Outcome::SClient(outcome) => {
            assert!(!outcome.success, "{outcome:?}");
            assert!(outcome.stdout.is_empty(), "{outcome:?}");
            assert!(outcome.stderr.contains("verify error"), "{outcome:?}");
        }
        Outcome::Rustls(echoed) => {
            let error = echoed.expect_err("the foreign certificate was accepted");
            assert!(
                matches!(
                    rustls_error(&error),
                    Some(rustls::Error::InvalidCertificate(
                        CertificateError::UnknownIssuer
                    ))
                ),
                "{error:?}"
            );
        }
    }
}
