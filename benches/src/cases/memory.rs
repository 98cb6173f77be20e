//! Memory: the peak resident set of a million parked children.
//!
//! Peak RSS is a property of a whole process and never goes down, so the two sides cannot
//! share one: every sample of either side runs in a fresh child process of this binary
//! (`anyio-bench --park-child <facade|native> <backend>`), which parks the children, reads its
//! own RSS figures from `/proc/self/status` and prints them on stdout for the parent.

use std::convert::Infallible;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::parked::{mark_parked, native_pause, until_parked, PAUSE};
use crate::harness::{block_on_native, Rt, NATIVE_SMOL};

/// Children parked by `park_1m`.
pub(crate) const PARK_N: usize = 1_000_000;

/// The hidden command-line mode that runs one side of `park_1m` in this process.
pub(crate) const PARK_CHILD_FLAG: &str = "--park-child";

/// One side's memory in one sample of a memory case.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Footprint {
    /// The child process's peak RSS (`VmHWM`) once everything measured was in place, in bytes.
    pub(crate) peak: u64,
    /// That peak minus the same process's RSS just before, per item measured (a parked child,
    /// an idle connection), in bytes.
    pub(crate) per_item: f64,
}

/// What a `--park-child` process reports: its RSS before spawning and its peak RSS once all
/// children are parked, both in bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildReport {
    pub(crate) before: u64,
    pub(crate) peak: u64,
}

/// One facade sample of `park_1m`, in a fresh child process.
pub(crate) fn park_facade(rt: Rt) -> Footprint {
    park_in_child("facade", rt)
}

/// One native sample of `park_1m`, in a fresh child process.
pub(crate) fn park_native(rt: Rt) -> Footprint {
    park_in_child("native", rt)
}

fn park_in_child(side: &str, rt: Rt) -> Footprint {
    footprint_in_child(PARK_CHILD_FLAG, side, rt, PARK_N)
}

/// Runs `anyio-bench <flag> <side> <backend>` and turns the RSS figures it prints into a
/// [`Footprint`] over `items`.
pub(crate) fn footprint_in_child(flag: &str, side: &str, rt: Rt, items: usize) -> Footprint {
    let exe = std::env::current_exe().expect("cannot find this executable");
    let output = Command::new(exe)
        .args([flag, side, rt.name()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot start a {flag} process: {e}"));
    assert!(
        output.status.success(),
        "{flag} {side} {} failed: {}",
        rt.name(),
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> u64 {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{flag} printed no {name:?}: {stdout:?}"))
    };
    let report = ChildReport {
        before: field("rss_before_bytes"),
        peak: field("peak_rss_bytes"),
    };
    Footprint {
        peak: report.peak,
        per_item: report.peak.saturating_sub(report.before) as f64 / items as f64,
    }
}

/// Entry point of a `--park-child <facade|native> <backend>` process: runs that side once and
/// prints `rss_before_bytes N` and `peak_rss_bytes N` on stdout.
pub(crate) fn park_child_main(args: &[String]) -> ExitCode {
    let (side, rt) = match args {
        [side, backend] => match Rt::parse(backend) {
            Some(rt) => (side.as_str(), rt),
            None => return child_usage(&format!("unknown backend {backend:?}")),
        },
        _ => return child_usage("expected a side and a backend"),
    };
    let report = match side {
        "facade" => park_facade_here(rt),
        "native" => park_native_here(rt),
        _ => return child_usage(&format!("unknown side {side:?}")),
    };
    report.print();
    ExitCode::SUCCESS
}

impl ChildReport {
    /// Prints the report on stdout, as [`footprint_in_child`] reads it.
    pub(crate) fn print(self) {
        println!("rss_before_bytes {}", self.before);
        println!("peak_rss_bytes {}", self.peak);
    }
}

fn child_usage(message: &str) -> ExitCode {
    eprintln!("anyio-bench {PARK_CHILD_FLAG}: {message}");
    eprintln!("usage: anyio-bench {PARK_CHILD_FLAG} facade|native tokio|async-std|smol");
    ExitCode::FAILURE
}

/// The facade side: one task group whose body spawns `PARK_N` children, each waiting on one
/// shared `anyio::Event`; once all are parked it reads the peak, sets the event and returns,
/// and the group finishes when every child has.
fn park_facade_here(rt: Rt) -> ChildReport {
    anyio::run_with(rt.anyio(), async {
        let event = Arc::new(anyio::Event::new());
        let parked = Arc::new(AtomicUsize::new(0));
        let before = rss_bytes("VmRSS:");
        let peak = anyio::task_group(|tg| async move {
            for _ in 0..PARK_N {
                let (event, parked) = (Arc::clone(&event), Arc::clone(&parked));
                tg.spawn(async move {
                    mark_parked(&parked);
                    event.wait().await;
                    Ok(())
                })
                .expect("spawn refused");
            }
            until_parked(&parked, PARK_N, || anyio::sleep(PAUSE)).await;
            let peak = rss_bytes("VmHWM:");
            event.set();
            Ok::<_, Infallible>(peak)
        })
        .await
        .expect("task group failed");
        ChildReport { before, peak }
    })
    .expect("anyio::run_with failed")
}

/// The native side: `PARK_N` detached native spawns (tokio: `tokio::spawn` with the handle
/// dropped; async-std: `async_std::task::spawn`, likewise; smol: `Executor::spawn(..).detach()`
/// on the bench's executor), each awaiting a listener of one shared `event_listener::Event`;
/// once all are parked it reads the peak, notifies them all and waits until every child has
/// run to its end (the counter falls back to zero).
///
/// The handles are dropped, not kept, because the facade side drops its `TaskHandle`s too:
/// both sides then hold exactly the children and what their runtime needs to track them.
fn park_native_here(rt: Rt) -> ChildReport {
    block_on_native(rt, async move {
        let event = Arc::new(event_listener::Event::new());
        let parked = Arc::new(AtomicUsize::new(0));
        let before = rss_bytes("VmRSS:");
        for _ in 0..PARK_N {
            let (event, parked) = (Arc::clone(&event), Arc::clone(&parked));
            let child = async move {
                mark_parked(&parked);
                event.listen().await;
                parked.fetch_sub(1, Ordering::Release);
            };
            match rt {
                Rt::Tokio => drop(tokio::spawn(child)),
                Rt::AsyncStd => drop(async_std::task::spawn(child)),
                Rt::Smol => NATIVE_SMOL.spawn(child).detach(),
            }
        }
        until_parked(&parked, PARK_N, || native_pause(rt)).await;
        let peak = rss_bytes("VmHWM:");
        event.notify(usize::MAX);
        while parked.load(Ordering::Acquire) > 0 {
            native_pause(rt).await;
        }
        ChildReport { before, peak }
    })
}

/// A `kB` line of `/proc/self/status` (`VmRSS:` the current resident set, `VmHWM:` its peak
/// so far), in bytes.
pub(crate) fn rss_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .expect("the memory cases read /proc/self/status, which needs Linux");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} line in /proc/self/status"));
    kib * 1024
}
