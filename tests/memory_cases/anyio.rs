//! AnyIO's `tests/streams/test_memory.py`, translated: every case with a meaning in Rust, named
//! after it, on every backend.
//!
//! How the Python maps to Rust here:
//! - `create_memory_object_stream()` without a size is capacity 0 (AnyIO's default);
//!   `math.inf` is [`create_unbounded_memory_object_stream`] or [`MaxBufferSize::Unbounded`].
//! - `send_nowait` / `receive_nowait` are `try_send` / `try_receive`; `aclose()` and `close()`
//!   are `close()` (or dropping the handle).
//! - `wait_all_tasks_blocked()` waits until the stream's statistics show the task waiting.
//! - An exception raised by a child ends up in the task group's error; children return the
//!   stream's errors, boxed.
//! - Runtimes are multi-threaded: a child may run between two statements of the host. Each test
//!   asserts the outcome that holds whatever the interleaving.
//!
//! Where we differ on purpose:
//! - `test_clone_closed`: `Clone` cannot fail, so cloning a closed handle gives a closed handle
//!   (every operation on it reports `Closed`) where AnyIO raises `ClosedResourceError`.
//! - `test_invalid_max_buffer`, `test_negative_max_buffer`: a capacity is a `usize`, so a
//!   negative or fractional one does not compile. Sizes from outside the program (a config
//!   file, AnyIO's `math.inf`) go through [`MaxBufferSize`]'s conversions, which reject them
//!   with a typed error.
//!
//! Not translated (no meaning in Rust):
//! - `test_type_variance`: a static type checker's variance rules for Python generics.
//! - `test_deprecated_item_type_parameter`: a deprecated keyword argument.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::streams::memory::{
    create_memory_object_stream, create_unbounded_memory_object_stream, InvalidBufferSize,
    MaxBufferSize, MemoryObjectReceiver, MemoryObjectSender, ReceiveError, SendError,
    TryReceiveError, TrySendError,
};
use anyio::streams::AsyncClose;
use anyio::{fail_after, task_group, BoxError, CancelScope, TaskStatus};
use common::{wait_until, Watchdog};
use futures_util::{poll, StreamExt};

const LIMIT: Duration = Duration::from_secs(20);

fn waiting_senders<T>(tx: &MemoryObjectSender<T>) -> usize {
    tx.statistics().tasks_waiting_send
}

fn waiting_receivers<T>(rx: &MemoryObjectReceiver<T>) -> usize {
    rx.statistics().tasks_waiting_receive
}

/// The stream errors a child returned, as the group reports them.
fn stream_errors<T>(result: Result<T, anyio::TaskGroupError<BoxError>>) -> Vec<String> {
    match result {
        Ok(_) => Vec::new(),
        Err(error) => error.errors().iter().map(ToString::to_string).collect(),
    }
}

// --- buffer sizes -------------------------------------------------------------------------------

#[test]
fn invalid_max_buffer() {
    for size in [1.5, f64::NAN, 1e300] {
        let error: InvalidBufferSize = MaxBufferSize::try_from(size).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("max buffer size must be a whole number of items or infinity"),
            "{error}"
        );
    }
    assert!("1.0.0".parse::<MaxBufferSize>().is_err());
    assert!("lots".parse::<MaxBufferSize>().is_err());
    assert_eq!(MaxBufferSize::try_from(3.0), Ok(MaxBufferSize::Bounded(3)));
    assert_eq!(
        MaxBufferSize::try_from(f64::INFINITY),
        Ok(MaxBufferSize::Unbounded)
    );
    assert_eq!("inf".parse(), Ok(MaxBufferSize::Unbounded));
    assert_eq!("7".parse(), Ok(MaxBufferSize::Bounded(7)));
}

#[test]
fn negative_max_buffer() {
    for error in [
        MaxBufferSize::try_from(-1i64).unwrap_err(),
        MaxBufferSize::try_from(-1.0).unwrap_err(),
        MaxBufferSize::try_from(f64::NEG_INFINITY).unwrap_err(),
        "-1".parse::<MaxBufferSize>().unwrap_err(),
    ] {
        assert!(error.is_negative());
        assert!(error.to_string().contains("cannot be negative"), "{error}");
    }
    assert_eq!(MaxBufferSize::try_from(0i64), Ok(MaxBufferSize::Bounded(0)));
}

#[anyio::test]
async fn buffer_size_infinity() {
    // AnyIO's `max_buffer_size=math.inf`.
    let (tx, rx) = create_unbounded_memory_object_stream::<u32>();
    for i in 0..10_000 {
        tx.send(i).await.unwrap();
    }
    let stats = rx.statistics();
    assert_eq!(
        (stats.max_buffer_size, stats.current_buffer_used),
        (None, 10_000)
    );
    assert_eq!(stats.tasks_waiting_send, 0);
    assert_eq!(rx.receive().await, Ok(0));
}

#[anyio::test]
async fn max_buffer_size_makes_the_stream() {
    let (tx, rx) = MaxBufferSize::try_from(2.0).unwrap().create::<u8>();
    assert_eq!(tx.statistics().max_buffer_size, Some(2));
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::WouldBlock(3)));
    assert_eq!(rx.try_receive(), Ok(1));

    let (tx, _rx) = MaxBufferSize::try_from(f64::INFINITY)
        .unwrap()
        .create::<u32>();
    assert_eq!(tx.statistics().max_buffer_size, None);
    for i in 0..10_000 {
        tx.try_send(i).unwrap();
    }
}

// --- sending and receiving ------------------------------------------------------------------------

#[anyio::test]
async fn receive_then_send() {
    let _watchdog = Watchdog::new("receive_then_send", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let received = Arc::new(Mutex::new(Vec::new()));
    let r = received.clone();
    task_group(|tg| async move {
        let rx2 = rx.clone();
        tg.spawn(async move {
            for _ in 0..2 {
                let item = rx2.receive().await?;
                r.lock().unwrap().push(item);
            }
            Ok(())
        })?;
        wait_until(|| waiting_receivers(&rx) == 1).await;
        tx.send("hello").await?;
        tx.send("anyio").await?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(*received.lock().unwrap(), ["hello", "anyio"]);
}

#[anyio::test]
async fn receive_then_send_nowait() {
    let _watchdog = Watchdog::new("receive_then_send_nowait", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let received = Arc::new(Mutex::new(Vec::new()));
    let r = received.clone();
    task_group(|tg| async move {
        for _ in 0..2 {
            let (rx, r) = (rx.clone(), r.clone());
            tg.spawn(async move {
                let item = rx.receive().await?;
                r.lock().unwrap().push(item);
                Ok(())
            })?;
        }
        wait_until(|| waiting_receivers(&rx) == 2).await;
        // Each is handed to a waiting receiver at once: nothing is buffered at capacity 0.
        tx.try_send("hello")?;
        tx.try_send("anyio")?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    let mut received = received.lock().unwrap().clone();
    received.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(received, ["hello", "anyio"]);
}

#[anyio::test]
async fn send_then_receive_nowait() {
    let _watchdog = Watchdog::new("send_then_receive_nowait", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    task_group(|tg| async move {
        let sender = tg.spawn(async move { Ok(tx.send("hello").await?) })?;
        wait_until(|| waiting_receivers(&rx) == 0 && rx.statistics().tasks_waiting_send == 1).await;
        // The waiting sender's item is taken at once, and that send completes.
        assert_eq!(rx.try_receive(), Ok("hello"));
        sender.await?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn send_is_unblocked_after_receive_nowait() {
    let _watchdog = Watchdog::new("send_is_unblocked_after_receive_nowait", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.try_send("hello").unwrap();
    let group = task_group(|tg| {
        let (tx, rx) = (tx.clone(), rx.clone());
        async move {
            let t = tx.clone();
            tg.spawn(async move { Ok(t.send("anyio").await?) })?;
            wait_until(|| waiting_senders(&tx) == 1).await;
            assert_eq!(rx.try_receive(), Ok("hello"));
            Ok::<_, BoxError>(())
        }
    });
    fail_after(Duration::from_secs(1), group)
        .await
        .expect("the blocked send completed")
        .unwrap();
    assert_eq!(rx.try_receive(), Ok("anyio"));
}

#[anyio::test]
async fn send_nowait_then_receive_nowait() {
    let (tx, rx) = create_memory_object_stream::<&str>(2);
    tx.try_send("hello").unwrap();
    tx.try_send("anyio").unwrap();
    assert_eq!(rx.try_receive(), Ok("hello"));
    assert_eq!(rx.try_receive(), Ok("anyio"));
}

#[anyio::test]
async fn iterate() {
    let _watchdog = Watchdog::new("iterate", LIMIT);
    let (tx, mut rx) = create_memory_object_stream::<&str>(0);
    let received = task_group(|tg| async move {
        let receiver = tg.spawn(async move {
            let mut received = Vec::new();
            while let Some(item) = rx.next().await {
                received.push(item);
            }
            Ok(received)
        })?;
        tx.send("hello").await?;
        tx.send("anyio").await?;
        AsyncClose::close(&tx).await;
        Ok::<_, BoxError>(receiver.await?)
    })
    .await
    .unwrap();
    assert_eq!(received, ["hello", "anyio"]);
}

// --- closed handles -------------------------------------------------------------------------------

#[anyio::test]
async fn receive_send_closed_send_stream() {
    let (tx, rx) = create_memory_object_stream::<()>(0);
    AsyncClose::close(&tx).await;
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    assert_eq!(tx.send(()).await, Err(SendError::Closed(())));
}

#[anyio::test]
async fn receive_send_closed_receive_stream() {
    let (tx, rx) = create_memory_object_stream::<()>(0);
    AsyncClose::close(&rx).await;
    assert_eq!(rx.try_receive(), Err(TryReceiveError::Closed));
    assert_eq!(tx.send(()).await, Err(SendError::Broken(())));
}

#[anyio::test]
async fn sync_close() {
    let (tx, rx) = create_memory_object_stream::<()>(1);
    tx.close();
    rx.close();
    assert_eq!(tx.try_send(()), Err(TrySendError::Closed(())));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::Closed));
}

#[anyio::test]
async fn not_closed_warning() {
    // AnyIO warns about a stream that was never closed; dropping a handle closes it.
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    drop(tx);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    drop(rx);
    assert_eq!(tx.try_send(1), Err(TrySendError::Broken(1)));
}

// --- clones ---------------------------------------------------------------------------------------

#[anyio::test]
async fn clone() {
    let (send1, receive1) = create_memory_object_stream::<&str>(1);
    let send2 = send1.clone();
    let receive2 = receive1.clone();
    AsyncClose::close(&send1).await;
    AsyncClose::close(&receive1).await;
    send2.try_send("hello").unwrap();
    assert_eq!(receive2.try_receive(), Ok("hello"));
}

#[anyio::test]
async fn clone_closed() {
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    let (tx_open, rx_open) = (tx.clone(), rx.clone());
    tx.close();
    rx.close();
    let (tx2, rx2) = (tx.clone(), rx.clone());
    assert!(tx2.is_closed() && rx2.is_closed());
    assert_eq!(tx2.try_send(1), Err(TrySendError::Closed(1)));
    assert_eq!(tx2.send(1).await, Err(SendError::Closed(1)));
    assert_eq!(rx2.try_receive(), Err(TryReceiveError::Closed));
    assert_eq!(rx2.receive().await, Err(ReceiveError::Closed));
    // A closed clone is not an open handle: the open ones still make the stream work.
    let stats = tx_open.statistics();
    assert_eq!(
        (stats.open_send_streams, stats.open_receive_streams),
        (1, 1)
    );
    tx_open.try_send(2).unwrap();
    assert_eq!(rx_open.try_receive(), Ok(2));
}

// --- closing while others wait --------------------------------------------------------------------

#[anyio::test]
async fn close_send_while_receiving() {
    let _watchdog = Watchdog::new("close_send_while_receiving", LIMIT);
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    let result = task_group(|tg| async move {
        let r = rx.clone();
        tg.spawn(async move {
            r.receive().await?;
            Ok(())
        })?;
        wait_until(|| waiting_receivers(&rx) == 1).await;
        AsyncClose::close(&tx).await;
        Ok::<_, BoxError>(())
    })
    .await;
    assert_eq!(
        stream_errors(result),
        [ReceiveError::EndOfStream.to_string()]
    );
}

#[anyio::test]
async fn close_receive_while_sending() {
    let _watchdog = Watchdog::new("close_receive_while_sending", LIMIT);
    // `()` as the item, as AnyIO sends `None` (its issue #731).
    let (tx, rx) = create_memory_object_stream::<()>(0);
    let result = task_group(|tg| async move {
        let t = tx.clone();
        tg.spawn(async move {
            t.send(()).await?;
            Ok(())
        })?;
        wait_until(|| waiting_senders(&tx) == 1).await;
        AsyncClose::close(&rx).await;
        Ok::<_, BoxError>(())
    })
    .await;
    assert_eq!(stream_errors(result), [SendError::Broken(()).to_string()]);
}

#[anyio::test]
async fn receive_after_send_closed() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.send("hello").await.unwrap();
    AsyncClose::close(&tx).await;
    assert_eq!(rx.receive().await, Ok("hello"));
}

#[anyio::test]
async fn close_receive_after_send() {
    let _watchdog = Watchdog::new("close_receive_after_send", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    task_group(|tg| async move {
        tg.spawn(async move {
            tx.send("test").await?;
            AsyncClose::close(&tx).await;
            Ok(())
        })?;
        tg.spawn(async move {
            assert_eq!(rx.receive().await?, "test");
            AsyncClose::close(&rx).await;
            Ok(())
        })?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

// --- cancellation ---------------------------------------------------------------------------------

#[anyio::test]
async fn cancel_receive() {
    let _watchdog = Watchdog::new("cancel_receive", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let result = task_group(|tg| {
        let rx = rx.clone();
        async move {
            let r = rx.clone();
            tg.spawn(async move {
                r.receive().await?;
                Ok(())
            })?;
            wait_until(|| waiting_receivers(&rx) == 1).await;
            tg.cancel();
            Ok::<_, BoxError>(())
        }
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(waiting_receivers(&rx), 0);
    assert_eq!(tx.try_send("hello"), Err(TrySendError::WouldBlock("hello")));
}

#[anyio::test]
async fn cancel_send() {
    let _watchdog = Watchdog::new("cancel_send", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let result = task_group(|tg| {
        let tx = tx.clone();
        async move {
            let t = tx.clone();
            tg.spawn(async move {
                t.send("hello").await?;
                Ok(())
            })?;
            wait_until(|| waiting_senders(&tx) == 1).await;
            tg.cancel();
            Ok::<_, BoxError>(())
        }
    })
    .await;
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(waiting_senders(&tx), 0);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn receive_when_cancelled() {
    let _watchdog = Watchdog::new("receive_when_cancelled", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    task_group(|tg| async move {
        let t = tx.clone();
        tg.spawn(async move { Ok(t.send("hello").await?) })?;
        wait_until(|| waiting_senders(&tx) == 1).await;
        let t = tx.clone();
        tg.spawn(async move { Ok(t.send("world").await?) })?;
        wait_until(|| waiting_senders(&tx) == 2).await;

        // A receive in a cancelled scope takes nothing.
        let scope = CancelScope::new();
        scope.cancel();
        assert_eq!(scope.run(rx.receive()).await, None);
        assert_eq!(waiting_senders(&tx), 2);

        assert_eq!(rx.receive().await?, "hello");
        assert_eq!(rx.receive().await?, "world");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn send_when_cancelled() {
    let _watchdog = Watchdog::new("send_when_cancelled", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let received = task_group(|tg| async move {
        let r = rx.clone();
        let receiver = tg.spawn(async move { Ok(r.receive().await?) })?;
        wait_until(|| waiting_receivers(&rx) == 1).await;

        // A send in a cancelled scope delivers nothing, even to a waiting receiver.
        let scope = CancelScope::new();
        scope.cancel();
        assert_eq!(scope.run(tx.send("hello")).await, None);

        tx.send("world").await?;
        Ok::<_, BoxError>(receiver.await?)
    })
    .await
    .unwrap();
    assert_eq!(received, "world");
}

#[anyio::test]
async fn cancel_during_receive() {
    let _watchdog = Watchdog::new("cancel_during_receive", LIMIT);
    for capacity in [0, 1] {
        let (tx, rx) = create_memory_object_stream::<&str>(capacity);
        let received = Arc::new(Mutex::new(Vec::new()));
        let r = received.clone();
        task_group(|tg| async move {
            let rx2 = rx.clone();
            let scope = tg
                .start(|status: TaskStatus<anyio::CancelHandle>| async move {
                    let scope = CancelScope::new();
                    status.started(scope.handle());
                    let handle = scope.handle();
                    if let Some(item) = scope.run(rx2.receive()).await {
                        r.lock().unwrap().push(item?);
                    }
                    // The receive completed: the scope did not stop its body (whether the
                    // cancellation came before this task ran again or, on a multi-threaded
                    // runtime, after).
                    assert!(!handle.cancelled_caught());
                    Ok(())
                })
                .await?;
            wait_until(|| waiting_receivers(&rx) == 1).await;
            // The item is handed to the waiting receiver; the cancellation comes after, so the
            // receive still returns it.
            tx.try_send("hello")?;
            scope.cancel();
            assert!(scope.is_cancel_called());
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
        assert_eq!(*received.lock().unwrap(), ["hello"], "capacity {capacity}");
    }
}

#[anyio::test]
async fn cancel_during_receive_buffered() {
    let _watchdog = Watchdog::new("cancel_during_receive_buffered", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    task_group(|tg| {
        let rx = rx.clone();
        async move {
            let rx2 = rx.clone();
            let scope = tg
                .start(|status: TaskStatus<anyio::CancelHandle>| async move {
                    let scope = CancelScope::new();
                    status.started(scope.handle());
                    assert_eq!(scope.run(rx2.receive()).await, None);
                    Ok(())
                })
                .await?;
            wait_until(|| waiting_receivers(&rx) == 1).await;
            scope.cancel();
            // The receiver next in line has been cancelled: the item is not handed to it.
            tx.try_send("item")?;
            Ok::<_, BoxError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(rx.try_receive(), Ok("item"));
}

#[anyio::test]
async fn cancel_during_receive_rendezvous_skips_the_cancelled_receiver() {
    let _watchdog = Watchdog::new("cancel_during_receive_rendezvous", LIMIT);
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    task_group(|tg| {
        let (tx, rx) = (tx.clone(), rx.clone());
        async move {
            let rx2 = rx.clone();
            let scope = tg
                .start(|status: TaskStatus<anyio::CancelHandle>| async move {
                    let scope = CancelScope::new();
                    status.started(scope.handle());
                    assert_eq!(scope.run(rx2.receive()).await, None);
                    Ok(())
                })
                .await?;
            wait_until(|| waiting_receivers(&rx) == 1).await;
            scope.cancel();
            // At capacity 0 a cancelled receiver is no room: the send would have to wait.
            assert_eq!(tx.try_send("item"), Err(TrySendError::WouldBlock("item")));
            Ok::<_, BoxError>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn cancel_during_send_after_receive_nowait() {
    let _watchdog = Watchdog::new("cancel_during_send_after_receive_nowait", LIMIT);
    for capacity in [0, 1] {
        let (tx, rx) = create_memory_object_stream::<&str>(capacity);
        if capacity == 1 {
            tx.try_send("first").unwrap();
        }
        let outcome = task_group(|tg| async move {
            let tx2 = tx.clone();
            let (scope, sender) = {
                let scope = CancelScope::new();
                let handle = scope.handle();
                let sender = tg.spawn(async move { Ok(scope.run(tx2.send("hello")).await) })?;
                (handle, sender)
            };
            wait_until(|| waiting_senders(&tx) == 1).await;
            // The waiting send's item is taken (at capacity 1: room appears and it moves in),
            // then its scope is cancelled: the send completed, and reports it.
            let mut got = vec![rx.try_receive()?];
            scope.cancel();
            let outcome = sender.await?;
            if capacity == 1 {
                got.push(rx.try_receive()?);
            }
            assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
            Ok::<_, BoxError>((outcome.map(|r| r.is_ok()), got))
        })
        .await
        .unwrap();
        let expected = if capacity == 0 {
            vec!["hello"]
        } else {
            vec!["first", "hello"]
        };
        assert_eq!(outcome, (Some(true), expected), "capacity {capacity}");
    }
}

#[anyio::test]
async fn dropped_send_after_the_hand_over_delivered_its_item() {
    // A send future dropped by other means (a `select!`, another library's timeout) after its
    // item was taken has delivered it: it is received once, and nothing is withdrawn.
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let mut send = Box::pin(tx.send("hello"));
    assert!(poll!(&mut send).is_pending());
    assert_eq!(rx.try_receive(), Ok("hello"));
    drop(send);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    assert_eq!(waiting_senders(&tx), 0);

    // Still waiting when dropped: withdrawn, never received.
    let mut send = Box::pin(tx.send("withdrawn"));
    assert!(poll!(&mut send).is_pending());
    drop(send);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn send_to_natively_cancelled_receiver() {
    // A receive dropped by other means (a `select!`, a native task's abort) after an item was
    // handed to it: the item goes to the next in line, here a `try_receive`.
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    let mut receive = Box::pin(rx.receive());
    assert!(poll!(&mut receive).is_pending());
    tx.try_send("hello").unwrap();
    drop(receive);
    assert_eq!(rx.try_receive(), Ok("hello"));
}

// --- statistics -----------------------------------------------------------------------------------

#[anyio::test]
async fn statistics() {
    let _watchdog = Watchdog::new("statistics", LIMIT);
    let (tx, rx) = create_memory_object_stream::<()>(1);
    for stats in [tx.statistics(), rx.statistics()] {
        assert_eq!(stats.max_buffer_size, Some(1));
        assert_eq!(stats.current_buffer_used, 0);
        assert_eq!(stats.open_send_streams, 1);
        assert_eq!(stats.open_receive_streams, 1);
        assert_eq!(stats.tasks_waiting_send, 0);
        assert_eq!(stats.tasks_waiting_receive, 0);
    }

    for from_sender in [true, false] {
        let (tx, rx) = (&tx, &rx);
        let stats = move || {
            if from_sender {
                tx.statistics()
            } else {
                rx.statistics()
            }
        };
        task_group(|tg| async move {
            // tasks_waiting_send
            tx.try_send(())?;
            assert_eq!(stats().current_buffer_used, 1);
            let t = tx.clone();
            tg.spawn(async move { Ok(t.send(()).await?) })?;
            wait_until(|| stats().tasks_waiting_send == 1).await;
            assert_eq!(stats().current_buffer_used, 1);
            rx.try_receive()?;
            // The waiting send's item moved into the buffer at once.
            assert_eq!(stats().current_buffer_used, 1);
            assert_eq!(stats().tasks_waiting_send, 0);
            rx.try_receive()?;
            assert_eq!(stats().current_buffer_used, 0);

            // tasks_waiting_receive
            let r = rx.clone();
            tg.spawn(async move { Ok(r.receive().await?) })?;
            wait_until(|| stats().tasks_waiting_receive == 1).await;
            tx.try_send(())?;
            assert_eq!(stats().tasks_waiting_receive, 0);
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();

        task_group(|tg| async move {
            tx.try_send(())?;
            assert_eq!(stats().tasks_waiting_send, 0);
            for _ in 0..3 {
                let t = tx.clone();
                tg.spawn(async move { Ok(t.send(()).await?) })?;
            }
            wait_until(|| stats().tasks_waiting_send == 3).await;
            for waiting in (0..3).rev() {
                rx.try_receive()?;
                assert_eq!(stats().tasks_waiting_send, waiting);
            }
            rx.try_receive()?;
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();

        let stats = stats();
        assert_eq!(stats.current_buffer_used, 0);
        assert_eq!(stats.tasks_waiting_send, 0);
        assert_eq!(stats.tasks_waiting_receive, 0);
    }
}

// --- threads --------------------------------------------------------------------------------------

#[anyio::test]
async fn sync_send_and_receive_from_worker_threads() {
    let _watchdog = Watchdog::new("sync_send_and_receive_from_worker_threads", LIMIT);
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let (back_tx, back_rx) = create_memory_object_stream::<u32>(0);
    let total = task_group(|tg| async move {
        // A worker thread sends through the event loop (waiting as an async send does) and
        // receives the replies the same way.
        let worker = tg.spawn(async move {
            let sum = anyio::to_thread::run_sync(move || {
                let mut sum = 0;
                for i in 1..=50 {
                    let (tx, back_rx) = (tx.clone(), back_rx.clone());
                    anyio::from_thread::run(async move { tx.send(i).await })
                        .unwrap()
                        .unwrap();
                    sum += anyio::from_thread::run(async move { back_rx.receive().await })
                        .unwrap()
                        .unwrap();
                }
                sum
            })
            .await;
            Ok(sum)
        })?;
        while let Ok(item) = rx.receive().await {
            back_tx.send(item * 2).await?;
        }
        Ok::<_, BoxError>(worker.await?)
    })
    .await
    .unwrap();
    assert_eq!(total, 2 * (1..=50).sum::<u32>());
}
