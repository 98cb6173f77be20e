//! Task groups: spawning, failures, panics, start/started, nesting, cancellation.

mod common;

use std::time::{Duration, Instant};

use anyio::{sleep, sleep_forever, task_group, CancelScope, StartError, TaskStatus};
use common::{ms, Counter, TestError};
use futures_util::FutureExt;

type Result<T, E = TestError> = std::result::Result<T, E>;

#[anyio::test]
async fn body_value_and_child_values() {
    let total = task_group(|tg| async move {
        let handles: Vec<_> = (1..=10u64)
            .map(|i| {
                tg.spawn(async move {
                    sleep(ms(i)).await;
                    Ok(i * i)
                })
            })
            .collect::<Result<_, _>>()?;
        let mut sum = 0;
        for handle in handles {
            sum += handle.await?;
        }
        Ok::<_, TestError>(sum)
    })
    .await
    .unwrap();
    assert_eq!(total, 385);
}

#[anyio::test]
async fn first_failing_child_cancels_siblings_and_body() {
    let progressed = Counter::new();
    let dropped = Counter::new();
    let (p, d) = (progressed.clone(), dropped.clone());
    let start = Instant::now();
    let result = task_group(|tg| async move {
        for _ in 0..5 {
            let (p, guard) = (p.clone(), d.on_drop());
            tg.spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(10)).await;
                p.bump();
                Ok(())
            })?;
        }
        tg.spawn(async {
            sleep(ms(10)).await;
            Err::<(), _>(TestError::Boom("first"))
        })?;
        let _guard = d.on_drop();
        sleep(Duration::from_secs(10)).await;
        p.bump();
        Ok(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(!error.is_cancelled());
    assert_eq!(error.errors(), [TestError::Boom("first")]);
    assert_eq!(progressed.get(), 0);
    assert_eq!(dropped.get(), 6, "five siblings and the body were dropped");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[anyio::test]
async fn failing_body_cancels_children() {
    let dropped = Counter::new();
    let d = dropped.clone();
    let result = task_group(|tg| async move {
        for _ in 0..3 {
            let guard = d.on_drop();
            tg.spawn(async move {
                let _guard = guard;
                sleep_forever().await;
                Ok(())
            })?;
        }
        sleep(ms(5)).await;
        Err::<(), _>(TestError::Boom("body"))
    })
    .await;
    assert_eq!(
        result.unwrap_err().into_first(),
        Some(TestError::Boom("body"))
    );
    assert_eq!(dropped.get(), 3);
}

#[anyio::test]
async fn later_failures_are_kept_behind_the_first() {
    let result = task_group(|tg| async move {
        tg.spawn(async {
            // Fails while being cancelled: its cleanup is shielded, then it reports an error.
            CancelScope::new().shield(true).run(sleep(ms(40))).await;
            Err::<(), _>(TestError::Boom("second"))
        })?;
        tg.spawn(async {
            sleep(ms(5)).await;
            Err::<(), _>(TestError::Boom("first"))
        })?;
        Ok(())
    })
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.first(), Some(&TestError::Boom("first")));
    assert_eq!(
        error.errors(),
        [TestError::Boom("first"), TestError::Boom("second")]
    );
    assert_eq!(
        error.to_string(),
        "task group failed: boom: first (and 1 more errors)"
    );
}

#[anyio::test]
async fn child_panic_cancels_the_rest_and_reaches_the_caller() {
    let dropped = Counter::new();
    let d = dropped.clone();
    let outcome = std::panic::AssertUnwindSafe(task_group(|tg| async move {
        let guard = d.on_drop();
        tg.spawn(async move {
            let _guard = guard;
            sleep_forever().await;
            Ok(())
        })?;
        tg.spawn(async {
            sleep(ms(5)).await;
            panic!("child exploded");
            #[allow(unreachable_code)]
            Ok(())
        })?;
        sleep_forever().await;
        Ok::<_, TestError>(())
    }))
    .catch_unwind()
    .await;
    let payload = outcome.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"child exploded"));
    assert_eq!(
        dropped.get(),
        1,
        "the sibling was cancelled before the panic was re-raised"
    );
}

#[anyio::test]
async fn handle_yields_value_and_cancels_one_child() {
    let result = task_group(|tg| async move {
        let sleeper = tg.spawn(async {
            sleep_forever().await;
            Ok(1)
        })?;
        let worker = tg.spawn(async {
            sleep(ms(5)).await;
            Ok(2)
        })?;
        sleeper.cancel();
        let cancelled = sleeper.await.unwrap_err();
        assert!(cancelled.is_cancelled());
        assert_eq!(worker.await?, 2);
        Ok::<_, TestError>("group unaffected")
    })
    .await;
    assert_eq!(result.unwrap(), "group unaffected");
}

#[anyio::test]
async fn task_group_handle_is_usable_from_children() {
    let ran = Counter::new();
    let r = ran.clone();
    task_group(|tg| async move {
        let inner_tg = tg.clone();
        tg.spawn(async move {
            for _ in 0..3 {
                let r = r.clone();
                inner_tg.spawn(async move {
                    sleep(ms(2)).await;
                    r.bump();
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
    assert_eq!(
        ran.get(),
        3,
        "the group waited for grandchildren spawned from a child"
    );
}

#[anyio::test]
async fn start_returns_the_started_value() {
    let log = common::Log::new();
    let l = log.clone();
    task_group(|tg| async move {
        let port = tg
            .start(|status: TaskStatus<u16>| async move {
                sleep(ms(5)).await;
                status.started(8080);
                sleep(ms(5)).await;
                l.push("service finished");
                Ok(())
            })
            .await
            .map_err(|e| TestError::Anyio(e.to_string()))?;
        assert_eq!(port, 8080);
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
    assert_eq!(log.events(), ["service finished"]);
}

#[anyio::test]
async fn error_before_started_goes_to_start_and_group_survives() {
    let result = task_group(|tg| async move {
        let started = tg
            .start(|_status: TaskStatus<u16>| async move {
                sleep(ms(2)).await;
                Err::<(), _>(TestError::Boom("could not bind"))
            })
            .await;
        assert!(matches!(
            started,
            Err(StartError::Failed(TestError::Boom("could not bind")))
        ));
        let later = tg.spawn(async {
            sleep(ms(5)).await;
            Ok("still running")
        })?;
        later.await.map_err(TestError::from)
    })
    .await;
    assert_eq!(result.unwrap(), "still running");
}

#[anyio::test]
async fn error_after_started_goes_to_the_group() {
    let result = task_group(|tg| async move {
        tg.start(|status: TaskStatus<()>| async move {
            status.started(());
            sleep(ms(5)).await;
            Err::<(), _>(TestError::Boom("crashed after start"))
        })
        .await
        .map_err(|e| TestError::Anyio(e.to_string()))?;
        sleep_forever().await;
        Ok(())
    })
    .await;
    assert_eq!(
        result.unwrap_err().into_first(),
        Some(TestError::Boom("crashed after start"))
    );
}

#[anyio::test]
async fn started_never_called_is_an_error() {
    task_group(|tg| async move {
        let result = tg
            .start(|_status: TaskStatus<u8>| async { Ok::<_, TestError>(()) })
            .await;
        assert!(matches!(result, Err(StartError::NeverStarted)));
        assert!(result.unwrap_err().to_string().contains("started"));
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn cancelling_the_task_awaiting_start_cancels_only_that_child() {
    let starter_dropped = Counter::new();
    let sibling_done = Counter::new();
    let (sd, done) = (starter_dropped.clone(), sibling_done.clone());
    let start = Instant::now();
    task_group(|tg| async move {
        tg.spawn(async move {
            sleep(ms(40)).await;
            done.bump();
            Ok(())
        })?;
        let tg2 = tg.clone();
        let waiter = tg.spawn(async move {
            tg2.start(|status: TaskStatus<()>| async move {
                let _guard = sd.on_drop();
                sleep(Duration::from_secs(10)).await;
                status.started(());
                Ok(())
            })
            .await
            .map_err(|e| TestError::Anyio(e.to_string()))
        })?;
        sleep(ms(10)).await;
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
    assert_eq!(starter_dropped.get(), 1, "the starting child was cancelled");
    assert_eq!(sibling_done.get(), 1, "the rest of the group carried on");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[anyio::test]
async fn outer_cancellation_cancels_children_and_is_not_a_failure() {
    let dropped = Counter::new();
    let d = dropped.clone();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let h = handle.clone();
    let outcome = scope
        .run(task_group(|tg| async move {
            for _ in 0..3 {
                let guard = d.on_drop();
                tg.spawn(async move {
                    let _guard = guard;
                    sleep_forever().await;
                    Ok::<(), TestError>(())
                })?;
            }
            sleep(ms(5)).await;
            h.cancel();
            sleep_forever().await;
            Ok(())
        }))
        .await;
    assert!(
        outcome.is_none(),
        "the cancelled scope reports cancellation, no failure"
    );
    assert!(handle.cancelled_caught());
    assert_eq!(dropped.get(), 3);
}

#[anyio::test]
async fn cancelling_the_group_itself_reports_cancelled() {
    let result = task_group(|tg| async move {
        tg.spawn(async {
            sleep_forever().await;
            Ok(())
        })?;
        tg.cancel();
        sleep_forever().await;
        Ok::<_, TestError>(())
    })
    .await;
    let error = result.unwrap_err();
    assert!(error.is_cancelled());
    assert!(error.errors().is_empty());
}

#[anyio::test]
async fn nested_groups_propagate_failures_outwards() {
    let outer_sibling_dropped = Counter::new();
    let d = outer_sibling_dropped.clone();
    let result = task_group(|outer| async move {
        let guard = d.on_drop();
        outer.spawn(async move {
            let _guard = guard;
            sleep_forever().await;
            Ok(())
        })?;
        outer.spawn(async {
            task_group(|inner| async move {
                inner.spawn(async {
                    sleep(ms(5)).await;
                    Err::<(), _>(TestError::Boom("deep"))
                })?;
                sleep_forever().await;
                Ok::<_, TestError>(())
            })
            .await
            .map_err(|e| e.into_first().unwrap())
        })?;
        Ok::<_, TestError>(())
    })
    .await;
    assert_eq!(
        result.unwrap_err().into_first(),
        Some(TestError::Boom("deep"))
    );
    assert_eq!(outer_sibling_dropped.get(), 1);
}

#[anyio::test]
async fn ten_thousand_children() {
    let finished = Counter::new();
    let f = finished.clone();
    task_group(|tg| async move {
        for _ in 0..10_000 {
            let f = f.clone();
            tg.spawn(async move {
                anyio::checkpoint().await;
                f.bump();
                Ok(())
            })?;
        }
        Ok::<_, TestError>(())
    })
    .await
    .unwrap();
    assert_eq!(finished.get(), 10_000);
}

#[anyio::test]
async fn dropping_an_unawaited_group_leaves_no_child_running() {
    let ticks = Counter::new();
    let t = ticks.clone();
    let mut group = Box::pin(task_group(|tg| async move {
        for _ in 0..4 {
            let t = t.clone();
            tg.spawn(async move {
                loop {
                    sleep(ms(1)).await;
                    t.bump();
                }
                #[allow(unreachable_code)]
                Ok::<(), TestError>(())
            })?;
        }
        sleep_forever().await;
        Ok::<(), TestError>(())
    }));
    assert!(futures_util::poll!(group.as_mut()).is_pending());
    sleep(ms(20)).await;
    assert!(ticks.get() > 0, "children were running");
    drop(group);
    sleep(ms(20)).await;
    let settled = ticks.get();
    sleep(ms(50)).await;
    assert_eq!(
        ticks.get(),
        settled,
        "no child runs after its group was dropped"
    );
}

#[anyio::test]
async fn spawning_into_a_finished_group_is_an_error() {
    let escaped = task_group(|tg| async move { Ok::<_, TestError>(tg.clone()) })
        .await
        .unwrap();
    let error = escaped.spawn(async { Ok(()) }).unwrap_err();
    assert!(error.to_string().contains("finished"));
    let start_error = escaped
        .start(|status: TaskStatus<()>| async move {
            status.started(());
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(matches!(start_error, StartError::Spawn(_)));
}
