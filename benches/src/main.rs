//! `anyio-bench`: the anyio facade against each runtime's native API, side by side in one
//! process.
//!
//! ```text
//! cargo run --release -p anyio-bench -- [--rounds N] [--backend NAME]... [--case NAME]...
//! ```
//!
//! For every selected backend and case it takes `rounds` samples of each side, interleaved
//! (facade, native, facade, native, ...), and prints a markdown table of the medians, the
//! ratio facade/native, the case's target ratio and whether it is met. Every sample enters
//! the runtime first, runs the work once untimed to warm up, then times one more run; runtime
//! start-up and shutdown are never timed. What each case measures is described in
//! `docs/benchmarks.md`.
//!
//! Adding a case: write one function per side with the signature `fn(Rt) -> Duration` (use
//! [`on_facade`] and [`on_native`] so the runtime entry and timing stay identical across
//! cases) and list it in [`cases`].

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Once;
use std::time::{Duration, Instant};

use anyio::streams::memory::create_memory_object_stream;
use async_executor::Executor;

/// Default number of samples per side and case.
const DEFAULT_ROUNDS: usize = 7;

/// Children spawned by `spawn_join_100k`.
const SPAWN_N: usize = 100_000;
/// Concurrent sleepers in `sleep_10k_1ms`.
const SLEEP_N: usize = 10_000;
/// How long each of them sleeps.
const SLEEP_FOR: Duration = Duration::from_millis(1);
/// Items through the channel in the `channel_1m_*` cases.
const CHANNEL_N: u64 = 1_000_000;
/// Their channel's capacity.
const CHANNEL_CAP: usize = 1024;
/// Round trips in the `ping_pong_*` cases.
const PING_N: u64 = 100_000;
/// Acquire/release pairs in `lock_uncontended`.
const LOCK_OPS: u64 = 1_000_000;
/// Awaits per sample in `move_on_after_ready`.
const TIMEOUT_OPS: u64 = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

/// A runtime both sides of a case run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rt {
    Tokio,
    AsyncStd,
    Smol,
}

impl Rt {
    const ALL: [Rt; 3] = [Rt::Tokio, Rt::AsyncStd, Rt::Smol];

    fn name(self) -> &'static str {
        match self {
            Rt::Tokio => "tokio",
            Rt::AsyncStd => "async-std",
            Rt::Smol => "smol",
        }
    }

    fn parse(name: &str) -> Option<Rt> {
        Rt::ALL.into_iter().find(|rt| rt.name() == name)
    }

    fn anyio(self) -> anyio::Backend {
        match self {
            Rt::Tokio => anyio::Backend::Tokio,
            Rt::AsyncStd => anyio::Backend::AsyncStd,
            Rt::Smol => anyio::Backend::Smol,
        }
    }
}

/// Runs `work` once to warm up, then times one more run of it.
async fn warm_then_time<F, Fut>(work: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    work().await;
    let start = Instant::now();
    work().await;
    start.elapsed()
}

/// One facade sample: enters `rt` through `anyio::run_with` and times `work` inside it.
fn on_facade<F, Fut>(rt: Rt, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    anyio::run_with(rt.anyio(), warm_then_time(work)).expect("anyio::run_with failed")
}

/// One native sample: enters `rt` the way an application using it directly would, configured
/// like the anyio backend for it, and times `work` inside it.
///
/// - tokio: a fresh `Builder::new_multi_thread().enable_all()` runtime per sample (what
///   `anyio::run_with(Tokio, ..)` builds per call), driven by `Runtime::block_on`;
/// - async-std: `async_std::task::block_on` on its global executor (what anyio uses too);
/// - smol: [`NATIVE_SMOL`], an `async_executor::Executor` of its own run by
///   `available_parallelism()` worker threads plus the calling thread in
///   `async_io::block_on(executor.run(..))` — the same shape as anyio's smol backend, but a
///   separate executor, so the two sides never share a queue.
fn on_native<F, Fut>(rt: Rt, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let sample = warm_then_time(work);
    match rt {
        Rt::Tokio => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("failed to start a tokio runtime")
            .block_on(sample),
        Rt::AsyncStd => async_std::task::block_on(sample),
        Rt::Smol => {
            start_native_smol();
            async_io::block_on(NATIVE_SMOL.run(sample))
        }
    }
}

/// The native smol side's executor; see [`on_native`].
static NATIVE_SMOL: Executor<'static> = Executor::new();
static NATIVE_SMOL_WORKERS: Once = Once::new();

fn start_native_smol() {
    NATIVE_SMOL_WORKERS.call_once(|| {
        let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        for n in 1..=threads {
            std::thread::Builder::new()
                .name(format!("native-smol-{n}"))
                .spawn(|| async_io::block_on(NATIVE_SMOL.run(std::future::pending::<()>())))
                .expect("failed to start a native smol worker");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/// How a case's times are reported.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// Wall time of one run, in milliseconds.
    Millis,
    /// Wall time of one run divided by this many operations, in nanoseconds.
    NanosPerOp(u64),
}

impl Unit {
    fn format(self, time: Duration) -> String {
        match self {
            Unit::Millis => format!("{:.2} ms", time.as_secs_f64() * 1e3),
            Unit::NanosPerOp(ops) => format!("{:.1} ns/op", time.as_secs_f64() * 1e9 / ops as f64),
        }
    }
}

/// One benchmark: a facade side and a native side doing the same work on the same runtime.
#[derive(Debug)]
struct Case {
    name: &'static str,
    /// The runtimes this case runs on.
    backends: &'static [Rt],
    /// The largest acceptable median facade/native ratio.
    target: f64,
    unit: Unit,
    facade: fn(Rt) -> Duration,
    native: fn(Rt) -> Duration,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "spawn_join_100k",
            backends: &Rt::ALL,
            target: 1.15,
            unit: Unit::Millis,
            facade: spawn_join_facade,
            native: spawn_join_native,
        },
        Case {
            name: "sleep_10k_1ms",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: sleep_facade,
            native: sleep_native,
        },
        Case {
            name: "sleep_only_10k_1ms",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: sleep_only_facade,
            native: sleep_native,
        },
        Case {
            name: "channel_1m_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: channel_facade,
            native: channel_tokio_mpsc,
        },
        Case {
            name: "channel_1m_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: channel_facade,
            native: channel_async_channel,
        },
        Case {
            name: "channel_1m_vs_flume",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: channel_facade,
            native: channel_flume,
        },
        Case {
            name: "ping_pong_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: ping_pong_facade,
            native: ping_pong_tokio_mpsc,
        },
        Case {
            name: "ping_pong_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: ping_pong_facade,
            native: ping_pong_async_channel,
        },
        Case {
            name: "ping_pong_vs_flume",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: ping_pong_facade,
            native: ping_pong_flume,
        },
        Case {
            name: "lock_uncontended",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(LOCK_OPS),
            facade: lock_facade,
            native: lock_tokio_mutex,
        },
        Case {
            name: "move_on_after_ready",
            backends: &[Rt::Tokio],
            target: 1.2,
            unit: Unit::NanosPerOp(TIMEOUT_OPS),
            facade: move_on_after_facade,
            native: timeout_native,
        },
    ]
}

/// One task group spawning `SPAWN_N` children that return at once; awaits the group.
fn spawn_join_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        anyio::task_group(|tg| async move {
            for _ in 0..SPAWN_N {
                tg.spawn(async { Ok(()) }).expect("spawn refused");
            }
            Ok::<_, std::convert::Infallible>(())
        })
        .await
        .expect("task group failed");
    })
}

/// `SPAWN_N` trivial native spawns; awaits every join handle.
fn spawn_join_native(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let handles: Vec<_> = (0..SPAWN_N).map(|_| tokio::spawn(async {})).collect();
            for handle in handles {
                handle.await.expect("task failed");
            }
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let handles: Vec<_> = (0..SPAWN_N)
                .map(|_| async_std::task::spawn(async {}))
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
        Rt::Smol => on_native(rt, || async {
            let handles: Vec<_> = (0..SPAWN_N).map(|_| NATIVE_SMOL.spawn(async {})).collect();
            for handle in handles {
                handle.await;
            }
        }),
    }
}

/// One task group of `SLEEP_N` children, each `anyio::sleep(SLEEP_FOR)`.
fn sleep_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        anyio::task_group(|tg| async move {
            for _ in 0..SLEEP_N {
                tg.spawn(async {
                    anyio::sleep(SLEEP_FOR).await;
                    Ok(())
                })
                .expect("spawn refused");
            }
            Ok::<_, std::convert::Infallible>(())
        })
        .await
        .expect("task group failed");
    })
}

/// `SLEEP_N` native spawns, each doing the runtime's own sleep; awaits every join handle.
///
/// Each sleep is created inside its task, as `anyio::sleep` is on the facade side, so on both
/// sides the 1 ms starts when the child first runs, not when it is spawned.
fn sleep_native(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| {
                    tokio::spawn(async {
                        tokio::time::sleep(SLEEP_FOR).await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await.expect("task failed");
            }
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| {
                    async_std::task::spawn(async {
                        async_std::task::sleep(SLEEP_FOR).await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
        Rt::Smol => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| {
                    NATIVE_SMOL.spawn(async {
                        async_io::Timer::after(SLEEP_FOR).await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
    }
}

/// The sleep primitive alone: `SLEEP_N` native spawns on the native runtime, exactly as
/// [`sleep_native`], each awaiting `anyio::sleep` (which detects the runtime) instead of the
/// runtime's own sleep.
fn sleep_only_facade(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| tokio::spawn(async { anyio::sleep(SLEEP_FOR).await }))
                .collect();
            for handle in handles {
                handle.await.expect("task failed");
            }
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| async_std::task::spawn(async { anyio::sleep(SLEEP_FOR).await }))
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
        Rt::Smol => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| NATIVE_SMOL.spawn(async { anyio::sleep(SLEEP_FOR).await }))
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
    }
}

/// Runs two futures as native tasks of `rt` and waits for both: the native sides' spawn.
async fn native_pair<A, B>(rt: Rt, a: A, b: B)
where
    A: Future<Output = ()> + Send + 'static,
    B: Future<Output = ()> + Send + 'static,
{
    match rt {
        Rt::Tokio => {
            let (a, b) = (tokio::spawn(a), tokio::spawn(b));
            a.await.expect("task failed");
            b.await.expect("task failed");
        }
        Rt::AsyncStd => {
            let (a, b) = (async_std::task::spawn(a), async_std::task::spawn(b));
            a.await;
            b.await;
        }
        Rt::Smol => {
            let (a, b) = (NATIVE_SMOL.spawn(a), NATIVE_SMOL.spawn(b));
            a.await;
            b.await;
        }
    }
}

/// One producer and one consumer in a task group, `CHANNEL_N` items through a memory object
/// stream of capacity `CHANNEL_CAP`.
fn channel_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let (tx, rx) = create_memory_object_stream::<u64>(CHANNEL_CAP);
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                for i in 0..CHANNEL_N {
                    tx.send(i).await.expect("the receiver is alive");
                }
                Ok(())
            })?;
            tg.spawn(async move {
                let mut sum = 0u64;
                while let Ok(item) = rx.receive().await {
                    sum += item;
                }
                assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
                Ok(())
            })?;
            Ok::<_, anyio::BoxError>(())
        })
        .await
        .expect("task group failed");
    })
}

fn channel_tokio_mpsc(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Some(item) = rx.recv().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        native_pair(rt, producer, consumer).await;
    })
}

fn channel_async_channel(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (tx, rx) = async_channel::bounded::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Ok(item) = rx.recv().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        native_pair(rt, producer, consumer).await;
    })
}

fn channel_flume(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (tx, rx) = flume::bounded::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send_async(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Ok(item) = rx.recv_async().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        native_pair(rt, producer, consumer).await;
    })
}

/// `PING_N` round trips between two tasks over two memory object streams of capacity 1.
fn ping_pong_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let (ping_tx, ping_rx) = create_memory_object_stream::<u64>(1);
        let (pong_tx, pong_rx) = create_memory_object_stream::<u64>(1);
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                while let Ok(ball) = ping_rx.receive().await {
                    pong_tx.send(ball + 1).await.expect("the pinger is alive");
                }
                Ok(())
            })?;
            tg.spawn(async move {
                let mut ball = 0;
                for _ in 0..PING_N {
                    ping_tx.send(ball).await.expect("the ponger is alive");
                    ball = pong_rx.receive().await.expect("the ponger is alive");
                }
                assert_eq!(ball, PING_N);
                Ok(())
            })?;
            Ok::<_, anyio::BoxError>(())
        })
        .await
        .expect("task group failed");
    })
}

fn ping_pong_tokio_mpsc(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let ponger = async move {
            while let Some(ball) = ping_rx.recv().await {
                pong_tx.send(ball + 1).await.expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send(ball).await.expect("the ponger is alive");
                ball = pong_rx.recv().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        native_pair(rt, ponger, pinger).await;
    })
}

fn ping_pong_async_channel(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
        let ponger = async move {
            while let Ok(ball) = ping_rx.recv().await {
                pong_tx.send(ball + 1).await.expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send(ball).await.expect("the ponger is alive");
                ball = pong_rx.recv().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        native_pair(rt, ponger, pinger).await;
    })
}

fn ping_pong_flume(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (ping_tx, ping_rx) = flume::bounded::<u64>(1);
        let (pong_tx, pong_rx) = flume::bounded::<u64>(1);
        let ponger = async move {
            while let Ok(ball) = ping_rx.recv_async().await {
                pong_tx
                    .send_async(ball + 1)
                    .await
                    .expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send_async(ball).await.expect("the ponger is alive");
                ball = pong_rx.recv_async().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        native_pair(rt, ponger, pinger).await;
    })
}

/// `LOCK_OPS` uncontended acquire/release pairs of an `anyio::sync::Lock`, in one task.
fn lock_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let lock = anyio::sync::Lock::new();
        for _ in 0..LOCK_OPS {
            let guard = lock.acquire().await;
            black_box(&guard);
        }
    })
}

/// `LOCK_OPS` uncontended lock/unlock pairs of a `tokio::sync::Mutex<()>` (runtime-agnostic),
/// in one task.
fn lock_tokio_mutex(rt: Rt) -> Duration {
    on_native(rt, || async {
        let mutex = tokio::sync::Mutex::new(());
        for _ in 0..LOCK_OPS {
            let guard = mutex.lock().await;
            black_box(&guard);
        }
    })
}

/// `anyio::move_on_after(1 s, ready(1))`, awaited `TIMEOUT_OPS` times in one task.
fn move_on_after_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        for _ in 0..TIMEOUT_OPS {
            let value = anyio::move_on_after(
                black_box(Duration::from_secs(1)),
                std::future::ready(black_box(1)),
            )
            .await;
            black_box(value);
        }
    })
}

/// `tokio::time::timeout(1 s, ready(1))`, awaited `TIMEOUT_OPS` times in one task.
fn timeout_native(rt: Rt) -> Duration {
    assert_eq!(rt, Rt::Tokio, "tokio::time::timeout needs tokio");
    on_native(rt, || async {
        for _ in 0..TIMEOUT_OPS {
            let value = tokio::time::timeout(
                black_box(Duration::from_secs(1)),
                std::future::ready(black_box(1)),
            )
            .await;
            let _ = black_box(value);
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// Medians of one case on one backend.
#[derive(Debug)]
struct Outcome {
    backend: Rt,
    case: &'static str,
    unit: Unit,
    target: f64,
    facade: Duration,
    native: Duration,
}

impl Outcome {
    fn ratio(&self) -> f64 {
        self.facade.as_secs_f64() / self.native.as_secs_f64()
    }

    fn met(&self) -> bool {
        self.ratio() <= self.target
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    let mid = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2
    }
}

/// Takes `rounds` samples of each side of `case` on `rt`, interleaved F N F N ...
fn run_case(case: &Case, rt: Rt, rounds: usize) -> Outcome {
    let mut facade = Vec::with_capacity(rounds);
    let mut native = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        facade.push((case.facade)(rt));
        native.push((case.native)(rt));
    }
    let show = |samples: &[Duration]| {
        samples
            .iter()
            .map(|&t| case.unit.format(t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!("  facade: {}", show(&facade));
    eprintln!("  native: {}", show(&native));
    Outcome {
        backend: rt,
        case: case.name,
        unit: case.unit,
        target: case.target,
        facade: median(&mut facade),
        native: median(&mut native),
    }
}

fn print_table(outcomes: &[Outcome]) {
    println!(
        "| backend | case | facade (median) | native (median) | facade/native | target | met |"
    );
    println!("|---|---|---:|---:|---:|---:|:---:|");
    for o in outcomes {
        println!(
            "| {} | `{}` | {} | {} | {:.3} | <= {:.2} | {} |",
            o.backend.name(),
            o.case,
            o.unit.format(o.facade),
            o.unit.format(o.native),
            o.ratio(),
            o.target,
            if o.met() { "yes" } else { "**no**" },
        );
    }
}

/// Command-line options.
#[derive(Debug)]
struct Options {
    rounds: usize,
    backends: Vec<Rt>,
    cases: Vec<String>,
}

const USAGE: &str = "\
usage: anyio-bench [--rounds N] [--backend tokio|async-std|smol]... [--case NAME]...

  --rounds N      samples per side and case (default 7, or $ANYIO_BENCH_ROUNDS)
  --backend NAME  run only this backend (repeatable; default: all three)
  --case NAME     run only this case (repeatable; default: all)";

fn parse_options() -> Result<Options, String> {
    let mut rounds = match std::env::var("ANYIO_BENCH_ROUNDS") {
        Ok(value) => value
            .parse()
            .map_err(|_| format!("ANYIO_BENCH_ROUNDS={value:?} is not a count"))?,
        Err(_) => DEFAULT_ROUNDS,
    };
    let mut backends = Vec::new();
    let mut cases = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--rounds" => {
                let v = value()?;
                rounds = v
                    .parse()
                    .map_err(|_| format!("--rounds {v:?} is not a count"))?;
            }
            "--backend" => {
                let v = value()?;
                backends.push(Rt::parse(&v).ok_or_else(|| format!("unknown backend {v:?}"))?);
            }
            "--case" => {
                let v = value()?;
                if !self::cases().iter().any(|c| c.name == v) {
                    return Err(format!("unknown case {v:?}"));
                }
                cases.push(v);
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if rounds == 0 {
        return Err("--rounds must be at least 1".to_owned());
    }
    if backends.is_empty() {
        backends = Rt::ALL.to_vec();
    }
    Ok(Options {
        rounds,
        backends,
        cases,
    })
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("anyio-bench: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    eprintln!(
        "anyio-bench: {} rounds per side, interleaved facade/native; available_parallelism = {threads}",
        options.rounds
    );

    // Other processes skew the numbers; say how busy the machine was (Linux only).
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned())
    };
    let load_before = load();

    let started = Instant::now();
    let cases = cases();
    let mut outcomes = Vec::new();
    for &rt in &options.backends {
        for case in &cases {
            let selected = options.cases.is_empty() || options.cases.iter().any(|c| c == case.name);
            if !selected || !case.backends.contains(&rt) {
                continue;
            }
            eprintln!("{} / {}", rt.name(), case.name);
            outcomes.push(run_case(case, rt, options.rounds));
        }
    }
    eprintln!("total time: {:.1} s", started.elapsed().as_secs_f64());

    println!(
        "rounds: {}, available_parallelism: {threads}, 1-min load average before/after: {}/{}\n",
        options.rounds,
        load_before,
        load(),
    );
    print_table(&outcomes);
    ExitCode::SUCCESS
}
