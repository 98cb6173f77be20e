//! Memory object streams against the channels the runtimes' users reach for.

use std::time::Duration;

use std::future::Future;

use anyio::core::backend::Runtime as _;
use anyio::streams::memory::create_memory_object_stream;
use anyio::AnyRuntime;

use crate::harness::{native_pair, on_facade, on_native, Rt};

/// Items through the channel in the `channel_1m_*` cases.
pub(crate) const CHANNEL_N: u64 = 1_000_000;
/// Their channel's capacity.
pub(crate) const CHANNEL_CAP: usize = 1024;
/// Round trips in the `ping_pong_*` cases.
pub(crate) const PING_N: u64 = 100_000;

/// The native side of `channel_1m_*`: a producer and a consumer (through `native_pair`),
/// `CHANNEL_N` items through the channel `$bounded(CHANNEL_CAP)` makes, sent with `$send`
/// and received with `$recv` while it returns `$more(item)`. A macro because the channels
/// share no trait.
macro_rules! native_channel_case {
    ($rt:expr, $bounded:expr, $send:ident, $recv:ident, $more:ident) => {
        on_native($rt, move || async move {
            #[allow(unused_mut)] // only tokio's receiver needs `mut`
            let (tx, mut rx) = $bounded(CHANNEL_CAP);
            let producer = async move {
                for i in 0..CHANNEL_N {
                    tx.$send(i).await.expect("the receiver is alive");
                }
            };
            let consumer = async move {
                let mut sum = 0u64;
                while let $more(item) = rx.$recv().await {
                    sum += item;
                }
                assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
            };
            native_pair($rt, producer, consumer).await;
        })
    };
}

/// The native side of `ping_pong_*`: `PING_N` round trips between two tasks over two
/// channels of capacity 1 made by `$bounded`, with `$send` and `$recv` as above.
macro_rules! native_ping_pong_case {
    ($rt:expr, $bounded:expr, $send:ident, $recv:ident, $more:ident) => {
        on_native($rt, move || async move {
            #[allow(unused_mut)] // only tokio's receivers need `mut`
            let (ping_tx, mut ping_rx) = $bounded(1);
            #[allow(unused_mut)]
            let (pong_tx, mut pong_rx) = $bounded(1);
            let ponger = async move {
                while let $more(ball) = ping_rx.$recv().await {
                    pong_tx.$send(ball + 1).await.expect("the pinger is alive");
                }
            };
            let pinger = async move {
                let mut ball = 0;
                for _ in 0..PING_N {
                    ping_tx.$send(ball).await.expect("the ponger is alive");
                    ball = pong_rx.$recv().await.expect("the ponger is alive");
                }
                assert_eq!(ball, PING_N);
            };
            native_pair($rt, ponger, pinger).await;
        })
    };
}

/// One producer and one consumer in a task group, `CHANNEL_N` items through a memory object
/// stream of capacity `CHANNEL_CAP`.
pub(crate) fn channel_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let (tx, rx) = create_memory_object_stream::<u64>(CHANNEL_CAP);
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                for i in 0..CHANNEL_N {
                    tx.send(i).await.expect("the receiver is alive");
                }
                Ok(())
            })?;
            tg.spawn(async move {
                let mut sum = 0u64;
                while let Ok(item) = rx.receive().await {
                    sum += item;
                }
                assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
                Ok(())
            })?;
            Ok::<_, anyio::BoxError>(())
        })
        .await
        .expect("task group failed");
    })
}

/// Runs two futures as plain tasks of the anyio runtime `rt` (its `Runtime::spawn`, no task
/// group) and waits for both: the facade's counterpart of [`native_pair`], so that a case
/// measures the channel alone.
async fn facade_pair<A, B>(rt: Rt, a: A, b: B)
where
    A: Future<Output = ()> + Send + 'static,
    B: Future<Output = ()> + Send + 'static,
{
    let runtime = AnyRuntime::try_from(rt.anyio()).expect("the backend is enabled");
    let (a, b) = (runtime.spawn(a), runtime.spawn(b));
    a.await.expect("task failed");
    b.await.expect("task failed");
}

/// As [`channel_facade`], but the producer and the consumer are plain spawned tasks.
pub(crate) fn channel_facade_spawned(rt: Rt) -> Duration {
    on_facade(rt, move || async move {
        let (tx, rx) = create_memory_object_stream::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Ok(item) = rx.receive().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        facade_pair(rt, producer, consumer).await;
    })
}

pub(crate) fn channel_tokio_mpsc(rt: Rt) -> Duration {
    native_channel_case!(rt, tokio::sync::mpsc::channel::<u64>, send, recv, Some)
}

pub(crate) fn channel_async_channel(rt: Rt) -> Duration {
    native_channel_case!(rt, async_channel::bounded::<u64>, send, recv, Ok)
}

pub(crate) fn channel_flume(rt: Rt) -> Duration {
    native_channel_case!(rt, flume::bounded::<u64>, send_async, recv_async, Ok)
}

/// `PING_N` round trips between two tasks over two memory object streams of capacity 1.
pub(crate) fn ping_pong_facade(rt: Rt) -> Duration {
    on_facade(rt, || async {
        let (ping_tx, ping_rx) = create_memory_object_stream::<u64>(1);
        let (pong_tx, pong_rx) = create_memory_object_stream::<u64>(1);
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                while let Ok(ball) = ping_rx.receive().await {
                    pong_tx.send(ball + 1).await.expect("the pinger is alive");
                }
                Ok(())
            })?;
            tg.spawn(async move {
                let mut ball = 0;
                for _ in 0..PING_N {
                    ping_tx.send(ball).await.expect("the ponger is alive");
                    ball = pong_rx.receive().await.expect("the ponger is alive");
                }
                assert_eq!(ball, PING_N);
                Ok(())
            })?;
            Ok::<_, anyio::BoxError>(())
        })
        .await
        .expect("task group failed");
    })
}

/// As [`ping_pong_facade`], but between two plain spawned tasks.
pub(crate) fn ping_pong_facade_spawned(rt: Rt) -> Duration {
    on_facade(rt, move || async move {
        let (ping_tx, ping_rx) = create_memory_object_stream::<u64>(1);
        let (pong_tx, pong_rx) = create_memory_object_stream::<u64>(1);
        let ponger = async move {
            while let Ok(ball) = ping_rx.receive().await {
                pong_tx.send(ball + 1).await.expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send(ball).await.expect("the ponger is alive");
                ball = pong_rx.receive().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        facade_pair(rt, ponger, pinger).await;
    })
}

pub(crate) fn ping_pong_tokio_mpsc(rt: Rt) -> Duration {
    native_ping_pong_case!(rt, tokio::sync::mpsc::channel::<u64>, send, recv, Some)
}

pub(crate) fn ping_pong_async_channel(rt: Rt) -> Duration {
    native_ping_pong_case!(rt, async_channel::bounded::<u64>, send, recv, Ok)
}

pub(crate) fn ping_pong_flume(rt: Rt) -> Duration {
    native_ping_pong_case!(rt, flume::bounded::<u64>, send_async, recv_async, Ok)
}
