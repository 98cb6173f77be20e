//! Waiting, untimed, until every child a case spawned has reached its first suspension point.
//!
//! The cancel and memory cases measure children that are *parked* (asleep or waiting), so
//! the spawning task must know they all got there before it times or measures anything. Each
//! child bumps a shared counter right before its first await; the spawner pauses until the
//! counter is complete.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::harness::Rt;

/// How long the spawner pauses between two looks at the counter.
pub(crate) const PAUSE: Duration = Duration::from_millis(1);

/// Bumps `parked`: a child calls this right before its first await.
pub(crate) fn mark_parked(parked: &AtomicUsize) {
    parked.fetch_add(1, Ordering::Release);
}

/// Pauses (with the runtime's or anyio's sleep, `pause`) until `parked` reaches `n`, then
/// once more.
///
/// The extra pause is there because a child bumps the counter just *before* it suspends: the
/// last ones may still be registering their timer or waiter when the count completes.
pub(crate) async fn until_parked<P, F>(parked: &AtomicUsize, n: usize, mut pause: P)
where
    P: FnMut() -> F,
    F: Future<Output = ()>,
{
    while parked.load(Ordering::Acquire) < n {
        pause().await;
    }
    pause().await;
}

/// One [`PAUSE`] in the native runtime's own sleep (smol: `async_io::Timer`).
pub(crate) async fn native_pause(rt: Rt) {
    match rt {
        Rt::Tokio => tokio::time::sleep(PAUSE).await,
        Rt::AsyncStd => async_std::task::sleep(PAUSE).await,
        Rt::Smol => {
            async_io::Timer::after(PAUSE).await;
        }
    }
}
