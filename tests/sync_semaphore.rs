//! Semaphore: initial and max value, FIFO acquire order, try_acquire, explicit release,
//! cancellation (also right after the hand-over), statistics.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::sync::{Semaphore, SemaphoreFull, ValueAboveMax, WouldBlock};
use anyio::{checkpoint, fail_after, move_on_after, task_group, BoxError, CancelScope};
use common::{ms, wait_until, Counter, Log};
use futures_util::future::join;

#[anyio::test]
async fn initial_value_and_guards() {
    let semaphore = Semaphore::new(2);
    assert_eq!(semaphore.value(), 2);
    assert_eq!(semaphore.max_value(), None);
    let first = semaphore.acquire().await;
    let second = semaphore.acquire().await;
    assert_eq!(semaphore.value(), 0);
    drop(first);
    assert_eq!(semaphore.value(), 1);
    drop(second);
    assert_eq!(semaphore.value(), 2);
}

#[anyio::test]
async fn bounds_concurrency() {
    let semaphore = Arc::new(Semaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (s, i, m) = (semaphore.clone(), inside.clone(), most.clone());
    task_group(|tg| async move {
        for _ in 0..12 {
            let (semaphore, inside, most) = (s.clone(), i.clone(), m.clone());
            tg.spawn(async move {
                let _permit = semaphore.acquire().await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                anyio::sleep(ms(2)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })?;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(most.load(Ordering::SeqCst), 3);
    assert_eq!(semaphore.value(), 3);
}

#[anyio::test]
async fn max_value_refuses_releasing_past_it() {
    let semaphore = Semaphore::with_max_value(1, 2).unwrap();
    assert_eq!(semaphore.max_value(), Some(2));
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 2);
    let error = semaphore.release().unwrap_err();
    assert_eq!(error, SemaphoreFull::default());
    assert!(error
        .to_string()
        .starts_with("the semaphore is already at its max value"));
    assert_eq!(semaphore.value(), 2, "a refused release changes nothing");
}

#[anyio::test]
async fn initial_value_above_max_is_refused() {
    let error: ValueAboveMax = Semaphore::with_max_value(3, 2).unwrap_err();
    assert_eq!((error.value(), error.max()), (3, 2));
    assert!(Semaphore::with_max_value(2, 2).is_ok());
    assert!(Semaphore::with_max_value(0, usize::MAX).is_err());
}

#[anyio::test]
async fn waiters_acquire_in_fifo_order() {
    let semaphore = Arc::new(Semaphore::new(0));
    let log = Log::new();
    let (s, g) = (semaphore.clone(), log.clone());
    task_group(|tg| async move {
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            let (semaphore, log) = (s.clone(), g.clone());
            tg.spawn(async move {
                semaphore.acquire().await.forget();
                log.push(name);
                Ok(())
            })?;
            wait_until(|| s.statistics().tasks_waiting == i + 1).await;
        }
        for served in 1..=3 {
            s.release()?;
            wait_until(|| g.events().len() == served).await;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(log.events(), ["a", "b", "c"]);
    assert_eq!(semaphore.value(), 0);
}

#[anyio::test]
async fn try_acquire() {
    let semaphore = Semaphore::new(1);
    let permit = semaphore.try_acquire().unwrap();
    assert_eq!(semaphore.try_acquire().unwrap_err(), WouldBlock::default());
    drop(permit);
    assert!(semaphore.try_acquire().is_ok());
}

#[anyio::test]
async fn forget_and_release() {
    let semaphore = Semaphore::with_max_value(1, 1).unwrap();
    semaphore.acquire().await.forget();
    assert_eq!(semaphore.value(), 0);
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 1);
    assert!(semaphore.release().is_err());
}

#[anyio::test]
async fn guard_dropped_at_max_after_an_explicit_release_is_absorbed() {
    let semaphore = Semaphore::with_max_value(1, 1).unwrap();
    let permit = semaphore.acquire().await;
    semaphore.release().unwrap(); // releases the unit the guard holds
    drop(permit); // nothing left to give back: no panic, still at the max
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn cancel_while_waiting() {
    let semaphore = Semaphore::new(0);
    assert!(move_on_after(ms(10), semaphore.acquire()).await.is_none());
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
    semaphore.release().unwrap();
    assert_eq!(
        semaphore.value(),
        1,
        "the cancelled waiter was not handed the unit"
    );
}

#[anyio::test]
async fn acquire_in_a_cancelled_scope_does_not_complete() {
    let semaphore = Semaphore::new(1);
    let scope = CancelScope::new();
    let handle = scope.handle();
    let after = Counter::new();
    let a = after.clone();
    let outcome = scope
        .run(async {
            handle.cancel();
            let _permit = semaphore.acquire().await;
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn waiter_handed_a_unit_before_its_cancellation_is_delivered_keeps_it() {
    let semaphore = Arc::new(Semaphore::new(0));
    let log = Log::new();
    let (s, g) = (semaphore.clone(), log.clone());
    fail_after(
        Duration::from_secs(10),
        task_group(|tg| async move {
            let b_scope = CancelScope::new();
            let cancel_b = b_scope.handle();
            let b = b_scope.run(async {
                let _permit = s.acquire().await;
                g.push("b");
            });
            // Same task as `b`: the unit is handed to `b` before the cancellation reaches it,
            // and `b` keeps it (DESIGN.md's delivery rule).
            let release = async {
                wait_until(|| s.statistics().tasks_waiting == 1).await;
                let (semaphore, log) = (s.clone(), g.clone());
                tg.spawn(async move {
                    let _permit = semaphore.acquire().await;
                    log.push("c");
                    Ok(())
                })?;
                wait_until(|| s.statistics().tasks_waiting == 2).await;
                cancel_b.cancel();
                s.release()?;
                assert_eq!(s.value(), 0, "handed over, not counted");
                assert_eq!(s.statistics().tasks_waiting, 1);
                Ok::<_, BoxError>(())
            };
            let (b, released) = join(b, release).await;
            released?;
            assert_eq!(b, Some(()));
            Ok::<_, BoxError>(())
        }),
    )
    .await
    .expect("the unit was lost: deadlock")
    .unwrap();
    assert_eq!(log.events(), ["b", "c"]);
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn statistics() {
    let semaphore = Arc::new(Semaphore::new(0));
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
    let s = semaphore.clone();
    task_group(|tg| async move {
        for _ in 0..2 {
            let semaphore = s.clone();
            tg.spawn(async move {
                let _permit = semaphore.acquire().await;
                checkpoint().await;
                Ok(())
            })?;
        }
        wait_until(|| s.statistics().tasks_waiting == 2).await;
        s.release()?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn owned_permits() {
    let semaphore = Arc::new(Semaphore::new(1));
    let permit = semaphore.clone().acquire_owned().await;
    assert!(semaphore.clone().try_acquire_owned().is_err());
    let s = semaphore.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            anyio::sleep(ms(2)).await;
            drop(permit);
            Ok(())
        })?;
        s.clone().acquire_owned().await.forget();
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 0);
}
