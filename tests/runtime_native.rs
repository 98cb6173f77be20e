//! anyio inside runtimes the application started natively, without `anyio::run`.
//!
//! These tests are backend-specific by nature: each starts one runtime by its own API.

mod common;

use std::time::Duration;

use common::{ms, TestError};

/// A little of everything: a group, a child, a deadline, a sleep.
async fn library_code() -> Option<usize> {
    anyio::move_on_after(Duration::from_secs(5), async {
        anyio::task_group(|tg| async move {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    tg.spawn(async move {
                        anyio::sleep(ms(2)).await;
                        Ok(i)
                    })
                })
                .collect::<Result<_, _>>()?;
            let mut sum = 0;
            for handle in handles {
                sum += handle.await?;
            }
            let timed_out = anyio::move_on_after(ms(5), anyio::sleep_forever()).await;
            assert!(timed_out.is_none());
            Ok::<_, TestError>(sum)
        })
        .await
        .unwrap()
    })
    .await
}

#[cfg(feature = "tokio")]
#[test]
fn inside_native_tokio() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(anyio::Backend::current(), Some(anyio::Backend::Tokio));
        assert_eq!(library_code().await, Some(28));
    });
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "current_thread")]
async fn inside_tokio_current_thread() {
    assert_eq!(library_code().await, Some(28));
}

#[cfg(feature = "async-std")]
#[test]
fn inside_native_async_std() {
    async_std::task::block_on(async {
        assert_eq!(anyio::Backend::current(), Some(anyio::Backend::AsyncStd));
        assert_eq!(library_code().await, Some(28));
    });
}

#[cfg(feature = "smol")]
#[test]
fn inside_native_smol_block_on() {
    // smol's block_on leaves no trace anyio could detect; the documented fallback serves it
    // with anyio's smol executor (unless another enabled runtime is detected first).
    async_io::block_on(async {
        assert_eq!(library_code().await, Some(28));
    });
}
