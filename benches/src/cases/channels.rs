//! Memory object streams against the channels the runtimes' users reach for.

use std::time::Duration;

use anyio::streams::memory::create_memory_object_stream;

use crate::harness::{native_pair, on_facade, on_native, Rt};

/// Items through the channel in the `channel_1m_*` cases.
pub(crate) const CHANNEL_N: u64 = 1_000_000;
/// Their channel's capacity.
pub(crate) const CHANNEL_CAP: usize = 1024;
/// Round trips in the `ping_pong_*` cases.
pub(crate) const PING_N: u64 = 100_000;

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

pub(crate) fn channel_tokio_mpsc(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Some(item) = rx.recv().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        native_pair(rt, producer, consumer).await;
    })
}

pub(crate) fn channel_async_channel(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (tx, rx) = async_channel::bounded::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Ok(item) = rx.recv().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        native_pair(rt, producer, consumer).await;
    })
}

pub(crate) fn channel_flume(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (tx, rx) = flume::bounded::<u64>(CHANNEL_CAP);
        let producer = async move {
            for i in 0..CHANNEL_N {
                tx.send_async(i).await.expect("the receiver is alive");
            }
        };
        let consumer = async move {
            let mut sum = 0u64;
            while let Ok(item) = rx.recv_async().await {
                sum += item;
            }
            assert_eq!(sum, CHANNEL_N * (CHANNEL_N - 1) / 2);
        };
        native_pair(rt, producer, consumer).await;
    })
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

pub(crate) fn ping_pong_tokio_mpsc(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let ponger = async move {
            while let Some(ball) = ping_rx.recv().await {
                pong_tx.send(ball + 1).await.expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send(ball).await.expect("the ponger is alive");
                ball = pong_rx.recv().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        native_pair(rt, ponger, pinger).await;
    })
}

pub(crate) fn ping_pong_async_channel(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
        let ponger = async move {
            while let Ok(ball) = ping_rx.recv().await {
                pong_tx.send(ball + 1).await.expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send(ball).await.expect("the ponger is alive");
                ball = pong_rx.recv().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        native_pair(rt, ponger, pinger).await;
    })
}

pub(crate) fn ping_pong_flume(rt: Rt) -> Duration {
    on_native(rt, move || async move {
        let (ping_tx, ping_rx) = flume::bounded::<u64>(1);
        let (pong_tx, pong_rx) = flume::bounded::<u64>(1);
        let ponger = async move {
            while let Ok(ball) = ping_rx.recv_async().await {
                pong_tx
                    .send_async(ball + 1)
                    .await
                    .expect("the pinger is alive");
            }
        };
        let pinger = async move {
            let mut ball = 0;
            for _ in 0..PING_N {
                ping_tx.send_async(ball).await.expect("the ponger is alive");
                ball = pong_rx.recv_async().await.expect("the ponger is alive");
            }
            assert_eq!(ball, PING_N);
        };
        native_pair(rt, ponger, pinger).await;
    })
}
