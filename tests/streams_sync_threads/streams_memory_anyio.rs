//! AnyIO's `tests/streams/test_memory.py`, case by case where the existing memory stream suite
//! (`streams_memory.rs`) does not already have the same shape, and the hand-over rules of
//! DESIGN.md's delivery model: an item handed to a waiting send or receive before its scope's
//! cancellation is delivered.

use crate::common;

use std::time::{Duration, Instant};

use anyio::streams::memory::{
    create_memory_object_stream, MemoryObjectReceiver, MemoryObjectSender, ReceiveError, SendError,
    TryReceiveError, TrySendError,
};
use anyio::{sleep, task_group, BoxError, CancelScope};
use common::ms;

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting until {what}"
        );
        sleep(ms(1)).await;
    }
}

fn waiting_senders<T>(rx: &MemoryObjectReceiver<T>) -> usize {
    rx.statistics().tasks_waiting_send
}

fn waiting_receivers<T>(tx: &MemoryObjectSender<T>) -> usize {
    tx.statistics().tasks_waiting_receive
}

#[anyio::test]
async fn send_is_unblocked_after_receive_nowait() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.try_send("hello").unwrap();
    task_group(|tg| async move {
        let sender = tg.spawn({
            let tx = tx.clone();
            async move { Ok(tx.send("anyio").await?) }
        })?;
        wait_until("the sender waits", || waiting_senders(&rx) == 1).await;
        assert_eq!(rx.try_receive(), Ok("hello"));
        // The waiting send's item moved into the buffer at once.
        let stats = rx.statistics();
        assert_eq!(
            (stats.current_buffer_used, stats.tasks_waiting_send),
            (1, 0)
        );
        sender.await?;
        assert_eq!(rx.try_receive(), Ok("anyio"));
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
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
async fn try_send_to_a_waiting_receiver_shows_in_statistics_at_once() {
    let (tx, rx) = create_memory_object_stream::<u8>(0);
    task_group(|tg| async move {
        let receiver = tg.spawn(async move { Ok(rx.receive().await?) })?;
        wait_until("the receiver waits", || waiting_receivers(&tx) == 1).await;
        tx.try_send(1).unwrap();
        let stats = tx.statistics();
        assert_eq!(
            (stats.current_buffer_used, stats.tasks_waiting_receive),
            (0, 0)
        );
        assert_eq!(receiver.await?, 1);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn cancel_receive() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    task_group(|tg| async move {
        tg.spawn(async move {
            let _ = rx.receive().await;
            Ok::<_, BoxError>(())
        })?;
        wait_until("the receiver waits", || waiting_receivers(&tx) == 1).await;
        tg.cancel();
        wait_until("the receiver is gone", || waiting_receivers(&tx) == 0).await;
        assert!(matches!(
            tx.try_send("hello"),
            Err(TrySendError::Broken("hello"))
        ));
        Ok(())
    })
    .await
    .unwrap_err();
}

#[anyio::test]
async fn cancel_send() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let outcome = task_group(|tg| async move {
        tg.spawn(async move {
            let _ = tx.send("hello").await;
            Ok::<_, BoxError>(())
        })?;
        wait_until("the sender waits", || waiting_senders(&rx) == 1).await;
        tg.cancel();
        wait_until("the sender is gone", || waiting_senders(&rx) == 0).await;
        // The withdrawn item was never delivered.
        assert!(matches!(
            rx.try_receive(),
            Err(TryReceiveError::WouldBlock | TryReceiveError::EndOfStream)
        ));
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
}

#[anyio::test]
async fn clone() {
    let (send1, receive1) = create_memory_object_stream::<&str>(1);
    let send2 = send1.clone();
    let receive2 = receive1.clone();
    send1.close();
    receive1.close();
    send2.try_send("hello").unwrap();
    assert_eq!(receive2.try_receive(), Ok("hello"));
}

#[anyio::test]
async fn clone_closed() {
    // AnyIO refuses to clone a closed handle; a Rust clone cannot fail, so the clone is closed.
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.close();
    rx.close();
    assert!(tx.clone().is_closed());
    assert!(rx.clone().is_closed());
    assert!(matches!(
        tx.clone().try_send("x"),
        Err(TrySendError::Closed("x"))
    ));
}

#[anyio::test]
async fn close_send_while_receiving() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    let received = task_group(|tg| async move {
        let receiver = tg.spawn(async move { Ok::<_, BoxError>(rx.receive().await) })?;
        wait_until("the receiver waits", || waiting_receivers(&tx) == 1).await;
        tx.close();
        Ok::<_, BoxError>(receiver.await?)
    })
    .await
    .unwrap();
    assert_eq!(received, Err(ReceiveError::EndOfStream));
}

#[anyio::test]
async fn close_receive_while_sending() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let sent = task_group(|tg| async move {
        let sender = tg.spawn(async move { Ok::<_, BoxError>(tx.send("hello").await) })?;
        wait_until("the sender waits", || waiting_senders(&rx) == 1).await;
        rx.close();
        Ok::<_, BoxError>(sender.await?)
    })
    .await
    .unwrap();
    assert_eq!(sent, Err(SendError::Broken("hello")));
}

#[anyio::test]
async fn receive_after_send_closed() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    tx.send("hello").await.unwrap();
    tx.close();
    assert_eq!(rx.receive().await, Ok("hello"));
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
}

#[anyio::test]
async fn send_cancelled_right_after_its_hand_over_reports_success() {
    for round in 0..20u32 {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let (outcome, taken) = task_group(|tg| async move {
            let sender = tg.spawn(async move { Ok(scope.run(tx.send(round)).await) })?;
            wait_until("the sender waits", || waiting_senders(&rx) == 1).await;
            let taken = rx.try_receive();
            handle.cancel();
            Ok::<_, BoxError>((sender.await?, taken))
        })
        .await
        .unwrap();
        assert_eq!(taken, Ok(round));
        assert_eq!(outcome, Some(Ok(())), "the delivered send reports success");
    }
}
