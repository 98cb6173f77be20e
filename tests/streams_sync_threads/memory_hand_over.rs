//! The hand-over rules of DESIGN.md's delivery model on memory object streams, beside AnyIO's
//! own cases in `streams_memory_anyio.rs`: statistics show a hand-over at once, and a send
//! whose item was handed over before its scope's cancellation reports success.

use crate::common;

use std::time::{Duration, Instant};

use anyio::streams::memory::{
    create_memory_object_stream, MemoryObjectReceiver, MemoryObjectSender,
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
