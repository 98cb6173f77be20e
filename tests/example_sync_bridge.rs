//! The `sync_bridge` example on every enabled backend.
//!
//! Plain `#[test]`s looping over the backends: the program under test runs as a child
//! process whose backend is picked by `ANYIO_BACKEND`, as with any program using `anyio::run`.

mod example_support;

use std::process::Command;

use example_support::{backends, example_binary, run_bounded, PATIENCE};

#[test]
fn bridges_both_ways_on_the_backend_from_the_environment() {
    let binary = example_binary("sync_bridge");
    for backend in backends() {
        let finished = run_bounded(
            Command::new(&binary).env("ANYIO_BACKEND", &backend),
            PATIENCE,
        );
        assert!(finished.status.success(), "{backend}: {}", finished.stderr);
        let tagged: Vec<&str> = finished
            .stdout
            .lines()
            .filter(|line| line.starts_with(&format!("[{backend}] ")))
            .collect();
        assert_eq!(tagged.len(), 6, "{backend}: {}", finished.stdout);
        assert!(tagged[0].contains("checksum"), "{}", tagged[0]);
        for name in ["alpha", "beta", "gamma"] {
            assert!(finished
                .stdout
                .contains(&format!("sync -> async: {name}: looked up")));
        }
        assert!(
            finished.stdout.contains("timed out = true"),
            "{}",
            finished.stdout
        );
    }
}

#[test]
fn an_unknown_backend_is_reported() {
    let binary = example_binary("sync_bridge");
    let finished = run_bounded(
        Command::new(&binary).env("ANYIO_BACKEND", "no-such-runtime"),
        PATIENCE,
    );
    assert!(!finished.status.success());
    assert!(
        finished.stderr.contains("no-such-runtime"),
        "{}",
        finished.stderr
    );
}
