//! The state machine alone, step by step and under generated schedules, with no runtime.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Wake;

use proptest::prelude::*;

use super::*;
use crate::tree::{Kind, Node, NodeRef, Sources};

const SENDER: HandleId = 0;
const RECEIVER: HandleId = 1;

fn noop() -> &'static Waker {
    Waker::noop()
}

/// Outside every scope: never cancelled.
fn unscoped() -> ScopeProbe {
    ScopeProbe::Scoped(None)
}

/// A cancel scope of its own, and the probe of a waiter inside it.
fn scope() -> (NodeRef, ScopeProbe) {
    let node = Node::new(Kind::Scope, Sources::default());
    let probe = ScopeProbe::Scoped(Some(node.clone()));
    (node, probe)
}

fn receive(state: &mut State<u32>, slot: &mut Option<Key>) -> Poll<Result<u32, ReceiveError>> {
    state.poll_receive(
        slot,
        RECEIVER,
        false,
        false,
        noop(),
        unscoped,
        &mut WakeList::new(),
    )
}

fn receive_in(
    state: &mut State<u32>,
    slot: &mut Option<Key>,
    probe: &ScopeProbe,
) -> Poll<Result<u32, ReceiveError>> {
    let cancelled = probe.is_cancelled();
    let probe = || probe.clone();
    state.poll_receive(
        slot,
        RECEIVER,
        false,
        cancelled,
        noop(),
        probe,
        &mut WakeList::new(),
    )
}

fn send(state: &mut State<u32>, item: u32) -> Result<Option<Key>, SendError<u32>> {
    send_in(state, item, &unscoped())
}

fn send_in(
    state: &mut State<u32>,
    item: u32,
    probe: &ScopeProbe,
) -> Result<Option<Key>, SendError<u32>> {
    let probe = || probe.clone();
    state.start_send(
        SENDER,
        false,
        item,
        Some(noop()),
        probe,
        &mut WakeList::new(),
    )
}

fn poll_send(state: &mut State<u32>, key: Key) -> Poll<Result<(), SendError<u32>>> {
    poll_send_in(state, key, &unscoped())
}

fn poll_send_in(
    state: &mut State<u32>,
    key: Key,
    probe: &ScopeProbe,
) -> Poll<Result<(), SendError<u32>>> {
    let cancelled = probe.is_cancelled();
    let probe = || probe.clone();
    state.poll_send(key, cancelled, Some(noop()), probe, &mut WakeList::new())
}

fn try_receive(state: &mut State<u32>) -> Result<u32, TryReceiveError> {
    state.try_receive(false, &mut WakeList::new())
}

fn try_send(state: &mut State<u32>, item: u32) -> Result<(), TrySendError<u32>> {
    state.try_send(false, item, &mut WakeList::new())
}

// --- hand-over ---------------------------------------------------------------------------------

#[test]
fn try_receive_takes_a_waiting_senders_item_and_the_send_completes() {
    let mut state = State::new(0);
    let key = send(&mut state, 7).unwrap().expect("no room at capacity 0");
    assert_eq!(poll_send(&mut state, key), Poll::Pending);
    assert_eq!(state.statistics().tasks_waiting_send, 1);
    assert_eq!(try_receive(&mut state), Ok(7));
    assert_eq!(state.statistics().tasks_waiting_send, 0, "at once");
    assert_eq!(poll_send(&mut state, key), Poll::Ready(Ok(())));
}

#[test]
fn a_receive_takes_a_waiting_senders_item_at_once() {
    let mut state = State::new(0);
    let key = send(&mut state, 7).unwrap().unwrap();
    let mut slot = None;
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(7)));
    assert_eq!(slot, None);
    assert_eq!(poll_send(&mut state, key), Poll::Ready(Ok(())));
}

#[test]
fn send_to_a_waiting_receiver_completes_at_once() {
    let mut state = State::new(0);
    let mut slot = None;
    assert_eq!(receive(&mut state, &mut slot), Poll::Pending);
    assert_eq!(state.statistics().tasks_waiting_receive, 1);
    assert_eq!(send(&mut state, 7).unwrap(), None);
    let stats = state.statistics();
    assert_eq!(
        (stats.tasks_waiting_receive, stats.current_buffer_used),
        (0, 0)
    );
    // A newcomer cannot take the item handed to the waiting receiver.
    assert_eq!(try_receive(&mut state), Err(TryReceiveError::WouldBlock));
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(7)));
    assert_eq!(slot, None);
}

#[test]
fn room_hands_queued_sends_over_in_order_and_statistics_show_it_at_once() {
    let mut state = State::new(2);
    for i in 0..2 {
        assert_eq!(send(&mut state, i).unwrap(), None);
    }
    let a = send(&mut state, 10).unwrap().unwrap();
    let b = send(&mut state, 11).unwrap().unwrap();
    assert_eq!(state.statistics().tasks_waiting_send, 2);
    assert_eq!(try_receive(&mut state), Ok(0)); // room: `a` moves in
    let stats = state.statistics();
    assert_eq!(
        (stats.current_buffer_used, stats.tasks_waiting_send),
        (2, 1)
    );
    assert_eq!(poll_send(&mut state, b), Poll::Pending);
    assert_eq!(try_send(&mut state, 99), Err(TrySendError::WouldBlock(99)));
    assert_eq!(try_receive(&mut state), Ok(1)); // `b` moves in
    assert_eq!(poll_send(&mut state, b), Poll::Ready(Ok(())));
    assert_eq!(poll_send(&mut state, a), Poll::Ready(Ok(())));
    assert_eq!(try_receive(&mut state), Ok(10));
    assert_eq!(try_receive(&mut state), Ok(11));
    assert_eq!(try_receive(&mut state), Err(TryReceiveError::WouldBlock));
}

#[test]
fn dropped_reservation_passes_to_the_next_receiver_or_stays_first() {
    let mut state = State::new(0);
    let (mut first, mut second) = (None, None);
    assert!(receive(&mut state, &mut first).is_pending());
    assert!(receive(&mut state, &mut second).is_pending());
    try_send(&mut state, 1).unwrap();
    state.cancel_receive(first.unwrap(), &mut WakeList::new());
    assert_eq!(receive(&mut state, &mut second), Poll::Ready(Ok(1)));

    let mut third = None;
    assert!(receive(&mut state, &mut third).is_pending());
    try_send(&mut state, 2).unwrap();
    state.cancel_receive(third.unwrap(), &mut WakeList::new());
    assert_eq!(state.statistics().current_buffer_used, 1);
    assert_eq!(try_receive(&mut state), Ok(2));
}

#[test]
fn a_send_dropped_after_its_hand_over_has_delivered() {
    let mut state = State::new(0);
    let key = send(&mut state, 4).unwrap().unwrap();
    let mut slot = None;
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(4)));
    assert_eq!(state.cancel_send(key), None, "nothing to withdraw");
}

#[test]
fn withdrawn_send_is_never_delivered() {
    let mut state = State::new(1);
    assert_eq!(send(&mut state, 1).unwrap(), None);
    let key = send(&mut state, 2).unwrap().unwrap();
    assert_eq!(state.cancel_send(key), Some(2));
    assert_eq!(try_receive(&mut state), Ok(1));
    assert_eq!(try_receive(&mut state), Err(TryReceiveError::WouldBlock));
}

#[test]
fn a_sink_item_is_handed_over_whatever_scope_started_it() {
    let mut state = State::new(0);
    let start = |state: &mut State<u32>, item| {
        let scope = || ScopeProbe::Unscoped;
        state
            .start_send(SENDER, false, item, None, scope, &mut WakeList::new())
            .unwrap()
            .unwrap()
    };
    let key = start(&mut state, 5);
    assert_eq!(try_receive(&mut state), Ok(5));
    assert_eq!(poll_send(&mut state, key), Poll::Ready(Ok(())));

    let key = start(&mut state, 6);
    let mut slot = None;
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(6)));
    assert_eq!(state.cancel_send(key), None, "already delivered");
}

// --- cancellation ------------------------------------------------------------------------------

#[test]
fn a_cancelled_poll_changes_nothing_unless_the_hand_over_came_first() {
    let mut state = State::new(0);
    let (node, probe) = scope();
    let key = send_in(&mut state, 1, &probe).unwrap().unwrap();
    node.cancel(None);
    assert_eq!(poll_send_in(&mut state, key, &probe), Poll::Pending);
    assert_eq!(state.statistics().tasks_waiting_send, 1);
    assert_eq!(state.cancel_send(key), Some(1));

    let (node, probe) = scope();
    let mut slot = None;
    assert!(receive_in(&mut state, &mut slot, &probe).is_pending());
    node.cancel(None);
    assert_eq!(receive_in(&mut state, &mut slot, &probe), Poll::Pending);
    assert_eq!(state.statistics().tasks_waiting_receive, 1);
    state.cancel_receive(slot.unwrap(), &mut WakeList::new());

    // Handed over first, cancelled after: both complete.
    let (node, probe) = scope();
    let key = send_in(&mut state, 2, &probe).unwrap().unwrap();
    assert_eq!(try_receive(&mut state), Ok(2));
    let mut slot = None;
    assert!(receive_in(&mut state, &mut slot, &probe).is_pending());
    try_send(&mut state, 3).unwrap();
    node.cancel(None);
    assert_eq!(poll_send_in(&mut state, key, &probe), Poll::Ready(Ok(())));
    assert_eq!(
        receive_in(&mut state, &mut slot, &probe),
        Poll::Ready(Ok(3))
    );
}

#[test]
fn hand_overs_skip_receivers_whose_scope_is_cancelled() {
    // Capacity 1: the item is buffered for whoever comes next.
    let mut state = State::new(1);
    let (node, probe) = scope();
    let mut cancelled = None;
    assert!(receive_in(&mut state, &mut cancelled, &probe).is_pending());
    node.cancel(None);
    try_send(&mut state, 1).unwrap();
    assert_eq!(
        receive_in(&mut state, &mut cancelled, &probe),
        Poll::Pending
    );
    state.cancel_receive(cancelled.unwrap(), &mut WakeList::new());
    assert_eq!(try_receive(&mut state), Ok(1));

    // Capacity 0: a cancelled receiver is no room; the next ready one is.
    let mut state = State::new(0);
    let (node, probe) = scope();
    let (mut cancelled, mut ready) = (None, None);
    assert!(receive_in(&mut state, &mut cancelled, &probe).is_pending());
    node.cancel(None);
    assert_eq!(try_send(&mut state, 2), Err(TrySendError::WouldBlock(2)));
    let key = send(&mut state, 2).unwrap().expect("no room");
    assert!(
        receive(&mut state, &mut ready).is_ready(),
        "takes the queued item"
    );
    assert_eq!(poll_send(&mut state, key), Poll::Ready(Ok(())));
    assert_eq!(
        state.statistics().tasks_waiting_receive,
        1,
        "the cancelled one"
    );
}

#[test]
fn hand_overs_skip_senders_whose_scope_is_cancelled() {
    let mut state = State::new(0);
    let (node, probe) = scope();
    let cancelled = send_in(&mut state, 1, &probe).unwrap().unwrap();
    let ready = send(&mut state, 2).unwrap().unwrap();
    node.cancel(None);
    assert_eq!(
        try_receive(&mut state),
        Ok(2),
        "the cancelled send is passed over"
    );
    assert_eq!(poll_send(&mut state, ready), Poll::Ready(Ok(())));
    assert_eq!(try_receive(&mut state), Err(TryReceiveError::WouldBlock));
    // Nor is it overtaking-protected: a new send may go first.
    let mut slot = None;
    assert!(receive(&mut state, &mut slot).is_pending());
    assert_eq!(try_send(&mut state, 3), Ok(()));
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(3)));
    assert_eq!(state.cancel_send(cancelled), Some(1));
}

#[test]
fn a_waiter_whose_cancellation_is_lifted_catches_up_when_polled() {
    // A receive in a scope inside a cancelled one, then shielded.
    let mut state = State::new(1);
    let outer = Node::new(Kind::Scope, Sources::default());
    let inner = Node::new_linked(Kind::Scope, Sources::default(), &outer);
    let probe = ScopeProbe::Scoped(Some(inner.clone()));
    let mut slot = None;
    assert!(receive_in(&mut state, &mut slot, &probe).is_pending());
    outer.cancel(None);
    try_send(&mut state, 1).unwrap(); // passes the receiver by
    inner.set_shield(true);
    assert_eq!(
        receive_in(&mut state, &mut slot, &probe),
        Poll::Ready(Ok(1))
    );

    // A send passed by while a receiver waited, then shielded.
    let mut state = State::new(0);
    let outer = Node::new(Kind::Scope, Sources::default());
    let inner = Node::new_linked(Kind::Scope, Sources::default(), &outer);
    let probe = ScopeProbe::Scoped(Some(inner.clone()));
    outer.cancel(None);
    let key = send_in(&mut state, 2, &probe).unwrap().unwrap();
    let mut slot = None;
    assert!(
        receive(&mut state, &mut slot).is_pending(),
        "the send is passed by"
    );
    inner.set_shield(true);
    assert_eq!(poll_send_in(&mut state, key, &probe), Poll::Ready(Ok(())));
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(2)));
}

// --- closing and endings -----------------------------------------------------------------------

#[test]
fn last_receiver_closing_breaks_waiting_sends_and_drops_the_buffer() {
    let mut state = State::new(1);
    assert_eq!(send(&mut state, 1).unwrap(), None);
    let key = send(&mut state, 2).unwrap().unwrap();
    let dropped = state.close_receiver(RECEIVER, &mut WakeList::new());
    assert_eq!(dropped, [1]);
    assert_eq!(
        poll_send(&mut state, key),
        Poll::Ready(Err(SendError::Broken(2)))
    );
    assert_eq!(send(&mut state, 3), Err(SendError::Broken(3)));
}

#[test]
fn closing_a_sender_withdraws_only_its_own_sends() {
    let mut state = State::new(0);
    let other = state.add_sender(true);
    let mine = send(&mut state, 1).unwrap().unwrap();
    let theirs = state
        .start_send(other, false, 2, None, unscoped, &mut WakeList::new())
        .unwrap()
        .unwrap();
    state.close_sender(SENDER, &mut WakeList::new());
    assert_eq!(
        poll_send(&mut state, mine),
        Poll::Ready(Err(SendError::Closed(1)))
    );
    let mut slot = None;
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(2)));
    assert_eq!(poll_send(&mut state, theirs), Poll::Ready(Ok(())));
    state.close_sender(other, &mut WakeList::new());
    assert_eq!(try_receive(&mut state), Err(TryReceiveError::EndOfStream));
}

#[test]
fn end_of_stream_only_after_the_buffer_is_drained() {
    let mut state = State::new(2);
    try_send(&mut state, 1).unwrap();
    state.close_sender(SENDER, &mut WakeList::new());
    assert!(!state.is_ended());
    assert_eq!(receive(&mut state, &mut None), Poll::Ready(Ok(1)));
    assert_eq!(
        receive(&mut state, &mut None),
        Poll::Ready(Err(ReceiveError::EndOfStream))
    );
}

#[test]
fn closing_a_receiver_passes_its_reservation_on() {
    let mut state = State::new(0);
    let other = state.add_receiver(true);
    let (mut mine, mut theirs) = (None, None);
    let poll = |state: &mut State<u32>, slot: &mut Option<Key>, id, closed| {
        state.poll_receive(
            slot,
            id,
            closed,
            false,
            noop(),
            unscoped,
            &mut WakeList::new(),
        )
    };
    assert!(poll(&mut state, &mut mine, RECEIVER, false).is_pending());
    assert!(poll(&mut state, &mut theirs, other, false).is_pending());
    try_send(&mut state, 5).unwrap();
    state.close_receiver(RECEIVER, &mut WakeList::new());
    assert_eq!(
        poll(&mut state, &mut mine, RECEIVER, true),
        Poll::Ready(Err(ReceiveError::Closed))
    );
    assert_eq!(
        poll(&mut state, &mut theirs, other, false),
        Poll::Ready(Ok(5))
    );
}

#[test]
fn unbounded_never_waits() {
    let mut state = State::new(UNBOUNDED);
    for i in 0..10_000 {
        try_send(&mut state, i).unwrap();
    }
    assert_eq!(state.statistics().max_buffer_size, None);
    assert_eq!(state.statistics().current_buffer_used, 10_000);
}

// --- generated schedules -----------------------------------------------------------------------

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

type Item = (u64, u64);

/// One shape of producers and consumers.
#[derive(Debug, Clone)]
struct Shape {
    capacity: usize,
    /// Per producer: whether it sends as a `Sink` (no scope, handed over without a poll).
    producers: Vec<bool>,
    consumers: usize,
    items: u64,
    /// The scheduler's choices, used in turn (then each runnable actor in rotation, nothing
    /// cancelled, no `try_receive`).
    choices: Vec<u16>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop_oneof![Just(0), Just(1), Just(3), Just(UNBOUNDED)],
        prop::collection::vec(prop::bool::weighted(0.25), 1..=3),
        1..=3usize,
        1..=25u64,
        prop::collection::vec(any::<u16>(), 0..600),
    )
        .prop_map(|(capacity, producers, consumers, items, choices)| Shape {
            capacity,
            producers,
            consumers,
            items,
            choices,
        })
}

/// Where an actor is; a waiting one carries the scope its operation waits in.
enum Op {
    Idle,
    Sending { key: Key, item: Item, scope: Scope },
    Receiving { slot: Option<Key>, scope: Scope },
    Done,
}

/// A waiting operation's cancel scope (none for a `Sink` item).
struct Scope {
    node: Option<NodeRef>,
}

impl Scope {
    fn new(scoped: bool) -> Self {
        let node = scoped.then(|| Node::new(Kind::Scope, Sources::default()));
        Self { node }
    }

    fn probe(&self) -> ScopeProbe {
        match &self.node {
            Some(node) => ScopeProbe::Scoped(Some(node.clone())),
            None => ScopeProbe::Unscoped,
        }
    }

    fn is_cancelled(&self) -> bool {
        self.node.as_ref().is_some_and(|node| node.is_effective())
    }
}

struct Actor {
    producer: bool,
    /// Producer: sends as a `Sink`. Consumer: may walk away for good (its handle left open).
    sink_or_quitter: bool,
    id: HandleId,
    flag: Arc<Flag>,
    op: Op,
    next: u64,
}

/// Producers and consumers driven by a scheduler that only re-polls a waiting operation after
/// its waker fired (so a lost wake-up shows as a stall). Waiting operations are cancelled now
/// and then, either by their scope (which wakes them: the next poll is a cancelled one) or by
/// a plain drop. Checks: nothing delivered is lost or received twice, nothing withdrawn is
/// received, each producer's items arrive in order, and the schedule never stalls.
fn run_schedule(shape: &Shape) -> Result<(), TestCaseError> {
    let mut state = State::<Item>::new(shape.capacity);
    let mut actors = Vec::new();
    for (p, &sink) in shape.producers.iter().enumerate() {
        let id = if p == 0 {
            SENDER
        } else {
            state.add_sender(true)
        };
        actors.push((true, sink, id));
    }
    for c in 0..shape.consumers {
        let id = if c == 0 {
            RECEIVER
        } else {
            state.add_receiver(true)
        };
        // Consumer 0 never quits, so every delivered item has a taker.
        actors.push((false, c > 0, id));
    }
    let mut actors: Vec<Actor> = actors
        .into_iter()
        .map(|(producer, sink_or_quitter, id)| Actor {
            producer,
            sink_or_quitter,
            id,
            flag: Arc::default(),
            op: Op::Idle,
            next: 0,
        })
        .collect();
    let (mut delivered, mut withdrawn) = (HashSet::new(), HashSet::new());
    let mut received: Vec<Vec<Item>> = vec![Vec::new(); actors.len()];
    let mut choices = shape.choices.iter().copied();

    for step in 0..200_000u32 {
        let runnable: Vec<usize> = (0..actors.len())
            .filter(|&a| match &actors[a].op {
                Op::Idle => true,
                Op::Sending { .. } | Op::Receiving { .. } => actors[a].flag.is_set(),
                Op::Done => false,
            })
            .collect();
        if actors.iter().all(|a| matches!(a.op, Op::Done)) {
            break;
        }
        prop_assert!(
            !runnable.is_empty(),
            "stalled: a lost wake-up or a deadlock"
        );
        let choice = choices.next().unwrap_or((step % 251) as u16 | 0x0202);
        let index = runnable[usize::from(choice) % runnable.len()];
        // 1 in 16: cancel the scope of some waiting operation; 1 in 16: drop one outright.
        let (cancel_scope, drop_one) = (choice >> 8 & 15 == 0, choice >> 8 & 15 == 1);
        if cancel_scope || drop_one {
            let victim = usize::from(choice >> 12) % actors.len();
            let actor = &mut actors[victim];
            match std::mem::replace(&mut actor.op, Op::Idle) {
                Op::Sending { key, item, scope } if cancel_scope && scope.node.is_some() => {
                    scope.node.as_ref().unwrap().cancel(None);
                    actor.flag.wake_by_ref();
                    actor.op = Op::Sending { key, item, scope };
                }
                Op::Receiving { slot, scope } if cancel_scope => {
                    scope.node.as_ref().unwrap().cancel(None);
                    actor.flag.wake_by_ref();
                    actor.op = Op::Receiving { slot, scope };
                }
                Op::Sending { key, item, .. } => {
                    match state.cancel_send(key) {
                        Some(back) => {
                            prop_assert_eq!(back, item);
                            withdrawn.insert(item);
                        }
                        None => {
                            delivered.insert(item); // handed over before the drop
                        }
                    }
                    actor.next = item.1 + 1;
                }
                Op::Receiving { slot, .. } => {
                    let mut wakes = WakeList::new();
                    if let Some(key) = slot {
                        state.cancel_receive(key, &mut wakes);
                    }
                    wakes.wake_all();
                    if actor.sink_or_quitter && choice & 1 == 0 {
                        actor.op = Op::Done;
                    }
                }
                other => actor.op = other,
            }
            continue;
        }

        let actor = &mut actors[index];
        actor.flag.take();
        let waker = Waker::from(actor.flag.clone());
        let mut wakes = WakeList::new();
        let owner = actor.id;
        let op = std::mem::replace(&mut actor.op, Op::Done);
        actor.op = if actor.producer {
            match op {
                Op::Idle if actor.next == shape.items => {
                    state.close_sender(owner, &mut wakes);
                    Op::Done
                }
                Op::Idle => {
                    let item = (index as u64, actor.next);
                    let scope = Scope::new(!actor.sink_or_quitter);
                    let probe = || scope.probe();
                    match state.start_send(owner, false, item, Some(&waker), probe, &mut wakes) {
                        Ok(None) => {
                            delivered.insert(item);
                            actor.next += 1;
                            Op::Idle
                        }
                        Ok(Some(key)) => Op::Sending { key, item, scope },
                        Err(error) => return Err(TestCaseError::fail(format!("{error}"))),
                    }
                }
                Op::Sending { key, item, scope } => {
                    let cancelled = scope.is_cancelled();
                    let probe = || scope.probe();
                    match state.poll_send(key, cancelled, Some(&waker), probe, &mut wakes) {
                        Poll::Ready(Ok(())) => {
                            delivered.insert(item);
                            actor.next += 1;
                            Op::Idle
                        }
                        Poll::Ready(Err(error)) => {
                            return Err(TestCaseError::fail(format!("{error}")))
                        }
                        Poll::Pending if cancelled => {
                            // The scope drops the send: withdrawn, never delivered.
                            prop_assert_eq!(state.cancel_send(key), Some(item));
                            withdrawn.insert(item);
                            actor.next += 1;
                            Op::Idle
                        }
                        Poll::Pending => Op::Sending { key, item, scope },
                    }
                }
                other => other,
            }
        } else {
            let (mut slot, scope) = match op {
                Op::Idle if choice & 3 == 0 => {
                    actor.op = match state.try_receive(false, &mut wakes) {
                        Ok(item) => {
                            received[index].push(item);
                            Op::Idle
                        }
                        Err(TryReceiveError::WouldBlock) => Op::Idle,
                        Err(TryReceiveError::EndOfStream) => Op::Done,
                        Err(error) => return Err(TestCaseError::fail(format!("{error}"))),
                    };
                    wakes.wake_all();
                    continue;
                }
                Op::Idle => (None, Scope::new(true)),
                Op::Receiving { slot, scope } => (slot, scope),
                other => {
                    actor.op = other;
                    continue;
                }
            };
            let cancelled = scope.is_cancelled();
            let probe = || scope.probe();
            match state.poll_receive(
                &mut slot, owner, false, cancelled, &waker, probe, &mut wakes,
            ) {
                Poll::Ready(Ok(item)) => {
                    received[index].push(item);
                    Op::Idle
                }
                Poll::Ready(Err(ReceiveError::EndOfStream)) => Op::Done,
                Poll::Ready(Err(error)) => return Err(TestCaseError::fail(format!("{error}"))),
                Poll::Pending if cancelled => {
                    // The scope drops the receive: it took nothing.
                    if let Some(key) = slot {
                        state.cancel_receive(key, &mut wakes);
                    }
                    Op::Idle
                }
                Poll::Pending => Op::Receiving { slot, scope },
            }
        };
        wakes.wake_all();
    }
    prop_assert!(
        actors.iter().all(|a| matches!(a.op, Op::Done)),
        "did not finish"
    );

    let mut counts = HashMap::new();
    for mine in &received {
        for producer in 0..shape.producers.len() as u64 {
            let order: Vec<u64> = mine
                .iter()
                .filter(|i| i.0 == producer)
                .map(|i| i.1)
                .collect();
            prop_assert!(order.windows(2).all(|w| w[0] < w[1]), "out of order");
        }
        for item in mine {
            *counts.entry(*item).or_insert(0) += 1;
        }
    }
    for (item, count) in &counts {
        prop_assert_eq!(*count, 1, "{:?} received {} times", item, count);
        prop_assert!(
            delivered.contains(item),
            "{:?} received, never delivered",
            item
        );
    }
    for item in &delivered {
        prop_assert!(
            counts.contains_key(item),
            "{:?} delivered, never received",
            item
        );
    }
    prop_assert!(delivered.is_disjoint(&withdrawn));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn generated_schedules_lose_duplicate_reorder_and_stall_nothing(shape in shape()) {
        run_schedule(&shape)?;
    }
}
