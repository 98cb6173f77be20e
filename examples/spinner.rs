//! A spinner animates while a slow blocking computation runs on a thread; when the
//! computation returns, the spinner is cancelled and the result printed.
//!
//! ```text
//! cargo run --example spinner
//! ANYIO_BACKEND=smol cargo run --example spinner --all-features
//! ```
//!
//! The computation stays off the event loop with `to_thread::run_sync`, so the spinner task
//! keeps drawing frames meanwhile; cancelling the spinner's task ends its endless loop at
//! its next sleep.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyio::BoxError;

const FRAMES: [char; 4] = ['|', '/', '-', '\\'];

/// Draws a frame every 100 ms until cancelled.
async fn spin(label: &str) {
    let mut stdout = std::io::stdout();
    for frame in FRAMES.iter().cycle() {
        // A broken stdout is no reason to stop the computation: skip the frame.
        let _ = write!(stdout, "\r{frame} {label}").and_then(|()| stdout.flush());
        anyio::sleep(Duration::from_millis(100)).await;
    }
}

/// A blocking computation of about a second: sums the primes below a bound, resting between
/// chunks as a slow library call would.
fn slow_prime_sum(bound: u64) -> u64 {
    let mut sum = 0;
    for n in 2..bound {
        if (2..).take_while(|d| d * d <= n).all(|d| n % d != 0) {
            sum += n;
        }
        if n % 2_000 == 0 {
            std::thread::sleep(Duration::from_millis(40));
        }
    }
    sum
}

async fn run() -> Result<u64, BoxError> {
    anyio::task_group(|tg| async move {
        let spinner = tg.spawn(async {
            spin("thinking!").await;
            Ok(())
        })?;
        let sum = anyio::to_thread::run_sync(|| slow_prime_sum(50_000)).await;
        spinner.cancel();
        Ok(sum)
    })
    .await
    .map_err(|e| e.into_first().unwrap_or_else(|| "cancelled".into()))
}

fn main() -> ExitCode {
    let start = Instant::now();
    match anyio::run(run()) {
        Ok(Ok(sum)) => {
            println!(
                "\rthe primes below 50000 sum to {sum} ({:.1} s)",
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("\rspinner: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("spinner: {e}");
            ExitCode::FAILURE
        }
    }
}
