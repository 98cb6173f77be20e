//! Condition: notify(n), notify_all, wait releases and reacquires the lock, wait_for,
//! cancellation (a cancelled waiter is passed over; a notification received first is kept,
//! also while the lock comes back), statistics.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::sync::Condition;
use anyio::{fail_after, move_on_after, task_group, BoxError, CancelScope, TaskGroup};
use common::{ms, wait_until, Counter, Log};
use futures_util::future::join;

/// Spawns `n` tasks that wait once on `condition` and bump `woke` when they return.
fn spawn_waiters(
    tg: &TaskGroup<BoxError>,
    condition: &Arc<Condition>,
    woke: &Counter,
    n: usize,
) -> Result<(), BoxError> {
    for _ in 0..n {
        let (condition, woke) = (condition.clone(), woke.clone());
        tg.spawn(async move {
            let guard = condition.acquire().await;
            let _guard = condition.wait(guard).await;
            woke.bump();
            Ok(())
        })?;
    }
    Ok(())
}

#[anyio::test]
async fn notify_wakes_that_many_waiters() {
    let condition = Arc::new(Condition::new());
    let woke = Counter::new();
    let (c, w) = (condition.clone(), woke.clone());
    task_group(|tg| async move {
        spawn_waiters(&tg, &c, &w, 5)?;
        wait_until(|| c.statistics().tasks_waiting == 5).await;
        c.notify(1);
        wait_until(|| w.get() == 1).await;
        c.notify(2);
        wait_until(|| w.get() == 3).await;
        assert_eq!(c.statistics().tasks_waiting, 2);
        c.notify(10); // more than wait: the rest
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(woke.get(), 5);
}

#[anyio::test]
async fn notify_all_wakes_every_waiter() {
    let condition = Arc::new(Condition::new());
    let woke = Counter::new();
    let (c, w) = (condition.clone(), woke.clone());
    task_group(|tg| async move {
        spawn_waiters(&tg, &c, &w, 6)?;
        wait_until(|| c.statistics().tasks_waiting == 6).await;
        let _guard = c.acquire().await;
        c.notify_all();
        assert_eq!(c.statistics().tasks_waiting, 0);
        assert_eq!(w.get(), 0, "nobody returns before the lock is free");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(woke.get(), 6);
    assert!(!condition.locked());
}

#[anyio::test]
async fn notifications_are_served_in_fifo_order() {
    let condition = Arc::new(Condition::new());
    let log = Log::new();
    let (c, g) = (condition.clone(), log.clone());
    task_group(|tg| async move {
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            let (condition, log) = (c.clone(), g.clone());
            tg.spawn(async move {
                let guard = condition.acquire().await;
                let _guard = condition.wait(guard).await;
                log.push(name);
                Ok(())
            })?;
            wait_until(|| c.statistics().tasks_waiting == i + 1).await;
        }
        for served in 1..=3 {
            c.notify(1);
            wait_until(|| g.events().len() == served).await;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(log.events(), ["a", "b", "c"]);
}

#[anyio::test]
async fn wait_releases_the_lock_and_returns_holding_it() {
    let condition = Arc::new(Condition::new());
    let c = condition.clone();
    task_group(|tg| async move {
        let waiter = c.clone();
        tg.spawn(async move {
            let guard = waiter.acquire().await;
            let _guard = waiter.wait(guard).await;
            assert!(waiter.locked(), "wait returns with the lock held");
            Ok(())
        })?;
        // In line first, lock released right after.
        wait_until(|| c.statistics().tasks_waiting == 1 && !c.locked()).await;
        let guard = c.try_acquire().expect("the waiter released the lock");
        c.notify(1);
        wait_until(|| c.statistics().lock.tasks_waiting == 1).await;
        drop(guard);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert!(!condition.locked());
}

#[anyio::test]
async fn wait_for_checks_the_predicate_after_each_notification() {
    let condition = Arc::new(Condition::new());
    let value = Arc::new(AtomicUsize::new(0));
    let checks = Counter::new();
    let (c, v, k) = (condition.clone(), value.clone(), checks.clone());
    task_group(|tg| async move {
        let (waiter, seen, checks) = (c.clone(), v.clone(), k.clone());
        tg.spawn(async move {
            let guard = waiter.acquire().await;
            let _guard = waiter
                .wait_for(guard, || {
                    checks.bump();
                    seen.load(Ordering::SeqCst) == 3
                })
                .await;
            assert_eq!(seen.load(Ordering::SeqCst), 3);
            Ok(())
        })?;
        for n in 1..=3 {
            wait_until(|| c.statistics().tasks_waiting == 1).await;
            let _guard = c.acquire().await;
            v.store(n, Ordering::SeqCst);
            c.notify_all();
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(
        checks.get(),
        4,
        "once at first, then after each of three notifications"
    );
}

#[anyio::test]
async fn wait_for_a_true_predicate_does_not_wait() {
    let condition = Condition::new();
    let guard = condition.acquire().await;
    let guard = condition.wait_for(guard, || true).await;
    assert!(condition.locked());
    drop(guard);
    assert!(!condition.locked());
}

#[anyio::test]
async fn cancel_while_waiting_releases_the_lock() {
    let condition = Condition::new();
    let guard = condition.acquire().await;
    assert!(move_on_after(ms(10), condition.wait(guard)).await.is_none());
    assert!(!condition.locked());
    assert_eq!(condition.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn a_cancelled_waiter_is_passed_over_by_notify() {
    let condition = Arc::new(Condition::new());
    let log = Log::new();
    let (c, g) = (condition.clone(), log.clone());
    fail_after(
        Duration::from_secs(10),
        task_group(|tg| async move {
            let b_scope = CancelScope::new();
            let cancel_b = b_scope.handle();
            let b = b_scope.run(async {
                let guard = c.acquire().await;
                let _guard = c.wait(guard).await;
                g.push("b");
            });
            // Same task as `b`: `b` is still in line, cancelled, when `notify` comes.
            let notify = async {
                wait_until(|| c.statistics().tasks_waiting == 1).await;
                let (condition, log) = (c.clone(), g.clone());
                tg.spawn(async move {
                    let guard = condition.acquire().await;
                    let _guard = condition.wait(guard).await;
                    log.push("c");
                    Ok(())
                })?;
                wait_until(|| c.statistics().tasks_waiting == 2).await;
                let _guard = c.acquire().await;
                cancel_b.cancel();
                c.notify(1); // passes over `b`: `c` is notified
                assert_eq!(
                    c.statistics().tasks_waiting,
                    1,
                    "`b` stays in line until its scope drops it"
                );
                Ok::<_, BoxError>(())
            };
            let (b, notified) = join(b, notify).await;
            notified?;
            assert_eq!(b, None);
            Ok::<_, BoxError>(())
        }),
    )
    .await
    .expect("the notification was lost: deadlock")
    .unwrap();
    assert_eq!(log.events(), ["c"]);
    assert!(!condition.locked());
}

#[anyio::test]
async fn a_waiter_cancelled_while_reacquiring_keeps_its_notification() {
    let condition = Arc::new(Condition::new());
    let woke = Counter::new();
    let (c, w) = (condition.clone(), woke.clone());
    fail_after(
        Duration::from_secs(10),
        task_group(|tg| async move {
            let b_scope = CancelScope::new();
            let cancel_b = b_scope.handle();
            let b_done = Arc::new(AtomicBool::new(false));
            let d = b_done.clone();
            let b = b_scope.run(async {
                let guard = c.acquire().await;
                let _guard = c.wait(guard).await;
                d.store(true, Ordering::SeqCst);
            });
            let notify = async {
                wait_until(|| c.statistics().tasks_waiting == 1).await;
                spawn_waiters(&tg, &c, &w, 1)?;
                wait_until(|| c.statistics().tasks_waiting == 2).await;
                let guard = c.acquire().await;
                c.notify(1);
                // `b` was notified and now waits for the lock we hold.
                wait_until(|| c.statistics().lock.tasks_waiting == 1).await;
                cancel_b.cancel();
                anyio::sleep(ms(5)).await;
                assert!(!d.load(Ordering::SeqCst), "still waiting for the lock");
                drop(guard);
                Ok::<_, BoxError>(())
            };
            let (b, notified) = join(b, notify).await;
            notified?;
            assert_eq!(b, Some(()), "the wait returned: its body ran to the end");
            assert!(b_done.load(Ordering::SeqCst));
            assert_eq!(
                c.statistics().tasks_waiting,
                1,
                "the other waiter still waits"
            );
            c.notify_all();
            Ok::<_, BoxError>(())
        }),
    )
    .await
    .expect("deadlock")
    .unwrap();
    assert_eq!(woke.get(), 1, "notified by notify_all only");
    assert!(!condition.locked());
}

#[anyio::test]
async fn the_guard_of_another_condition_is_refused() {
    let (first, second) = (Condition::new(), Condition::new());
    let guard = second.try_acquire().unwrap();
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(first.wait(guard));
    }));
    assert!(refused.is_err());
    assert!(!second.locked(), "the guard was released while unwinding");
}

#[anyio::test]
async fn statistics() {
    let condition = Arc::new(Condition::new());
    let stats = condition.statistics();
    assert_eq!(stats.tasks_waiting, 0);
    assert!(!stats.lock.locked);
    let woke = Counter::new();
    let (c, w) = (condition.clone(), woke.clone());
    task_group(|tg| async move {
        spawn_waiters(&tg, &c, &w, 2)?;
        wait_until(|| c.statistics().tasks_waiting == 2).await;
        let guard = c.acquire().await;
        c.notify_all();
        wait_until(|| c.statistics().lock.tasks_waiting == 2).await;
        let stats = c.statistics();
        assert_eq!(stats.tasks_waiting, 0);
        assert!(stats.lock.locked);
        drop(guard);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(woke.get(), 2);
}

#[anyio::test]
async fn a_notification_received_before_the_waiters_scope_was_cancelled_is_kept() {
    let condition = Arc::new(Condition::new());
    let steps = Counter::new();
    let woke = Counter::new();
    let (c, s, w) = (condition.clone(), steps.clone(), woke.clone());
    fail_after(
        Duration::from_secs(10),
        task_group(|tg| async move {
            let scope = CancelScope::new();
            let handle = scope.handle();
            let waiter = scope.run(async {
                let guard = c.acquire().await;
                let guard = c.wait(guard).await;
                s.bump(); // the wait completed: with the lock held again
                assert!(c.locked());
                drop(guard);
                anyio::checkpoint().await;
                s.bump();
            });
            let notifier = async {
                wait_until(|| c.statistics().tasks_waiting == 1).await;
                spawn_waiters(&tg, &c, &w, 1)?;
                wait_until(|| c.statistics().tasks_waiting == 2).await;
                let guard = c.acquire().await;
                // One step of this task: the first waiter runs again only afterwards.
                c.notify(1);
                handle.cancel();
                drop(guard);
                Ok::<_, BoxError>(())
            };
            let (outcome, notified) = join(waiter, notifier).await;
            notified?;
            assert_eq!(outcome, None);
            assert_eq!(c.statistics().tasks_waiting, 1, "the other one still waits");
            c.notify_all();
            Ok::<_, BoxError>(())
        }),
    )
    .await
    .expect("deadlock")
    .unwrap();
    assert_eq!(steps.get(), 1, "the waiter returned with the notification");
    assert_eq!(woke.get(), 1, "notified by notify_all only");
    assert!(!condition.locked());
}
