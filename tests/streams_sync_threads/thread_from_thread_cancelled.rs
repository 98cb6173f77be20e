//! `from_thread::run_sync` from a worker whose host task was cancelled still runs (sync code
//! cannot be cancelled), with and without `abandon_on_cancel`, while `from_thread::run`
//! (async) stays subject to the host's scope.

use crate::common;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyio::from_thread::{self, FromThreadError};
use anyio::{move_on_after, to_thread};
use common::ms;

/// Spins until the worker's scope is cancelled; fails after 10 seconds instead of hanging.
fn wait_for_cancel() {
    let start = Instant::now();
    while from_thread::check_cancelled().is_ok() {
        assert!(start.elapsed() < Duration::from_secs(10), "never cancelled");
        std::thread::sleep(Duration::from_millis(1));
    }
}

async fn check(abandon_on_cancel: bool) {
    let ran = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let r = ran.clone();
    let call = to_thread::run_sync(move || {
        wait_for_cancel();
        let sync = from_thread::run_sync(move || r.fetch_add(1, Ordering::SeqCst) + 1);
        let ran_async = from_thread::run(async { 1 });
        tx.send((sync, ran_async)).unwrap();
    })
    .abandon_on_cancel(abandon_on_cancel);
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let (sync, ran_async) =
        to_thread::run_sync(move || rx.lock().unwrap().recv_timeout(Duration::from_secs(10)))
            .await
            .expect("the worker reports");
    assert_eq!(sync, Ok(1), "the sync call ran");
    assert_eq!(ran.load(Ordering::SeqCst), 1, "exactly once");
    assert_eq!(ran_async, Err(FromThreadError::Cancelled));
}

#[anyio::test]
async fn run_sync_from_a_cancelled_host_still_runs() {
    check(false).await;
}

#[anyio::test]
async fn run_sync_from_a_host_that_abandoned_the_thread_still_runs() {
    check(true).await;
}
