//! to_thread::run_sync: the default and custom limiters bound how many closures run at once,
//! cancellation with and without abandoning the thread, panics reach the caller, and waiting
//! for a token is cancellable and does not spin.

mod common;

use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use anyio::sync::{CapacityLimiter, Lock};
use anyio::{move_on_after, task_group, to_thread, BoxError};
use common::{ms, wait_until};
use futures_util::FutureExt;

/// The default limiter is process-wide: tests using it take turns, so that one backend's run
/// does not hold tokens another one counts. anyio's lock works across runtimes and threads.
async fn serial() -> anyio::sync::OwnedLockGuard {
    static TURN: OnceLock<Arc<Lock>> = OnceLock::new();
    TURN.get_or_init(|| Arc::new(Lock::new()))
        .clone()
        .acquire_owned()
        .await
}

/// A gate closures block on until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }

    fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }
}

/// Starts `calls` closures that block on a gate, checks that exactly `bound` of them run while
/// the others wait for a token, then opens the gate.
async fn check_bound(calls: usize, bound: usize, limiter: Option<Arc<CapacityLimiter>>) {
    let gate = Gate::default();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (g, r, m, f, l) = (
        gate.clone(),
        running.clone(),
        most.clone(),
        finished.clone(),
        limiter.clone(),
    );
    task_group(|tg| async move {
        for _ in 0..calls {
            let (gate, running, most, finished) = (g.clone(), r.clone(), m.clone(), f.clone());
            let mut call = to_thread::run_sync(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                gate.wait();
                running.fetch_sub(1, Ordering::SeqCst);
                finished.fetch_add(1, Ordering::SeqCst);
            });
            if let Some(limiter) = &l {
                call = call.limiter(limiter.clone());
            }
            tg.spawn(async move {
                call.await;
                Ok(())
            })?;
        }
        let limiter = l
            .as_deref()
            .unwrap_or(to_thread::current_default_thread_limiter());
        wait_until(|| r.load(Ordering::SeqCst) == bound).await;
        wait_until(|| limiter.statistics().tasks_waiting == calls - bound).await;
        // Give an unbounded implementation time to start one more.
        anyio::sleep(ms(50)).await;
        assert_eq!(r.load(Ordering::SeqCst), bound);
        assert_eq!(limiter.borrowed_tokens(), bound);
        g.open();
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(most.load(Ordering::SeqCst), bound);
    assert_eq!(finished.load(Ordering::SeqCst), calls);
}

#[anyio::test]
async fn returns_the_result() {
    let _turn = serial().await;
    let n = to_thread::run_sync(|| (1..=10u64).product::<u64>()).await;
    assert_eq!(n, 3_628_800);
    assert_eq!(
        to_thread::current_default_thread_limiter().borrowed_tokens(),
        0
    );
}

#[anyio::test]
async fn runs_off_the_event_loop() {
    let _turn = serial().await;
    let caller = std::thread::current().id();
    let worker = to_thread::run_sync(|| std::thread::current().id()).await;
    assert_ne!(worker, caller);
}

#[anyio::test]
async fn the_default_limiter_lets_40_run_and_the_41st_waits() {
    let _turn = serial().await;
    let limiter = to_thread::current_default_thread_limiter();
    assert_eq!(limiter.total_tokens(), to_thread::DEFAULT_THREAD_TOKENS);
    assert_eq!(to_thread::DEFAULT_THREAD_TOKENS, 40);
    check_bound(41, 40, None).await;
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn the_default_limiter_can_be_resized() {
    let _turn = serial().await;
    let limiter = to_thread::current_default_thread_limiter();
    limiter.set_total_tokens(3);
    check_bound(5, 3, None).await;
    limiter.set_total_tokens(to_thread::DEFAULT_THREAD_TOKENS);
}

#[anyio::test]
async fn a_custom_limiter_of_two() {
    let limiter = Arc::new(CapacityLimiter::new(2));
    check_bound(6, 2, Some(limiter.clone())).await;
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn a_cancelled_call_waits_for_the_thread_and_discards_the_result() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let call = to_thread::run_sync(move || {
        std::thread::sleep(ms(100));
        d.store(true, Ordering::SeqCst);
        7
    })
    .limiter(limiter.clone());
    let outcome = move_on_after(ms(5), call.into_future()).await;
    assert_eq!(outcome, None, "the result is discarded");
    assert!(
        done.load(Ordering::SeqCst),
        "the scope returned before the thread ended"
    );
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn an_abandoned_call_returns_while_the_thread_runs_on() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let (release, released) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let call = to_thread::run_sync(move || {
        released.recv_timeout(Duration::from_secs(10)).unwrap();
        f.store(true, Ordering::SeqCst);
    })
    .limiter(limiter.clone())
    .abandon_on_cancel(true);
    let outcome = move_on_after(ms(5), call.into_future()).await;
    assert_eq!(outcome, None);
    assert!(
        !finished.load(Ordering::SeqCst),
        "the thread still waits for `release`"
    );
    assert_eq!(
        limiter.borrowed_tokens(),
        1,
        "the running thread keeps its token"
    );
    release.send(()).unwrap();
    wait_until(|| limiter.borrowed_tokens() == 0).await;
    assert!(finished.load(Ordering::SeqCst));
}

#[anyio::test]
async fn a_panic_reaches_the_caller_with_its_payload() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let call = to_thread::run_sync(|| -> u32 { panic!("the blocking library failed") })
        .limiter(limiter.clone());
    let payload = AssertUnwindSafe(call.into_future())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the blocking library failed")
    );
    assert_eq!(limiter.borrowed_tokens(), 0);
    // The pool thread survived and is reused.
    assert_eq!(to_thread::run_sync(|| 1).limiter(limiter).await, 1);
}

#[anyio::test]
async fn waiting_for_a_token_is_cancellable() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let held = limiter.try_acquire().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let call =
        to_thread::run_sync(move || r.store(true, Ordering::SeqCst)).limiter(limiter.clone());
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    let r = ran.clone();
    let call = to_thread::run_sync(move || r.store(true, Ordering::SeqCst))
        .limiter(limiter.clone())
        .abandon_on_cancel(true);
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    drop(held);
    assert!(!ran.load(Ordering::SeqCst), "neither closure started");
    assert_eq!(limiter.statistics().tasks_waiting, 0);
}

/// Counts how often the inner future is polled.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Zero tokens available (a limiter cannot have a total of zero, as in AnyIO: its only token
/// is held elsewhere): the call sleeps until the token comes back, without polling meanwhile.
#[anyio::test]
async fn with_no_token_available_the_call_waits_without_spinning() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let held = limiter.try_acquire().unwrap();
    let polls = Arc::new(AtomicUsize::new(0));
    let call = CountPolls {
        inner: Box::pin(
            to_thread::run_sync(|| 9)
                .limiter(limiter.clone())
                .into_future(),
        ),
        polls: polls.clone(),
    };
    let l = limiter.clone();
    let p = polls.clone();
    let n = task_group(|tg| async move {
        let handle = tg.spawn(async move { Ok(call.await) })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        anyio::sleep(ms(50)).await;
        assert_eq!(
            p.load(Ordering::SeqCst),
            1,
            "polled again without a wake-up"
        );
        drop(held);
        Ok::<_, BoxError>(handle.await?)
    })
    .await
    .unwrap();
    assert_eq!(n, 9);
    assert!(polls.load(Ordering::SeqCst) <= 4);
}
