//! AnyIO 4.x's additions to the synchronization primitives: `fast_acquire` on `Lock` and
//! `Semaphore` (an uncontended acquire without a yield) against the default (an uncontended
//! acquire that still yields once, holding the lock, as in AnyIO and Trio), and the
//! `CapacityLimiter` with an owned guard for spawn loops.

use crate::common;

use std::num::NonZeroUsize;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyio::sync::{CapacityLimiter, Lock, Semaphore};
use anyio::{task_group, BoxError, CancelScope};

use common::ms;
use futures_util::poll;

#[anyio::test]
async fn lock_acquire_yields_once_when_uncontended() {
    let lock = Lock::new();
    let mut acquire = pin!(lock.acquire());
    assert!(
        poll!(acquire.as_mut()).is_pending(),
        "a checkpoint, also uncontended"
    );
    assert!(lock.locked(), "held across the yield");
    let guard = acquire.await;
    drop(guard);
    assert!(!lock.locked());
}

#[anyio::test]
async fn lock_fast_acquire_does_not_yield() {
    let lock = Lock::new().fast_acquire(true);
    let mut acquire = pin!(lock.acquire());
    let polled = poll!(acquire.as_mut());
    assert!(polled.is_ready());
    assert!(lock.locked());
    drop(polled);
    assert!(!lock.locked());
}

#[anyio::test]
async fn semaphore_acquire_yields_once_unless_fast() {
    let semaphore = Semaphore::new(1);
    let mut acquire = pin!(semaphore.acquire());
    assert!(poll!(acquire.as_mut()).is_pending());
    assert_eq!(semaphore.value(), 0, "held across the yield");
    drop(acquire.await);
    let fast = Semaphore::new(1).fast_acquire(true);
    let mut acquire = pin!(fast.acquire());
    assert!(poll!(acquire.as_mut()).is_ready());
}

#[anyio::test]
async fn an_acquire_dropped_during_its_yield_releases_the_lock() {
    let lock = Lock::new();
    {
        let mut acquire = pin!(lock.acquire());
        assert!(poll!(acquire.as_mut()).is_pending());
        assert!(lock.locked());
    }
    assert!(
        !lock.locked(),
        "the lock held across the yield was given back"
    );
}

#[anyio::test]
async fn an_uncontended_acquire_in_a_cancelled_scope_takes_nothing() {
    let lock = Lock::new();
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(lock.acquire()).await.is_none());
    assert!(!lock.locked());
}

/// How many uncontended acquires a loop makes before a future beside it in the same task
/// gets to run.
async fn acquires_before_a_neighbour_runs(lock: &Lock) -> usize {
    let ran = AtomicUsize::new(0);
    let looping = async {
        for done in 1..=100 {
            drop(lock.acquire().await);
            if ran.load(Ordering::SeqCst) > 0 {
                return done;
            }
        }
        100
    };
    let neighbour = async {
        ran.fetch_add(1, Ordering::SeqCst);
    };
    futures_util::join!(looping, neighbour).0
}

#[anyio::test]
async fn a_task_looping_on_an_uncontended_lock_lets_others_run() {
    // The fairness the yield is for, and what `fast_acquire` gives up.
    assert_eq!(acquires_before_a_neighbour_runs(&Lock::new()).await, 1);
    assert_eq!(
        acquires_before_a_neighbour_runs(&Lock::new().fast_acquire(true)).await,
        100
    );
}

#[anyio::test]
async fn capacity_limiter_owned_tokens_bound_a_spawn_loop() {
    let limiter = Arc::new(CapacityLimiter::with_tokens(NonZeroUsize::new(2).unwrap()));
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (l, r, p) = (limiter.clone(), running.clone(), peak.clone());
    task_group(|tg| async move {
        for _ in 0..8 {
            let token = l.clone().acquire_owned().await;
            let (running, peak) = (r.clone(), p.clone());
            tg.spawn(async move {
                let _token = token;
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                anyio::sleep(ms(2)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, BoxError>(())
            })?;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn capacity_limiter_owned_acquire_dropped_while_waiting_gives_up_its_place() {
    let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
    let held = limiter.clone().try_acquire_owned().unwrap();
    {
        let mut waiting = pin!(limiter.clone().acquire_owned());
        assert!(poll!(waiting.as_mut()).is_pending());
        assert_eq!(limiter.statistics().tasks_waiting, 1);
    }
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    drop(held);
    assert_eq!(limiter.available_tokens(), 1);
}
