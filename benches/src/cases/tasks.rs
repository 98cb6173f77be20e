//! Spawning and sleeping.

use std::time::Duration;

use crate::harness::{on_facade, on_native, Rt, NATIVE_SMOL};

/// Children spawned by `spawn_join_100k`.
pub(crate) const SPAWN_N: usize = 100_000;
/// Concurrent sleepers in `sleep_10k_1ms`.
pub(crate) const SLEEP_N: usize = 10_000;
/// How long each of them sleeps.
pub(crate) const SLEEP_FOR: Duration = Duration::from_millis(1);

/// One task group spawning `SPAWN_N` children that return at once; awaits the group.
pub(crate) fn spawn_join_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        anyio::task_group(|tg| async move {
            for _ in 0..SPAWN_N {
                tg.spawn(async { Ok(()) }).expect("spawn refused");
            }
            Ok::<_, std::convert::Infallible>(())
        })
        .await
        .expect("task group failed");
    })
}

/// `SPAWN_N` trivial native spawns; awaits every join handle.
pub(crate) fn spawn_join_native(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let handles: Vec<_> = (0..SPAWN_N).map(|_| tokio::spawn(async {})).collect();
            for handle in handles {
                handle.await.expect("task failed");
            }
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let handles: Vec<_> = (0..SPAWN_N)
                .map(|_| async_std::task::spawn(async {}))
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
        Rt::Smol => on_native(rt, || async {
            let handles: Vec<_> = (0..SPAWN_N).map(|_| NATIVE_SMOL.spawn(async {})).collect();
            for handle in handles {
                handle.await;
            }
        }),
    }
}

/// `SPAWN_N` trivial tasks spawned into one `tokio::task::JoinSet`, joined with `join_next`
/// until it returns `None`: tokio's own structured way to own a set of children, the closest
/// native counterpart of a task group.
pub(crate) fn spawn_join_joinset(rt: Rt) -> Duration {
    assert_eq!(rt, Rt::Tokio, "JoinSet needs tokio");
    on_native(rt, || async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..SPAWN_N {
            set.spawn(async {});
        }
        while let Some(joined) = set.join_next().await {
            joined.expect("task failed");
        }
    })
}

/// One task group of `SLEEP_N` children, each `anyio::sleep(SLEEP_FOR)`.
pub(crate) fn sleep_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        anyio::task_group(|tg| async move {
            for _ in 0..SLEEP_N {
                tg.spawn(async {
                    anyio::sleep(SLEEP_FOR).await;
                    Ok(())
                })
                .expect("spawn refused");
            }
            Ok::<_, std::convert::Infallible>(())
        })
        .await
        .expect("task group failed");
    })
}

/// `SLEEP_N` native spawns, each doing the runtime's own sleep; awaits every join handle.
///
/// Each sleep is created inside its task, as `anyio::sleep` is on the facade side, so on both
/// sides the 1 ms starts when the child first runs, not when it is spawned.
pub(crate) fn sleep_native(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| {
                    tokio::spawn(async {
                        tokio::time::sleep(SLEEP_FOR).await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await.expect("task failed");
            }
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| {
                    async_std::task::spawn(async {
                        async_std::task::sleep(SLEEP_FOR).await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
        Rt::Smol => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| {
                    NATIVE_SMOL.spawn(async {
                        async_io::Timer::after(SLEEP_FOR).await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
    }
}

/// The sleep primitive alone: `SLEEP_N` native spawns on the native runtime, exactly as
/// [`sleep_native`], each awaiting `anyio::sleep` (which detects the runtime) instead of the
/// runtime's own sleep.
pub(crate) fn sleep_only_facade(rt: Rt) -> Duration {
    match rt {
        Rt::Tokio => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| tokio::spawn(async { anyio::sleep(SLEEP_FOR).await }))
                .collect();
            for handle in handles {
                handle.await.expect("task failed");
            }
        }),
        Rt::AsyncStd => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| async_std::task::spawn(async { anyio::sleep(SLEEP_FOR).await }))
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
        Rt::Smol => on_native(rt, || async {
            let handles: Vec<_> = (0..SLEEP_N)
                .map(|_| NATIVE_SMOL.spawn(async { anyio::sleep(SLEEP_FOR).await }))
                .collect();
            for handle in handles {
                handle.await;
            }
        }),
    }
}
