//! A seeded random soak of the cancellation core.
//!
//! Each iteration builds a random tree of cancel scopes (random deadlines, cancels from a
//! sibling, shields with deadlines of their own) and task groups (bodies that return early or
//! late, fail, or cancel their group; children that spawn grandchildren into an outer group
//! after its body returned), whose leaves sleep, send and receive on one memory stream, take a
//! lock, wait for or set an event, or spin through checkpoints. The whole tree runs under a
//! random deadline. Invariants:
//!
//! - no scope or group returns while something started inside it still runs (drop-guard
//!   counters, checked when each returns);
//! - no hang (a watchdog per iteration);
//! - every item whose send succeeded is received exactly once or is still in the stream, and
//!   no item is received twice;
//! - the lock is never held twice.
//!
//! It runs for `ANYIO_SOAK_SECS` seconds per backend (default 2; CI sets more). A failure
//! names its seed; `ANYIO_SOAK_SEED=<seed>` replays that seed first.

mod common;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::{
    create_memory_object_stream, move_on_after, task_group, BoxError, CancelScope, Event, Lock,
    MemoryObjectReceiver, MemoryObjectSender, TaskGroup,
};
use common::Watchdog;
use fastrand::Rng;

type Node = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

const MAX_DEPTH: u32 = 4;

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// What every node of one iteration shares.
struct World {
    seed: u64,
    tx: MemoryObjectSender<u64>,
    rx: MemoryObjectReceiver<u64>,
    next_item: AtomicU64,
    sent: Mutex<HashSet<u64>>,
    received: Mutex<HashSet<u64>>,
    lock: Lock,
    holders: AtomicUsize,
    event: Event,
}

impl World {
    fn new(seed: u64, capacity: usize) -> Arc<Self> {
        let (tx, rx) = create_memory_object_stream(capacity);
        Arc::new(Self {
            seed,
            tx,
            rx,
            next_item: AtomicU64::new(0),
            sent: Mutex::default(),
            received: Mutex::default(),
            lock: Lock::new(),
            holders: AtomicUsize::new(0),
            event: Event::new(),
        })
    }

    fn record_received(&self, item: u64) {
        let fresh = self.received.lock().unwrap().insert(item);
        assert!(fresh, "seed {}: item {item} received twice", self.seed);
    }

    /// After the tree has ended: what was sent is received or still buffered.
    fn check_items(&self) {
        while let Ok(item) = self.rx.try_receive() {
            self.record_received(item);
        }
        let sent = self.sent.lock().unwrap();
        let received = self.received.lock().unwrap();
        let lost: Vec<_> = sent.difference(&received).collect();
        assert!(
            lost.is_empty(),
            "seed {}: sent but never received: {lost:?}",
            self.seed
        );
    }
}

/// Counts a running node in every scope that encloses it, for as long as it lives.
struct Live(Vec<Arc<AtomicUsize>>);

impl Live {
    fn new(enclosing: &[Arc<AtomicUsize>]) -> Self {
        for counter in enclosing {
            counter.fetch_add(1, SeqCst);
        }
        Self(enclosing.to_vec())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for counter in &self.0 {
            counter.fetch_sub(1, SeqCst);
        }
    }
}

/// Marks the lock as held while it lives.
struct Holding<'a>(&'a AtomicUsize);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

fn random_node(
    world: Arc<World>,
    mut rng: Rng,
    depth: u32,
    enclosing: Vec<Arc<AtomicUsize>>,
) -> Node {
    Box::pin(async move {
        let _live = Live::new(&enclosing);
        let kind = if depth >= MAX_DEPTH { 2 } else { rng.u8(0..3) };
        match kind {
            0 => scope_node(world, rng, depth, enclosing).await,
            1 => group_node(world, rng, depth, enclosing).await,
            _ => leaf(world, rng).await,
        }
    })
}

fn with(enclosing: &[Arc<AtomicUsize>], counter: &Arc<AtomicUsize>) -> Vec<Arc<AtomicUsize>> {
    let mut inner = enclosing.to_vec();
    inner.push(Arc::clone(counter));
    inner
}

async fn scope_node(
    world: Arc<World>,
    mut rng: Rng,
    depth: u32,
    enclosing: Vec<Arc<AtomicUsize>>,
) -> Result<(), BoxError> {
    let inside = Arc::new(AtomicUsize::new(0));
    let inner = with(&enclosing, &inside);
    let deadline = rng
        .bool()
        .then(|| anyio::current_time() + us(rng.u64(0..3000)));
    let scope = match deadline {
        Some(deadline) => CancelScope::with_deadline(deadline),
        None => CancelScope::new(),
    };
    // Only a scope with a deadline of its own may be shielded, or a blocked leaf under it
    // would outlive every enclosing deadline.
    let scope = scope.shield(deadline.is_some() && rng.u8(0..4) == 0);
    let handle = scope.handle();
    let cancel_after = rng.bool().then(|| us(rng.u64(0..3000)));
    let children = rng.usize(1..3);
    let seeds: Vec<u64> = (0..children).map(|_| rng.u64(..)).collect();
    let w = Arc::clone(&world);
    let outcome = scope
        .run(async move {
            let canceller = async move {
                if let Some(delay) = cancel_after {
                    anyio::sleep(delay).await;
                    handle.cancel();
                }
            };
            let work = async move {
                for seed in seeds {
                    random_node(
                        Arc::clone(&w),
                        Rng::with_seed(seed),
                        depth + 1,
                        inner.clone(),
                    )
                    .await?;
                }
                Ok::<_, BoxError>(())
            };
            futures_util::future::join(canceller, work).await.1
        })
        .await;
    assert_eq!(
        inside.load(SeqCst),
        0,
        "seed {}: a scope returned while something started inside it still ran",
        world.seed
    );
    outcome.unwrap_or(Ok(()))
}

async fn group_node(
    world: Arc<World>,
    mut rng: Rng,
    depth: u32,
    enclosing: Vec<Arc<AtomicUsize>>,
) -> Result<(), BoxError> {
    let inside = Arc::new(AtomicUsize::new(0));
    let inner = with(&enclosing, &inside);
    let children = rng.usize(0..4);
    let seeds: Vec<u64> = (0..children).map(|_| rng.u64(..)).collect();
    let late_seed = (rng.u8(0..4) == 0).then(|| rng.u64(..));
    let body_delay = rng.bool().then(|| us(rng.u64(0..2000)));
    let fail = rng.u8(0..8) == 0;
    let cancel = rng.u8(0..8) == 0;
    let w = Arc::clone(&world);
    let outcome = task_group(|tg: TaskGroup<BoxError>| async move {
        for seed in seeds {
            tg.spawn(random_node(
                Arc::clone(&w),
                Rng::with_seed(seed),
                depth + 1,
                inner.clone(),
            ))?;
        }
        if let Some(seed) = late_seed {
            // Spawns into this group after its body may have returned.
            let (late_tg, w, inner) = (tg.clone(), Arc::clone(&w), inner.clone());
            tg.spawn(async move {
                anyio::sleep(us(500)).await;
                late_tg.spawn(random_node(w, Rng::with_seed(seed), depth + 1, inner))?;
                Ok(())
            })?;
        }
        if let Some(delay) = body_delay {
            anyio::sleep(delay).await;
        }
        if cancel {
            tg.cancel();
        }
        if fail {
            return Err("planned failure".into());
        }
        Ok(())
    })
    .await;
    assert_eq!(
        inside.load(SeqCst),
        0,
        "seed {}: a task group returned while one of its tasks still ran",
        world.seed
    );
    match outcome {
        Ok(()) => Ok(()),
        Err(error) if error.is_cancelled() => Ok(()),
        Err(error) => Err(error.into()),
    }
}

async fn leaf(world: Arc<World>, mut rng: Rng) -> Result<(), BoxError> {
    match rng.u8(0..8) {
        0 => anyio::sleep(us(rng.u64(0..2000))).await,
        1 => {
            let item = world.next_item.fetch_add(1, SeqCst);
            if world.tx.send(item).await.is_ok() {
                world.sent.lock().unwrap().insert(item);
            }
        }
        2 => {
            if let Ok(item) = world.rx.receive().await {
                world.record_received(item);
            }
        }
        3 => {
            let _guard = world.lock.acquire().await;
            let before = world.holders.fetch_add(1, SeqCst);
            let _holding = Holding(&world.holders);
            assert_eq!(before, 0, "seed {}: the lock was held twice", world.seed);
            anyio::sleep(us(rng.u64(0..500))).await;
        }
        4 => world.event.wait().await,
        5 => world.event.set(),
        6 => {
            for _ in 0..rng.usize(1..20) {
                anyio::checkpoint().await;
            }
        }
        _ => {
            if rng.u8(0..4) == 0 {
                return Err("planned leaf failure".into());
            }
        }
    }
    Ok(())
}

async fn iteration(seed: u64) {
    let mut rng = Rng::with_seed(seed);
    let world = World::new(seed, rng.usize(0..4));
    let _watchdog = Watchdog::new_owned(format!("soak seed {seed}"), Duration::from_secs(20));
    let root = Arc::new(AtomicUsize::new(0));
    let limit = us(rng.u64(500..15_000));
    let tree = random_node(
        Arc::clone(&world),
        Rng::with_seed(rng.u64(..)),
        0,
        vec![Arc::clone(&root)],
    );
    let _ = move_on_after(limit, tree).await;
    assert_eq!(
        root.load(SeqCst),
        0,
        "seed {seed}: something outlived the tree's deadline scope"
    );
    world.check_items();
}

fn soak_duration() -> Duration {
    let secs = std::env::var("ANYIO_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

#[anyio::test]
async fn random_trees_of_scopes_and_groups_keep_the_invariants() {
    let replay = std::env::var("ANYIO_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok());
    if let Some(seed) = replay {
        iteration(seed).await;
    }
    let base = fastrand::u64(..);
    eprintln!("soak: seeds from {base} (replay one with ANYIO_SOAK_SEED=<seed>)");
    let end = Instant::now() + soak_duration();
    let mut iterations = 0u64;
    while Instant::now() < end {
        iteration(base.wrapping_add(iterations)).await;
        iterations += 1;
    }
    eprintln!("soak: {iterations} iterations");
    assert!(iterations > 0);
}
