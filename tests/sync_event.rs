//! Event: set, wait, is_set, many waiters, cancellation (a waiter whose scope is cancelled is
//! passed over; one the event was set for first returns), statistics.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::sync::Event;
use anyio::{move_on_after, task_group, BoxError, CancelScope};
use common::{ms, wait_until, Counter};
use futures_util::future::join;

#[anyio::test]
async fn set_wakes_a_waiter() {
    let event = Arc::new(Event::new());
    let woke = Counter::new();
    let (e, w) = (event.clone(), woke.clone());
    task_group(|tg| async move {
        tg.spawn(async move {
            e.wait().await;
            w.bump();
            Ok(())
        })?;
        wait_until(|| event.statistics().tasks_waiting == 1).await;
        assert!(!event.is_set());
        event.set();
        assert!(event.is_set());
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(woke.get(), 1);
}

#[anyio::test]
async fn wait_on_a_set_event_completes_at_once() {
    let event = Event::new();
    event.set();
    let start = Instant::now();
    event.wait().await;
    event.wait().await;
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn set_wakes_every_waiter() {
    let event = Arc::new(Event::new());
    let woke = Counter::new();
    let (e, w) = (event.clone(), woke.clone());
    task_group(|tg| async move {
        for _ in 0..20 {
            let (e, w) = (e.clone(), w.clone());
            tg.spawn(async move {
                e.wait().await;
                w.bump();
                Ok(())
            })?;
        }
        wait_until(|| e.statistics().tasks_waiting == 20).await;
        e.set();
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(woke.get(), 20);
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn setting_twice_is_harmless_and_it_stays_set() {
    let event = Event::new();
    event.set();
    event.set();
    assert!(event.is_set());
    event.wait().await;
    assert!(event.is_set(), "waiting does not reset the event");
}

#[anyio::test]
async fn set_from_another_os_thread() {
    let event = Arc::new(Event::new());
    let e = event.clone();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(ms(10));
        e.set();
    });
    let outcome = move_on_after(Duration::from_secs(10), event.wait()).await;
    setter.join().unwrap();
    assert_eq!(outcome, Some(()));
}

#[anyio::test]
async fn cancelled_wait_leaves_the_queue() {
    let event = Event::new();
    assert_eq!(move_on_after(ms(10), event.wait()).await, None);
    assert_eq!(event.statistics().tasks_waiting, 0);
    event.set();
    event.wait().await;
}

#[anyio::test]
async fn wait_is_a_checkpoint_even_when_set() {
    let event = Event::new();
    event.set();
    let after = Counter::new();
    let a = after.clone();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async move {
            handle.cancel();
            event.wait().await;
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        after.get(),
        0,
        "nothing runs after a checkpoint in a cancelled scope"
    );
}

#[anyio::test]
async fn one_cancelled_waiter_does_not_disturb_the_others() {
    let event = Arc::new(Event::new());
    let woke = Counter::new();
    let (e, w) = (event.clone(), woke.clone());
    task_group(|tg| async move {
        let scope = CancelScope::new();
        let cancel = scope.handle();
        let first = e.clone();
        tg.spawn(async move {
            scope.run(first.wait()).await;
            Ok(())
        })?;
        for _ in 0..3 {
            let (e, w) = (e.clone(), w.clone());
            tg.spawn(async move {
                e.wait().await;
                w.bump();
                Ok(())
            })?;
        }
        wait_until(|| e.statistics().tasks_waiting == 4).await;
        cancel.cancel();
        wait_until(|| e.statistics().tasks_waiting == 3).await;
        e.set();
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(woke.get(), 3);
}

#[anyio::test]
async fn statistics_count_waiting_tasks() {
    let event = Arc::new(Event::new());
    assert_eq!(event.statistics().tasks_waiting, 0);
    let e = event.clone();
    task_group(|tg| async move {
        for _ in 0..2 {
            let e = e.clone();
            tg.spawn(async move {
                e.wait().await;
                Ok(())
            })?;
        }
        wait_until(|| e.statistics().tasks_waiting == 2).await;
        e.set();
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn an_event_set_after_the_waiters_scope_was_cancelled_does_not_wake_it() {
    let event = Event::new();
    let steps = Counter::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let waiter = scope.run(async {
        event.wait().await;
        steps.bump();
    });
    let setter = async {
        wait_until(|| event.statistics().tasks_waiting == 1).await;
        // One step of this task: the waiter runs again only afterwards.
        handle.cancel();
        event.set();
    };
    let (outcome, ()) = join(waiter, setter).await;
    assert_eq!(outcome, None);
    assert_eq!(
        steps.get(),
        0,
        "the cancellation came first: the wait did not complete"
    );
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn a_passed_over_waiter_shielded_later_sees_the_event() {
    let event = Event::new();
    let steps = Counter::new();
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let inner = CancelScope::new();
    let inner_handle = inner.handle();
    let waiter = outer.run(inner.run(async {
        event.wait().await;
        steps.bump();
    }));
    let setter = async {
        wait_until(|| event.statistics().tasks_waiting == 1).await;
        outer_handle.cancel();
        event.set();
        inner_handle.set_shield(true);
        wait_until(|| steps.get() == 1).await;
    };
    join(waiter, setter).await;
    assert_eq!(steps.get(), 1);
}
