//! The delivery rule (DESIGN.md section 4): cancellation is delivered at checkpoints. A body
//! that starts cancelled runs up to its first checkpoint; an operation that completed before
//! the cancellation reached its task keeps its result; cancellation is level-triggered and
//! the outermost cancelled scope catches it; a group's exit is a checkpoint; `start` keeps a
//! started value; the shield switches at once; own-group cancellation reads "cancelled".

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyio::lowlevel::{
    cancel_shielded_checkpoint, checkpoint_if_cancelled, has_pending_cancellation,
};
use anyio::{
    checkpoint, fail_after, move_on_after, sleep, sleep_forever, task_group, BoxError, CancelScope,
    Event, TaskGroup,
};
use common::{ms, Counter, Watchdog};
use futures_util::future::join;

const LIMIT: Duration = Duration::from_secs(20);

/// Counts how often the wrapped future returned `Pending`.
struct CountPending<F> {
    inner: Pin<Box<F>>,
    pending: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPending<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let polled = self.inner.as_mut().poll(cx);
        if polled.is_pending() {
            self.pending.fetch_add(1, Ordering::SeqCst);
        }
        polled
    }
}

fn count_pending<F: Future>(inner: F) -> (CountPending<F>, Arc<AtomicUsize>) {
    let pending = Arc::new(AtomicUsize::new(0));
    let future = CountPending {
        inner: Box::pin(inner),
        pending: Arc::clone(&pending),
    };
    (future, pending)
}

#[anyio::test]
async fn a_child_spawned_into_a_cancelled_group_runs_to_its_first_checkpoint() {
    let steps = Counter::new();
    let s = steps.clone();
    let outcome = task_group(|tg| async move {
        tg.cancel();
        tg.spawn(async move {
            s.bump();
            checkpoint().await;
            s.bump();
            Ok::<_, BoxError>(())
        })?;
        Ok::<_, BoxError>(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(steps.get(), 1);
}

#[anyio::test]
async fn a_start_child_whose_caller_is_cancelled_runs_to_its_first_checkpoint() {
    let steps = Counter::new();
    let s = steps.clone();
    task_group(|tg| async move {
        let caller = CancelScope::new();
        caller.cancel();
        let started = caller
            .run(tg.start(|_status: anyio::TaskStatus<()>| async move {
                s.bump();
                checkpoint().await;
                s.bump();
                Ok::<_, BoxError>(())
            }))
            .await;
        // The caller's scope catches its cancellation, unless the child, born cancelled, ended
        // first: then `start` reports that before the caller's next checkpoint.
        match started {
            None => {}
            Some(result) => assert!(result.unwrap_err().is_cancelled()),
        }
        assert!(
            !tg.cancel_handle().is_cancel_called(),
            "only that child was cancelled, not the group"
        );
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(steps.get(), 1);
}

#[anyio::test]
async fn a_shielded_first_step_runs_whole() {
    let steps = Counter::new();
    let s = steps.clone();
    let scope = CancelScope::new();
    scope.cancel();
    let outcome = scope
        .run(async move {
            CancelScope::new()
                .shield(true)
                .run(async {
                    sleep(ms(5)).await;
                    s.bump();
                    checkpoint().await;
                    s.bump();
                })
                .await;
            checkpoint().await;
            s.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        steps.get(),
        2,
        "the shielded part ran whole, nothing after it"
    );
}

#[anyio::test]
async fn an_event_set_before_the_waiters_scope_was_cancelled_still_returns() {
    let event = Event::new();
    let steps = Counter::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let waiter = scope.run(async {
        event.wait().await;
        steps.bump(); // the wait completed: its code runs on to the next checkpoint
        checkpoint().await;
        steps.bump();
    });
    let setter = async {
        anyio::checkpoint().await; // let the waiter block first
                                   // Both in one step of this task: the waiter is polled again only afterwards.
        event.set();
        handle.cancel();
    };
    let (outcome, ()) = join(waiter, setter).await;
    assert_eq!(outcome, None);
    assert_eq!(steps.get(), 1);
}

async fn failing_group() -> Result<(), anyio::TaskGroupError<BoxError>> {
    task_group(|_inner| async { Err::<(), BoxError>("nested failure".into()) }).await
}

#[anyio::test]
async fn a_nested_group_that_failed_keeps_its_errors_when_the_outer_group_is_cancelled() {
    let _watchdog = Watchdog::new("nested group errors", LIMIT);
    let error = task_group(|outer: TaskGroup<BoxError>| async move {
        let cancel_outer = outer.clone();
        outer.spawn(async move {
            let nested = failing_group();
            // The outer group is cancelled while the nested group is at its exit.
            let (result, ()) = join(nested, async move { cancel_outer.cancel() }).await;
            result?;
            Ok::<_, BoxError>(())
        })?;
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(
        !error.is_cancelled(),
        "the nested failure is reported, not dropped"
    );
    assert_eq!(error.errors().len(), 1);
    assert!(error
        .first()
        .unwrap()
        .to_string()
        .contains("nested failure"));
}

#[anyio::test]
async fn an_inner_scope_exiting_inside_a_cancelled_outer_scope_is_a_checkpoint() {
    let after_inner = Counter::new();
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let inner = CancelScope::new();
    let inner_handle = inner.handle();
    let a = after_inner.clone();
    let (oh, ih) = (outer_handle.clone(), inner_handle.clone());
    let outcome = outer
        .run(async move {
            oh.cancel();
            inner
                .run(async move {
                    ih.cancel();
                    sleep_forever().await
                })
                .await;
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        after_inner.get(),
        0,
        "code after the inner scope does not run"
    );
    assert!(
        outer_handle.cancelled_caught(),
        "the outer scope is responsible"
    );
    assert!(!inner_handle.cancelled_caught());
}

#[anyio::test]
async fn cancel_called_is_true_once_a_nested_deadline_fired() {
    let outer = move_on_after(Duration::from_secs(60), async {
        let mut inner = move_on_after(ms(5), sleep_forever());
        let handle = inner.handle();
        assert!(!handle.is_cancel_called());
        assert_eq!(inner.await, None);
        handle
    });
    let handle = outer.await.expect("the outer deadline is far");
    assert!(handle.is_cancel_called());
    assert!(handle.cancelled_caught());
    assert_eq!(handle.cancel_reason().as_deref(), Some("deadline exceeded"));
}

#[anyio::test]
async fn an_empty_group_yields_once() {
    let (group, pending) = count_pending(task_group(|_tg: TaskGroup<BoxError>| async { Ok(7) }));
    assert_eq!(group.await.unwrap(), 7);
    assert_eq!(pending.load(Ordering::SeqCst), 1);
}

#[anyio::test]
async fn an_empty_group_in_a_cancelled_scope_still_returns() {
    // AnyIO's test_cancel_before_entering_task_group: nothing had to be waited for, so the
    // exit's yield delivers no cancellation.
    let scope = CancelScope::new();
    scope.cancel();
    let outcome = scope
        .run(async {
            let value = task_group(|_tg: TaskGroup<BoxError>| async { Ok(7) }).await;
            value.unwrap()
        })
        .await;
    assert_eq!(outcome, Some(7));
}

#[anyio::test]
async fn a_groups_exit_is_where_an_enclosing_cancellation_lands() {
    let after = Counter::new();
    let a = after.clone();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async move {
            let group = task_group(|tg: TaskGroup<BoxError>| async move {
                tg.spawn(async move {
                    sleep(ms(5)).await;
                    Ok(())
                })?;
                handle.cancel();
                Ok(())
            })
            .await;
            drop(group);
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
}

#[anyio::test]
async fn start_returns_the_started_value_even_if_the_child_fails_at_once() {
    let _watchdog = Watchdog::new("start then fail", LIMIT);
    for round in 0..200 {
        let got = Arc::new(AtomicUsize::new(usize::MAX));
        let g = Arc::clone(&got);
        let error = task_group(|tg| async move {
            let value = tg
                .start(|status| async move {
                    status.started(round);
                    Err::<(), BoxError>("failed right after starting".into())
                })
                .await?;
            g.store(value, Ordering::SeqCst);
            sleep_forever().await;
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        assert_eq!(
            got.load(Ordering::SeqCst),
            round,
            "start() returned the value"
        );
        assert_eq!(
            error.first().unwrap().to_string(),
            "failed right after starting"
        );
    }
}

/// Spawns `n` children and cancels each at once; returns how many ran each step and how
/// many ended cancelled. A child that ran before its cancel completes both steps.
async fn spawn_and_cancel(n: usize) -> (usize, usize, usize) {
    let (first, second, cancelled) = (Counter::new(), Counter::new(), Counter::new());
    let (f, s, c) = (first.clone(), second.clone(), cancelled.clone());
    task_group(|tg| async move {
        let mut handles = Vec::new();
        for _ in 0..n {
            let (f, s) = (f.clone(), s.clone());
            let handle = tg.spawn(async move {
                f.bump();
                checkpoint().await;
                s.bump();
                Ok::<_, BoxError>(())
            })?;
            handle.cancel();
            handles.push(handle);
        }
        for handle in handles {
            if handle.await.is_err_and(|e| e.is_cancelled()) {
                c.bump();
            }
        }
        let described = format!("{tg:?}");
        assert!(described.contains("running_children: 0"), "{described}");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    (first.get(), second.get(), cancelled.get())
}

#[anyio::test]
async fn a_child_cancelled_by_its_handle_runs_to_its_first_checkpoint_and_leaves_nothing() {
    let (first, second, cancelled) = spawn_and_cancel(1000).await;
    // On a multi-threaded runtime a child may run before its cancel: it then completes.
    assert_eq!(first, 1000, "every child runs its first step");
    assert_eq!(
        second + cancelled,
        1000,
        "a child either completes or is cancelled"
    );
}

/// On tokio's current-thread runtime no child can run before the body yields, so every child
/// is cancelled before its first poll.
#[cfg(feature = "tokio")]
#[tokio::test]
async fn a_child_cancelled_before_its_first_poll_runs_to_its_first_checkpoint() {
    let (first, second, cancelled) = spawn_and_cancel(1000).await;
    assert_eq!((first, second, cancelled), (1000, 0, 1000));
}

#[anyio::test]
async fn the_shield_switches_at_once_both_ways() {
    let steps = Counter::new();
    let s = steps.clone();
    let outer = CancelScope::new();
    let cancel_outer = outer.handle();
    let outcome = outer
        .run(async move {
            let inner = CancelScope::new();
            let shield = inner.handle();
            inner
                .run(async move {
                    cancel_outer.cancel();
                    assert!(has_pending_cancellation());
                    shield.set_shield(true);
                    assert!(!has_pending_cancellation(), "shielded at once");
                    checkpoint().await;
                    s.bump();
                    shield.set_shield(false);
                    assert!(has_pending_cancellation(), "exposed at once");
                    checkpoint().await;
                    s.bump();
                })
                .await;
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(steps.get(), 1);
}

#[anyio::test]
async fn a_shield_switched_on_from_another_task_stops_a_pending_cancellation() {
    let _watchdog = Watchdog::new("shield from another task", LIMIT);
    let finished = Counter::new();
    let f = finished.clone();
    let outer = CancelScope::new();
    let cancel_outer = outer.handle();
    let inner = CancelScope::new();
    let shield = inner.handle();
    let started = Arc::new(Event::new());
    let st = Arc::clone(&started);
    let body = outer.run(inner.run(async move {
        st.set();
        // Long enough that the shield goes on while this waits.
        sleep(ms(50)).await;
        f.bump();
    }));
    let switcher = async move {
        started.wait().await;
        shield.set_shield(true);
        cancel_outer.cancel();
    };
    let (outcome, ()) = join(body, switcher).await;
    assert_eq!(
        outcome,
        Some(Some(())),
        "the shielded body finished its sleep"
    );
    assert_eq!(finished.get(), 1);
}

#[anyio::test]
async fn checkpoint_if_cancelled_delivers_without_yielding() {
    let (ready, pending) = count_pending(checkpoint_if_cancelled());
    ready.await;
    assert_eq!(
        pending.load(Ordering::SeqCst),
        0,
        "no yield when not cancelled"
    );
    let after = Counter::new();
    let a = after.clone();
    let scope = CancelScope::new();
    scope.cancel();
    let outcome = scope
        .run(async move {
            checkpoint_if_cancelled().await;
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
}

#[anyio::test]
async fn cancel_shielded_checkpoint_yields_without_delivering() {
    let (yielding, pending) = count_pending(cancel_shielded_checkpoint());
    yielding.await;
    assert_eq!(pending.load(Ordering::SeqCst), 1, "it yields once");
    let steps = Counter::new();
    let s = steps.clone();
    let scope = CancelScope::new();
    scope.cancel();
    let outcome = scope
        .run(async move {
            cancel_shielded_checkpoint().await;
            s.bump();
            checkpoint().await;
            s.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(steps.get(), 1);
}

#[anyio::test]
async fn a_reason_shows_in_debug_and_in_the_groups_error() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    handle.cancel_with_reason("maintenance window");
    assert!(format!("{handle:?}").contains("maintenance window"));
    assert!(format!("{scope:?}").contains("maintenance window"));
    let error = task_group(|tg| async move {
        tg.cancel_with_reason("user pressed stop");
        assert!(format!("{tg:?}").contains("user pressed stop"));
        sleep_forever().await;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap_err();
    assert_eq!(error.cancel_reason(), Some("user pressed stop"));
    assert!(error.to_string().contains("user pressed stop"));
}

#[anyio::test]
async fn shielded_move_on_after_and_fail_after_ignore_an_enclosing_cancel() {
    let outer = CancelScope::new();
    outer.cancel();
    let outcome = outer
        .run(async {
            let moved = move_on_after(ms(5), sleep_forever()).shield(true).await;
            let failed = fail_after(ms(5), sleep_forever()).shield(true).await;
            let done = move_on_after(Duration::from_secs(5), async {
                sleep(ms(2)).await;
                "done"
            })
            .shield(true)
            .await;
            (moved, failed.is_err(), done)
        })
        .await;
    assert_eq!(outcome, Some((None, true, Some("done"))));
}

#[anyio::test]
async fn the_handle_of_a_fail_after_moves_its_deadline() {
    let mut work = fail_after(ms(10), async {
        sleep(ms(40)).await;
        "finished"
    });
    let handle = work.handle();
    let extend = async move {
        checkpoint().await;
        handle.set_deadline(Some(anyio::current_time() + Duration::from_secs(10)));
    };
    let (outcome, ()) = join(work, extend).await;
    assert_eq!(outcome, Ok("finished"));
}

#[anyio::test]
async fn cancelling_the_own_group_reads_cancelled_whether_or_not_the_body_returned() {
    // The body cancels and returns at once.
    let returned = task_group(|tg| async move {
        tg.cancel();
        Ok::<_, BoxError>(5)
    })
    .await;
    assert!(returned.unwrap_err().is_cancelled());

    // The body cancels and is then stopped at its next checkpoint.
    let stopped = task_group(|tg| async move {
        tg.cancel();
        sleep_forever().await;
        Ok::<_, BoxError>(5)
    })
    .await;
    assert!(stopped.unwrap_err().is_cancelled());

    // A child cancels after the body has returned.
    let late = task_group(|tg| async move {
        let cancel = tg.clone();
        tg.spawn(async move {
            sleep(ms(5)).await;
            cancel.cancel();
            Ok::<_, BoxError>(())
        })?;
        tg.spawn(async {
            sleep_forever().await;
            Ok(())
        })?;
        Ok::<_, BoxError>(5)
    })
    .await;
    assert!(late.unwrap_err().is_cancelled());
}
