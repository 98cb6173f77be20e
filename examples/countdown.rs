//! Several countdowns at different rates in one task group: each counts down from 5 at its
//! own pace, the lines interleave, and the group finishes when the slowest one reaches zero
//! (about 1.3 s).
//!
//! Run it on the default backend, or pick one with `ANYIO_BACKEND`:
//!
//! ```text
//! cargo run --example countdown
//! ANYIO_BACKEND=smol cargo run --example countdown --all-features
//! ANYIO_BACKEND=async-std cargo run --example countdown --all-features
//! ```

use std::time::{Duration, Instant};

use anyio::BoxError;

/// Each countdown's name and the time between its steps.
const COUNTDOWNS: [(&str, Duration); 3] = [
    ("fast", Duration::from_millis(100)),
    ("medium", Duration::from_millis(170)),
    ("slow", Duration::from_millis(250)),
];
/// Where every countdown starts.
const FROM: u32 = 5;

/// Counts down from `FROM` to 0, one step per `period`; returns how many steps it printed.
async fn countdown(name: &'static str, period: Duration, start: Instant) -> u32 {
    let mut printed = 0;
    for n in (0..=FROM).rev() {
        println!("{:>6} ms  {name:<6} {n}", start.elapsed().as_millis());
        printed += 1;
        if n > 0 {
            anyio::sleep(period).await;
        }
    }
    printed
}

fn main() -> Result<(), BoxError> {
    let start = Instant::now();
    let (backend, steps) = anyio::run(async move {
        let backend = anyio::Backend::current().expect("anyio::run starts a backend");
        let steps = anyio::task_group(|tg| async move {
            let handles = COUNTDOWNS
                .into_iter()
                .map(|(name, period)| {
                    tg.spawn(async move { Ok::<_, BoxError>(countdown(name, period, start).await) })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut steps = 0;
            for handle in handles {
                steps += handle.await?;
            }
            Ok::<_, BoxError>(steps)
        })
        .await
        .map_err(|e| e.into_first().unwrap_or_else(|| "cancelled".into()))?;
        Ok::<_, BoxError>((backend, steps))
    })??;
    let expected = (FROM + 1) * COUNTDOWNS.len() as u32;
    assert_eq!(steps, expected, "every countdown prints every step");
    println!(
        "{} countdowns done on {backend:?} in {:.2?}",
        COUNTDOWNS.len(),
        start.elapsed()
    );
    Ok(())
}
