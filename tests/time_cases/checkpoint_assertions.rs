//! Trio's `test_assert_checkpoints` and `test_assert_no_checkpoints`
//! (`src/trio/_tests/test_testing.py`), translated.
//!
//! A Python `with pytest.raises(AssertionError)` block is a future whose panic is caught.
//! Trio's `checkpoint_if_cancelled` is a cancel point alone and its
//! `cancel_shielded_checkpoint` a schedule point alone; ours are the same.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use anyio::lowlevel::{cancel_shielded_checkpoint, checkpoint_if_cancelled};
use anyio::testing::{assert_checkpoints, assert_no_checkpoints};
use futures_util::FutureExt as _;

/// The panic message of `future`, which must panic.
async fn panics(future: impl Future<Output = ()>) -> String {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(()) => panic!("expected the assertion to fail"),
        Err(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

#[anyio::test]
async fn test_assert_checkpoints() {
    assert_checkpoints(anyio::checkpoint()).await;

    let message = panics(assert_checkpoints(async {})).await;
    assert!(
        message.contains("neither a cancel point nor a schedule point"),
        "{message}"
    );

    // A schedule point without a cancel point, or the other way round, is no checkpoint.
    let message = panics(assert_checkpoints(checkpoint_if_cancelled())).await;
    assert!(message.contains("no schedule point"), "{message}");
    let message = panics(assert_checkpoints(cancel_shielded_checkpoint())).await;
    assert!(message.contains("no cancel point"), "{message}");

    // Both together count as a checkpoint.
    assert_checkpoints(async {
        checkpoint_if_cancelled().await;
        cancel_shielded_checkpoint().await;
    })
    .await;
}

#[anyio::test]
async fn test_assert_no_checkpoints() {
    assert_eq!(assert_no_checkpoints(async { 1 + 1 }).await, 2);

    let message = panics(assert_no_checkpoints(anyio::checkpoint())).await;
    assert!(message.starts_with("assert_no_checkpoints"), "{message}");

    for partial in [
        checkpoint_if_cancelled().boxed(),
        cancel_shielded_checkpoint().boxed(),
    ] {
        panics(assert_no_checkpoints(partial)).await;
    }

    // Both together are a checkpoint too.
    panics(assert_no_checkpoints(async {
        checkpoint_if_cancelled().await;
        cancel_shielded_checkpoint().await;
    }))
    .await;
}

/// Our own operations, as a library author checks theirs: a sleep and a memory stream's
/// send and receive are checkpoints; `try_send` and `try_receive` are not.
#[anyio::test]
async fn anyio_operations_are_checkpoints_and_their_try_forms_are_not() {
    assert_checkpoints(anyio::sleep(std::time::Duration::ZERO)).await;
    let (tx, rx) = anyio::create_memory_object_stream::<u8>(1);
    assert_no_checkpoints(async { tx.try_send(1).unwrap() }).await;
    assert_no_checkpoints(async { assert_eq!(rx.try_receive(), Ok(1)) }).await;
}

/// A future dropped before it completes is not checked, as a Trio block left by an exception.
#[anyio::test]
async fn a_future_dropped_early_is_not_checked() {
    let outcome = anyio::move_on_after(
        std::time::Duration::from_millis(1),
        assert_no_checkpoints(anyio::sleep_forever()),
    )
    .await;
    assert!(outcome.is_none());
}
