//! AnyIO's `tests/test_lowlevel.py`, the checkpoint tests, translated: which low-level
//! checkpoints yield and which deliver cancellation.
//!
//! AnyIO's versions spawn `func` and `second_func` as two tasks and rely on a single-threaded
//! loop to run them in spawn order, so that `second_func` sees whether `func` yielded. On a
//! multi-threaded runtime two tasks have no order, so here both run in one child task under
//! `futures::join`, which polls `func` first and then `second_func` in every round: if `func`
//! yields, `second_func` runs before `func` goes on, deterministically. The `cancel`
//! parameter becomes two tests each; the group is cancelled before the child is spawned,
//! which is the state AnyIO's single-threaded loop guarantees when the child first runs.
//! Where the group is cancelled through its own handle it resolves to `Err(cancelled)`, our
//! documented behaviour (AnyIO's group exits normally).
//!
//! Not translated:
//! - `TestRunVar::test_get_set`, `test_reset_token_used_on_wrong_runvar`,
//!   `test_reset_token_used_twice`, `test_runvar_does_not_share_storage_by_name`,
//!   `test_context_manager`: there is no `RunVar` (run-scoped context variables) in anyio for
//!   Rust.

mod common;
mod spec;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyio::lowlevel::{
    cancel_shielded_checkpoint, checkpoint, checkpoint_if_cancelled, has_pending_cancellation,
};
use anyio::task_group;
use common::Watchdog;
use futures_util::future::join;
use spec::Error;

const LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checkpoint {
    IfCancelled,
    CancelShielded,
    Full,
}

/// Runs `func` (the checkpoint, then `finished = true`) and `second_func` (records whether
/// `func` had finished when it ran) in a group, cancelled first if `cancel`. Returns
/// (finished, what second_func saw, whether second_func ran, the group's outcome).
async fn run_case(kind: Checkpoint, cancel: bool) -> (bool, bool, bool, Result<(), bool>) {
    let finished = Arc::new(AtomicBool::new(false));
    let seen_finished = Arc::new(AtomicBool::new(false));
    let second_finished = Arc::new(AtomicBool::new(false));
    let (f, seen, s) = (
        finished.clone(),
        seen_finished.clone(),
        second_finished.clone(),
    );
    let outcome = task_group(|tg| async move {
        if cancel {
            tg.cancel();
        }
        tg.spawn(async move {
            let func = async {
                assert_eq!(has_pending_cancellation(), cancel);
                match kind {
                    Checkpoint::IfCancelled => checkpoint_if_cancelled().await,
                    Checkpoint::CancelShielded => cancel_shielded_checkpoint().await,
                    Checkpoint::Full => checkpoint().await,
                }
                f.store(true, Ordering::SeqCst);
            };
            let second_func = async {
                seen.store(f.load(Ordering::SeqCst), Ordering::SeqCst);
                s.store(true, Ordering::SeqCst);
            };
            join(func, second_func).await;
            Ok::<_, Error>(())
        })?;
        Ok::<_, Error>(())
    })
    .await;
    (
        finished.load(Ordering::SeqCst),
        seen_finished.load(Ordering::SeqCst),
        second_finished.load(Ordering::SeqCst),
        outcome.map_err(|e| {
            assert!(e.errors().is_empty(), "no failure: {e}");
            e.is_cancelled()
        }),
    )
}

#[anyio::test]
async fn checkpoint_if_cancelled_not_cancelled() {
    let _watchdog = Watchdog::new("checkpoint_if_cancelled_not_cancelled", LIMIT);
    let (finished, seen_finished, second_finished, outcome) =
        run_case(Checkpoint::IfCancelled, false).await;
    assert!(finished);
    assert!(
        seen_finished,
        "checkpoint_if_cancelled does not yield: func finished before second_func ran"
    );
    assert!(second_finished);
    assert_eq!(outcome, Ok(()));
}

#[anyio::test]
async fn checkpoint_if_cancelled_cancelled() {
    let _watchdog = Watchdog::new("checkpoint_if_cancelled_cancelled", LIMIT);
    let (finished, seen_finished, second_finished, outcome) =
        run_case(Checkpoint::IfCancelled, true).await;
    assert!(
        !finished,
        "the cancellation is delivered at checkpoint_if_cancelled"
    );
    assert!(!seen_finished);
    assert!(second_finished);
    assert_eq!(outcome, Err(true), "own-group cancellation: Err(cancelled)");
}

#[anyio::test]
async fn cancel_shielded_checkpoint_not_cancelled() {
    let _watchdog = Watchdog::new("cancel_shielded_checkpoint_not_cancelled", LIMIT);
    let (finished, seen_finished, second_finished, outcome) =
        run_case(Checkpoint::CancelShielded, false).await;
    assert!(finished);
    assert!(
        !seen_finished,
        "cancel_shielded_checkpoint yields: second_func ran first"
    );
    assert!(second_finished);
    assert_eq!(outcome, Ok(()));
}

#[anyio::test]
async fn cancel_shielded_checkpoint_cancelled() {
    let _watchdog = Watchdog::new("cancel_shielded_checkpoint_cancelled", LIMIT);
    let (finished, seen_finished, second_finished, outcome) =
        run_case(Checkpoint::CancelShielded, true).await;
    assert!(
        finished,
        "cancel_shielded_checkpoint delivers no cancellation: func goes on"
    );
    assert!(!seen_finished, "it still yields");
    assert!(second_finished);
    assert_eq!(outcome, Err(true), "own-group cancellation: Err(cancelled)");
}

#[anyio::test]
async fn checkpoint_not_cancelled() {
    let _watchdog = Watchdog::new("checkpoint_not_cancelled", LIMIT);
    let (finished, seen_finished, second_finished, outcome) =
        run_case(Checkpoint::Full, false).await;
    assert!(finished);
    assert!(!seen_finished, "checkpoint yields: second_func ran first");
    assert!(second_finished);
    assert_eq!(outcome, Ok(()));
}

#[anyio::test]
async fn checkpoint_cancelled() {
    let _watchdog = Watchdog::new("checkpoint_cancelled", LIMIT);
    let (finished, seen_finished, second_finished, outcome) =
        run_case(Checkpoint::Full, true).await;
    assert!(!finished, "checkpoint delivers the cancellation");
    assert!(!seen_finished);
    assert!(second_finished);
    assert_eq!(outcome, Err(true), "own-group cancellation: Err(cancelled)");
}
