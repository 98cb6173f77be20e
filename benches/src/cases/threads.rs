//! Blocking work on the runtime's pool.

use std::time::Duration;

use crate::harness::{on_facade, on_native, Rt};

/// Sequential round trips in `to_thread_trivial`.
pub(crate) const TO_THREAD_N: u64 = 10_000;

/// `TO_THREAD_N` sequential `to_thread::run_sync` calls of a trivial closure.
pub(crate) fn to_thread_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let mut sum = 0;
        for _ in 0..TO_THREAD_N {
            sum += anyio::to_thread::run_sync(|| 1u64).await;
        }
        assert_eq!(sum, TO_THREAD_N);
    })
}

/// `TO_THREAD_N` sequential native `spawn_blocking` calls of the same closure: tokio's
/// `spawn_blocking`, async-std's, and `blocking::unblock` (what smol offers for it).
pub(crate) fn to_thread_native(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let mut sum = 0;
            for _ in 0..TO_THREAD_N {
                sum += tokio::task::spawn_blocking(|| 1u64)
                    .await
                    .expect("closure panicked");
            }
            assert_eq!(sum, TO_THREAD_N);
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let mut sum = 0;
            for _ in 0..TO_THREAD_N {
                sum += async_std::task::spawn_blocking(|| 1u64).await;
            }
            assert_eq!(sum, TO_THREAD_N);
        }),
        Rt::Smol => on_native(rt, || async {
            let mut sum = 0;
            for _ in 0..TO_THREAD_N {
                sum += blocking::unblock(|| 1u64).await;
            }
            assert_eq!(sum, TO_THREAD_N);
        }),
    }
}
