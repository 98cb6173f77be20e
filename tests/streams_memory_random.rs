//! Generated producers and consumers with random cancellations: every item whose send
//! completed is received exactly once, no item whose send was cancelled is received, each
//! consumer sees each producer's items in the order they were sent, and nothing hangs.
//!
//! The shapes come from proptest strategies, run on every backend. A failing shape is shrunk
//! (each smaller candidate run on the same backend) and reported with the seed that made it;
//! `MEMORY_PROPTEST_SEED=<n>` replays another seed, `PROPTEST_CASES=<n>` runs more cases.

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
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

type Item = (usize, u32);

/// One operation of a producer or a consumer.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// `Some(µs)`: the operation runs under `move_on_after` with this patience.
    patience_us: Option<u16>,
    /// Yield (an anyio checkpoint) after the operation.
    checkpoint: bool,
}

#[derive(Debug, Clone)]
struct Producer {
    /// One step per send.
    steps: Vec<Step>,
    /// A cancelled send is tried again (a fresh item), rather than skipped.
    retry: bool,
}

#[derive(Debug, Clone)]
struct Consumer {
    /// Used in turn until the end of the stream.
    steps: Vec<Step>,
    /// Closes its handle and stops after this many operations (never for the first consumer,
    /// so every delivered item has a taker).
    quit_after: Option<usize>,
}

#[derive(Debug, Clone)]
struct Scenario {
    /// `None`: unbounded.
    capacity: Option<usize>,
    producers: Vec<Producer>,
    consumers: Vec<Consumer>,
}

/// A step that runs under `move_on_after` with probability `patient`.
fn step(patient: f64) -> impl Strategy<Value = Step> {
    (
        prop::option::weighted(patient, 0..300u16),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(patience_us, checkpoint)| Step {
            patience_us,
            checkpoint,
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let producer = (prop::collection::vec(step(0.3), 1..60), any::<bool>())
        .prop_map(|(steps, retry)| Producer { steps, retry });
    let consumer = (
        prop::collection::vec(step(0.5), 1..8),
        prop::option::weighted(0.5, 0..100usize),
    )
        .prop_map(|(steps, quit_after)| Consumer { steps, quit_after });
    (
        prop_oneof![
            1 => Just(None),
            2 => Just(Some(0)),
            2 => (1..5usize).prop_map(Some),
        ],
        prop::collection::vec(producer, 1..=3),
        prop::collection::vec(consumer, 1..=3),
    )
        .prop_map(|(capacity, producers, mut consumers)| {
            consumers[0].quit_after = None;
            Scenario {
                capacity,
                producers,
                consumers,
            }
        })
}

/// What the producers report back.
#[derive(Default)]
struct Outcomes {
    sent: Mutex<HashSet<Item>>,
    cancelled_sends: AtomicUsize,
    cancelled_receives: AtomicUsize,
}

/// Sends its steps' items; records which ones were delivered.
async fn produce(
    id: usize,
    tx: MemoryObjectSender<Item>,
    plan: Producer,
    outcomes: Arc<Outcomes>,
) -> Result<(), TestError> {
    let mut seq = 0;
    for step in &plan.steps {
        let mut patience_us = step.patience_us.map(u64::from);
        loop {
            let item = (id, seq);
            seq += 1;
            let outcome = match patience_us {
                Some(us) => {
                    let patience = Duration::from_micros(us);
                    anyio::move_on_after(patience, tx.send(item)).await
                }
                None => Some(tx.send(item).await),
            };
            // A retry gets more patience: with none at all a send never gets past its
            // checkpoint, and retrying it for ever would never yield.
            patience_us = patience_us.map(|us| us * 2 + 1);
            match outcome {
                Some(Ok(())) => {
                    outcomes.sent.lock().unwrap().insert(item);
                    break;
                }
                Some(Err(error)) => return Err(TestError::Anyio(error.to_string())),
                // Cancelled: must never be received.
                None => {
                    outcomes.cancelled_sends.fetch_add(1, Ordering::Relaxed);
                    if !plan.retry {
                        break;
                    }
                }
            }
        }
        if step.checkpoint {
            anyio::checkpoint().await;
        }
    }
    tx.close();
    Ok(())
}

/// Receives until the end of the stream (or until it quits); returns what it received, in
/// order.
async fn consume(
    rx: MemoryObjectReceiver<Item>,
    plan: Consumer,
    outcomes: Arc<Outcomes>,
) -> Result<Vec<Item>, TestError> {
    let mut received = Vec::new();
    for (done, step) in plan.steps.iter().cycle().enumerate() {
        if plan.quit_after == Some(done) {
            rx.close();
            return Ok(received);
        }
        let outcome = match step.patience_us {
            Some(us) => {
                let patience = Duration::from_micros(u64::from(us));
                anyio::move_on_after(patience, rx.receive()).await
            }
            None => Some(rx.receive().await),
        };
        match outcome {
            Some(Ok(item)) => received.push(item),
            Some(Err(error)) if error.is_end_of_stream() => return Ok(received),
            Some(Err(error)) => return Err(TestError::Anyio(error.to_string())),
            // Cancelled: whatever it was offered stays in the stream.
            None => {
                outcomes.cancelled_receives.fetch_add(1, Ordering::Relaxed);
            }
        }
        if step.checkpoint {
            anyio::checkpoint().await;
        }
    }
    unreachable!("`cycle` over a non-empty plan never ends")
}

/// Runs one scenario and checks it; returns how many sends and receives were cancelled.
async fn run_scenario(scenario: Scenario) -> Result<(usize, usize), String> {
    let (tx, rx) = match scenario.capacity {
        Some(capacity) => create_memory_object_stream::<Item>(capacity),
        None => create_unbounded_memory_object_stream::<Item>(),
    };
    let outcomes = Arc::new(Outcomes::default());

    let group = anyio::task_group(|tg| {
        let (producers, consumers) = (scenario.producers.clone(), scenario.consumers.clone());
        let outcomes = outcomes.clone();
        async move {
            for (id, plan) in producers.into_iter().enumerate() {
                tg.spawn(produce(id, tx.clone(), plan, outcomes.clone()))?;
            }
            drop(tx);
            let mut handles = Vec::new();
            for plan in consumers {
                handles.push(tg.spawn(consume(rx.clone(), plan, outcomes.clone()))?);
            }
            drop(rx);
            let mut all = Vec::new();
            for handle in handles {
                all.push(handle.await?);
            }
            Ok::<_, TestError>(all)
        }
    });
    let received = anyio::fail_after(Duration::from_secs(20), group)
        .await
        .map_err(|_| "did not finish within 20 s: a deadlock or a lost wake-up".to_string())?
        .map_err(|error| format!("the group failed: {error}"))?;

    let sent = outcomes.sent.lock().unwrap().clone();
    let mut seen = HashSet::new();
    for items in &received {
        let mut last_seq = vec![None::<u32>; scenario.producers.len()];
        for &(producer, seq) in items {
            if !seen.insert((producer, seq)) {
                return Err(format!("{producer}/{seq} received twice"));
            }
            if last_seq[producer].is_some_and(|last| last >= seq) {
                return Err(format!("producer {producer}'s items out of order"));
            }
            last_seq[producer] = Some(seq);
        }
    }
    let lost: Vec<_> = sent.difference(&seen).collect();
    if !lost.is_empty() {
        return Err(format!("sent but never received: {lost:?}"));
    }
    let phantom: Vec<_> = seen.difference(&sent).collect();
    if !phantom.is_empty() {
        return Err(format!(
            "received though their send was cancelled: {phantom:?}"
        ));
    }
    Ok((
        outcomes.cancelled_sends.load(Ordering::Relaxed),
        outcomes.cancelled_receives.load(Ordering::Relaxed),
    ))
}

/// Shrinks a failing scenario the way proptest's runner does, running each candidate here
/// (on this test's backend): simplify while it still fails, step back when it passes.
async fn shrink(
    tree: &mut impl ValueTree<Value = Scenario>,
    mut failure: String,
) -> (Scenario, String) {
    let mut minimal = tree.current();
    if tree.simplify() {
        loop {
            match run_scenario(tree.current()).await {
                Err(error) => {
                    minimal = tree.current();
                    failure = error;
                    if !tree.simplify() {
                        break;
                    }
                }
                Ok(_) => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
    }
    (minimal, failure)
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

#[anyio::test]
async fn every_delivered_item_is_received_exactly_once_in_order() {
    let seed = env_number("MEMORY_PROPTEST_SEED").unwrap_or(0);
    let cases = env_number("PROPTEST_CASES").unwrap_or(150);
    let seed_bytes: Vec<u8> = seed
        .to_le_bytes()
        .iter()
        .copied()
        .cycle()
        .take(32)
        .collect();
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = scenario();
    let (mut cancelled_sends, mut cancelled_receives) = (0, 0);
    for case in 0..cases {
        let mut tree = strategy
            .new_tree(&mut runner)
            .expect("the strategy rejects nothing");
        match run_scenario(tree.current()).await {
            Ok((sends, receives)) => {
                cancelled_sends += sends;
                cancelled_receives += receives;
            }
            Err(failure) => {
                let (minimal, failure) = shrink(&mut tree, failure).await;
                panic!(
                    "case {case} of seed {seed} failed: {failure}\nminimal scenario: {minimal:#?}"
                );
            }
        }
    }
    // The point is cancellation racing with delivery: make sure it happened.
    assert!(cancelled_sends > 0, "no send was ever cancelled");
    assert!(cancelled_receives > 0, "no receive was ever cancelled");
}
