//! `anyio-bench`: the anyio facade against each runtime's native API, side by side in one
//! process.
//!
//! ```text
//! cargo run --release -p anyio-bench -- [--rounds N] [--backend NAME]... [--case NAME]...
//! ```
//!
//! For every selected backend and case it takes `rounds` samples of each side, interleaved
//! (facade, native, facade, native, ...), and prints a markdown table of the medians, the
//! ratio facade/native, the case's target ratio and whether it is met. Every timed sample
//! enters the runtime first, runs the work once untimed to warm up, then times one more run;
//! runtime start-up and shutdown are never timed. A memory sample (`park_1m`, `c10k_idle_rss`) is
//! one fresh child process of this binary instead, which reports its own peak RSS. What each case
//! measures is described in `docs/benchmarks.md`.
//!
//! Adding a case: write one function per side with the signature `fn(Rt) -> Duration` (use
//! [`harness::on_facade`] and [`harness::on_native`] so the runtime entry and timing stay identical across
//! cases, or their `_self_timed` variants when a run has a setup phase that must stay untimed)
//! and list it in [`cases::cases`] as a [`cases::Side::Time`]. Memory cases
//! ([`cases::Side::Memory`]) measure each sample in a fresh child process instead.

mod cases;
mod harness;
mod stats;

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use cases::{
    c10k_child_main, c10k_clients_main, cases, park_child_main, Case, Sample, Unit,
    C10K_CHILD_FLAG, C10K_CLIENTS_FLAG, PARK_CHILD_FLAG,
};
use harness::Rt;
use stats::{median_sample, spread_percent};

/// Default number of samples per side and case.
const DEFAULT_ROUNDS: usize = 7;

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

/// Medians of one case on one backend.
#[derive(Debug)]
struct Outcome {
    backend: Rt,
    case: &'static str,
    unit: Unit,
    target: f64,
    facade: Sample,
    native: Sample,
}

impl Outcome {
    fn ratio(&self) -> f64 {
        self.facade.value() / self.native.value()
    }

    fn met(&self) -> bool {
        self.ratio() <= self.target
    }
}

/// Takes `rounds` samples of each side of `case` on `rt`, interleaved F N F N ...
fn run_case(case: &Case, rt: Rt, rounds: usize) -> Outcome {
    let mut facade = Vec::with_capacity(rounds);
    let mut native = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        facade.push(case.facade.sample(rt));
        native.push(case.native.sample(rt));
    }
    let show = |samples: &[Sample]| {
        samples
            .iter()
            .map(|&s| case.unit.format(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!("  facade: {}", show(&facade));
    eprintln!("  native: {}", show(&native));
    eprintln!(
        "  spread (max - min) / median: facade {:.1} %, native {:.1} %",
        spread_percent(&facade),
        spread_percent(&native)
    );
    Outcome {
        backend: rt,
        case: case.name,
        unit: case.unit,
        target: case.target,
        facade: median_sample(&facade),
        native: median_sample(&native),
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
    // A memory sample runs in a child process of this binary: see `cases/memory.rs` and
    // `cases/c10k.rs`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(PARK_CHILD_FLAG) => return park_child_main(&args[1..]),
        Some(C10K_CHILD_FLAG) => return c10k_child_main(&args[1..]),
        Some(C10K_CLIENTS_FLAG) => return c10k_clients_main(&args[1..]),
        _ => {}
    }
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
