//! The producer/consumer queue: several producers and consumers in one task group, connected
//! by a bounded memory object stream. Each producer closes its clone of the sender when done;
//! once all have, the consumers drain the queue, get `EndOfStream` and finish. The program
//! prints who did what and checks that every job was consumed exactly once.
//!
//! Run it on the default backend, or pick one with `ANYIO_BACKEND`:
//!
//! ```text
//! cargo run --example producer_consumer
//! ANYIO_BACKEND=smol cargo run --example producer_consumer --all-features
//! ANYIO_BACKEND=async-std cargo run --example producer_consumer --all-features
//! ```

use std::time::{Duration, Instant};

use anyio::streams::memory::{
    create_memory_object_stream, MemoryObjectReceiver, MemoryObjectSender,
};
use anyio::BoxError;

const PRODUCERS: u64 = 4;
const CONSUMERS: u64 = 3;
const JOBS_PER_PRODUCER: u64 = 50;
/// Small on purpose, so producers regularly wait for the consumers to catch up.
const CAPACITY: usize = 8;

/// A unit of work.
#[derive(Debug)]
struct Job {
    producer: u64,
    number: u64,
}

impl Job {
    /// A value unique to the job, summed on both sides to check nothing was lost or doubled.
    fn id(&self) -> u64 {
        self.producer * 1_000_000 + self.number
    }
}

/// What one consumer did.
#[derive(Debug)]
struct Consumed {
    consumer: u64,
    jobs: u64,
    id_sum: u64,
}

async fn produce(producer: u64, tx: MemoryObjectSender<Job>) -> Result<u64, BoxError> {
    let mut id_sum = 0;
    for number in 0..JOBS_PER_PRODUCER {
        let job = Job { producer, number };
        id_sum += job.id();
        // Waits while the queue is full; fails (handing the job back) only if every
        // consumer is gone.
        tx.send(job).await?;
        if number % 10 == 9 {
            anyio::sleep(Duration::from_millis(1)).await; // a burst is over
        }
    }
    // Done: close this clone. The stream ends once every producer has closed (or dropped) its.
    tx.close();
    Ok(id_sum)
}

async fn consume(consumer: u64, rx: MemoryObjectReceiver<Job>) -> Result<Consumed, BoxError> {
    let mut done = Consumed {
        consumer,
        jobs: 0,
        id_sum: 0,
    };
    // `Err(EndOfStream)` once every producer closed its sender and the queue is empty.
    while let Ok(job) = rx.receive().await {
        anyio::sleep(Duration::from_micros(200)).await; // the work
        done.jobs += 1;
        done.id_sum += job.id();
    }
    Ok(done)
}

fn main() -> Result<(), BoxError> {
    let start = Instant::now();
    let (backend, produced, consumed) = anyio::run(async {
        let backend = anyio::Backend::current().expect("anyio::run starts a backend");
        let (tx, rx) = create_memory_object_stream::<Job>(CAPACITY);
        let outcome = anyio::task_group(|tg| async move {
            let producers = (0..PRODUCERS)
                .map(|p| tg.spawn(produce(p, tx.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            let consumers = (0..CONSUMERS)
                .map(|c| tg.spawn(consume(c, rx.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            // The body's own handles must go too, or the stream would never end.
            drop((tx, rx));
            let mut produced = 0;
            for producer in producers {
                produced += producer.await?;
            }
            let mut consumed = Vec::new();
            for consumer in consumers {
                consumed.push(consumer.await?);
            }
            Ok::<_, BoxError>((produced, consumed))
        })
        .await;
        outcome
            .map(|(produced, consumed)| (backend, produced, consumed))
            .map_err(|e| e.into_first().unwrap_or_else(|| "cancelled".into()))
    })??;

    println!("{PRODUCERS} producers, {CONSUMERS} consumers, capacity {CAPACITY}, on {backend}:");
    let mut total = 0;
    let mut id_sum = 0;
    for c in &consumed {
        println!("  consumer {} handled {} jobs", c.consumer, c.jobs);
        total += c.jobs;
        id_sum += c.id_sum;
    }
    let expected = PRODUCERS * JOBS_PER_PRODUCER;
    println!(
        "{total} of {expected} jobs consumed in {:.0?}; checksum {}",
        start.elapsed(),
        if id_sum == produced { "ok" } else { "MISMATCH" }
    );
    if total != expected || id_sum != produced {
        return Err("a job was lost or consumed twice".into());
    }
    Ok(())
}
