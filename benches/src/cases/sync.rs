//! Locks and timeouts.

use std::hint::black_box;
use std::time::Duration;

use crate::harness::{on_facade, on_native, Rt};

/// Acquire/release pairs in `lock_uncontended`.
pub(crate) const LOCK_OPS: u64 = 1_000_000;
/// Awaits per sample in `move_on_after_ready`.
pub(crate) const TIMEOUT_OPS: u64 = 1_000_000;

/// `LOCK_OPS` uncontended acquire/release pairs of an `anyio::sync::Lock` with `fast_acquire`
/// (no yield: what `tokio::sync::Mutex` does), in one task.
pub(crate) fn lock_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let lock = anyio::sync::Lock::new().fast_acquire(true);
        for _ in 0..LOCK_OPS {
            let guard = lock.acquire().await;
            black_box(&guard);
        }
    })
}

/// `LOCK_OPS` uncontended lock/unlock pairs of a `tokio::sync::Mutex<()>` (runtime-agnostic),
/// in one task.
pub(crate) fn lock_tokio_mutex(rt: Rt) -> Duration {
    on_native(rt, || async {
        let mutex = tokio::sync::Mutex::new(());
        for _ in 0..LOCK_OPS {
            let guard = mutex.lock().await;
            black_box(&guard);
        }
    })
}

/// `anyio::move_on_after(1 s, ready(1))`, awaited `TIMEOUT_OPS` times in one task.
pub(crate) fn move_on_after_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        for _ in 0..TIMEOUT_OPS {
            let value = anyio::move_on_after(
                black_box(Duration::from_secs(1)),
                std::future::ready(black_box(1)),
            )
            .await;
            black_box(value);
        }
    })
}

/// `tokio::time::timeout(1 s, ready(1))`, awaited `TIMEOUT_OPS` times in one task.
pub(crate) fn timeout_native(rt: Rt) -> Duration {
    assert_eq!(rt, Rt::Tokio, "tokio::time::timeout needs tokio");
    on_native(rt, || async {
        for _ in 0..TIMEOUT_OPS {
            let value = tokio::time::timeout(
                black_box(Duration::from_secs(1)),
                std::future::ready(black_box(1)),
            )
            .await;
            let _ = black_box(value);
        }
    })
}
