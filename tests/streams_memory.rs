//! Memory object streams: capacities, clones and closing, endings, cancellation without loss,
//! statistics, fairness, Stream/Sink, OS threads. Ported from AnyIO's memory stream suite.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::streams::memory::{
    create_memory_object_stream, create_unbounded_memory_object_stream, MemoryObjectReceiver,
    MemoryObjectSender, MemoryObjectStreamStatistics, ReceiveError, SendError, TryReceiveError,
    TrySendError,
};
use anyio::{move_on_after, sleep, task_group, BoxError, CancelScope};
use common::{ms, Counter};
use futures_util::{poll, stream, FutureExt, SinkExt, StreamExt};

/// Polls `condition` every millisecond until it holds; fails the test after ten seconds.
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

fn waiting_senders<T>(tx: &MemoryObjectSender<T>) -> usize {
    tx.statistics().tasks_waiting_send
}

fn waiting_receivers<T>(rx: &MemoryObjectReceiver<T>) -> usize {
    rx.statistics().tasks_waiting_receive
}

// --- send and receive, at capacity 0 and N --------------------------------------------------

#[anyio::test]
async fn send_then_receive_buffered() {
    let (tx, rx) = create_memory_object_stream::<&str>(2);
    tx.send("hello").await.unwrap();
    tx.send("anyio").await.unwrap();
    assert_eq!(rx.receive().await.unwrap(), "hello");
    assert_eq!(rx.receive().await.unwrap(), "anyio");
}

#[anyio::test]
async fn send_then_receive_rendezvous() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    let sent = Counter::new();
    let s = sent.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            tx.send("hello").await?;
            s.bump();
            tx.send("anyio").await?;
            s.bump();
            Ok(())
        })?;
        wait_until("the sender waits", || waiting_senders_of(&rx) == 1).await;
        assert_eq!(sent.get(), 0, "a rendezvous send waits for a receiver");
        assert_eq!(rx.receive().await?, "hello");
        assert_eq!(rx.receive().await?, "anyio");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn receive_then_send_buffered() {
    let (tx, rx) = create_memory_object_stream::<&str>(1);
    task_group(|tg| async move {
        let receiver = tg.spawn(async move { Ok(rx.receive().await?) })?;
        wait_until("the receiver waits", || waiting_receivers_of(&tx) == 1).await;
        tx.send("hello").await?;
        assert_eq!(receiver.await?, "hello");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

fn waiting_receivers_of<T>(tx: &MemoryObjectSender<T>) -> usize {
    tx.statistics().tasks_waiting_receive
}

#[anyio::test]
async fn receive_then_send_rendezvous() {
    let (tx, rx) = create_memory_object_stream::<&str>(0);
    task_group(|tg| async move {
        let receiver = tg.spawn(async move { Ok(rx.receive().await?) })?;
        wait_until("the receiver waits", || waiting_receivers_of(&tx) == 1).await;
        tx.send("hello").await?;
        assert_eq!(receiver.await?, "hello");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn try_send_hands_items_to_waiting_receivers_at_capacity_zero() {
    // AnyIO's test_receive_then_send_nowait.
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
        wait_until("both receivers wait", || waiting_receivers_of(&tx) == 2).await;
        tx.try_send("hello")?;
        tx.try_send("anyio")?;
        assert_eq!(
            tx.try_send("nobody left"),
            Err(TrySendError::WouldBlock("nobody left"))
        );
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    let mut received = received.lock().unwrap().clone();
    received.sort_unstable();
    assert_eq!(received, ["anyio", "hello"]);
}

#[anyio::test]
async fn try_send_and_try_receive_never_wait() {
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    assert_eq!(tx.try_send(1), Ok(()));
    assert_eq!(tx.try_send(2), Err(TrySendError::WouldBlock(2)));
    assert_eq!(rx.try_receive(), Ok(1));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));

    let (tx, rx) = create_memory_object_stream::<u32>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::WouldBlock(1)));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

#[anyio::test]
async fn try_receive_gets_the_item_of_a_waiting_rendezvous_sender() {
    // AnyIO's test_send_then_receive_nowait: the waiting sender's item is taken at once, the
    // statistics show it at once, and that send then completes.
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    task_group(|tg| async move {
        let sender = tg.spawn(async move { Ok(tx.send(7).await?) })?;
        wait_until("the sender waits", || waiting_senders_of(&rx) == 1).await;
        assert_eq!(rx.try_receive(), Ok(7));
        assert_eq!(waiting_senders_of(&rx), 0);
        sender.await?; // and dropped its (only) sender
        assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

fn waiting_senders_of<T>(rx: &MemoryObjectReceiver<T>) -> usize {
    rx.statistics().tasks_waiting_send
}

#[anyio::test]
async fn unbounded_stream_never_makes_a_send_wait() {
    let (tx, rx) = create_unbounded_memory_object_stream::<u32>();
    for i in 0..10_000 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    let received: Vec<u32> = rx.collect().await;
    assert_eq!(received, (0..10_000).collect::<Vec<_>>());
}

#[anyio::test]
async fn producers_and_consumers_deliver_everything_exactly_once() {
    for capacity in [0, 1, 16] {
        let (tx, rx) = create_memory_object_stream::<(u32, u32)>(capacity);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        task_group(|tg| async move {
            for producer in 0..4 {
                let tx = tx.clone();
                tg.spawn(async move {
                    for i in 0..250 {
                        tx.send((producer, i)).await?;
                    }
                    Ok(())
                })?;
            }
            drop(tx);
            for _ in 0..3 {
                let (rx, s) = (rx.clone(), s.clone());
                tg.spawn(async move {
                    let mut mine = Vec::new();
                    while let Ok(item) = rx.receive().await {
                        mine.push(item);
                    }
                    s.lock().unwrap().push(mine);
                    Ok(())
                })?;
            }
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
        let per_consumer = seen.lock().unwrap().clone();
        let mut all: Vec<_> = per_consumer.iter().flatten().copied().collect();
        for mine in &per_consumer {
            for producer in 0..4 {
                let order: Vec<u32> = mine
                    .iter()
                    .filter(|(p, _)| *p == producer)
                    .map(|(_, i)| *i)
                    .collect();
                assert!(
                    order.windows(2).all(|w| w[0] < w[1]),
                    "per-producer order at capacity {capacity}"
                );
            }
        }
        all.sort_unstable();
        let expected: Vec<_> = (0..4).flat_map(|p| (0..250).map(move |i| (p, i))).collect();
        assert_eq!(
            all, expected,
            "every item exactly once at capacity {capacity}"
        );
    }
}

// --- clones and closing ---------------------------------------------------------------------

#[anyio::test]
async fn end_counts_as_closed_only_when_every_clone_is() {
    let (tx, rx) = create_memory_object_stream::<u32>(4);
    let tx2 = tx.clone();
    tx.send(1).await.unwrap();
    tx.close();
    assert_eq!(rx.try_receive(), Ok(1));
    assert_eq!(
        rx.try_receive(),
        Err(TryReceiveError::WouldBlock),
        "tx2 is open"
    );
    tx2.send(2).await.unwrap();
    drop(tx2);
    assert_eq!(rx.receive().await, Ok(2));
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));

    let (tx, rx) = create_memory_object_stream::<u32>(4);
    let rx2 = rx.clone();
    drop(rx);
    tx.send(3).await.unwrap();
    assert_eq!(rx2.receive().await, Ok(3));
    rx2.close();
    assert_eq!(tx.send(4).await, Err(SendError::Broken(4)));
}

#[anyio::test]
async fn using_a_closed_handle_gives_closed() {
    let (tx, rx) = create_memory_object_stream::<String>(4);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    tx.close();
    rx.close();
    assert!(tx.is_closed() && rx.is_closed());
    assert!(!tx2.is_closed() && !rx2.is_closed());
    let error = tx.send("kept".to_string()).await.unwrap_err();
    assert!(error.is_closed());
    assert_eq!(error.into_inner(), "kept");
    assert_eq!(
        tx.try_send("kept".into()),
        Err(TrySendError::Closed("kept".into()))
    );
    assert_eq!(rx.receive().await, Err(ReceiveError::Closed));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::Closed));
    // The clones still work.
    tx2.send("through the clone".into()).await.unwrap();
    assert_eq!(rx2.receive().await.unwrap(), "through the clone");
    // Closing twice does nothing; cloning a closed handle gives a closed handle.
    tx.close();
    let tx3 = tx.clone();
    assert!(tx3.is_closed());
    assert_eq!(tx.statistics().open_send_streams, 1);
    assert_eq!(rx.statistics().open_receive_streams, 1);
}

#[anyio::test]
async fn closing_wakes_a_send_blocked_on_that_handle_with_its_item() {
    let (tx, rx) = create_memory_object_stream::<String>(0);
    let blocked = Arc::new(tx.clone());
    task_group(|tg| async move {
        let b = blocked.clone();
        let sender = tg.spawn(async move { Ok(b.send("mine".to_string()).await) })?;
        wait_until("the sender waits", || waiting_senders_of(&rx) == 1).await;
        // Closing another clone leaves it waiting.
        tx.close();
        sleep(ms(5)).await;
        assert_eq!(waiting_senders_of(&rx), 1);
        blocked.close();
        let error = sender.await?.unwrap_err();
        assert!(error.is_closed());
        assert_eq!(error.into_inner(), "mine");
        assert_eq!(waiting_senders_of(&rx), 0);
        assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn closing_wakes_a_receive_blocked_on_that_handle() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    task_group(|tg| async move {
        let r = rx.clone();
        let receiver = tg.spawn(async move { Ok(r.receive().await) })?;
        wait_until("the receiver waits", || waiting_receivers_of(&tx) == 1).await;
        rx.close(); // another clone: no effect on the waiting receive
        sleep(ms(5)).await;
        assert_eq!(waiting_receivers_of(&tx), 1);
        tx.send(1).await?; // handed to the waiting receive
        assert_eq!(receiver.await?, Ok(1));

        let r = rx.clone(); // a clone of a closed handle is closed
        assert_eq!(r.receive().await, Err(ReceiveError::Closed));
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn close_wakes_a_receive_waiting_on_the_same_handle() {
    let (_tx, rx) = create_memory_object_stream::<u32>(0);
    let rx = Arc::new(rx);
    task_group(|tg| async move {
        let r = rx.clone();
        let receiver = tg.spawn(async move { Ok(r.receive().await) })?;
        wait_until("the receiver waits", || waiting_receivers(&rx) == 1).await;
        rx.close();
        assert_eq!(receiver.await?, Err(ReceiveError::Closed));
        assert_eq!(waiting_receivers(&rx), 0);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

// --- endings --------------------------------------------------------------------------------

#[anyio::test]
async fn end_of_stream_after_the_last_sender_once_drained() {
    let (tx, rx) = create_memory_object_stream::<u32>(4);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    drop(tx);
    assert_eq!(rx.receive().await, Ok(1));
    assert_eq!(rx.try_receive(), Ok(2));
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
}

#[anyio::test]
async fn closing_the_last_sender_wakes_waiting_receivers() {
    // AnyIO's test_close_send_while_receiving.
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    task_group(|tg| async move {
        let mut receivers = Vec::new();
        for _ in 0..3 {
            let rx = rx.clone();
            receivers.push(tg.spawn(async move { Ok(rx.receive().await) })?);
        }
        wait_until("three receivers wait", || waiting_receivers(&rx) == 3).await;
        tx.close();
        for receiver in receivers {
            assert_eq!(receiver.await?, Err(ReceiveError::EndOfStream));
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn broken_hands_the_item_back_after_the_last_receiver() {
    let (tx, rx) = create_memory_object_stream::<String>(1);
    drop(rx);
    let error = tx.send("item".to_string()).await.unwrap_err();
    assert!(error.is_broken());
    assert_eq!(error.into_inner(), "item");
    let error = tx.try_send("again".to_string()).unwrap_err();
    assert!(error.is_broken());
    assert_eq!(error.into_inner(), "again");
}

#[anyio::test]
async fn closing_the_last_receiver_wakes_blocked_senders_with_their_items() {
    // AnyIO's test_close_receive_while_sending, with several senders.
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    tx.send(0).await.unwrap(); // fills the buffer; dropped with the last receiver
    task_group(|tg| async move {
        let mut senders = Vec::new();
        for i in 1..=3 {
            let tx = tx.clone();
            senders.push(tg.spawn(async move { Ok(tx.send(i).await) })?);
        }
        wait_until("three senders wait", || waiting_senders_of(&rx) == 3).await;
        rx.close();
        for (i, sender) in (1..=3).zip(senders) {
            assert_eq!(sender.await?, Err(SendError::Broken(i)));
        }
        assert_eq!(
            tx.statistics().current_buffer_used,
            0,
            "the buffer was dropped"
        );
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn buffered_items_are_dropped_with_the_last_receiver() {
    let dropped = Counter::new();
    let (tx, rx) = create_memory_object_stream(2);
    tx.send(dropped.on_drop()).await.unwrap();
    tx.send(dropped.on_drop()).await.unwrap();
    assert_eq!(dropped.get(), 0);
    drop(rx);
    assert_eq!(dropped.get(), 2);
}

// --- cancellation without loss ----------------------------------------------------------------

#[anyio::test]
async fn cancelled_blocked_send_withdraws_its_item() {
    // Capacity 0: nobody receiving.
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    assert_eq!(move_on_after(ms(20), tx.send(1)).await, None);
    assert_eq!(waiting_senders(&tx), 0);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    task_group(|tg| async move {
        let t = tx.clone();
        tg.spawn(async move { Ok(t.send(2).await?) })?;
        assert_eq!(
            rx.receive().await?,
            2,
            "the withdrawn item is never received"
        );
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();

    // Capacity N: buffer full.
    let (tx, rx) = create_memory_object_stream::<u32>(2);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    assert_eq!(move_on_after(ms(20), tx.send(3)).await, None);
    assert_eq!(waiting_senders(&tx), 0);
    assert_eq!(
        tx.try_send(4),
        Err(TrySendError::WouldBlock(4)),
        "still full"
    );
    drop(tx);
    let received: Vec<u32> = rx.collect().now_or_never().expect("all buffered");
    assert_eq!(received, [1, 2]);
}

#[anyio::test]
async fn send_cancelled_by_a_cancel_scope_from_another_task_withdraws_its_item() {
    let dropped = Counter::new();
    let (tx, rx) = create_memory_object_stream(0);
    let scope = CancelScope::new();
    let handle = scope.handle();
    task_group(|tg| async move {
        let item = dropped.on_drop();
        let sender = tg.spawn(async move { Ok(scope.run(tx.send(item)).await.is_none()) })?;
        wait_until("the sender waits", || waiting_senders_of(&rx) == 1).await;
        handle.cancel();
        assert!(sender.await?, "the scope caught the cancellation");
        assert_eq!(
            dropped.get(),
            1,
            "the withdrawn item was dropped with the send"
        );
        assert_eq!(
            rx.try_receive().map(|_| ()),
            Err(TryReceiveError::EndOfStream)
        );
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn dropped_receive_after_a_handoff_does_not_lose_the_item() {
    for capacity in [0, 1] {
        let (tx, rx) = create_memory_object_stream::<u32>(capacity);
        let other = rx.clone();
        let mut first = Box::pin(rx.receive());
        let mut second = Box::pin(other.receive());
        assert!(poll!(&mut first).is_pending());
        assert!(poll!(&mut second).is_pending());
        tx.try_send(1).unwrap(); // handed to `first`
        assert_eq!(waiting_receivers(&rx), 1);
        drop(first); // cancelled before it ran: the item goes to `second`
        assert_eq!(second.await, Ok(1));

        let mut third = Box::pin(rx.receive());
        assert!(poll!(&mut third).is_pending());
        tx.try_send(2).unwrap(); // handed to `third`
        drop(third); // nobody else waits: the item stays first in line
        assert_eq!(rx.statistics().current_buffer_used, 1);
        // The item left behind still occupies the buffer: no room for another.
        assert_eq!(tx.try_send(3), Err(TrySendError::WouldBlock(3)));
        assert_eq!(rx.receive().await, Ok(2));
    }
}

#[anyio::test]
async fn receive_cancelled_by_its_scope_right_after_a_handoff_gets_the_item() {
    for round in 0..20u32 {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let got = task_group(|tg| async move {
            let r = rx.clone();
            let receiver = tg.spawn(async move { Ok(scope.run(r.receive()).await) })?;
            wait_until("the receiver waits", || waiting_receivers(&rx) == 1).await;
            // Hand the item over and cancel the receiver before it runs (on a multi-threaded
            // runtime it may run in between, then it has the item).
            tx.try_send(round)?;
            handle.cancel();
            let outcome = receiver.await?;
            let elsewhere = rx.try_receive();
            Ok::<_, BoxError>((outcome, elsewhere))
        })
        .await
        .unwrap();
        // The item was handed to the receiver before its scope was cancelled: it is
        // delivered to it (AnyIO), not put back.
        match got {
            (Some(Ok(item)), Err(TryReceiveError::WouldBlock)) => assert_eq!(item, round),
            other => panic!("the handed-over item was not delivered to its receiver: {other:?}"),
        }
    }
}

#[anyio::test]
async fn receivers_cancelled_by_a_task_group_pass_their_items_on() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    let sent = Counter::new();
    let s = sent.clone();
    let outcome = task_group(|tg| async move {
        for _ in 0..3 {
            let rx = rx2.clone();
            tg.spawn(async move {
                rx.receive().await?;
                Err::<(), BoxError>("received one".into())
            })?;
        }
        wait_until("three receivers wait", || waiting_receivers_of(&tx2) == 3).await;
        // Hand the items over and cancel the whole group. On a multi-threaded runtime a
        // receiver may run (and fail the group, cancelling its siblings) in between: then a
        // later item may find nobody waiting.
        for i in 0..3 {
            if tx2.try_send(i).is_ok() {
                s.bump();
            }
        }
        tg.cancel();
        Ok::<_, BoxError>(())
    })
    .await;
    // Each receiver either got its item (and failed the group on purpose) or was cancelled and
    // left it in the stream.
    let received_in_group = outcome.as_ref().map_or_else(|e| e.errors().len(), |()| 0);
    drop(tx);
    let left: Vec<u32> = rx.collect().await;
    assert!(sent.get() >= 1);
    assert_eq!(
        received_in_group + left.len(),
        sent.get(),
        "outcome: {outcome:?}"
    );
}

#[anyio::test]
async fn random_cancellations_lose_and_duplicate_nothing() {
    for capacity in [0, 2] {
        random_cancellations(capacity).await;
    }
}

/// Producers and consumers whose operations are cancelled at random. A send that completed is
/// received exactly once, a cancelled one never (so retrying it duplicates nothing), and each
/// consumer sees each producer's items in order.
async fn random_cancellations(capacity: usize) {
    const PRODUCERS: u64 = 3;
    const ITEMS: u64 = 60;
    let (tx, rx) = create_memory_object_stream::<(u64, u64)>(capacity);
    let sent = Arc::new(Mutex::new(HashSet::new()));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (s, r) = (sent.clone(), received.clone());
    task_group(|tg| async move {
        for producer in 0..PRODUCERS {
            let (tx, s) = (tx.clone(), s.clone());
            tg.spawn(async move {
                let mut random = Random(producer * 7919 + capacity as u64 + 1);
                let mut attempt = 0;
                for _ in 0..ITEMS {
                    loop {
                        attempt += 1;
                        let item = (producer, attempt);
                        let delay = Duration::from_micros(random.below(1500));
                        match move_on_after(delay, tx.send(item)).await {
                            Some(result) => {
                                result?;
                                s.lock().unwrap().insert(item);
                                break;
                            }
                            None => continue,
                        }
                    }
                }
                Ok(())
            })?;
        }
        drop(tx);
        for consumer in 0..2u64 {
            let (rx, r) = (rx.clone(), r.clone());
            tg.spawn(async move {
                let mut random = Random(consumer * 104_729 + 17);
                let mut mine = Vec::new();
                loop {
                    let delay = Duration::from_micros(random.below(1500));
                    match move_on_after(delay, rx.receive()).await {
                        Some(Ok(item)) => mine.push(item),
                        Some(Err(ReceiveError::EndOfStream)) => break,
                        Some(Err(error)) => return Err(error.into()),
                        None => continue,
                    }
                }
                r.lock().unwrap().push(mine);
                Ok(())
            })?;
        }
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();

    let sent = sent.lock().unwrap().clone();
    let received = received.lock().unwrap().clone();
    let mut counts = HashMap::new();
    for mine in &received {
        for producer in 0..PRODUCERS {
            let order: Vec<u64> = mine
                .iter()
                .filter(|(p, _)| *p == producer)
                .map(|(_, a)| *a)
                .collect();
            assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "per-producer order at capacity {capacity}"
            );
        }
        for item in mine {
            *counts.entry(*item).or_insert(0) += 1;
        }
    }
    assert!(
        counts.values().all(|&n| n == 1),
        "an item was received twice at capacity {capacity}"
    );
    for item in &sent {
        assert!(
            counts.contains_key(item),
            "{item:?} was sent but never received at capacity {capacity}"
        );
    }
    for item in counts.keys() {
        assert!(
            sent.contains(item),
            "{item:?} was received though its send was cancelled, at capacity {capacity}"
        );
    }
    assert_eq!(sent.len() as u64, PRODUCERS * ITEMS);
}

/// A small xorshift generator, so the randomized tests need no dependency.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

// --- statistics -------------------------------------------------------------------------------

#[anyio::test]
async fn statistics_report_buffer_handles_and_waiters() {
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    let expect = |stats: MemoryObjectStreamStatistics, used, senders, receivers, ws, wr| {
        assert_eq!(stats.current_buffer_used, used, "buffer used");
        assert_eq!(stats.max_buffer_size, Some(1));
        assert_eq!(stats.open_send_streams, senders, "open senders");
        assert_eq!(stats.open_receive_streams, receivers, "open receivers");
        assert_eq!(stats.tasks_waiting_send, ws, "waiting senders");
        assert_eq!(stats.tasks_waiting_receive, wr, "waiting receivers");
    };
    expect(tx.statistics(), 0, 1, 1, 0, 0);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    expect(rx.statistics(), 0, 2, 2, 0, 0);

    task_group(|tg| async move {
        // Receivers waiting.
        let r = rx2.clone();
        let receiver = tg.spawn(async move { Ok(r.receive().await?) })?;
        wait_until("the receiver waits", || waiting_receivers(&rx) == 1).await;
        expect(tx.statistics(), 0, 2, 3, 0, 1);
        tx.send(10).await?;
        assert_eq!(receiver.await?, 10);
        expect(tx.statistics(), 0, 2, 2, 0, 0);

        // Buffer full, then a sender waiting.
        tx.send(11).await?;
        expect(tx.statistics(), 1, 2, 2, 0, 0);
        let t = tx2.clone();
        let sender = tg.spawn(async move { Ok(t.send(12).await?) })?;
        wait_until("the sender waits", || waiting_senders(&tx) == 1).await;
        expect(rx.statistics(), 1, 3, 2, 1, 0);
        assert_eq!(rx.receive().await?, 11);
        sender.await?;
        expect(rx.statistics(), 1, 2, 2, 0, 0);
        assert_eq!(rx.receive().await?, 12);

        tx.close();
        rx.close();
        expect(tx2.statistics(), 0, 1, 1, 0, 0);
        drop((tx2, rx2));
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();

    let (tx, _rx) = create_unbounded_memory_object_stream::<u32>();
    assert_eq!(tx.statistics().max_buffer_size, None);
}

// --- fairness ---------------------------------------------------------------------------------

#[anyio::test]
async fn waiting_senders_are_served_in_order() {
    for capacity in [0, 1] {
        let (tx, rx) = create_memory_object_stream::<u32>(capacity);
        task_group(|tg| async move {
            if capacity == 1 {
                tx.send(100).await?;
            }
            for i in 0..5 {
                let sender = tx.clone();
                tg.spawn(async move { Ok(sender.send(i).await?) })?;
                wait_until("the sender waits", || {
                    waiting_senders(&tx) == i as usize + 1
                })
                .await;
            }
            // A newcomer does not overtake the waiting senders.
            assert_eq!(tx.try_send(99), Err(TrySendError::WouldBlock(99)));
            let mut received = Vec::new();
            for _ in 0..5 + capacity {
                received.push(rx.receive().await?);
            }
            let expected: Vec<u32> = (capacity == 1)
                .then_some(100)
                .into_iter()
                .chain(0..5)
                .collect();
            assert_eq!(received, expected);
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
    }
}

#[anyio::test]
async fn waiting_receivers_are_served_in_order() {
    // Items go to the receivers that have waited longest; receivers handed items at the same
    // moment take them in the order they run, so items are always taken in sending order.
    for capacity in [0, 4] {
        let (tx, rx) = create_memory_object_stream::<u32>(capacity);
        let received = Arc::new(Mutex::new(HashMap::new()));
        let r = received.clone();
        task_group(|tg| async move {
            for i in 0..5u32 {
                let (receiver, r) = (rx.clone(), r.clone());
                tg.spawn(async move {
                    let item = receiver.receive().await?;
                    r.lock().unwrap().insert(i, item);
                    Ok(())
                })?;
                wait_until("the receiver waits", || {
                    waiting_receivers(&rx) == i as usize + 1
                })
                .await;
            }
            for item in 0..3 {
                tx.send(item).await?;
            }
            // A newcomer does not overtake the receivers the items were handed to.
            assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
            wait_until("the first three received", || r.lock().unwrap().len() == 3).await;
            let mut first: Vec<_> = r.lock().unwrap().keys().copied().collect();
            first.sort_unstable();
            assert_eq!(first, [0, 1, 2], "the three longest waiting were served");
            for item in 3..5 {
                tx.send(item).await?;
            }
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
        let received = received.lock().unwrap().clone();
        let mut items: Vec<u32> = received.values().copied().collect();
        items.sort_unstable();
        assert_eq!(items, [0, 1, 2, 3, 4]);
        for i in 3..5 {
            assert!(received[&i] >= 3, "receiver {i} got a later item");
        }
    }
}

// --- Stream and Sink --------------------------------------------------------------------------

#[anyio::test]
async fn receiver_is_a_stream() {
    let (tx, rx) = create_memory_object_stream::<u32>(4);
    task_group(|tg| async move {
        tg.spawn(async move {
            for i in 0..10 {
                tx.send(i).await?;
            }
            Ok(())
        })?;
        let evens: Vec<u32> = rx
            .filter(|i| std::future::ready(i % 2 == 0))
            .collect()
            .await;
        assert_eq!(evens, [0, 2, 4, 6, 8]);
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();

    // A closed receiver's stream ends.
    let (tx, mut rx) = create_memory_object_stream::<u32>(4);
    tx.try_send(1).unwrap();
    rx.close();
    assert_eq!(rx.next().await, None);
    assert!(futures_util::stream::FusedStream::is_terminated(&rx));
}

#[anyio::test]
async fn sender_is_a_sink() {
    let (tx, rx) = create_memory_object_stream::<u32>(2);
    task_group(|tg| async move {
        tg.spawn(async move {
            stream::iter(0..20).map(Ok).forward(tx).await?;
            Ok(())
        })?;
        let received: Vec<u32> = rx.collect().await; // `forward` closes the sink at the end
        assert_eq!(received, (0..20).collect::<Vec<_>>());
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();

    // Rendezvous: `SinkExt::send` completes (flushes) only when a receiver takes the item.
    let (mut tx, rx) = create_memory_object_stream::<u32>(0);
    let taken = Counter::new();
    let t = taken.clone();
    task_group(|tg| async move {
        tg.spawn(async move {
            sleep(ms(10)).await;
            t.bump();
            assert_eq!(rx.receive().await?, 1);
            Ok(())
        })?;
        SinkExt::send(&mut tx, 1).await?; // the inherent `send` would shadow it
        assert_eq!(taken.get(), 1, "flushed only once received");
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn sink_errors_hand_the_item_back() {
    let (mut tx, rx) = create_memory_object_stream::<String>(1);
    drop(rx);
    let error = SinkExt::send(&mut tx, "lost?".to_string())
        .await
        .unwrap_err();
    assert_eq!(error, SendError::Broken("lost?".to_string()));

    let (mut tx, rx) = create_memory_object_stream::<String>(0);
    tx.feed("in flight".to_string()).await.unwrap(); // started, not delivered
    assert_eq!(rx.statistics().tasks_waiting_send, 1);
    tx.close(); // the inherent close: this handle, at once
    let error = tx.flush().await.unwrap_err();
    assert_eq!(error, SendError::Closed("in flight".to_string()));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));

    // Dropping the sender withdraws an item still in flight.
    let (mut tx, rx) = create_memory_object_stream::<u32>(0);
    tx.feed(1).await.unwrap();
    drop(tx);
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
}

// --- OS threads -------------------------------------------------------------------------------

#[anyio::test]
async fn an_os_thread_producer_feeds_an_async_consumer() {
    let (tx, rx) = create_memory_object_stream::<u32>(8);
    let producer = std::thread::spawn(move || {
        for mut item in 0..1000 {
            loop {
                match tx.try_send(item) {
                    Ok(()) => break,
                    Err(TrySendError::WouldBlock(back)) => {
                        item = back;
                        std::thread::yield_now();
                    }
                    Err(error) => panic!("{error}"),
                }
            }
        }
    });
    let mut received = Vec::new();
    while let Ok(item) = rx.receive().await {
        received.push(item);
    }
    producer.join().unwrap();
    assert_eq!(received, (0..1000).collect::<Vec<_>>());
}

#[anyio::test]
async fn an_async_producer_feeds_an_os_thread_consumer() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let consumer = std::thread::spawn(move || {
        let mut received = Vec::new();
        loop {
            match rx.try_receive() {
                Ok(item) => received.push(item),
                Err(TryReceiveError::WouldBlock) => std::thread::yield_now(),
                Err(TryReceiveError::EndOfStream) => return received,
                Err(error) => panic!("{error}"),
            }
        }
    });
    for i in 0..500 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    assert_eq!(consumer.join().unwrap(), (0..500).collect::<Vec<_>>());
}

#[anyio::test]
async fn os_threads_run_their_own_anyio_consumers() {
    let (tx, rx) = create_memory_object_stream::<u64>(4);
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                anyio::run(async move {
                    let mut sum = 0;
                    while let Ok(item) = rx.receive().await {
                        sum += item;
                    }
                    sum
                })
                .unwrap()
            })
        })
        .collect();
    drop(rx);
    for i in 1..=1000 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(total, 500_500);
}

// --- types ------------------------------------------------------------------------------------

#[test]
fn handles_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    send_sync(&tx.send(1));
    send_sync(&rx.receive());
    send_sync(&tx);
    send_sync(&rx);
    send_sync(&tx.statistics());
    send_sync(&SendError::Broken(1));
    send_sync(&TrySendError::WouldBlock(1));
    send_sync(&ReceiveError::EndOfStream);
    send_sync(&TryReceiveError::WouldBlock);
}

#[test]
fn errors_and_futures_describe_themselves() {
    struct NotDebug;
    let (tx, rx) = create_memory_object_stream::<NotDebug>(0);
    assert_eq!(format!("{:?}", SendError::Closed(NotDebug)), "Closed(..)");
    assert_eq!(
        format!("{:?}", TrySendError::WouldBlock(NotDebug)),
        "WouldBlock(..)"
    );
    assert!(format!("{:?}", tx.send(NotDebug)).starts_with("Send {"));
    assert!(format!("{:?}", rx.receive()).starts_with("Receive {"));
    assert!(format!("{tx:?}").starts_with("MemoryObjectSender {"));
    assert!(format!("{rx:?}").starts_with("MemoryObjectReceiver {"));
    let messages = [
        SendError::Broken(()).to_string(),
        SendError::Closed(()).to_string(),
        TrySendError::WouldBlock(()).to_string(),
        ReceiveError::EndOfStream.to_string(),
        ReceiveError::Closed.to_string(),
        TryReceiveError::WouldBlock.to_string(),
    ];
    for message in messages {
        assert!(message.starts_with(char::is_lowercase), "{message}");
    }
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    is_error(&SendError::Broken(NotDebug));
    is_error(&TrySendError::Broken(NotDebug));
    is_error(&ReceiveError::Closed);
    is_error(&TryReceiveError::Closed);
}
