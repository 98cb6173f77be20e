//! Randomized producers and consumers with random cancellations: every item whose send
//! completed is received exactly once, no item whose send was cancelled is received, and each
//! consumer sees each producer's items in the order they were sent.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::streams::memory::{
    create_memory_object_stream, create_unbounded_memory_object_stream, MemoryObjectReceiver,
    MemoryObjectSender,
};
use common::TestError;

/// A small deterministic generator (xorshift64*), so a failing seed can be replayed.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

type Item = (usize, u32);

#[derive(Debug)]
struct Scenario {
    seed: u64,
    capacity: Option<usize>,
    producers: usize,
    consumers: usize,
    items_per_producer: u32,
}

impl Scenario {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed | 1);
        Self {
            seed,
            capacity: match rng.below(4) {
                0 => None,
                1 => Some(0),
                _ => Some(rng.below(4) as usize + 1),
            },
            producers: rng.below(3) as usize + 1,
            consumers: rng.below(3) as usize + 1,
            items_per_producer: rng.below(60) as u32 + 20,
        }
    }
}

/// Sends with random short deadlines; records which items were delivered.
async fn producer(
    id: usize,
    tx: MemoryObjectSender<Item>,
    count: u32,
    mut rng: Rng,
    sent: Arc<Mutex<HashSet<Item>>>,
    cancelled: Arc<AtomicUsize>,
) -> Result<(), TestError> {
    for seq in 0..count {
        let item = (id, seq);
        let outcome = if rng.chance(30) {
            let patience = Duration::from_micros(rng.below(300));
            anyio::move_on_after(patience, tx.send(item)).await
        } else {
            Some(tx.send(item).await)
        };
        match outcome {
            Some(Ok(())) => {
                sent.lock().unwrap().insert(item);
            }
            Some(Err(error)) => return Err(TestError::Anyio(error.to_string())),
            // Cancelled: must never be received.
            None => {
                cancelled.fetch_add(1, Ordering::Relaxed);
            }
        }
        if rng.chance(10) {
            anyio::checkpoint().await;
        }
    }
    tx.close();
    Ok(())
}

/// Receives with random short deadlines until the end of the stream (or, for a quitter, until
/// it decides to stop early); returns what it received in order.
async fn consumer(
    rx: MemoryObjectReceiver<Item>,
    mut rng: Rng,
    quitter: bool,
    cancelled: Arc<AtomicUsize>,
) -> Result<Vec<Item>, TestError> {
    let mut received = Vec::new();
    loop {
        if quitter && rng.chance(5) {
            rx.close();
            return Ok(received);
        }
        let outcome = if rng.chance(30) {
            let patience = Duration::from_micros(rng.below(300));
            anyio::move_on_after(patience, rx.receive()).await
        } else {
            Some(rx.receive().await)
        };
        match outcome {
            Some(Ok(item)) => received.push(item),
            Some(Err(error)) if error.is_end_of_stream() => return Ok(received),
            Some(Err(error)) => return Err(TestError::Anyio(error.to_string())),
            // Cancelled: whatever it was offered stays in the stream.
            None => {
                cancelled.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Runs one scenario and checks it; returns how many sends and receives were cancelled.
async fn run_scenario(scenario: Scenario) -> (usize, usize) {
    let cancelled_sends = Arc::new(AtomicUsize::new(0));
    let cancelled_receives = Arc::new(AtomicUsize::new(0));
    let (cs, cr) = (
        Arc::clone(&cancelled_sends),
        Arc::clone(&cancelled_receives),
    );
    let (tx, rx) = match scenario.capacity {
        Some(capacity) => create_memory_object_stream::<Item>(capacity),
        None => create_unbounded_memory_object_stream::<Item>(),
    };
    let sent = Arc::new(Mutex::new(HashSet::new()));
    let mut rng = Rng(scenario.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let received = anyio::task_group(|tg| {
        let sent = Arc::clone(&sent);
        async move {
            for id in 0..scenario.producers {
                let (tx, rng, sent) = (tx.clone(), Rng(rng.next() | 1), Arc::clone(&sent));
                let count = scenario.items_per_producer;
                tg.spawn(producer(id, tx, count, rng, sent, Arc::clone(&cs)))?;
            }
            drop(tx);
            let mut consumers = Vec::new();
            for index in 0..scenario.consumers {
                // The first consumer never quits, so every delivered item has a taker.
                let quitter = index > 0;
                let rng = Rng(rng.next() | 1);
                consumers.push(tg.spawn(consumer(rx.clone(), rng, quitter, Arc::clone(&cr)))?);
            }
            drop(rx);
            let mut all = Vec::new();
            for handle in consumers {
                all.push(handle.await?);
            }
            Ok::<_, TestError>(all)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{scenario:?}: {e}"));

    let sent = sent.lock().unwrap().clone();
    let mut seen = HashSet::new();
    for items in &received {
        let mut last_seq = vec![None::<u32>; scenario.producers];
        for &(producer, seq) in items {
            assert!(
                seen.insert((producer, seq)),
                "{scenario:?}: {producer}/{seq} received twice"
            );
            assert!(
                last_seq[producer].is_none_or(|last| last < seq),
                "{scenario:?}: producer {producer}'s items out of order"
            );
            last_seq[producer] = Some(seq);
        }
    }
    let lost: Vec<_> = sent.difference(&seen).collect();
    let phantom: Vec<_> = seen.difference(&sent).collect();
    assert!(
        lost.is_empty(),
        "{scenario:?}: sent but never received: {lost:?}"
    );
    assert!(
        phantom.is_empty(),
        "{scenario:?}: received but never sent: {phantom:?}"
    );
    (
        cancelled_sends.load(Ordering::Relaxed),
        cancelled_receives.load(Ordering::Relaxed),
    )
}

#[anyio::test]
async fn every_delivered_item_is_received_exactly_once_in_order() {
    let (mut cancelled_sends, mut cancelled_receives) = (0, 0);
    for seed in 1..=200u64 {
        let (sends, receives) =
            anyio::fail_after(Duration::from_secs(20), run_scenario(Scenario::new(seed)))
                .await
                .unwrap_or_else(|_| panic!("seed {seed} did not finish: a deadlock"));
        cancelled_sends += sends;
        cancelled_receives += receives;
    }
    // The point is cancellation racing with delivery: make sure it happened.
    assert!(cancelled_sends > 0, "no send was ever cancelled");
    assert!(cancelled_receives > 0, "no receive was ever cancelled");
}
