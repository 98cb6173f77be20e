//! One clock: every deadline, sleep and `current_effective_deadline` reads the runtime's clock.
//! Under tokio's paused clock (`start_paused`), time advances only when every task is idle, so
//! timeouts that read the system's clock instead would take real time (and spin); with one
//! clock, an hour of timeouts passes at once.
//!
//! tokio-specific by nature: only tokio has a paused clock.

#![cfg(feature = "tokio")]

use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// The paused clock's jumps must show as virtual time, not real time.
fn assert_fast(real: Instant) {
    assert!(
        real.elapsed() < Duration::from_secs(2),
        "took {:?} of real time",
        real.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn sleeps_follow_the_paused_clock() {
    let real = Instant::now();
    let virtual_start = anyio::current_time();
    anyio::sleep(HOUR).await;
    assert!(anyio::current_time() - virtual_start >= HOUR);
    assert_fast(real);
}

#[tokio::test(start_paused = true)]
async fn move_on_after_and_fail_after_follow_the_paused_clock() {
    let real = Instant::now();
    let start = tokio::time::Instant::now();
    assert_eq!(
        anyio::move_on_after(HOUR, anyio::sleep_forever()).await,
        None
    );
    assert!(tokio::time::Instant::now() - start >= HOUR);
    assert!(anyio::fail_after(2 * HOUR, anyio::sleep_forever())
        .await
        .is_err());
    assert!(tokio::time::Instant::now() - start >= 3 * HOUR);
    assert_fast(real);
}

#[tokio::test(start_paused = true)]
async fn deadlines_of_scopes_and_groups_follow_the_paused_clock() {
    let real = Instant::now();
    let deadline = anyio::current_time() + HOUR;
    let scope = anyio::CancelScope::with_deadline(deadline);
    let outcome = scope
        .run(async move {
            assert_eq!(anyio::current_effective_deadline(), Some(deadline));
            anyio::task_group(|tg| async move {
                tg.spawn(async {
                    anyio::sleep_forever().await;
                    Ok::<_, anyio::BoxError>(())
                })?;
                Ok::<_, anyio::BoxError>(())
            })
            .await
        })
        .await;
    assert!(outcome.is_none());
    assert!(anyio::current_time() >= deadline);
    assert_fast(real);
}

#[tokio::test(start_paused = true)]
async fn the_effective_deadline_is_on_the_runtimes_clock() {
    let outcome = anyio::move_on_after(HOUR, async {
        let deadline = anyio::current_effective_deadline().expect("a deadline");
        let from_tokio = tokio::time::Instant::now().into_std() + HOUR;
        deadline.max(from_tokio) - deadline.min(from_tokio)
    })
    .await;
    assert!(outcome.expect("finished at once") < Duration::from_millis(100));
}
