//! Sleeping, the clock and checkpoints.

#[path = "time_cases/checkpoint_assertions.rs"]
mod checkpoint_assertions;
mod common;
#[path = "time_cases/virtual_clock.rs"]
mod virtual_clock;

use std::time::{Duration, Instant};

use anyio::{checkpoint, current_time, sleep, sleep_until, task_group};
use common::{ms, Counter, TestError};

#[anyio::test]
async fn sleep_waits_at_least_the_delay() {
    let start = Instant::now();
    sleep(ms(30)).await;
    let elapsed = start.elapsed();
    assert!(elapsed >= ms(30), "woke after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5));
}

#[anyio::test]
async fn sleep_until_a_past_instant_is_a_checkpoint() {
    sleep_until(Instant::now() - ms(10)).await;
    sleep(Duration::ZERO).await;
}

#[anyio::test]
async fn zero_sleep_lets_other_tasks_run() {
    // Two children alternate on zero sleeps; each must see the other's progress.
    let turns = Counter::new();
    task_group(|tg| async move {
        for _ in 0..2 {
            let turns = turns.clone();
            tg.spawn(async move {
                for _ in 0..100 {
                    turns.bump();
                    sleep(Duration::ZERO).await;
                }
                Ok(())
            })?;
        }
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn checkpoint_yields_to_a_ready_task() {
    let flag = Counter::new();
    let f = flag.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            f.bump();
            Ok(())
        })?;
        // Spin on checkpoints only: without yielding, the child could never run on a
        // single-threaded scheduler.
        let deadline = Instant::now() + Duration::from_secs(5);
        while flag.get() == 0 && Instant::now() < deadline {
            checkpoint().await;
        }
        assert_eq!(flag.get(), 1);
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn current_time_advances_with_sleep() {
    let before = current_time();
    sleep(ms(15)).await;
    assert!(current_time() - before >= ms(15));
}

#[anyio::test]
async fn many_concurrent_sleeps_end_together() {
    let start = Instant::now();
    task_group(|tg| async move {
        for _ in 0..1_000 {
            tg.spawn(async {
                sleep(ms(20)).await;
                Ok(())
            })?;
        }
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
    let elapsed = start.elapsed();
    assert!(elapsed >= ms(20));
    assert!(
        elapsed < Duration::from_secs(5),
        "sleeps ran concurrently: {elapsed:?}"
    );
}
