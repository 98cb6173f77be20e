//! CapacityLimiter: bounding concurrency, total tokens changed at run time (raising wakes
//! waiters in order), borrowers, typed errors for misuse, cancellation, statistics.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::sync::{AlreadyBorrowed, Borrower, CapacityLimiter, InvalidTokens, NotBorrowed};
use anyio::{fail_after, move_on_after, task_group, BoxError, CancelScope};
use common::{ms, wait_until, Counter, Log};
use futures_util::future::join;

#[anyio::test]
async fn bounds_concurrency() {
    let limiter = Arc::new(CapacityLimiter::new(3).unwrap());
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (l, i, m) = (limiter.clone(), inside.clone(), most.clone());
    task_group(|tg| async move {
        for _ in 0..10 {
            let (limiter, inside, most) = (l.clone(), i.clone(), m.clone());
            tg.spawn(async move {
                let _token = limiter.acquire().await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                assert!(limiter.borrowed_tokens() <= 3);
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
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn zero_tokens_are_refused() {
    assert_eq!(
        CapacityLimiter::new(0).unwrap_err(),
        InvalidTokens::default()
    );
    let limiter = CapacityLimiter::new(2).unwrap();
    let _token = limiter.acquire().await;
    let error = limiter.set_total_tokens(0).unwrap_err();
    assert_eq!(error, InvalidTokens::default());
    assert!(error
        .to_string()
        .starts_with("total tokens must be at least 1"));
    assert_eq!(limiter.total_tokens(), 2, "a refused total changes nothing");
}

#[anyio::test]
async fn raising_total_tokens_wakes_waiters_in_order() {
    let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
    let log = Log::new();
    let (l, g) = (limiter.clone(), log.clone());
    task_group(|tg| async move {
        let held = l.acquire().await;
        for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
            let (limiter, log) = (l.clone(), g.clone());
            tg.spawn(async move {
                let token = limiter.acquire().await;
                log.push(name);
                token_kept(token).await;
                Ok(())
            })?;
            wait_until(|| l.statistics().tasks_waiting == i + 1).await;
        }
        l.set_total_tokens(3)?; // two more tokens: the first two waiters
        wait_until(|| g.events().len() == 2).await;
        let mut first_two = g.events();
        first_two.sort_unstable();
        assert_eq!(first_two, ["a", "b"]);
        assert_eq!(l.statistics().tasks_waiting, 2);
        l.set_total_tokens(4)?;
        wait_until(|| g.events().len() == 3).await;
        assert_eq!(g.events()[2], "c");
        drop(held);
        wait_until(|| g.events().len() == 4).await;
        assert_eq!(g.events()[3], "d");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

/// Holds a token for a moment, so that the waiters after it are served by new tokens only.
async fn token_kept(token: anyio::sync::CapacityLimiterGuard<'_>) {
    anyio::sleep(ms(50)).await;
    drop(token);
}

#[anyio::test]
async fn lowering_total_tokens_below_borrowed_blocks_new_borrowers() {
    let limiter = CapacityLimiter::new(3).unwrap();
    let first = limiter.acquire().await;
    let second = limiter.acquire().await;
    limiter.set_total_tokens(1).unwrap();
    assert_eq!(limiter.borrowed_tokens(), 2, "nothing is taken back");
    assert_eq!(limiter.available_tokens(), 0);
    assert!(limiter.try_acquire().is_err());
    drop(first);
    assert!(limiter.try_acquire().is_err(), "still one borrowed of one");
    drop(second);
    assert_eq!(limiter.available_tokens(), 1);
    let _third = limiter.try_acquire().unwrap();
}

#[anyio::test]
async fn borrowing_twice_is_an_error() {
    let limiter = CapacityLimiter::new(2).unwrap();
    let me = Borrower::new(1);
    limiter.acquire_on_behalf_of(me).await.unwrap();
    assert_eq!(
        limiter.acquire_on_behalf_of(me).await,
        Err(AlreadyBorrowed::default())
    );
    assert!(limiter
        .try_acquire_on_behalf_of(me)
        .unwrap_err()
        .is_already_borrowed());
    assert_eq!(limiter.borrowed_tokens(), 1);
    limiter.release_on_behalf_of(me).unwrap();
    limiter.try_acquire_on_behalf_of(me).unwrap();
}

#[anyio::test]
async fn borrowing_while_already_waiting_is_an_error() {
    let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
    let me = Borrower::new(7);
    let l = limiter.clone();
    task_group(|tg| async move {
        let held = l.acquire().await;
        let waiter = l.clone();
        tg.spawn(async move {
            waiter.acquire_on_behalf_of(me).await?;
            waiter.release_on_behalf_of(me)?;
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        assert_eq!(
            l.acquire_on_behalf_of(me).await,
            Err(AlreadyBorrowed::default())
        );
        drop(held);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn releasing_without_borrowing_is_an_error() {
    let limiter = CapacityLimiter::new(1).unwrap();
    let me = Borrower::new(1);
    let error = limiter.release_on_behalf_of(me).unwrap_err();
    assert_eq!(error, NotBorrowed::default());
    assert!(error
        .to_string()
        .starts_with("this borrower holds no token"));
    let _token = limiter.acquire().await; // an anonymous token is nobody's
    assert!(limiter.release_on_behalf_of(me).is_err());
    assert_eq!(limiter.borrowed_tokens(), 1);
}

#[anyio::test]
async fn borrowers_are_served_in_order_and_released_explicitly() {
    let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
    let log = Log::new();
    let (l, g) = (limiter.clone(), log.clone());
    task_group(|tg| async move {
        let first = Borrower::unique();
        l.acquire_on_behalf_of(first).await?;
        for (i, name) in ["a", "b"].into_iter().enumerate() {
            let (limiter, log) = (l.clone(), g.clone());
            tg.spawn(async move {
                let borrower = Borrower::unique();
                limiter.acquire_on_behalf_of(borrower).await?;
                log.push(name);
                limiter.release_on_behalf_of(borrower)?;
                Ok(())
            })?;
            wait_until(|| l.statistics().tasks_waiting == i + 1).await;
        }
        l.release_on_behalf_of(first)?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(log.events(), ["a", "b"]);
    assert_eq!(limiter.statistics().borrowers, 0);
}

#[anyio::test]
async fn cancel_while_waiting() {
    let limiter = CapacityLimiter::new(1).unwrap();
    let me = Borrower::new(3);
    let held = limiter.acquire().await;
    assert!(move_on_after(ms(10), limiter.acquire_on_behalf_of(me))
        .await
        .is_none());
    assert!(move_on_after(ms(10), limiter.acquire()).await.is_none());
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    drop(held);
    assert_eq!(limiter.borrowed_tokens(), 0);
    limiter.acquire_on_behalf_of(me).await.unwrap(); // the borrower was not left behind
}

#[anyio::test]
async fn acquire_in_a_cancelled_scope_does_not_complete() {
    let limiter = CapacityLimiter::new(1).unwrap();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let after = Counter::new();
    let a = after.clone();
    let outcome = scope
        .run(async {
            handle.cancel();
            let _token = limiter.acquire().await;
            a.bump();
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(after.get(), 0);
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn waiter_handed_a_token_before_its_cancellation_is_delivered_keeps_it() {
    let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
    let log = Log::new();
    let b_borrower = Borrower::new(2);
    let (l, g) = (limiter.clone(), log.clone());
    fail_after(
        Duration::from_secs(10),
        task_group(|tg| async move {
            let held = l.acquire().await;
            let b_scope = CancelScope::new();
            let cancel_b = b_scope.handle();
            let b = b_scope.run(async {
                l.acquire_on_behalf_of(b_borrower).await.unwrap();
                g.push("b");
            });
            // Same task as `b`: the token is handed to `b` before the cancellation reaches it,
            // and `b` keeps it (DESIGN.md's delivery rule) until it gives it back.
            let release = async {
                wait_until(|| l.statistics().tasks_waiting == 1).await;
                let (limiter, log) = (l.clone(), g.clone());
                tg.spawn(async move {
                    let _token = limiter.acquire().await;
                    log.push("c");
                    Ok(())
                })?;
                wait_until(|| l.statistics().tasks_waiting == 2).await;
                cancel_b.cancel();
                drop(held);
                let stats = l.statistics();
                assert_eq!(stats.borrowed_tokens, 1, "handed over, not returned");
                assert_eq!(stats.borrowers, 1, "`b` holds it for now");
                assert_eq!(stats.tasks_waiting, 1);
                Ok::<_, BoxError>(())
            };
            let (b, released) = join(b, release).await;
            released?;
            assert_eq!(b, Some(()));
            // `b` borrows on behalf of a borrower: the token is its until it is released.
            l.release_on_behalf_of(b_borrower)?;
            Ok::<_, BoxError>(())
        }),
    )
    .await
    .expect("the token was lost: deadlock")
    .unwrap();
    assert_eq!(log.events(), ["b", "c"]);
    assert_eq!(limiter.borrowed_tokens(), 0);
    assert_eq!(
        limiter.release_on_behalf_of(b_borrower),
        Err(NotBorrowed::default()),
        "given back already"
    );
}

#[anyio::test]
async fn statistics() {
    let limiter = Arc::new(CapacityLimiter::new(2).unwrap());
    let stats = limiter.statistics();
    assert_eq!(
        (
            stats.borrowed_tokens,
            stats.total_tokens,
            stats.borrowers,
            stats.tasks_waiting
        ),
        (0, 2, 0, 0)
    );
    let l = limiter.clone();
    task_group(|tg| async move {
        let anonymous = l.acquire().await;
        l.acquire_on_behalf_of(Borrower::new(1)).await?;
        for _ in 0..3 {
            let limiter = l.clone();
            tg.spawn(async move {
                let _token = limiter.acquire().await;
                Ok(())
            })?;
        }
        wait_until(|| l.statistics().tasks_waiting == 3).await;
        let stats = l.statistics();
        assert_eq!(stats.borrowed_tokens, 2);
        assert_eq!(stats.total_tokens, 2);
        assert_eq!(stats.borrowers, 1);
        assert_eq!(l.available_tokens(), 0);
        drop(anonymous);
        l.release_on_behalf_of(Borrower::new(1))?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
    assert_eq!(limiter.available_tokens(), 2);
}
