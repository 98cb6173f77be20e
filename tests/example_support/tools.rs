//! Whether the external clients some tests drive are installed, and what happens when not.
//!
//! A test asks [`tool_installed`] once and drives the program under test with the real tool
//! when it is there, or the same scenario with its built-in Rust client when it is not, so
//! `cargo test` passes on a machine with only the Rust toolchain. CI sets
//! `ANYIO_REQUIRE_TOOLS=1` so that a missing tool fails instead and the real tools stay in use.

use std::process::{Command, Stdio};

/// The environment variable that makes a missing tool a test failure.
pub(crate) const REQUIRE_TOOLS: &str = "ANYIO_REQUIRE_TOOLS";

/// Whether `tool` (from the Debian/Ubuntu package `package`) can be started.
///
/// When it cannot, this notes on stderr that the built-in client stands in and returns
/// `false`; with `ANYIO_REQUIRE_TOOLS` set (to anything but `0` or nothing) it fails the test
/// instead, saying how to install the tool.
pub(crate) fn tool_installed(tool: &str, package: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if found {
        return true;
    }
    let required =
        std::env::var_os(REQUIRE_TOOLS).is_some_and(|value| !value.is_empty() && value != "0");
    assert!(
        !required,
        "`{tool}` is not installed; these tests drive the program under test with it \
         ({REQUIRE_TOOLS} is set, so the built-in client does not stand in). \
         Install it (Debian/Ubuntu: `apt-get install -y {package}`) and run again."
    );
    eprintln!(
        "note: `{tool}` is not installed; using the built-in Rust client instead \
         (set {REQUIRE_TOOLS}=1 to require `{tool}`)"
    );
    false
}
