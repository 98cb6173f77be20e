//! Lock and Mutex: exclusion, FIFO hand-over, try_acquire, cancellation (also right after
//! the hand-over), explicit release, statistics.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::sync::{Event, Lock, Mutex, NotLocked, WouldBlock};
use anyio::{checkpoint, fail_after, move_on_after, sleep, task_group, BoxError, CancelScope};
use common::{ms, wait_until, Counter, Log};
use futures_util::future::join;

#[anyio::test]
async fn acquire_and_release() {
    let lock = Lock::new();
    assert!(!lock.locked());
    let guard = lock.acquire().await;
    assert!(lock.locked());
    drop(guard);
    assert!(!lock.locked());
}

#[anyio::test]
async fn only_one_holder_at_a_time() {
    let lock = Arc::new(Lock::new());
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (l, i, m) = (lock.clone(), inside.clone(), most.clone());
    task_group(|tg| async move {
        for _ in 0..10 {
            let (lock, inside, most) = (l.clone(), i.clone(), m.clone());
            tg.spawn(async move {
                for _ in 0..5 {
                    let _guard = lock.acquire().await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    checkpoint().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
                Ok(())
            })?;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert!(!lock.locked());
}

#[anyio::test]
async fn waiters_get_the_lock_in_fifo_order() {
    let lock = Arc::new(Lock::new());
    let log = Log::new();
    let (l, g) = (lock.clone(), log.clone());
    task_group(|tg| async move {
        let held = l.acquire().await;
        for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
            let (lock, log) = (l.clone(), g.clone());
            tg.spawn(async move {
                let _guard = lock.acquire().await;
                log.push(name);
                checkpoint().await;
                Ok(())
            })?;
            wait_until(|| l.statistics().tasks_waiting == i + 1).await;
        }
        drop(held);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(log.events(), ["a", "b", "c", "d"]);
}

#[anyio::test]
async fn a_released_lock_is_handed_over_not_up_for_grabs() {
    let lock = Arc::new(Lock::new());
    let l = lock.clone();
    task_group(|tg| async move {
        let held = l.acquire().await;
        let (waiter, done) = (l.clone(), Arc::new(Event::new()));
        let d = done.clone();
        tg.spawn(async move {
            let _guard = waiter.acquire().await;
            d.wait().await;
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        drop(held);
        // The waiter owns the lock now, even if it has not run yet.
        assert_eq!(l.try_acquire().unwrap_err(), WouldBlock::default());
        done.set();
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

#[anyio::test]
async fn try_acquire() {
    let lock = Lock::new();
    let guard = lock.try_acquire().unwrap();
    assert_eq!(lock.try_acquire().unwrap_err(), WouldBlock::default());
    drop(guard);
    let again = lock.try_acquire();
    assert!(again.is_ok());
}

#[anyio::test]
async fn cancel_while_waiting() {
    let lock = Lock::new();
    let held = lock.acquire().await;
    assert_eq!(move_on_after(ms(10), lock.acquire()).await.map(drop), None);
    assert_eq!(lock.statistics().tasks_waiting, 0);
    drop(held);
    assert!(
        !lock.locked(),
        "the cancelled waiter was not handed the lock"
    );
    let _guard = lock.acquire().await;
}

#[anyio::test]
async fn acquire_in_a_cancelled_scope_does_not_complete() {
    let lock = Lock::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let after = Counter::new();
    let a = after.clone();
    let outcome = scope
        .run(async {
            handle.cancel();
            let _guard = lock.acquire().await; // uncontended, still a checkpoint
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
    assert!(!lock.locked());
}

#[anyio::test]
async fn waiter_handed_the_lock_before_its_cancellation_is_delivered_keeps_it() {
    let lock = Arc::new(Lock::new());
    let log = Log::new();
    let (l, g) = (lock.clone(), log.clone());
    fail_after(
        Duration::from_secs(10),
        task_group(|tg| async move {
            let held = l.acquire().await;
            let b_scope = CancelScope::new();
            let cancel_b = b_scope.handle();
            let b = b_scope.run(async {
                let _guard = l.acquire().await;
                g.push("b");
            });
            // Same task as `b`, so `b` cannot run between the cancel and the release: the
            // lock is handed to `b` before the cancellation reaches it, and `b` keeps it
            // (DESIGN.md's delivery rule: a granted lock is not handed back).
            let release = async {
                wait_until(|| l.statistics().tasks_waiting == 1).await;
                let (lock, log) = (l.clone(), g.clone());
                tg.spawn(async move {
                    let _guard = lock.acquire().await;
                    log.push("c");
                    Ok(())
                })?;
                wait_until(|| l.statistics().tasks_waiting == 2).await;
                cancel_b.cancel();
                drop(held);
                assert!(l.locked(), "handed over, not released");
                assert_eq!(l.statistics().tasks_waiting, 1, "`b` was served, `c` waits");
                Ok::<_, BoxError>(())
            };
            let (b, released) = join(b, release).await;
            released?;
            assert_eq!(
                b,
                Some(()),
                "`b` got the lock and ran to its next checkpoint"
            );
            Ok::<_, BoxError>(())
        }),
    )
    .await
    .expect("the lock was lost: deadlock")
    .unwrap();
    assert_eq!(log.events(), ["b", "c"]);
    assert!(!lock.locked());
}

#[anyio::test]
async fn a_cancelled_holder_releases_the_lock() {
    let lock = Arc::new(Lock::new());
    let l = lock.clone();
    task_group(|tg| async move {
        let holder = l.clone();
        let child = tg.spawn(async move {
            let _guard = holder.acquire().await;
            anyio::sleep_forever().await;
            Ok(())
        })?;
        wait_until(|| l.locked()).await;
        child.cancel();
        let _guard = fail_after(Duration::from_secs(10), l.acquire()).await?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

#[anyio::test]
async fn explicit_release_needs_a_held_lock() {
    let lock = Lock::new();
    assert_eq!(lock.release(), Err(NotLocked::default()));
    std::mem::forget(lock.acquire().await);
    assert!(lock.locked());
    lock.release().unwrap();
    assert!(!lock.locked());
    let error = lock.release().unwrap_err();
    assert!(error.to_string().starts_with("the lock is not held"));
}

#[anyio::test]
async fn explicit_release_hands_over_to_a_waiter() {
    let lock = Arc::new(Lock::new());
    let l = lock.clone();
    task_group(|tg| async move {
        std::mem::forget(l.acquire().await);
        let waiter = l.clone();
        tg.spawn(async move {
            let _guard = waiter.acquire().await;
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        l.release()?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

#[anyio::test]
async fn statistics() {
    let lock = Arc::new(Lock::new());
    let stats = lock.statistics();
    assert!(!stats.locked);
    assert_eq!(stats.tasks_waiting, 0);
    let l = lock.clone();
    task_group(|tg| async move {
        let held = l.acquire().await;
        for _ in 0..3 {
            let lock = l.clone();
            tg.spawn(async move {
                let _guard = lock.acquire().await;
                Ok(())
            })?;
        }
        wait_until(|| l.statistics().tasks_waiting == 3).await;
        assert!(l.statistics().locked);
        drop(held);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(lock.statistics().tasks_waiting, 0);
    assert!(!lock.statistics().locked);
}

#[anyio::test]
async fn owned_guard_moves_to_another_task() {
    let lock = Arc::new(Lock::new());
    let guard = lock.clone().acquire_owned().await;
    let l = lock.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            sleep(ms(5)).await;
            drop(guard);
            Ok(())
        })?;
        let _guard = l.clone().acquire_owned().await;
        assert!(l.clone().try_acquire_owned().is_err());
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

#[anyio::test]
async fn mutex_protects_its_data() {
    let total = Arc::new(Mutex::new(0u64));
    let t = total.clone();
    task_group(|tg| async move {
        for i in 1..=20 {
            let total = t.clone();
            tg.spawn(async move {
                let mut sum = total.lock().await;
                let before = *sum;
                checkpoint().await;
                *sum = before + i;
                Ok(())
            })?;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(*total.lock().await, 210);
    let total = Arc::try_unwrap(total).unwrap();
    assert_eq!(total.into_inner(), 210);
}

#[anyio::test]
async fn mutex_try_lock_and_cancellation() {
    let mutex = Mutex::new(vec![1]);
    let mut guard = mutex.try_lock().unwrap();
    guard.push(2);
    assert!(mutex.try_lock().is_err());
    assert!(mutex.locked());
    assert!(move_on_after(ms(5), mutex.lock()).await.is_none());
    assert_eq!(mutex.statistics().tasks_waiting, 0);
    drop(guard);
    assert_eq!(*mutex.lock().await, [1, 2]);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: [1, 2] }");
}
