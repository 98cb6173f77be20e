//! anyio's TLS listener against a real peer: OpenSSL's `s_client`, on every backend.

#![cfg(feature = "tls")]

#[path = "tls_certs/mod.rs"]
mod tls_certs;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::core::backend::{Reactor, Runtime};
use anyio::net::{create_tcp_listener, SocketAttributes};
use anyio::streams::tls::TlsListener;
use anyio::AnyRuntime;
use futures_util::future::Either;
use tls_certs::Ca;

const OPENSSL: &str = "/usr/bin/openssl";
/// The most the child may run before it is killed, so the test can never hang.
const CHILD_LIMIT: Duration = Duration::from_secs(20);

/// What `s_client` printed, and whether it succeeded.
#[derive(Debug)]
struct Outcome {
    success: bool,
    stdout: String,
    stderr: String,
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
fn s_client(port: u16, ca_file: &Path, line: &str) -> Outcome {
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
    Outcome {
        success: status.is_some_and(|status| status.success()),
        stdout,
        stderr,
    }
}

/// Serves one line of echo per connection on a TLS listener with a `localhost` certificate
/// from `server_ca`, while `s_client` trusting `client_ca` talks to it.
async fn echo_to_s_client(server_ca: &Ca, client_ca: &Ca) -> Outcome {
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
    let client = AnyRuntime::current()
        .unwrap()
        .spawn_blocking(move || s_client(port, &ca_path, "hello from s_client\n"));
    let outcome = match futures_util::future::select(pin!(server), client).await {
        Either::Left((served, _)) => panic!("serving ended early: {served:?}"),
        Either::Right((outcome, _)) => outcome,
    };
    outcome.expect("the s_client thread panicked")
}

#[anyio::test]
async fn s_client_verifies_the_certificate_and_gets_its_line_back() {
    let ca = Ca::new("anyio test ca");
    let outcome = echo_to_s_client(&ca, &ca).await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.stdout, "hello from s_client\n", "{outcome:?}");
    assert!(outcome.stderr.contains("verify return:1"), "{outcome:?}");
    assert!(!outcome.stderr.contains("verify error"), "{outcome:?}");
}

#[anyio::test]
async fn s_client_refuses_a_certificate_from_another_ca() {
    let (server_ca, client_ca) = (Ca::new("server's ca"), Ca::new("client's ca"));
    let outcome = echo_to_s_client(&server_ca, &client_ca).await;
    assert!(!outcome.success, "{outcome:?}");
    assert!(outcome.stdout.is_empty(), "{outcome:?}");
    assert!(outcome.stderr.contains("verify error"), "{outcome:?}");
}
