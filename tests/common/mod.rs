//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Milliseconds, for readable timings.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A test error that also absorbs anyio's own errors, so `?` works in groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestError {
    Boom(&'static str),
    Anyio(String),
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boom(what) => write!(f, "boom: {what}"),
            Self::Anyio(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for TestError {}

impl From<anyio::SpawnError> for TestError {
    fn from(e: anyio::SpawnError) -> Self {
        Self::Anyio(e.to_string())
    }
}

impl From<anyio::JoinError> for TestError {
    fn from(e: anyio::JoinError) -> Self {
        Self::Anyio(e.to_string())
    }
}

/// A shared counter.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// A guard that bumps the counter when dropped: proves a future was dropped.
    pub fn on_drop(&self) -> DropBump {
        DropBump(self.clone())
    }
}

/// Bumps its counter when dropped.
#[derive(Debug)]
pub struct DropBump(Counter);

impl Drop for DropBump {
    fn drop(&mut self) {
        self.0.bump();
    }
}

/// Records named events in order, from any task.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<std::sync::Mutex<Vec<&'static str>>>);

impl Log {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, event: &'static str) {
        self.0.lock().unwrap().push(event);
    }

    pub fn events(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// Checks `condition` between short sleeps until it holds; fails the test after 10 seconds,
/// so a lost wake-up shows as a failure rather than a hang.
pub async fn wait_until(mut condition: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the condition never became true"
        );
        anyio::sleep(ms(1)).await;
    }
}

/// A connected TCP pair on loopback: (client, server side).
pub async fn tcp_pair() -> (anyio::net::TcpStream, anyio::net::TcpStream) {
    use anyio::net::SocketAttributes as _;

    let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    let client = anyio::net::connect_tcp("127.0.0.1", listener.local_port().unwrap())
        .await
        .unwrap();
    let server = listener.accept().await.unwrap();
    (client, server)
}

/// Ends the whole test process with a message if it is still alive after `limit`: a hang in
/// the code under test shows as a failure instead of a stuck run. Dropping it disarms it.
#[derive(Debug)]
pub struct Watchdog {
    disarm: Option<std::sync::mpsc::Sender<()>>,
}

impl Watchdog {
    pub fn new(what: &'static str, limit: Duration) -> Self {
        Self::new_owned(what.to_string(), limit)
    }

    pub fn new_owned(what: String, limit: Duration) -> Self {
        let (disarm, disarmed) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = disarmed.recv_timeout(limit) {
                eprintln!("watchdog: `{what}` still running after {limit:?}: it hangs");
                std::process::abort();
            }
        });
        Self {
            disarm: Some(disarm),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(disarm) = self.disarm.take() {
            let _ = disarm.send(());
        }
    }
}
