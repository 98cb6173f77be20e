//! Running the example programs as child processes from integration tests.
//!
//! Cargo gives tests no path to example binaries, so [`example_binary`] asks cargo to build
//! the example with the features this test was compiled with (a no-op when it is up to date)
//! into the target directory this test binary lives in, which honours `CARGO_TARGET_DIR`,
//! `--target-dir` and the profile. Children are killed when their guard drops, so a failing
//! assertion leaves no server behind.
//!
//! The tests drive the examples with real clients (`redis-cli`, `redis-benchmark`, `curl`)
//! when they are installed, and otherwise with the small Rust clients here ([`resp`],
//! [`redis_load`], [`http`]); see [`tools::tool_installed`] and `ANYIO_REQUIRE_TOOLS`.

#![allow(dead_code)]

pub(crate) mod http;
pub(crate) mod redis_load;
pub(crate) mod resp;
pub(crate) mod tools;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// Generous: a child that has not started or finished by then is broken, not slow.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// The backends this test build enables, by their `--backend` names.
pub(crate) fn backends() -> Vec<String> {
    anyio::Backend::available()
        .into_iter()
        .map(|backend| backend.name().to_string())
        .collect()
}

fn enabled_features() -> Vec<&'static str> {
    let mut features = Vec::new();
    if cfg!(feature = "tokio") {
        features.push("tokio");
    }
    if cfg!(feature = "async-std") {
        features.push("async-std");
    }
    if cfg!(feature = "smol") {
        features.push("smol");
    }
    features
}

/// Builds the example `name` and returns the path of its binary.
pub(crate) fn example_binary(name: &str) -> PathBuf {
    // Tests in one file run on several threads; one build at a time is enough.
    static BUILD: Mutex<()> = Mutex::new(());
    let _serial = BUILD.lock().unwrap_or_else(|e| e.into_inner());

    let test_exe = std::env::current_exe().expect("the test binary knows its path");
    // <target-dir>/<profile>/deps/<this test>
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in <target-dir>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("the profile dir has a parent");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "--example",
            name,
            "--no-default-features",
        ])
        .args(["--features", &enabled_features().join(",")])
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--profile", profile])
        .output()
        .expect("cargo can be started to build the example");
    assert!(
        output.status.success(),
        "building example {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let binary = profile_dir.join("examples").join(name);
    assert!(binary.exists(), "no example binary at {}", binary.display());
    binary
}

/// A running child process, killed and reaped on drop.
#[derive(Debug)]
pub(crate) struct ChildGuard {
    child: Child,
    /// The port from its `listening on HOST:PORT` line.
    pub(crate) port: u16,
}

impl ChildGuard {
    /// Starts `binary` with `args` and waits for its `listening on HOST:PORT` line.
    pub(crate) fn start_server(binary: &Path, args: &[&str]) -> ChildGuard {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut guard = ChildGuard { child, port: 0 };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = received
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{} never printed `listening on`", binary.display()));
            if let Some(address) = line.strip_prefix("listening on ") {
                let port = address.rsplit(':').next().and_then(|p| p.parse().ok());
                guard.port = port.unwrap_or_else(|| panic!("no port in {line:?}"));
                return guard;
            }
        }
    }

    /// Whether the child is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished command printed.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` to completion, killing it (and failing) after `limit`.
///
/// Output goes to files rather than pipes so a chatty child cannot block on a full pipe
/// while this waits for it.
pub(crate) fn run_bounded(command: &mut Command, limit: Duration) -> Finished {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let stem = format!(
        "anyio-example-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let out_path = std::env::temp_dir().join(format!("{stem}.out"));
    let err_path = std::env::temp_dir().join(format!("{stem}.err"));
    let out = std::fs::File::create(&out_path).expect("temp file");
    let err = std::fs::File::create(&err_path).expect("temp file");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |path: &Path| {
        let bytes = std::fs::read(path).unwrap_or_default();
        let _ = std::fs::remove_file(path);
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Finished {
        status,
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}

/// Runs `binary` with `args` and checks that it fails — with exit status `code` when given —
/// and says something containing `needle` on stderr.
pub(crate) fn assert_fails(binary: &Path, args: &[&str], code: Option<i32>, needle: &str) {
    let finished = run_bounded(Command::new(binary).args(args), PATIENCE);
    match code {
        Some(code) => assert_eq!(finished.status.code(), Some(code), "{args:?}"),
        None => assert!(!finished.status.success(), "{args:?} succeeded"),
    }
    assert!(
        finished.stderr.contains(needle),
        "{args:?}: {}",
        finished.stderr
    );
}
