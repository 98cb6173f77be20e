//! Cancel scopes: cancellation, deadlines, shields, level-triggering, nesting.

mod common;

use std::time::{Duration, Instant};

use anyio::{checkpoint, current_effective_deadline, sleep, sleep_forever, CancelScope};
use common::{ms, Counter, Log};
use futures_util::future::join;

#[anyio::test]
async fn cancel_before_entry_runs_the_body_to_its_first_checkpoint() {
    let steps = Counter::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    scope.cancel();
    let s = steps.clone();
    let outcome = scope
        .run(async move {
            s.bump();
            checkpoint().await;
            s.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        steps.get(),
        1,
        "the body runs up to its first checkpoint only"
    );
    assert!(handle.cancelled_caught());
    assert!(handle.is_cancel_called());
}

#[anyio::test]
async fn cancel_before_entry_keeps_a_body_that_never_suspends() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    scope.cancel();
    assert_eq!(scope.run(async { 7 }).await, Some(7));
    assert!(handle.is_cancel_called());
    assert!(
        !handle.cancelled_caught(),
        "nothing was caught: the body completed"
    );
}

#[anyio::test]
async fn deadline_already_past_cancels_at_the_first_checkpoint() {
    let steps = Counter::new();
    let s = steps.clone();
    let scope = CancelScope::with_deadline(anyio::current_time() - ms(5));
    let handle = scope.handle();
    let outcome = scope
        .run(async move {
            s.bump();
            sleep_forever().await
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(steps.get(), 1);
    assert!(handle.cancelled_caught());
    assert!(
        handle.is_cancel_called(),
        "a deadline that passed counts as cancel_called"
    );
    assert_eq!(handle.cancel_reason().as_deref(), Some("deadline exceeded"));
}

#[anyio::test]
async fn completed_body_is_not_caught() {
    let scope = CancelScope::with_deadline(Instant::now() + Duration::from_secs(10));
    let handle = scope.handle();
    assert_eq!(scope.run(async { 5 }).await, Some(5));
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn cancel_from_another_os_thread() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let start = Instant::now();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(ms(20));
        handle.cancel();
    });
    let after = Counter::new();
    let a = after.clone();
    let outcome = scope
        .run(async move {
            sleep(Duration::from_secs(10)).await;
            a.bump();
        })
        .await;
    canceller.join().unwrap();
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[anyio::test]
async fn level_triggered_checkpoints_stay_cancelled() {
    // The scope is cancelled while a shielded branch keeps it alive; the unshielded branch is
    // re-polled every time the shielded one wakes, and each of its checkpoints must stay
    // cancelled.
    let scope = CancelScope::new();
    let handle = scope.handle();
    let shielded_steps = Counter::new();
    let unshielded_steps = Counter::new();
    let (s, u) = (shielded_steps.clone(), unshielded_steps.clone());
    let outcome = scope
        .run(join(
            CancelScope::new().shield(true).run(async move {
                handle.cancel();
                for _ in 0..5 {
                    sleep(ms(2)).await;
                    s.bump();
                }
            }),
            async move {
                loop {
                    checkpoint().await;
                    u.bump();
                }
            },
        ))
        .await;
    assert!(outcome.is_none());
    assert_eq!(
        shielded_steps.get(),
        5,
        "the shielded part runs to completion"
    );
    assert_eq!(
        unshielded_steps.get(),
        0,
        "no checkpoint passes in a cancelled scope"
    );
}

#[anyio::test]
async fn second_checkpoint_after_shield_also_cancels() {
    let log = Log::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let l = log.clone();
    let outcome = scope
        .run(async move {
            CancelScope::new()
                .shield(true)
                .run(async {
                    handle.cancel();
                    checkpoint().await;
                    l.push("shielded checkpoint passed");
                })
                .await;
            l.push("shield exited");
            checkpoint().await;
            l.push("first checkpoint passed");
            checkpoint().await;
            l.push("second checkpoint passed");
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        log.events(),
        ["shielded checkpoint passed", "shield exited"]
    );
}

#[anyio::test]
async fn shield_protects_from_outer_cancel_but_not_own_deadline() {
    let log = Log::new();
    let outer = CancelScope::new();
    let cancel_outer = outer.handle();
    let l = log.clone();
    let start = Instant::now();
    let outcome = outer
        .run(async move {
            cancel_outer.cancel();
            let shielded = CancelScope::new()
                .shield(true)
                .run(async {
                    sleep(ms(10)).await;
                    l.push("slept while outer cancelled");
                    checkpoint().await;
                    l.push("checkpoint while outer cancelled");
                })
                .await;
            assert!(shielded.is_some());
            let with_deadline = CancelScope::with_deadline(Instant::now() + ms(30))
                .shield(true)
                .run(sleep(Duration::from_secs(10)))
                .await;
            assert!(
                with_deadline.is_none(),
                "a shield's own deadline still applies"
            );
            l.push("shield with deadline expired");
            checkpoint().await;
            l.push("unreachable");
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        log.events(),
        [
            "slept while outer cancelled",
            "checkpoint while outer cancelled",
            "shield with deadline expired"
        ]
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[anyio::test]
async fn shield_chains_three_deep() {
    // a (cancelled) > b (shield) > c (cancelled) > d (shield)
    let log = Log::new();
    let a = CancelScope::new();
    let a_handle = a.handle();
    let l = log.clone();
    let outcome = a
        .run(async move {
            a_handle.cancel();
            let b = CancelScope::new().shield(true).run(async {
                checkpoint().await;
                l.push("b runs although a is cancelled");
                let c = CancelScope::new();
                let c_handle = c.handle();
                let c_result = c
                    .run(async {
                        let d = CancelScope::new().shield(true).run(async {
                            c_handle.cancel();
                            sleep(ms(5)).await;
                            l.push("d runs although a and c are cancelled");
                        });
                        d.await;
                        checkpoint().await;
                        l.push("unreachable: c is cancelled");
                    })
                    .await;
                assert!(c_result.is_none());
                assert!(c_handle.cancelled_caught());
                checkpoint().await;
                l.push("b continues after c caught its cancellation");
                "b done"
            });
            assert_eq!(b.await, Some("b done"));
            checkpoint().await;
            l.push("unreachable: a is cancelled");
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(
        log.events(),
        [
            "b runs although a is cancelled",
            "d runs although a and c are cancelled",
            "b continues after c caught its cancellation"
        ]
    );
}

#[anyio::test]
async fn move_on_after_inside_shorter_outer_deadline() {
    let after_inner = Counter::new();
    let a = after_inner.clone();
    let start = Instant::now();
    let outer = anyio::move_on_after(ms(20), async move {
        let inner =
            anyio::move_on_after(Duration::from_secs(5), sleep(Duration::from_secs(10))).await;
        a.bump();
        inner
    })
    .await;
    assert_eq!(outer, None, "the outer, shorter deadline catches");
    assert_eq!(after_inner.get(), 0);
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[anyio::test]
async fn move_on_after_inside_longer_outer_deadline() {
    let outer = anyio::move_on_after(Duration::from_secs(5), async {
        let inner = anyio::move_on_after(ms(20), sleep(Duration::from_secs(10))).await;
        (inner, "code after the inner scope runs")
    })
    .await;
    assert_eq!(outer, Some((None, "code after the inner scope runs")));
}

#[anyio::test]
async fn effective_deadline_through_a_shield() {
    assert_eq!(current_effective_deadline(), None);
    let near = Instant::now() + ms(500);
    let far = Instant::now() + Duration::from_secs(60);
    anyio::move_on_at(near, async move {
        let here = current_effective_deadline().expect("inside a deadline");
        assert!(here <= near && here + ms(1) >= near);
        anyio::move_on_at(far, async move {
            let nested = current_effective_deadline().unwrap();
            assert!(nested <= near + ms(1), "the nearer outer deadline wins");
        })
        .await;
        CancelScope::with_deadline(far)
            .shield(true)
            .run(async move {
                let shielded = current_effective_deadline().unwrap();
                assert!(shielded + ms(1) >= far, "a shield hides outer deadlines");
            })
            .await;
        CancelScope::new()
            .shield(true)
            .run(async { assert_eq!(current_effective_deadline(), None) })
            .await;
    })
    .await
    .expect("finishes before the deadline");
}

#[anyio::test]
async fn fail_after_body_finishing_in_time() {
    let result = anyio::fail_after(ms(400), async {
        sleep(ms(40)).await;
        "made it"
    })
    .await;
    assert_eq!(result, Ok("made it"));
}

#[anyio::test]
async fn fail_after_times_out() {
    let start = Instant::now();
    let result = anyio::fail_after(ms(20), sleep(Duration::from_secs(10))).await;
    assert_eq!(result, Err(anyio::TimeoutError::default()));
    assert!(start.elapsed() >= ms(20));
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[anyio::test]
async fn fail_after_does_not_report_an_outer_deadline() {
    let outer = anyio::move_on_after(
        ms(20),
        anyio::fail_after(Duration::from_secs(5), sleep(Duration::from_secs(10))),
    )
    .await;
    assert_eq!(
        outer, None,
        "the outer scope catches; no TimeoutError appears"
    );
}

#[anyio::test]
async fn changing_the_deadline_rearms_it() {
    // Extended before it fires: the body completes.
    let scope = CancelScope::with_deadline(Instant::now() + ms(20));
    let handle = scope.handle();
    let extended = scope
        .run(async move {
            handle.set_deadline(Some(Instant::now() + Duration::from_secs(10)));
            sleep(ms(60)).await;
            "survived"
        })
        .await;
    assert_eq!(extended, Some("survived"));

    // Shortened from another task while the body sleeps: it fires early.
    let scope = CancelScope::with_deadline(Instant::now() + Duration::from_secs(10));
    let handle = scope.handle();
    let start = Instant::now();
    let (shortened, ()) = join(scope.run(sleep(Duration::from_secs(10))), async move {
        sleep(ms(10)).await;
        handle.set_deadline(Some(Instant::now() + ms(10)));
    })
    .await;
    assert_eq!(shortened, None);
    assert!(start.elapsed() < Duration::from_secs(5));

    // Removed: the scope no longer has a deadline.
    let scope = CancelScope::with_deadline(Instant::now() + ms(10));
    let handle = scope.handle();
    let removed = scope
        .run(async move {
            handle.set_deadline(None);
            sleep(ms(40)).await;
            "no deadline"
        })
        .await;
    assert_eq!(removed, Some("no deadline"));
}

#[anyio::test]
async fn cancelled_scope_waits_for_children() {
    let cleaned = Counter::new();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let c = cleaned.clone();
    let outcome = scope
        .run(anyio::task_group(|tg| async move {
            for _ in 0..4 {
                let c = c.clone();
                tg.spawn(async move {
                    let _ = anyio::sleep(Duration::from_secs(10)).await;
                    Ok::<_, anyio::BoxError>(())
                })?;
                tg.spawn(async move {
                    CancelScope::new()
                        .shield(true)
                        .run(async {
                            sleep(ms(30)).await;
                            c.bump();
                        })
                        .await;
                    Ok(())
                })?;
            }
            // Let the children enter their shields; a child cancelled before it first runs is
            // dropped without running at all.
            sleep(ms(5)).await;
            handle.cancel();
            sleep_forever().await;
            Ok(())
        }))
        .await;
    assert!(outcome.is_none());
    assert_eq!(
        cleaned.get(),
        4,
        "the scope returned only after every child finished"
    );
}

#[anyio::test]
async fn huge_deadlines_behave_as_forever() {
    let far = Instant::now() + Duration::from_secs(60 * 60 * 24 * 365 * 1000);
    let scope = CancelScope::with_deadline(far);
    assert_eq!(scope.run(async { 1 }).await, Some(1));
    assert_eq!(anyio::move_on_at(far, async { 2 }).await, Some(2));
    assert_eq!(
        anyio::move_on_after(Duration::MAX, async { 3 }).await,
        Some(3)
    );
    assert_eq!(anyio::fail_after(Duration::MAX, async { 4 }).await, Ok(4));
    let forever = anyio::move_on_after(ms(20), sleep(Duration::MAX)).await;
    assert_eq!(forever, None, "sleep(Duration::MAX) sleeps until cancelled");
    let forever = anyio::move_on_after(ms(20), anyio::sleep_until(far)).await;
    assert_eq!(forever, None);
}

#[anyio::test]
async fn scopes_finishing_at_once_still_link_what_they_contain() {
    let outcome = anyio::move_on_after(Duration::from_secs(5), async {
        let inner = anyio::move_on_after(Duration::from_secs(60), async {
            current_effective_deadline()
        })
        .await;
        (inner, current_effective_deadline())
    })
    .await;
    let (inner, outer) = outcome.expect("finished in time");
    let (inner, outer) = (inner.unwrap().unwrap(), outer.unwrap());
    assert_eq!(
        inner, outer,
        "the nearer outer deadline applies inside the inner scope"
    );
}

#[anyio::test]
async fn deadline_passing_during_the_first_poll_is_caught_at_the_next_checkpoint() {
    let reached = Counter::new();
    let r = reached.clone();
    let outcome = anyio::move_on_after(ms(1), async move {
        // Blocks past the deadline without suspending.
        std::thread::sleep(ms(5));
        checkpoint().await;
        r.bump();
    })
    .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.get(), 0);
}
