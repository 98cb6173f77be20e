//! Runs under a virtual clock (`#[anyio::test(virtual_time)]`): every sleep, deadline and
//! timeout of the run follows the clock, which moves only when the test advances it.
//!
//! Waiting for another task here yields ([`anyio::checkpoint`]) instead of sleeping: a real
//! sleep would read the virtual clock too and wait for an advance that never comes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::testing::{current_clock, VirtualClock};
use anyio::{
    current_effective_deadline, current_time, fail_after, move_on_after, sleep, sleep_forever,
    sleep_until, task_group, TaskGroup,
};

use crate::common::Watchdog;

const HOUR: Duration = Duration::from_secs(3600);

/// A test whose sleeps read the real clock would wait an hour: it fails after half a minute.
fn watchdog() -> Watchdog {
    Watchdog::new("a test in virtual time", Duration::from_secs(30))
}

fn clock() -> VirtualClock {
    current_clock().expect("the test runs under a virtual clock")
}

/// Yields until `condition` holds, for at most ten seconds of real time.
async fn until(mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the condition never became true"
        );
        anyio::checkpoint().await;
    }
}

/// Virtual hours must not cost real ones.
fn assert_fast(real: Instant) {
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "took {:?}",
        real.elapsed()
    );
}

#[anyio::test(virtual_time)]
async fn the_clock_of_the_run_is_the_virtual_clock() {
    let clock = clock();
    assert_eq!(current_time(), clock.now());
    clock.advance(HOUR);
    assert_eq!(current_time(), clock.now());
}

#[anyio::test(virtual_time)]
async fn a_sleep_of_an_hour_ends_when_the_clock_passes_it() {
    let _watchdog = watchdog();
    let real = Instant::now();
    let clock = clock();
    let start = current_time();
    let woke = Arc::new(AtomicBool::new(false));
    let child_woke = woke.clone();
    task_group(|tg: TaskGroup<anyio::BoxError>| async move {
        tg.spawn(async move {
            sleep(HOUR).await;
            child_woke.store(true, Ordering::SeqCst);
            Ok(())
        })?;
        until(|| clock.next_deadline().is_some()).await;
        clock.advance(HOUR - Duration::from_secs(1));
        for _ in 0..100 {
            anyio::checkpoint().await;
        }
        assert!(!woke.load(Ordering::SeqCst), "woke a second early");
        clock.advance(Duration::from_secs(1));
        Ok(())
    })
    .await
    .unwrap();
    assert!(current_time() - start >= HOUR);
    assert_fast(real);
}

#[anyio::test(virtual_time)]
async fn sleep_until_follows_the_clock() {
    let _watchdog = watchdog();
    let clock = clock();
    let deadline = current_time() + HOUR;
    let ((), ()) = futures_util::join!(sleep_until(deadline), async {
        until(|| clock.next_deadline() == Some(deadline)).await;
        clock.advance_to(deadline);
    });
    assert_eq!(current_time(), deadline);
}

#[anyio::test(virtual_time)]
async fn move_on_after_times_out_in_virtual_time() {
    let _watchdog = watchdog();
    let real = Instant::now();
    let clock = clock();
    let (outcome, ()) = futures_util::join!(move_on_after(HOUR, sleep_forever()), async {
        until(|| clock.next_deadline().is_some()).await;
        clock.advance_to_next();
    });
    assert!(outcome.is_none());
    assert_fast(real);
}

#[anyio::test(virtual_time)]
async fn a_deadline_is_reached_only_by_advancing_to_it() {
    let _watchdog = watchdog();
    let clock = clock();
    let deadline = current_time() + HOUR;
    let fired = Arc::new(AtomicBool::new(false));
    let flag = fired.clone();
    task_group(|tg: TaskGroup<anyio::BoxError>| async move {
        tg.spawn(async move {
            let outcome = fail_after(HOUR, sleep_forever()).await;
            assert!(outcome.is_err(), "a sleep forever cannot complete");
            flag.store(true, Ordering::SeqCst);
            Ok(())
        })?;
        until(|| clock.next_deadline() == Some(deadline)).await;
        clock.advance(HOUR / 2);
        for _ in 0..100 {
            anyio::checkpoint().await;
        }
        assert!(
            !fired.load(Ordering::SeqCst),
            "timed out half an hour early"
        );
        clock.advance(HOUR / 2);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(current_time(), deadline);
}

#[anyio::test(virtual_time)]
async fn the_effective_deadline_is_on_the_virtual_clock() {
    let clock = clock();
    let now = clock.now();
    let deadline = move_on_after(HOUR, async { current_effective_deadline() })
        .await
        .unwrap();
    assert_eq!(deadline, Some(now + HOUR));
}

#[anyio::test(virtual_time)]
async fn each_run_has_its_own_clock() {
    let ours = clock();
    let other = VirtualClock::new();
    other.advance(HOUR);
    assert_ne!(ours.id(), other.id());
    assert!(other.now() - ours.now() >= HOUR - Duration::from_secs(1));
    assert_eq!(current_time(), ours.now());
}

/// A retry loop with exponential back-off from one second to an hour, driven by a task that
/// moves the clock to each next deadline: a day of virtual back-off in real milliseconds.
#[anyio::test(virtual_time)]
async fn exponential_back_off_runs_in_virtual_time() {
    let _watchdog = watchdog();
    let real = Instant::now();
    let clock = clock();
    let start = current_time();
    let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let done = Arc::new(AtomicBool::new(false));
    let finished = done.clone();
    task_group(|tg: TaskGroup<anyio::BoxError>| async move {
        tg.spawn(async move {
            let mut delay = Duration::from_secs(1);
            for _ in 0..16 {
                seen.lock().unwrap().push(current_time() - start);
                sleep(delay).await;
                delay = (delay * 2).min(HOUR);
            }
            finished.store(true, Ordering::SeqCst);
            Ok(())
        })?;
        while !done.load(Ordering::SeqCst) {
            until(|| clock.next_deadline().is_some() || done.load(Ordering::SeqCst)).await;
            clock.advance_to_next();
        }
        Ok(())
    })
    .await
    .unwrap();
    let attempts = attempts.lock().unwrap().clone();
    let secs: Vec<u64> = attempts.iter().map(Duration::as_secs).collect();
    assert_eq!(
        secs,
        [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 7695, 11295, 14895]
    );
    assert_fast(real);
}
