//! Cancelling many sleeping children at once.

use std::convert::Infallible;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::parked::{mark_parked, native_pause, until_parked, PAUSE};
use crate::harness::{on_facade_self_timed, on_native_self_timed, Rt, NATIVE_SMOL};

/// Sleeping children cancelled by `cancel_10k_sleeping`.
pub(crate) const CANCEL_N: usize = 10_000;
/// How long each of them would sleep: far longer than any sample, so only the cancel ends it.
const CANCEL_SLEEP: Duration = Duration::from_secs(3600);

/// One task group of `CANCEL_N` children asleep in `anyio::sleep(1 h)`; once all are asleep
/// (untimed), times `tg.cancel()` from the group's body through to the group's future
/// returning, which it does only after every child has been dropped.
///
/// `TaskGroup::cancel` is the facade's counterpart of `JoinSet::abort_all`: it cancels the
/// group's own scope, so every child (and the body) stops, and the owner then waits for them.
pub(crate) fn cancel_facade(rt: Rt) -> Duration {
    on_facade_self_timed(rt, || async {
        let parked = Arc::new(AtomicUsize::new(0));
        let started = OnceLock::new();
        let started_at = &started;
        let outcome = anyio::task_group(|tg| async move {
            for _ in 0..CANCEL_N {
                let parked = Arc::clone(&parked);
                tg.spawn(async move {
                    mark_parked(&parked);
                    anyio::sleep(CANCEL_SLEEP).await;
                    Ok(())
                })
                .expect("spawn refused");
            }
            until_parked(&parked, CANCEL_N, || anyio::sleep(PAUSE)).await;
            started_at.set(Instant::now()).expect("cancelled twice");
            tg.cancel();
            Ok::<_, Infallible>(())
        })
        .await;
        let elapsed = started.get().expect("the body never cancelled").elapsed();
        assert!(
            outcome.expect_err("a sleeper finished").is_cancelled(),
            "the group was not cancelled"
        );
        elapsed
    })
}

/// `CANCEL_N` native tasks asleep for 1 h in the runtime's own sleep; once all are asleep
/// (untimed), times cancelling all of them and waiting until each is gone:
///
/// - tokio: the tasks are in one `JoinSet`; `abort_all()`, then `join_next` until `None`;
/// - async-std: `JoinHandle::cancel()` of every handle, awaited together with
///   `futures_util::future::join_all` (dropping a handle only detaches the task; `cancel` is
///   what waits for the task to be dropped);
/// - smol: `Task::cancel()` of every `async_executor::Task`, awaited together the same way
///   (dropping a `Task` cancels it but does not wait).
///
/// All at once, like `abort_all` and the facade's `tg.cancel()`: awaiting the `cancel`s one
/// after another makes each wait for its own trip through the executor, about 10x slower on
/// async-std (~110 ms instead of ~8 ms here) and slower on smol, which would flatter the facade.
pub(crate) fn cancel_native(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native_self_timed(rt, move || async move {
            let parked = Arc::new(AtomicUsize::new(0));
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..CANCEL_N {
                let parked = Arc::clone(&parked);
                set.spawn(async move {
                    mark_parked(&parked);
                    tokio::time::sleep(CANCEL_SLEEP).await;
                });
            }
            until_parked(&parked, CANCEL_N, || native_pause(rt)).await;
            let start = Instant::now();
            set.abort_all();
            while set.join_next().await.is_some() {}
            start.elapsed()
        }),
        Rt::AsyncStd => on_native_self_timed(rt, move || async move {
            let parked = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..CANCEL_N)
                .map(|_| {
                    let parked = Arc::clone(&parked);
                    async_std::task::spawn(async move {
                        mark_parked(&parked);
                        async_std::task::sleep(CANCEL_SLEEP).await;
                    })
                })
                .collect();
            until_parked(&parked, CANCEL_N, || native_pause(rt)).await;
            let start = Instant::now();
            join_all(handles.into_iter().map(async_std::task::JoinHandle::cancel)).await;
            start.elapsed()
        }),
        Rt::Smol => on_native_self_timed(rt, move || async move {
            let parked = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..CANCEL_N)
                .map(|_| {
                    let parked = Arc::clone(&parked);
                    NATIVE_SMOL.spawn(async move {
                        mark_parked(&parked);
                        async_io::Timer::after(CANCEL_SLEEP).await;
                    })
                })
                .collect();
            until_parked(&parked, CANCEL_N, || native_pause(rt)).await;
            let start = Instant::now();
            join_all(tasks.into_iter().map(async_executor::Task::cancel)).await;
            start.elapsed()
        }),
    }
}
