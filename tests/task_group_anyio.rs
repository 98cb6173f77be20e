//! AnyIO's `tests/test_taskgroups.py`, translated: task groups, `start`, cancel scopes,
//! shields, deadlines, timeouts.
//!
//! How the Python maps to Rust here:
//! - "raises Cancelled at a checkpoint" = the future never gets past that checkpoint: the
//!   code after it bumps a counter that must stay 0.
//! - `finally:` = a drop guard ([`spec::defer`], `Counter::on_drop`): sync code only.
//! - `wait_all_tasks_blocked()` = an explicit signal (a counter or an `Event`) from the task
//!   that is about to block. Sleeps appear only as "something long that must be cancelled"
//!   (at most 1 s, and the test still ends quickly because of the cancellation).
//! - A task group cancelled through its own scope (`tg.cancel()`, its handle, a deadline on
//!   its handle) resolves to `Err(e)` with `e.is_cancelled()`: our documented behaviour,
//!   where AnyIO's `async with` block just exits. Exception groups are `TaskGroupError`s; a
//!   nested group's failures arrive as `Error::Nested`.
//! - Runtimes are multi-threaded: a spawned child may run before the host's next statement.
//!   Where AnyIO relies on the child not having run yet, the child first waits (spinning,
//!   without a checkpoint) for the host's action: [`spec::spin_until`].
//!
//! Not translated (no meaning in Rust):
//! - `test_run_natively`: running in a natively started runtime cannot be an
//!   `#[anyio::test]`; it is covered by `tests/runtime_native.rs`.
//! - `test_start_called_twice`, `test_start_sync_wrapper_called_twice`:
//!   `TaskStatus::started` takes `self`; calling it twice does not compile.
//! - `test_start_native_child_cancelled`: cancels the child's native asyncio task; a child has
//!   no native task object besides its `TaskHandle` (see `create_task_cancel_*`).
//! - `test_no_spin_on_done_task_in_cancel_scope`: a scope entered and never exited by a task
//!   that finished (asyncio's `_deliver_cancellation` rescheduling); a Rust scope is exited by
//!   dropping its future.
//! - `test_start_exception_delivery`, `test_schedule_old_style_coroutine_func`,
//!   `TestCreateTask::test_non_coro`: passing something that is not a coroutine is a type
//!   error at compile time.
//! - `test_fail_after_scope_cancelled_before_timeout`: an `xfail` upstream (no defined
//!   behaviour); with our API a `fail_after` cancelled through its handle reports
//!   `TimeoutError` anyway (see `fail_after_cancelled_before_deadline`).
//! - `test_fail_after_reason`, `test_fail_at_reason`: `fail_after` / `fail_at` take no reason.
//! - `test_fail_at_no_timeout`, `test_move_on_at_no_timeout`: `fail_at` / `move_on_at` take
//!   an `Instant`; "no deadline" is `Duration::MAX` (`*_after_no_timeout`) or a plain scope.
//! - `test_cleanup_after_native_cancel`, `TestUncancel` (all 9 tests): asyncio's native
//!   `Task.cancel()` and its uncancel counter.
//! - `test_cancel_host_asyncgen`, `test_task_from_asyncgen_asend`: async generators.
//! - `test_exception_group_filtering`, `test_nested_exception_group_filtering`,
//!   `test_reraise_cancelled_in_excgroup`, `test_exception_groups_suppresses_exc_context`:
//!   Python exception groups and exception context; there is no cancellation exception to
//!   filter out of an error value.
//! - `test_cancel_generator_based_task`: generator-based coroutines.
//! - `test_task_in_sync_spawn_callback`, `test_start_soon_parent_id`, `test_start_parent_id`,
//!   `test_task_name_default`, `test_task_name_custom_name`: there is no task identity, parent
//!   id or task name API.
//! - `test_cancelscope_wrong_exit_order`, `test_cancelscope_exit_before_enter`,
//!   `test_cancelscope_exit_in_wrong_task`, `test_taskgroup_reentry`: a scope or group is
//!   entered and exited by awaiting one future, consumed by value; wrong nesting, exiting
//!   before entering, exiting elsewhere and re-entering do not compile.
//! - `test_unhandled_exception_group`: `KeyboardInterrupt` raised from an asyncio callback.
//! - `TestRefcycles` (all 5 tests): reference cycles and the garbage collector.
//! - `TestTaskStatusTyping`: static typing checks, enforced by the compiler here.
//! - `test_eager_task_factory`, `test_patched_asyncio_task`, `test_asyncio_call_graph`:
//!   asyncio task factories, the pure-Python asyncio task and asyncio call graphs.
//! - `TestCreateTask::test_coro_attr`, `test_custom_context`: the handle's coroutine object
//!   and contextvars.
//! - `TestCreateTask::test_wait`: there is no separate `wait()`; awaiting the handle of a
//!   failed child is `create_task_exception`.

mod common;
mod spec;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::lowlevel::has_pending_cancellation;
use anyio::{
    checkpoint, current_effective_deadline, current_time, fail_after, fail_at, move_on_after,
    move_on_at, sleep, sleep_forever, task_group, CancelHandle, CancelScope, Event, StartError,
    TaskGroup, TaskStatus, TimeoutError,
};
use common::{ms, wait_until, Counter, Watchdog};
use futures_util::future::{select, Either};
use futures_util::FutureExt;
use spec::{defer, same_errors, spin_until, Error, PollCount};

type Result<T, E = Error> = std::result::Result<T, E>;

const LIMIT: Duration = Duration::from_secs(20);

/// "Something long" that must be cancelled; the tests end quickly because it is.
const LONG: Duration = Duration::from_secs(1);

/// A slot through which a task hands a cancel handle to another.
type Slot = Arc<Mutex<Option<CancelHandle>>>;

fn slot() -> Slot {
    Arc::new(Mutex::new(None))
}

fn take(slot: &Slot) -> Option<CancelHandle> {
    slot.lock().unwrap().clone()
}

#[anyio::test]
async fn already_closed() {
    let tg = task_group(|tg: TaskGroup<Error>| async move { Ok(tg.clone()) })
        .await
        .unwrap();
    let error = tg
        .spawn(async { Err::<(), _>(Error::Boom("fail")) })
        .unwrap_err();
    assert!(
        error.to_string().contains("the task group has finished"),
        "{error}"
    );
}

#[anyio::test]
async fn success() {
    let _watchdog = Watchdog::new("success", LIMIT);
    let results = Arc::new(Mutex::new(BTreeSet::new()));
    let r = results.clone();
    task_group(|tg| async move {
        for value in ["a", "b"] {
            let r = r.clone();
            tg.spawn(async move {
                r.lock().unwrap().insert(value);
                Ok(())
            })?;
        }
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(*results.lock().unwrap(), BTreeSet::from(["a", "b"]));
}

#[anyio::test]
async fn start_soon_while_running() {
    let _watchdog = Watchdog::new("start_soon_while_running", LIMIT);
    let ran = Counter::new();
    let r = ran.clone();
    task_group(|tg| async move {
        let inner = tg.clone();
        tg.spawn(async move {
            inner.spawn(async move {
                checkpoint().await;
                r.bump();
                Ok(())
            })?;
            Ok(())
        })?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(ran.get(), 1);
}

#[anyio::test]
async fn start_soon_after_error() {
    let escaped: Arc<Mutex<Option<TaskGroup<Error>>>> = Arc::new(Mutex::new(None));
    let e = escaped.clone();
    let result = task_group(|tg| async move {
        *e.lock().unwrap() = Some(tg.clone());
        Err::<(), _>(Error::Boom("division by zero"))
    })
    .await;
    assert_eq!(
        result.unwrap_err().errors(),
        [Error::Boom("division by zero")]
    );
    let tg = escaped.lock().unwrap().take().unwrap();
    let error = tg.spawn(async { Ok(()) }).unwrap_err();
    assert!(error.to_string().contains("the task group has finished"));
}

#[anyio::test]
async fn start_already_closed() {
    let tg = task_group(|tg: TaskGroup<Error>| async move { Ok(tg.clone()) })
        .await
        .unwrap();
    let error = tg
        .start(|status: TaskStatus<()>| async move {
            status.started(());
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StartError::Spawn(_)), "{error}");
    assert!(error.to_string().contains("the task group has finished"));
}

#[anyio::test]
async fn start_no_value() {
    let _watchdog = Watchdog::new("start_no_value", LIMIT);
    task_group(|tg| async move {
        let value: () = tg
            .start(|status: TaskStatus<()>| async move {
                status.started(());
                Ok(())
            })
            .await?;
        assert_eq!(value, ());
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn start_sync_wrapper() {
    let _watchdog = Watchdog::new("start_sync_wrapper", LIMIT);
    task_group(|tg| async move {
        // `started` is called by the plain closure, before the child's future even exists.
        let (value, handle) = tg
            .start_with_handle(|status: TaskStatus<i32>| {
                status.started(5);
                async { Ok(8) }
            })
            .await?;
        assert_eq!(value, 5);
        assert_eq!(handle.await?, 8);
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn no_called_started_twice() {
    let _watchdog = Watchdog::new("no_called_started_twice", LIMIT);
    let started = Counter::new();
    let s = started.clone();
    let result = task_group(|tg| async move {
        let start = tg.start(|status: TaskStatus<()>| async move {
            s.bump();
            status.started(());
            Ok(())
        });
        tg.cancel();
        // Whatever this gives, nothing may panic ("called 'started' twice").
        let _ = start.await;
        Ok::<_, Error>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(error.is_cancelled());
    assert!(error.errors().is_empty());
    assert_eq!(started.get(), 1);
}

#[anyio::test]
async fn start_with_value() {
    let _watchdog = Watchdog::new("start_with_value", LIMIT);
    let value = task_group(|tg| async move {
        let value = tg
            .start(|status: TaskStatus<&'static str>| async move {
                status.started("foo");
                Ok(())
            })
            .await?;
        Ok::<_, Error>(value)
    })
    .await
    .unwrap();
    assert_eq!(value, "foo");
}

#[anyio::test]
async fn start_crash_before_started_call() {
    let _watchdog = Watchdog::new("start_crash_before_started_call", LIMIT);
    task_group(|tg| async move {
        let result = tg
            .start(|_status: TaskStatus<()>| async { Err::<(), _>(Error::Boom("foo")) })
            .await;
        assert!(matches!(
            result,
            Err(StartError::Failed(Error::Boom("foo")))
        ));
        Ok::<_, Error>(())
    })
    .await
    .expect("an error before started() goes to start(), not to the group");
}

#[anyio::test]
async fn start_crash_after_started_call() {
    let _watchdog = Watchdog::new("start_crash_after_started_call", LIMIT);
    let value = Arc::new(AtomicI32::new(0));
    let v = value.clone();
    let result = task_group(|tg| async move {
        let started = tg
            .start(|status: TaskStatus<i32>| async move {
                status.started(2);
                Err::<(), _>(Error::Boom("foo"))
            })
            .await?;
        v.store(started, Ordering::SeqCst);
        Ok::<_, Error>(())
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Boom("foo")]);
    assert_eq!(value.load(Ordering::SeqCst), 2);
}

#[anyio::test]
async fn start_no_started_call() {
    let _watchdog = Watchdog::new("start_no_started_call", LIMIT);
    task_group(|tg| async move {
        let result = tg
            .start(|_status: TaskStatus<()>| async { Ok::<_, Error>(()) })
            .await;
        let error = result.unwrap_err();
        assert!(matches!(error, StartError::NeverStarted));
        assert!(error
            .to_string()
            .contains("finished without calling TaskStatus::started"));
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn start_cancelled() {
    let _watchdog = Watchdog::new("start_cancelled", LIMIT);
    let started = Counter::new();
    let finished = Counter::new();
    let (s, f) = (started.clone(), finished.clone());
    let result = task_group(|tg| async move {
        tg.cancel();
        let _ = tg
            .start(|_status: TaskStatus<()>| async move {
                s.bump();
                sleep(LONG).await;
                f.bump();
                Ok(())
            })
            .await;
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(
        started.get(),
        1,
        "the child runs up to its first checkpoint"
    );
    assert_eq!(finished.get(), 0);
}

#[anyio::test]
async fn start_native_host_cancelled() {
    // Native cancellation of the host task is, in Rust, dropping the future that awaits
    // `start()` (a foreign `select!` does that).
    let _watchdog = Watchdog::new("start_native_host_cancelled", LIMIT);
    let started = Counter::new();
    let finished = Counter::new();
    let dropped = Counter::new();
    let (s, f, d) = (started.clone(), finished.clone(), dropped.clone());
    let mut host = Box::pin(task_group(|tg| async move {
        tg.start(|_status: TaskStatus<()>| async move {
            let _guard = d.on_drop();
            s.bump();
            sleep(LONG).await;
            f.bump();
            Ok(())
        })
        .await?;
        Ok::<_, Error>(())
    }));
    let s = started.clone();
    match select(host.as_mut(), Box::pin(wait_until(move || s.get() == 1))).await {
        Either::Left(_) => panic!("the host cannot finish before the child started"),
        Either::Right(((), _)) => {}
    }
    drop(host);
    let d = dropped.clone();
    wait_until(move || d.get() == 1).await;
    assert_eq!(started.get(), 1);
    assert_eq!(finished.get(), 0);
}

#[anyio::test]
async fn propagate_native_cancellation_from_taskgroup() {
    // The child awaits a future that knows nothing about anyio (asyncio.sleep in the
    // original); the host's native cancellation is dropping the group's future.
    let _watchdog = Watchdog::new("propagate_native_cancellation_from_taskgroup", LIMIT);
    let running = Counter::new();
    let dropped = Counter::new();
    let (r, d) = (running.clone(), dropped.clone());
    let mut task = Box::pin(task_group(|tg| async move {
        tg.spawn(async move {
            let _guard = d.on_drop();
            r.bump();
            std::future::pending::<()>().await;
            Ok(())
        })?;
        Ok::<_, Error>(())
    }));
    let r = running.clone();
    match select(task.as_mut(), Box::pin(wait_until(move || r.get() == 1))).await {
        Either::Left(_) => panic!("the group cannot finish while its child is pending"),
        Either::Right(((), _)) => {}
    }
    drop(task);
    let d = dropped.clone();
    wait_until(move || d.get() == 1).await;
}

#[anyio::test]
async fn cancel_with_nested_task_groups() {
    // The regression was cancellation being delivered over and over (a busy loop) while a
    // shielded grandchild kept a cancelled group waiting. Counting polls of the middle task
    // and of the shielded task shows such a loop.
    let _watchdog = Watchdog::new("cancel_with_nested_task_groups", LIMIT);
    let middle_polls = Arc::new(AtomicUsize::new(0));
    let shield_polls = Arc::new(AtomicUsize::new(0));
    let shielded_done = Counter::new();
    let in_shield = Counter::new();
    let (mp, sp, done, entered) = (
        middle_polls.clone(),
        shield_polls.clone(),
        shielded_done.clone(),
        in_shield.clone(),
    );
    let result = task_group(|tg| async move {
        tg.spawn(PollCount::new(
            async move {
                task_group(|middle| async move {
                    middle.spawn(PollCount::new(
                        async move {
                            CancelScope::new()
                                .shield(true)
                                .run(async move {
                                    entered.bump();
                                    sleep(ms(300)).await;
                                    done.bump();
                                })
                                .await;
                            Ok(())
                        },
                        sp,
                    ))?;
                    Ok::<_, Error>(())
                })
                .await?;
                Ok(())
            },
            mp,
        ))?;
        let entered = in_shield.clone();
        wait_until(move || entered.get() == 1).await;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(shielded_done.get(), 1, "the shielded sleep completed");
    let (middle, shielded) = (
        middle_polls.load(Ordering::SeqCst),
        shield_polls.load(Ordering::SeqCst),
    );
    assert!(middle < 10, "the middle task was polled {middle} times");
    assert!(
        shielded < 10,
        "the shielded task was polled {shielded} times"
    );
}

#[anyio::test]
async fn start_cancel_after_error() {
    let _watchdog = Watchdog::new("start_cancel_after_error", LIMIT);
    let sleeping = Counter::new();
    let sleep_completed = Counter::new();
    let (s, done) = (sleeping.clone(), sleep_completed.clone());
    let result = task_group(|outer_tg| async move {
        let outer = outer_tg.clone();
        task_group(|inner_tg| async move {
            let s2 = s.clone();
            inner_tg.spawn(async move {
                // wait_all_tasks_blocked(): until the started child sleeps.
                wait_until(move || s2.get() == 1).await;
                Err::<(), _>(Error::Boom("this should cancel the second start() call"))
            })?;
            outer
                .start(|status: TaskStatus<()>| async move {
                    s.bump();
                    sleep(LONG).await;
                    done.bump();
                    status.started(());
                    Ok(())
                })
                .await?;
            Ok::<_, Error>(())
        })
        .await?;
        Ok::<_, Error>(())
    })
    .await;
    assert_eq!(
        result.unwrap_err().errors(),
        [Error::Nested(vec![Error::Boom(
            "this should cancel the second start() call"
        )])]
    );
    assert_eq!(sleep_completed.get(), 0);
}

#[anyio::test]
async fn host_exception() {
    let _watchdog = Watchdog::new("host_exception", LIMIT);
    let result_set = Counter::new();
    let r = result_set.clone();
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            sleep(LONG).await;
            r.bump();
            Ok(())
        })?;
        Err::<(), _>(Error::Boom("dummy error"))
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Boom("dummy error")]);
    assert_eq!(result_set.get(), 0);
}

/// `test_level_cancellation` and `test_cancel`: a child cancelled (by `cancel`) before its
/// first step runs up to its first checkpoint and no further.
async fn cancel_before_first_step(cancel: impl FnOnce(&TaskGroup<Error>) + Send + 'static) {
    let marker = Arc::new(AtomicI32::new(0));
    let m = marker.clone();
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            spin_until(has_pending_cancellation);
            m.store(1, Ordering::SeqCst);
            checkpoint().await;
            m.store(2, Ordering::SeqCst);
            Ok(())
        })?;
        cancel(&tg);
        Ok::<_, Error>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(
        error.is_cancelled(),
        "own-group cancellation: Err(cancelled)"
    );
    assert!(error.errors().is_empty());
    assert_eq!(marker.load(Ordering::SeqCst), 1);
}

#[anyio::test]
async fn level_cancellation() {
    let _watchdog = Watchdog::new("level_cancellation", LIMIT);
    cancel_before_first_step(|tg| tg.cancel_handle().cancel()).await;
}

#[anyio::test]
async fn cancel() {
    let _watchdog = Watchdog::new("cancel", LIMIT);
    cancel_before_first_step(|tg| tg.cancel()).await;
}

#[anyio::test]
async fn cancel_with_reason() {
    let _watchdog = Watchdog::new("cancel_with_reason", LIMIT);
    let after = Counter::new();
    let a = after.clone();
    let error = task_group(|tg| async move {
        tg.cancel_with_reason("test reason");
        checkpoint().await;
        a.bump();
        Ok::<_, Error>(())
    })
    .await
    .unwrap_err();
    assert!(error.is_cancelled());
    assert_eq!(error.cancel_reason(), Some("test reason"));
    assert_eq!(after.get(), 0);
}

#[anyio::test]
async fn failing_child_task_cancels_host() {
    let _watchdog = Watchdog::new("failing_child_task_cancels_host", LIMIT);
    let host_sleeping = Counter::new();
    let sleep_completed = Counter::new();
    let (h, done) = (host_sleeping.clone(), sleep_completed.clone());
    let result = task_group(|tg| async move {
        let h2 = h.clone();
        tg.spawn(async move {
            wait_until(move || h2.get() == 1).await;
            Err::<(), _>(Error::Boom("foo"))
        })?;
        h.bump();
        sleep(LONG).await;
        done.bump();
        Ok(())
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Boom("foo")]);
    assert_eq!(sleep_completed.get(), 0);
}

#[anyio::test]
async fn failing_host_task_cancels_children() {
    let _watchdog = Watchdog::new("failing_host_task_cancels_children", LIMIT);
    let child_sleeping = Counter::new();
    let sleep_completed = Counter::new();
    let (c, done) = (child_sleeping.clone(), sleep_completed.clone());
    let result = task_group(|tg| async move {
        let c2 = c.clone();
        tg.spawn(async move {
            c2.bump();
            sleep(LONG).await;
            done.bump();
            Ok(())
        })?;
        wait_until(move || c.get() == 1).await;
        Err::<(), _>(Error::Boom("foo"))
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Boom("foo")]);
    assert_eq!(sleep_completed.get(), 0);
}

#[anyio::test]
async fn cancel_scope_in_another_task() {
    let _watchdog = Watchdog::new("cancel_scope_in_another_task", LIMIT);
    let local_scope = slot();
    let result = Counter::new();
    let (ls, r) = (local_scope.clone(), result.clone());
    task_group(|tg| async move {
        tg.spawn(async move {
            let scope = CancelScope::new();
            let handle = scope.handle();
            scope
                .run(async move {
                    *ls.lock().unwrap() = Some(handle);
                    sleep(LONG).await;
                    r.bump();
                })
                .await;
            Ok(())
        })?;
        while take(&local_scope).is_none() {
            checkpoint().await;
        }
        take(&local_scope).unwrap().cancel();
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(result.get(), 0);
}

#[anyio::test]
async fn cancel_propagation() {
    let _watchdog = Watchdog::new("cancel_propagation", LIMIT);
    let reached = Counter::new();
    let r = reached.clone();
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            let _ = task_group(|_inner: TaskGroup<Error>| async move {
                sleep(LONG).await;
                Ok(())
            })
            .await;
            r.bump();
            Ok(())
        })?;
        checkpoint().await;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(
        reached.get(),
        0,
        "the code after the cancelled inner group never runs"
    );
}

#[anyio::test]
async fn cancel_twice() {
    // The same task receives two cancellations, one group after the other.
    let _watchdog = Watchdog::new("cancel_twice", LIMIT);
    for _ in 0..2 {
        let blocked = Counter::new();
        let reached = Counter::new();
        let (b, r) = (blocked.clone(), reached.clone());
        let result = task_group(|tg| async move {
            let canceller = tg.clone();
            let b2 = b.clone();
            tg.spawn(async move {
                wait_until(move || b2.get() == 1).await;
                canceller.cancel();
                Ok(())
            })?;
            b.bump();
            sleep(LONG).await;
            r.bump();
            Ok::<_, Error>(())
        })
        .await;
        assert!(result.unwrap_err().is_cancelled());
        assert_eq!(reached.get(), 0);
    }
}

#[anyio::test]
async fn cancel_exiting_task_group() {
    // A group waiting for its children at its exit is cancelled: the children are cancelled
    // and the waiting goes on until they are done.
    let _watchdog = Watchdog::new("cancel_exiting_task_group", LIMIT);
    let cancel_received = Counter::new();
    let waiting = Counter::new();
    let completed = Counter::new();
    let (cr, w, c) = (cancel_received.clone(), waiting.clone(), completed.clone());
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            task_group(|tg2| async move {
                tg2.spawn(async move {
                    let _finally = cr.on_drop();
                    w.bump();
                    sleep(LONG).await;
                    c.bump();
                    Ok(())
                })?;
                Ok::<_, Error>(())
            })
            .await?;
            Ok(())
        })?;
        let w = waiting.clone();
        wait_until(move || w.get() == 1).await;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(cancel_received.get(), 1);
    assert_eq!(completed.get(), 0);
}

#[anyio::test]
async fn cancel_before_entering_scope() {
    let reached = Counter::new();
    let r = reached.clone();
    let scope = CancelScope::new();
    scope.cancel();
    let outcome = scope
        .run(async move {
            sleep(LONG).await;
            r.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0);
}

/// AnyIO's `async_error`: fails with `text` after `delay`, also when cancelled during it
/// (it raises from `finally:`). A Rust future that is being cancelled can only still report
/// an error from a shielded section, so the delay is shielded.
async fn async_error(text: &'static str, delay: Duration) -> Result<()> {
    CancelScope::new().shield(true).run(sleep(delay)).await;
    Err(Error::Boom(text))
}

#[anyio::test]
async fn exception_group_children() {
    let _watchdog = Watchdog::new("exception_group_children", LIMIT);
    let result = task_group(|tg| async move {
        tg.spawn(async_error("task1", ms(10)))?;
        tg.spawn(async_error("task2", ms(15)))?;
        Ok::<_, Error>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(
        same_errors(
            error.errors(),
            &[Error::Boom("task1"), Error::Boom("task2")]
        ),
        "{error:?}"
    );
}

#[anyio::test]
async fn exception_group_host() {
    // The child fails while being cancelled by the host's failure: it waits (shielded, the
    // Rust form of `finally:`) for the host to have failed, then fails too.
    let _watchdog = Watchdog::new("exception_group_host", LIMIT);
    let host_failed = Arc::new(Event::new());
    let blocked = Counter::new();
    let (hf, b) = (host_failed.clone(), blocked.clone());
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            b.bump();
            CancelScope::new().shield(true).run(hf.wait()).await;
            Err::<(), _>(Error::Boom("child"))
        })?;
        let b = blocked.clone();
        wait_until(move || b.get() == 1).await;
        host_failed.set();
        Err::<(), _>(Error::Boom("host"))
    })
    .await;
    let error = result.unwrap_err();
    assert!(
        same_errors(error.errors(), &[Error::Boom("child"), Error::Boom("host")]),
        "{error:?}"
    );
}

#[anyio::test]
async fn escaping_cancelled_exception() {
    let _watchdog = Watchdog::new("escaping_cancelled_exception", LIMIT);
    let error = task_group(|tg| async move {
        tg.cancel();
        checkpoint().await;
        Ok::<_, Error>(())
    })
    .await
    .unwrap_err();
    assert!(
        error.is_cancelled(),
        "no failure escapes, only cancellation"
    );
    assert!(error.errors().is_empty());
}

#[anyio::test]
async fn cancel_scope_cleared() {
    let after = Counter::new();
    assert_eq!(move_on_after(ms(100), sleep(LONG)).await, None);
    assert!(!has_pending_cancellation());
    checkpoint().await;
    after.bump();
    assert_eq!(after.get(), 1);
}

/// `test_fail_after` and `test_fail_at`.
async fn assert_times_out(
    mut timeout: anyio::FailAfter<impl Future<Output = ()>>,
    reached: Counter,
) {
    let handle = timeout.handle();
    assert_eq!(timeout.await, Err(TimeoutError::default()));
    // AnyIO: "deadline" in the cancellation's message.
    assert_eq!(handle.cancel_reason().as_deref(), Some("deadline exceeded"));
    assert!(handle.is_cancel_called());
    assert!(handle.cancelled_caught());
    assert_eq!(reached.get(), 0);
}

fn long_then_bump(reached: &Counter) -> impl Future<Output = ()> + Send + 'static {
    let reached = reached.clone();
    async move {
        sleep(LONG).await;
        reached.bump();
    }
}

#[anyio::test]
async fn fail_after_instant() {
    let reached = Counter::new();
    assert_times_out(
        fail_after(Duration::ZERO, long_then_bump(&reached)),
        reached,
    )
    .await;
}

#[anyio::test]
async fn fail_after_delayed() {
    let reached = Counter::new();
    assert_times_out(fail_after(ms(100), long_then_bump(&reached)), reached).await;
}

#[anyio::test]
async fn fail_after_no_timeout() {
    let seen = Arc::new(Mutex::new(Some(current_time())));
    let mut timeout = fail_after(Duration::MAX, {
        let seen = seen.clone();
        async move {
            *seen.lock().unwrap() = current_effective_deadline();
            sleep(ms(10)).await;
        }
    });
    let handle = timeout.handle();
    assert_eq!(timeout.await, Ok(()));
    assert_eq!(handle.deadline(), None, "Duration::MAX is no deadline");
    assert_eq!(*seen.lock().unwrap(), None);
    assert!(!handle.is_cancel_called());
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn fail_after_after_cancellation() {
    let _watchdog = Watchdog::new("fail_after_after_cancellation", LIMIT);
    let event = Arc::new(Event::new());
    let e = event.clone();
    let result = task_group(|tg| async move {
        tg.cancel();
        e.wait().await;
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());

    let block_complete = Counter::new();
    let b = block_complete.clone();
    let timed = fail_after(ms(100), async move {
        sleep(ms(500)).await;
        b.bump();
    })
    .await;
    assert_eq!(timed, Err(TimeoutError::default()));
    assert_eq!(block_complete.get(), 0);
}

#[anyio::test]
async fn fail_after_cancelled_before_deadline() {
    // Deliberate difference: AnyIO's `fail_after` block cancelled through its scope exits
    // without TimeoutError. Our `FailAfter` has no value to return then and documents that it
    // reports TimeoutError; the handle tells the two apart (no "deadline exceeded" reason).
    let reached = Counter::new();
    let r = reached.clone();
    let slot = slot();
    let s = slot.clone();
    let mut timeout = fail_after(Duration::from_secs(1), async move {
        take(&s).unwrap().cancel();
        checkpoint().await;
        r.bump();
    });
    let handle = timeout.handle();
    *slot.lock().unwrap() = Some(handle.clone());
    assert_eq!(timeout.await, Err(TimeoutError::default()));
    assert_eq!(reached.get(), 0);
    assert!(handle.is_cancel_called());
    assert!(handle.cancelled_caught());
    assert_eq!(
        handle.cancel_reason(),
        None,
        "cancelled, not timed out: no deadline reason"
    );
}

/// `test_move_on_after` and `test_move_on_at`.
async fn assert_moves_on(mut scope: anyio::Scoped<impl Future<Output = ()>>) {
    let handle = scope.handle();
    assert_eq!(scope.await, None);
    assert!(handle.is_cancel_called());
    assert!(handle.cancelled_caught());
}

#[anyio::test]
async fn move_on_after_instant() {
    let reached = Counter::new();
    assert_moves_on(move_on_after(Duration::ZERO, long_then_bump(&reached))).await;
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn move_on_after_delayed() {
    let reached = Counter::new();
    assert_moves_on(move_on_after(ms(100), long_then_bump(&reached))).await;
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn move_on_after_no_timeout() {
    let result = Counter::new();
    let r = result.clone();
    let mut scope = move_on_after(Duration::MAX, async move {
        assert_eq!(current_effective_deadline(), None);
        sleep(ms(10)).await;
        r.bump();
    });
    let handle = scope.handle();
    assert_eq!(scope.await, Some(()));
    assert_eq!(handle.deadline(), None);
    assert_eq!(result.get(), 1);
    assert!(!handle.is_cancel_called());
}

#[anyio::test]
async fn nested_move_on_after() {
    let sleep_completed = Counter::new();
    let inner_scope_completed = Counter::new();
    let (sc, ic) = (sleep_completed.clone(), inner_scope_completed.clone());
    let outer_slot = slot();
    let (os1, os2) = (outer_slot.clone(), outer_slot.clone());
    let mut inner = move_on_after(LONG, async move {
        assert_eq!(
            current_effective_deadline(),
            take(&os2).unwrap().deadline(),
            "the outer, nearer deadline applies inside the inner scope"
        );
        sleep(LONG).await;
        sc.bump();
    });
    let inner_handle = inner.handle();
    let mut outer = move_on_after(ms(100), async move {
        assert_eq!(current_effective_deadline(), take(&os1).unwrap().deadline());
        inner.await;
        ic.bump();
    });
    let outer_handle = outer.handle();
    *outer_slot.lock().unwrap() = Some(outer_handle.clone());
    assert_eq!(outer.await, None);
    assert_eq!(sleep_completed.get(), 0);
    assert_eq!(inner_scope_completed.get(), 0);
    assert!(outer_handle.is_cancel_called());
    assert!(outer_handle.cancelled_caught());
    assert!(!inner_handle.is_cancel_called());
    assert!(!inner_handle.cancelled_caught());
}

#[anyio::test]
async fn fail_at_instant() {
    let reached = Counter::new();
    assert_times_out(fail_at(current_time(), long_then_bump(&reached)), reached).await;
}

#[anyio::test]
async fn fail_at_delayed() {
    let reached = Counter::new();
    assert_times_out(
        fail_at(current_time() + ms(100), long_then_bump(&reached)),
        reached,
    )
    .await;
}

#[anyio::test]
async fn move_on_at_instant() {
    let reached = Counter::new();
    assert_moves_on(move_on_at(current_time(), long_then_bump(&reached))).await;
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn move_on_at_delayed() {
    let reached = Counter::new();
    assert_moves_on(move_on_at(
        current_time() + ms(100),
        long_then_bump(&reached),
    ))
    .await;
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn shielding() {
    let _watchdog = Watchdog::new("shielding", LIMIT);
    let in_shield = Counter::new();
    let inner_sleep_completed = Counter::new();
    let outer_sleep_completed = Counter::new();
    let (entered, inner_done, outer_done) = (
        in_shield.clone(),
        inner_sleep_completed.clone(),
        outer_sleep_completed.clone(),
    );
    let group_handle = slot();
    let inner_handle = slot();
    let (gh, ih) = (group_handle.clone(), inner_handle.clone());
    let result = task_group(|tg| async move {
        let canceller = tg.clone();
        let e = entered.clone();
        tg.spawn(async move {
            wait_until(move || e.get() == 1).await;
            canceller.cancel();
            Ok(())
        })?;
        let cancelled = tg.cancel_handle();
        *gh.lock().unwrap() = Some(cancelled.clone());
        let mut inner = move_on_after(Duration::from_secs(10), async move {
            entered.bump();
            // The shield is exercised while the group is cancelled.
            wait_until(move || cancelled.is_cancel_called()).await;
            sleep(ms(20)).await;
            inner_done.bump();
        })
        .shield(true);
        let handle = inner.handle();
        assert!(handle.is_shielded());
        *ih.lock().unwrap() = Some(handle);
        assert_eq!(inner.await, Some(()));
        sleep(LONG).await;
        outer_done.bump();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(inner_sleep_completed.get(), 1);
    assert_eq!(outer_sleep_completed.get(), 0);
    assert!(take(&group_handle).unwrap().is_cancel_called());
    assert!(!take(&inner_handle).unwrap().is_cancel_called());
}

#[anyio::test]
async fn cancel_from_shielded_scope() {
    let _watchdog = Watchdog::new("cancel_from_shielded_scope", LIMIT);
    let shielded_passed = Counter::new();
    let after = Counter::new();
    let (sp, a) = (shielded_passed.clone(), after.clone());
    let result = task_group(|tg| async move {
        let scope = CancelScope::new().shield(true);
        assert!(scope.handle().is_shielded());
        scope
            .run(async {
                tg.cancel();
                assert_eq!(current_effective_deadline(), None);
                assert!(!has_pending_cancellation());
                checkpoint().await;
                sp.bump();
            })
            .await;
        let deadline = current_effective_deadline().expect("a cancelled scope has a deadline");
        assert!(deadline <= current_time(), "a deadline in the past (-inf)");
        assert!(has_pending_cancellation());
        sleep(ms(10)).await;
        a.bump();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(shielded_passed.get(), 1);
    assert_eq!(after.get(), 0);
}

#[anyio::test]
async fn cancel_shielded_scope() {
    let after = Counter::new();
    let a = after.clone();
    let scope = CancelScope::new().shield(true);
    let handle = scope.handle();
    let h = handle.clone();
    let outcome = scope
        .run(async move {
            assert!(h.is_shielded());
            h.cancel();
            let deadline = current_effective_deadline().unwrap();
            assert!(deadline <= current_time());
            assert!(has_pending_cancellation());
            checkpoint().await;
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
    assert!(handle.cancelled_caught());
}

#[anyio::test]
async fn shielded_cleanup_after_cancel() {
    // AnyIO makes these checks in a `finally:` after the cancelled checkpoint. A Rust
    // `finally:` is a destructor, which cannot enter a scope, so they are made just before
    // the checkpoint that delivers the cancellation; that checkpoint is real.
    let reached = Counter::new();
    let r = reached.clone();
    let outer = CancelScope::new();
    let handle = outer.handle();
    let outcome = outer
        .run(async move {
            handle.cancel();
            assert!(current_effective_deadline().unwrap() <= current_time());
            assert!(has_pending_cancellation());
            CancelScope::new()
                .shield(true)
                .run(async {
                    assert_eq!(current_effective_deadline(), None);
                    assert!(!has_pending_cancellation());
                })
                .await;
            assert!(current_effective_deadline().unwrap() <= current_time());
            assert!(has_pending_cancellation());
            checkpoint().await;
            r.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn cancelled_not_caught() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let h = handle.clone();
    assert_eq!(scope.run(async move { h.cancel() }).await, Some(()));
    assert!(handle.is_cancel_called());
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn cancelled_scope_based_checkpoint() {
    let reached = Counter::new();
    let r = reached.clone();
    let outer = CancelScope::new();
    let inner = CancelScope::new();
    let (outer_handle, inner_handle) = (outer.handle(), inner.handle());
    let (oh, ih) = (outer_handle.clone(), inner_handle.clone());
    let outcome = outer
        .run(async move {
            oh.cancel();
            // A way to implement a checkpoint function (trio#860).
            inner
                .run(async move {
                    ih.cancel();
                    sleep_forever().await
                })
                .await;
            r.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0, "the checkpoint should have raised");
    assert!(!inner_handle.cancelled_caught());
    assert!(outer_handle.cancelled_caught());
}

#[anyio::test]
async fn cancelled_raises_beyond_origin_unshielded() {
    let reached = Counter::new();
    let (r1, r2) = (reached.clone(), reached.clone());
    let outer = CancelScope::new();
    let inner = CancelScope::new();
    let (outer_handle, inner_handle) = (outer.handle(), inner.handle());
    let (oh, ih) = (outer_handle.clone(), inner_handle.clone());
    let outcome = outer
        .run(async move {
            inner
                .run(async move {
                    ih.cancel();
                    let _finally = defer(move || oh.cancel());
                    checkpoint().await;
                    r1.bump();
                })
                .await;
            r2.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0);
    // The outer scope is responsible for the cancellation: it catches, the inner one not.
    assert!(!inner_handle.cancelled_caught());
    assert!(outer_handle.cancelled_caught());
}

#[anyio::test]
async fn cancelled_raises_beyond_origin_shielded() {
    let reached = Counter::new();
    let between = Counter::new();
    let (r, b) = (reached.clone(), between.clone());
    let outer = CancelScope::new();
    let inner = CancelScope::new().shield(true);
    let (outer_handle, inner_handle) = (outer.handle(), inner.handle());
    let (oh, ih) = (outer_handle.clone(), inner_handle.clone());
    let outcome = outer
        .run(async move {
            inner
                .run(async move {
                    ih.cancel();
                    let _finally = defer(move || oh.cancel());
                    checkpoint().await;
                    r.bump();
                })
                .await;
            b.bump();
        })
        .await;
    assert_eq!(outcome, Some(()));
    assert_eq!(reached.get(), 0);
    assert_eq!(between.get(), 1, "the code between the scopes runs");
    // The inner scope triggered the cancellation: it catches; the outer one, although
    // cancelled too, caught nothing.
    assert!(inner_handle.cancelled_caught());
    assert!(!outer_handle.cancelled_caught());
}

#[anyio::test]
async fn empty_taskgroup_contains_yield_point() {
    // AnyIO observes the yield through another task getting to run, which needs a
    // single-threaded loop; here the group's future is polled by hand.
    let mut group = std::pin::pin!(task_group(|_tg: TaskGroup<Error>| async { Ok(7) }));
    assert!(
        futures_util::poll!(group.as_mut()).is_pending(),
        "the exit of an empty task group yields once"
    );
    assert_eq!(group.await.unwrap(), 7);
}

#[anyio::test]
async fn shielding_immediate_scope_cancelled() {
    let _watchdog = Watchdog::new("shielding_immediate_scope_cancelled", LIMIT);
    let blocked = Counter::new();
    let sleep_completed = Counter::new();
    let (b, done) = (blocked.clone(), sleep_completed.clone());
    let scope_handle = slot();
    let sh = scope_handle.clone();
    task_group(|tg| async move {
        let scope = CancelScope::new().shield(true);
        let handle = scope.handle();
        *sh.lock().unwrap() = Some(handle.clone());
        scope
            .run(async move {
                let b2 = b.clone();
                tg.spawn(async move {
                    wait_until(move || b2.get() == 1).await;
                    handle.cancel();
                    Ok(())
                })
                .expect("the group is running");
                b.bump();
                sleep(LONG).await;
                done.bump();
            })
            .await;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(sleep_completed.get(), 0);
    assert!(take(&scope_handle).unwrap().cancelled_caught());
}

#[anyio::test]
async fn shielding_mutate() {
    let _watchdog = Watchdog::new("shielding_mutate", LIMIT);
    let completed = Counter::new();
    let reached = Counter::new();
    let (c, r) = (completed.clone(), reached.clone());
    let result = task_group(|tg| async move {
        let group = tg.cancel_handle();
        tg.start(|status: TaskStatus<()>| async move {
            let scope = CancelScope::new();
            let handle = scope.handle();
            let r2 = r.clone();
            scope
                .run(async move {
                    // The shield is enabled a little after the scope starts.
                    sleep(ms(10)).await;
                    handle.set_shield(true);
                    status.started(());
                    wait_until(move || group.is_cancel_called()).await;
                    sleep(ms(10)).await;
                    c.bump();
                    handle.set_shield(false);
                    sleep(LONG).await;
                    r2.bump();
                })
                .await;
            r.bump();
            Ok(())
        })
        .await?;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(completed.get(), 1);
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn cancel_scope_in_child_task() {
    let _watchdog = Watchdog::new("cancel_scope_in_child_task", LIMIT);
    let child_scope = slot();
    let host_done = Counter::new();
    let group_handle = slot();
    let (cs, hd, gh) = (child_scope.clone(), host_done.clone(), group_handle.clone());
    task_group(|tg| async move {
        *gh.lock().unwrap() = Some(tg.cancel_handle());
        tg.spawn(async move {
            let scope = CancelScope::new();
            let handle = scope.handle();
            scope
                .run(async move {
                    *cs.lock().unwrap() = Some(handle);
                    sleep(LONG).await;
                })
                .await;
            Ok(())
        })?;
        let cs = child_scope.clone();
        wait_until(move || take(&cs).is_some()).await;
        take(&child_scope).unwrap().cancel();
        sleep(ms(10)).await;
        hd.bump();
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(host_done.get(), 1);
    assert!(!take(&group_handle).unwrap().is_cancel_called());
}

#[anyio::test]
async fn exception_cancels_siblings() {
    let _watchdog = Watchdog::new("exception_cancels_siblings", LIMIT);
    let sleeping = Counter::new();
    let sleep_completed = Counter::new();
    let (s, done) = (sleeping.clone(), sleep_completed.clone());
    let result = task_group(|tg| async move {
        let s2 = s.clone();
        tg.spawn(async move {
            s2.bump();
            sleep(LONG).await;
            done.bump();
            Ok(())
        })?;
        wait_until(move || s.get() == 1).await;
        tg.spawn(async { Err::<(), _>(Error::Boom("foo")) })?;
        Ok::<_, Error>(())
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Boom("foo")]);
    assert_eq!(sleep_completed.get(), 0);
}

#[anyio::test]
async fn cancel_cascade() {
    let _watchdog = Watchdog::new("cancel_cascade", LIMIT);
    let sleeping = Counter::new();
    let reached = Counter::new();
    let (s, r) = (sleeping.clone(), reached.clone());
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            let _ = task_group(|tg2| async move {
                tg2.spawn(async move {
                    s.bump();
                    sleep(LONG).await;
                    Ok(())
                })?;
                Ok::<_, Error>(())
            })
            .await;
            r.bump();
            Ok(())
        })?;
        let s = sleeping.clone();
        wait_until(move || s.get() == 1).await;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn cancelled_parent() {
    let _watchdog = Watchdog::new("cancelled_parent", LIMIT);
    let raised = Counter::new();
    let r = raised.clone();
    let result = task_group(|tg| async move {
        let parent_tg = tg.clone();
        tg.spawn(async move {
            checkpoint().await;
            parent_tg.spawn(async move {
                CancelScope::new().run(sleep(LONG)).await;
                r.bump();
                Err::<(), _>(Error::Boom("foo"))
            })?;
            Ok(())
        })?;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(error.is_cancelled());
    assert!(error.errors().is_empty());
    assert_eq!(raised.get(), 0);
}

#[anyio::test]
async fn shielded_deadline() {
    let outcome = move_on_after(
        Duration::from_secs(10),
        CancelScope::new()
            .shield(true)
            .run(move_on_after(Duration::from_secs(1000), async {
                let deadline = current_effective_deadline().unwrap();
                assert!(deadline - current_time() > Duration::from_secs(900));
                checkpoint().await;
            })),
    )
    .await;
    assert_eq!(outcome, Some(Some(Some(()))));
}

#[anyio::test]
async fn deadline_reached_on_start() {
    let reached = Counter::new();
    let r = reached.clone();
    let outcome = move_on_after(Duration::ZERO, async move {
        checkpoint().await;
        r.bump();
    })
    .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn deadline_moved() {
    let slot = slot();
    let s = slot.clone();
    let mut timeout = fail_after(ms(100), async move {
        let handle = take(&s).unwrap();
        let deadline = handle.deadline().expect("fixed when first polled");
        handle.set_deadline(Some(deadline + ms(300)));
        sleep(ms(200)).await;
    });
    *slot.lock().unwrap() = Some(timeout.handle());
    assert_eq!(timeout.await, Ok(()));
}

#[anyio::test]
async fn timeout_error_with_multiple_cancellations() {
    let _watchdog = Watchdog::new("timeout_error_with_multiple_cancellations", LIMIT);
    let outcome = fail_after(
        ms(100),
        task_group(|tg| async move {
            tg.spawn(async {
                sleep(LONG).await;
                Ok(())
            })?;
            sleep(LONG).await;
            Ok::<_, Error>(())
        }),
    )
    .await;
    assert_eq!(outcome.err(), Some(TimeoutError::default()));
}

#[anyio::test]
async fn nested_fail_after() {
    let _watchdog = Watchdog::new("nested_fail_after", LIMIT);
    let sleeping = Counter::new();
    let reached = Counter::new();
    let (s, r1, r2, r3) = (
        sleeping.clone(),
        reached.clone(),
        reached.clone(),
        reached.clone(),
    );
    let scope = CancelScope::new();
    let scope_handle = scope.handle();
    let killed = scope_handle.clone();
    task_group(|tg| async move {
        scope
            .run(async move {
                CancelScope::new()
                    .run(async move {
                        let s2 = s.clone();
                        tg.spawn(async move {
                            wait_until(move || s2.get() == 1).await;
                            killed.cancel();
                            Ok(())
                        })
                        .expect("the group is running");
                        let _ = fail_after(LONG, async move {
                            s.bump();
                            sleep(LONG).await;
                            r1.bump();
                        })
                        .await;
                        r2.bump();
                    })
                    .await;
                r3.bump();
            })
            .await;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert!(scope_handle.is_cancel_called());
    assert!(scope_handle.cancelled_caught());
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn nested_shield() {
    let _watchdog = Watchdog::new("nested_shield", LIMIT);
    let sleeping = Counter::new();
    let s = sleeping.clone();
    let result = task_group(|tg| async move {
        let scope = CancelScope::new();
        let killed = scope.handle();
        let outcome = scope
            .run(CancelScope::new().shield(true).run(async move {
                let s2 = s.clone();
                tg.spawn(async move {
                    wait_until(move || s2.get() == 1).await;
                    killed.cancel();
                    Ok(())
                })
                .expect("the group is running");
                fail_after(ms(200), async move {
                    s.bump();
                    sleep(LONG).await;
                })
                .await
            }))
            .await;
        // The shielded fail_after ran to its own deadline; its TimeoutError goes up.
        outcome.flatten().expect("the shielded part completed")?;
        Ok::<_, Error>(())
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Timeout]);
}

#[anyio::test]
async fn triple_nested_shield_checkpoint_in_outer() {
    let _watchdog = Watchdog::new("triple_nested_shield_checkpoint_in_outer", LIMIT);
    let got_past_checkpoint = Counter::new();
    let g = got_past_checkpoint.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            let scope1 = CancelScope::new();
            let scope2 = CancelScope::new();
            let (h1, h2) = (scope1.handle(), scope2.handle());
            scope1
                .run(async move {
                    scope2
                        .run(CancelScope::new().shield(true).run(async move {
                            h1.cancel();
                            h2.cancel();
                            checkpoint().await;
                        }))
                        .await;
                    checkpoint().await;
                    g.bump();
                })
                .await;
            Ok(())
        })?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(got_past_checkpoint.get(), 0);
}

#[anyio::test]
async fn triple_nested_shield_checkpoint_in_middle() {
    let _watchdog = Watchdog::new("triple_nested_shield_checkpoint_in_middle", LIMIT);
    let got_past_checkpoint = Counter::new();
    let g = got_past_checkpoint.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            let scope1 = CancelScope::new();
            let h1 = scope1.handle();
            scope1
                .run(CancelScope::new().run(async move {
                    CancelScope::new()
                        .shield(true)
                        .run(async move {
                            h1.cancel();
                            checkpoint().await;
                        })
                        .await;
                    checkpoint().await;
                    g.bump();
                }))
                .await;
            Ok(())
        })?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(got_past_checkpoint.get(), 0);
}

#[anyio::test]
async fn nested_task_group_filtering() {
    // Cancellation never shows among the failures; the nested group's failure is kept.
    let _watchdog = Watchdog::new("nested_task_group_filtering", LIMIT);
    let result = task_group(|tg| async move {
        tg.spawn(async_error("parent task failed", ms(10)))?;
        task_group(|tg2| async move {
            tg2.spawn(async_error("child task failed", ms(10)))?;
            sleep(LONG).await;
            Ok::<_, Error>(())
        })
        .await?;
        Ok::<_, Error>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(
        same_errors(
            error.errors(),
            &[
                Error::Boom("parent task failed"),
                Error::Nested(vec![Error::Boom("child task failed")])
            ]
        ),
        "{error:?}"
    );
}

#[anyio::test]
async fn cancel_propagation_with_inner_spawn() {
    let _watchdog = Watchdog::new("cancel_propagation_with_inner_spawn", LIMIT);
    let sleeping = Counter::new();
    let reached = Counter::new();
    let (s, r) = (sleeping.clone(), reached.clone());
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            let _ = task_group(|tg2| async move {
                tg2.spawn(async {
                    sleep(LONG).await;
                    Ok(())
                })?;
                s.bump();
                sleep(LONG).await;
                Ok::<_, Error>(())
            })
            .await;
            r.bump();
            Ok(())
        })?;
        let s = sleeping.clone();
        wait_until(move || s.get() == 1).await;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn escaping_cancelled_error_from_cancelled_task() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let h = handle.clone();
    let outcome = scope
        .run(async move {
            assert_eq!(move_on_after(ms(100), sleep(LONG)).await, None);
            h.cancel();
        })
        .await;
    assert_eq!(outcome, Some(()), "nothing escapes the outer scope");
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn cancel_native_future_tasks() {
    // A future that knows nothing about anyio is dropped at its first `Pending` inside a
    // cancelled scope, like any other.
    let _watchdog = Watchdog::new("cancel_native_future_tasks", LIMIT);
    let dropped = Counter::new();
    let d = dropped.clone();
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            let _guard = d.on_drop();
            std::future::pending::<()>().await;
            Ok(())
        })?;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(dropped.get(), 1);
}

#[anyio::test]
async fn cancel_native_future_tasks_cancel_scope() {
    let _watchdog = Watchdog::new("cancel_native_future_tasks_cancel_scope", LIMIT);
    let dropped = Counter::new();
    let d = dropped.clone();
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            CancelScope::new()
                .run(async move {
                    let _guard = d.on_drop();
                    std::future::pending::<()>().await;
                })
                .await;
            Ok(())
        })?;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(dropped.get(), 1);
}

#[anyio::test]
async fn cancel_completed_task() {
    let _watchdog = Watchdog::new("cancel_completed_task", LIMIT);
    let ran = Counter::new();
    let r = ran.clone();
    let result = task_group(|tg| async move {
        tg.spawn(async move {
            r.bump();
            Ok(())
        })?;
        tg.cancel();
        Ok::<_, Error>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(error.is_cancelled());
    assert!(error.errors().is_empty(), "nothing reported: {error:?}");
    assert_eq!(ran.get(), 1, "a child with no checkpoint runs whole");
}

#[anyio::test]
async fn shielded_cancel_sleep_time() {
    // AnyIO measures that the host spends less CPU time than the shielded task takes, i.e.
    // that waiting for it is no busy loop. Counted here as polls of the cancelled group.
    let _watchdog = Watchdog::new("shielded_cancel_sleep_time", LIMIT);
    let event = Arc::new(Event::new());
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    task_group(|outer| async move {
        let setter = event.clone();
        outer.spawn(async move {
            sleep(ms(200)).await;
            setter.set();
            Ok(())
        })?;
        let inner = PollCount::new(
            task_group(|tg| async move {
                tg.spawn(async move {
                    CancelScope::new()
                        .shield(true)
                        .run(async {
                            sleep(ms(100)).await;
                            event.wait().await;
                        })
                        .await;
                    Ok(())
                })?;
                tg.cancel();
                Ok::<_, Error>(())
            }),
            p,
        );
        assert!(inner.await.unwrap_err().is_cancelled());
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    let polls = polls.load(Ordering::SeqCst);
    assert!(polls < 10, "the cancelled group was polled {polls} times");
}

#[anyio::test]
async fn single_cancellation_exc() {
    // Cancelled by an outer scope, with no failure: only the cancellation comes out.
    let _watchdog = Watchdog::new("single_cancellation_exc", LIMIT);
    let outer = CancelScope::new();
    let handle = outer.handle();
    let h = handle.clone();
    let outcome = outer
        .run(task_group(|tg| async move {
            tg.spawn(async {
                sleep(LONG).await;
                Ok(())
            })?;
            h.cancel();
            sleep(LONG).await;
            Ok::<_, Error>(())
        }))
        .await;
    assert!(outcome.is_none(), "{outcome:?}");
    assert!(handle.cancelled_caught());
}

#[anyio::test]
async fn cancel_before_entering_task_group() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    scope.cancel();
    let outcome = scope
        .run(task_group(|_tg: TaskGroup<Error>| async { Ok(()) }))
        .await;
    assert!(
        matches!(outcome, Some(Ok(()))),
        "an empty group's exit delivers no cancellation: {outcome:?}"
    );
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn cancel_child_task_when_host_is_shielded() {
    let _watchdog = Watchdog::new("cancel_child_task_when_host_is_shielded", LIMIT);
    let cancelled = Arc::new(Event::new());
    let parent_scope = CancelScope::new();
    let parent = parent_scope.handle();
    let waited = Arc::new(Mutex::new(None));
    let w = waited.clone();
    // Whether the parent scope then catches depends on whether the group's exit still had
    // to wait for the child (as in AnyIO); that is not what this test is about.
    let _ = parent_scope
        .run(task_group(|tg| async move {
            let c = cancelled.clone();
            tg.spawn(async move {
                let _except_cancelled = defer(move || c.set());
                sleep_forever().await;
                Ok(())
            })?;
            let outcome = CancelScope::new()
                .shield(true)
                .run(fail_after(LONG, async move {
                    parent.cancel();
                    cancelled.wait().await;
                }))
                .await;
            *w.lock().unwrap() = Some(outcome);
            Ok::<_, Error>(())
        }))
        .await;
    assert_eq!(
        *waited.lock().unwrap(),
        Some(Some(Ok(()))),
        "the child was cancelled although the host is shielded"
    );
}

#[anyio::test]
async fn start_cancels_parent_scope() {
    let _watchdog = Watchdog::new("start_cancels_parent_scope", LIMIT);
    let started = Counter::new();
    let s = started.clone();
    let group = task_group(|tg| async move {
        let inner_scope = CancelScope::new();
        inner_scope.cancel();
        let outcome = inner_scope
            .run(tg.start(|_status: TaskStatus<()>| async move {
                s.bump();
                sleep_forever().await;
                Ok(())
            }))
            .await;
        assert!(outcome.is_none());
        Ok::<_, Error>(tg.cancel_handle())
    })
    .await
    .unwrap();
    assert_eq!(started.get(), 1);
    assert!(!group.is_cancel_called());
}

#[anyio::test]
async fn start_return_handle_success() {
    let _watchdog = Watchdog::new("start_return_handle_success", LIMIT);
    task_group(|tg| async move {
        let (x, y) = (4, 5);
        let (value, handle) = tg
            .start_with_handle(|status: TaskStatus<i32>| async move {
                status.started(3);
                checkpoint().await;
                Ok(x + y)
            })
            .await?;
        assert_eq!(value, 3);
        assert_eq!(handle.await?, 9);
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn start_return_handle_cancel() {
    let _watchdog = Watchdog::new("start_return_handle_cancel", LIMIT);
    let reached = Counter::new();
    let r = reached.clone();
    task_group(|tg| async move {
        let (value, handle) = tg
            .start_with_handle(|status: TaskStatus<i32>| async move {
                status.started(3);
                sleep(LONG).await;
                r.bump();
                Ok(())
            })
            .await?;
        handle.cancel();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert_eq!(value, 3);
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    assert_eq!(reached.get(), 0);
}

#[anyio::test]
async fn cancel_reason() {
    let reached = Counter::new();
    let r = reached.clone();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let h = handle.clone();
    let outcome = scope
        .run(async move {
            h.cancel_with_reason("test reason");
            checkpoint().await;
            r.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0);
    assert_eq!(handle.cancel_reason().as_deref(), Some("test reason"));
}

#[anyio::test]
async fn cancel_shielding_start() {
    // A child being started is protected by its own shield when the task that started it
    // is cancelled; the cancellation lands at its first checkpoint after the shield.
    let _watchdog = Watchdog::new("cancel_shielding_start", LIMIT);
    let resume_event = Arc::new(Event::new());
    let waiting = Counter::new();
    let cancelled_in_shield = Counter::new();
    let past_shield = Counter::new();
    let past_checkpoint = Counter::new();
    let (w, cis, ps, pc) = (
        waiting.clone(),
        cancelled_in_shield.clone(),
        past_shield.clone(),
        past_checkpoint.clone(),
    );
    let outer_scope = CancelScope::new();
    let outer = outer_scope.handle();
    let resume = resume_event.clone();
    // Whether the outer scope catches depends on whether the group's exit had to wait for the
    // child (as in AnyIO); not what this test is about.
    let _ = outer_scope
        .run(task_group(|tg| async move {
            let starter = tg.clone();
            tg.spawn(async move {
                starter
                    .start(|_status: TaskStatus<()>| async move {
                        CancelScope::new()
                            .shield(true)
                            .run(async move {
                                let cancelled = defer(move || cis.bump());
                                w.bump();
                                resume.wait().await;
                                cancelled.disarm();
                            })
                            .await;
                        ps.bump();
                        // The cancellation should land here, and not any earlier.
                        checkpoint().await;
                        pc.bump();
                        Ok(())
                    })
                    .await?;
                Ok(())
            })?;
            let w = waiting.clone();
            wait_until(move || w.get() == 1).await;
            outer.cancel();
            resume_event.set();
            Ok::<_, Error>(())
        }))
        .await;
    assert_eq!(
        cancelled_in_shield.get(),
        0,
        "shouldn't be cancelled in a shielded scope"
    );
    assert_eq!(past_shield.get(), 1);
    assert_eq!(past_checkpoint.get(), 0);
}

#[anyio::test]
async fn create_task_return_value() {
    let _watchdog = Watchdog::new("create_task_return_value", LIMIT);
    task_group(|tg| async move {
        let (x, y) = (2, 4);
        let handle = tg.spawn(async move { Ok(x + y) })?;
        assert_eq!(handle.await?, 6);
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn create_task_exception() {
    // The handle is awaited after the group ended: inside the group, the host is being
    // cancelled by the very failure it would observe.
    let _watchdog = Watchdog::new("create_task_exception", LIMIT);
    let handle_slot = Arc::new(Mutex::new(None));
    let hs = handle_slot.clone();
    let result = task_group(|tg| async move {
        let handle = tg.spawn(async { Err::<(), _>(Error::Boom("dummy error")) })?;
        *hs.lock().unwrap() = Some(handle);
        Ok::<_, Error>(())
    })
    .await;
    assert_eq!(result.unwrap_err().errors(), [Error::Boom("dummy error")]);
    let handle = handle_slot.lock().unwrap().take().unwrap();
    let error = handle.await.unwrap_err();
    assert!(error.is_failed(), "{error}");
}

#[anyio::test]
async fn create_task_base_exception() {
    // Python's SystemExit (a BaseException) is a panic here: re-raised by the group.
    let _watchdog = Watchdog::new("create_task_base_exception", LIMIT);
    let handle_slot = Arc::new(Mutex::new(None));
    let hs = handle_slot.clone();
    let outcome = std::panic::AssertUnwindSafe(task_group(|tg| async move {
        let handle = tg.spawn(async {
            panic!("5");
            #[allow(unreachable_code)]
            Ok::<(), Error>(())
        })?;
        *hs.lock().unwrap() = Some(handle);
        Ok::<_, Error>(())
    }))
    .catch_unwind()
    .await;
    let payload = outcome.expect_err("the group re-raises the child's panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"5"));
    let handle = handle_slot.lock().unwrap().take().unwrap();
    assert!(handle.await.unwrap_err().is_panic());
}

/// `TestCreateTask::test_cancel`: the child runs up to its first checkpoint when it is
/// cancelled right after creation, and its handle reports the cancellation.
async fn create_task_cancel(wait_until_running: bool) {
    let task_started = Counter::new();
    let event = Arc::new(Event::new());
    let t = task_started.clone();
    task_group(|tg| async move {
        let handle = tg.spawn(async move {
            t.bump();
            event.wait().await;
            Ok(())
        })?;
        if wait_until_running {
            let t = task_started.clone();
            wait_until(move || t.get() == 1).await;
        }
        handle.cancel();
        let error = handle.await.unwrap_err();
        assert!(error.is_cancelled(), "{error}");
        assert_eq!(error.to_string(), "task was cancelled");
        assert_eq!(task_started.get(), 1);
        Ok::<_, Error>(())
    })
    .await
    .expect("cancelling one child leaves the group alone");
}

#[anyio::test]
async fn create_task_cancel_wait_until_running() {
    let _watchdog = Watchdog::new("create_task_cancel_wait_until_running", LIMIT);
    create_task_cancel(true).await;
}

#[anyio::test]
async fn create_task_cancel_not_running() {
    let _watchdog = Watchdog::new("create_task_cancel_not_running", LIMIT);
    create_task_cancel(false).await;
}
