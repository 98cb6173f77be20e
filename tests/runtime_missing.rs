//! Outside any runtime that an enabled backend can serve, anyio says what to do instead of
//! hanging. (With the `smol` feature, smol's executor serves any thread, so this only applies
//! to builds without it.)

#[cfg(not(feature = "smol"))]
#[test]
fn polling_outside_any_runtime_panics_with_a_clear_message() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let mut sleep = std::pin::pin!(anyio::sleep(std::time::Duration::from_millis(1)));
    let mut cx = Context::from_waker(Waker::noop());
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Poll<()> = sleep.as_mut().poll(&mut cx);
    }))
    .expect_err("no runtime can serve this thread");
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("anyio::run"), "{message}");
    assert!(anyio::Backend::current().is_none());
}

#[cfg(feature = "smol")]
#[test]
fn smol_serves_threads_no_runtime_claims() {
    // The documented fallback: a plain thread can use anyio through smol's executor.
    let slept = async_io::block_on(async {
        anyio::move_on_after(std::time::Duration::from_secs(5), async {
            anyio::sleep(std::time::Duration::from_millis(1)).await;
        })
        .await
    });
    assert!(slept.is_some());
}
