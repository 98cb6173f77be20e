//! The state machine alone, step by step and under random schedules, with no runtime.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Wake;

use super::*;

const SENDER: HandleId = 0;
const RECEIVER: HandleId = 1;

fn noop() -> &'static Waker {
    Waker::noop()
}

fn receive(state: &mut State<u32>, slot: &mut Option<Key>) -> Poll<Result<u32, ReceiveError>> {
    state.poll_receive(slot, RECEIVER, false, noop(), &mut WakeList::new())
}

fn send(state: &mut State<u32>, item: u32) -> Result<Option<Key>, SendError<u32>> {
    state.start_send(SENDER, false, item, Some(noop()), &mut WakeList::new())
}

fn poll_send(state: &mut State<u32>, key: Key) -> Poll<Result<(), SendError<u32>>> {
    state.poll_send(key, None)
}

fn try_receive(state: &mut State<u32>) -> Result<u32, TryReceiveError> {
    state.try_receive(false, &mut WakeList::new())
}

#[test]
fn rendezvous_send_is_handed_over_when_a_receiver_waits() {
    let mut state = State::new(0);
    let key = send(&mut state, 7).unwrap().expect("no room at capacity 0");
    assert_eq!(poll_send(&mut state, key), Poll::Pending);
    assert!(!state.send_settled(key));
    assert_eq!(state.statistics().tasks_waiting_send, 1);
    let mut slot = None;
    assert_eq!(
        receive(&mut state, &mut slot),
        Poll::Ready(Ok(7)),
        "the waiting sender's item is taken at once"
    );
    assert_eq!(state.statistics().tasks_waiting_send, 0);
    assert!(state.send_settled(key));
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
fn dropped_reservation_passes_to_the_next_receiver_or_stays_first() {
    let mut state = State::new(0);
    let (mut first, mut second) = (None, None);
    assert!(receive(&mut state, &mut first).is_pending());
    assert!(receive(&mut state, &mut second).is_pending());
    state.try_send(false, 1, &mut WakeList::new()).unwrap();
    state.cancel_receive(first.unwrap(), &mut WakeList::new());
    assert_eq!(receive(&mut state, &mut second), Poll::Ready(Ok(1)));

    let mut third = None;
    assert!(receive(&mut state, &mut third).is_pending());
    state.try_send(false, 2, &mut WakeList::new()).unwrap();
    state.cancel_receive(third.unwrap(), &mut WakeList::new());
    assert_eq!(state.statistics().current_buffer_used, 1);
    assert_eq!(try_receive(&mut state), Ok(2));
}

#[test]
fn a_send_dropped_after_its_hand_over_had_delivered() {
    let mut state = State::new(0);
    let first = send(&mut state, 1).unwrap().unwrap();
    let second = send(&mut state, 2).unwrap().unwrap();
    assert_eq!(try_receive(&mut state), Ok(1));
    assert_eq!(state.cancel_send(first), None, "already delivered");
    assert_eq!(
        state.cancel_send(second),
        Some(2),
        "still waiting: withdrawn"
    );
    assert_eq!(try_receive(&mut state), Err(TryReceiveError::WouldBlock));
}

#[test]
fn queued_sends_are_handed_over_in_order() {
    let mut state = State::new(2);
    for i in 0..2 {
        assert_eq!(send(&mut state, i).unwrap(), None);
    }
    let a = send(&mut state, 10).unwrap().unwrap();
    let b = send(&mut state, 11).unwrap().unwrap();
    assert_eq!(try_receive(&mut state), Ok(0)); // room for `a`: handed over
    assert!(state.send_settled(a) && !state.send_settled(b));
    assert_eq!(
        state.try_send(false, 99, &mut WakeList::new()),
        Err(TrySendError::WouldBlock(99)),
        "a new send does not overtake a queued one"
    );
    assert_eq!(try_receive(&mut state), Ok(1)); // room for `b`
    assert_eq!(poll_send(&mut state, a), Poll::Ready(Ok(())));
    assert_eq!(poll_send(&mut state, b), Poll::Ready(Ok(())));
    assert_eq!(try_receive(&mut state), Ok(10));
    assert_eq!(try_receive(&mut state), Ok(11));
}

#[test]
fn a_sink_item_is_delivered_when_handed_over() {
    let mut state = State::new(0);
    let key = state
        .start_send(SENDER, false, 5, None, &mut WakeList::new())
        .unwrap()
        .unwrap();
    assert_eq!(try_receive(&mut state), Ok(5), "handed over, taken at once");
    assert_eq!(poll_send(&mut state, key), Poll::Ready(Ok(())));

    let key = state
        .start_send(SENDER, false, 6, None, &mut WakeList::new())
        .unwrap()
        .unwrap();
    let mut slot = None;
    assert_eq!(receive(&mut state, &mut slot), Poll::Ready(Ok(6)));
    assert_eq!(state.cancel_send(key), None, "already delivered");
}

#[test]
fn try_receive_takes_a_waiting_senders_item() {
    let mut state = State::new(0);
    let key = send(&mut state, 3).unwrap().unwrap();
    assert_eq!(try_receive(&mut state), Ok(3));
    assert_eq!(state.statistics().tasks_waiting_send, 0);
    assert_eq!(poll_send(&mut state, key), Poll::Ready(Ok(())));
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
fn closing_a_sender_withdraws_only_its_own_waiting_sends() {
    let mut state = State::new(0);
    let other = state.add_sender(true);
    let mine = send(&mut state, 1).unwrap().unwrap();
    let theirs = state
        .start_send(other, false, 2, None, &mut WakeList::new())
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
    state.try_send(false, 1, &mut WakeList::new()).unwrap();
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
    assert!(receive(&mut state, &mut mine).is_pending());
    let poll = state.poll_receive(&mut theirs, other, false, noop(), &mut WakeList::new());
    assert!(poll.is_pending());
    state.try_send(false, 5, &mut WakeList::new()).unwrap();
    state.close_receiver(RECEIVER, &mut WakeList::new());
    assert_eq!(
        state.poll_receive(&mut mine, RECEIVER, true, noop(), &mut WakeList::new()),
        Poll::Ready(Err(ReceiveError::Closed))
    );
    assert_eq!(
        state.poll_receive(&mut theirs, other, false, noop(), &mut WakeList::new()),
        Poll::Ready(Ok(5))
    );
}

#[test]
fn unbounded_never_waits() {
    let mut state = State::new(UNBOUNDED);
    for i in 0..10_000 {
        state.try_send(false, i, &mut WakeList::new()).unwrap();
    }
    assert_eq!(state.statistics().max_buffer_size, None);
    assert_eq!(state.statistics().current_buffer_used, 10_000);
}

// --- random schedules -------------------------------------------------------------------------

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

type Item = (u64, u64);

enum Producer {
    Idle { next: u64 },
    Sending { key: Key, item: Item },
    Done,
}

enum Consumer {
    Idle,
    Receiving(Option<Key>),
    Done,
    /// Stopped receiving without closing its handle.
    Gone,
}

/// Producers and consumers driven by a random scheduler that only re-polls an operation after
/// its waker fired (so a lost wake-up shows up as a stall), with random cancellations.
fn random_schedule(seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let capacity = [0, 1, 3, UNBOUNDED][rng.below(4) as usize];
    let producers = rng.below(3) + 1;
    let consumers = rng.below(3) + 1;
    let items = rng.below(30) + 1;
    let mut state = State::<Item>::new(capacity);
    let sender_ids: Vec<HandleId> = (0..producers)
        .map(|p| {
            if p == 0 {
                SENDER
            } else {
                state.add_sender(true)
            }
        })
        .collect();
    let receiver_ids: Vec<HandleId> = (0..consumers)
        .map(|c| {
            if c == 0 {
                RECEIVER
            } else {
                state.add_receiver(true)
            }
        })
        .collect();
    let producer_flags: Vec<Arc<Flag>> = (0..producers).map(|_| Arc::default()).collect();
    let consumer_flags: Vec<Arc<Flag>> = (0..consumers).map(|_| Arc::default()).collect();
    let mut producer_states: Vec<Producer> =
        (0..producers).map(|_| Producer::Idle { next: 0 }).collect();
    let mut consumer_states: Vec<Consumer> = (0..consumers).map(|_| Consumer::Idle).collect();
    let mut sent = HashSet::new();
    let mut withdrawn = HashSet::new();
    let mut received: Vec<Vec<Item>> = vec![Vec::new(); consumers as usize];
    let context = format!("seed {seed}: capacity {capacity}, {producers}p/{consumers}c x{items}");

    for _step in 0..100_000 {
        let mut wakes = WakeList::new();
        // Runnable: idle actors, and waiting ones whose waker fired.
        let mut runnable = Vec::new();
        for (p, s) in producer_states.iter().enumerate() {
            let ready = match s {
                Producer::Idle { .. } => true,
                Producer::Sending { .. } => producer_flags[p].0.load(Ordering::SeqCst),
                Producer::Done => false,
            };
            if ready {
                runnable.push((true, p));
            }
        }
        for (c, s) in consumer_states.iter().enumerate() {
            let ready = match s {
                Consumer::Idle => true,
                Consumer::Receiving(_) => consumer_flags[c].0.load(Ordering::SeqCst),
                Consumer::Done | Consumer::Gone => false,
            };
            if ready {
                runnable.push((false, c));
            }
        }
        let all_done = producer_states.iter().all(|s| matches!(s, Producer::Done))
            && consumer_states
                .iter()
                .all(|s| matches!(s, Consumer::Done | Consumer::Gone));
        if all_done {
            break;
        }
        assert!(
            !runnable.is_empty(),
            "{context}: stalled (a lost wake-up or a deadlock)"
        );
        // Sometimes cancel a waiting operation instead (any, woken or not).
        let cancel = rng.below(8) == 0;
        let (is_producer, index) = runnable[rng.below(runnable.len() as u64) as usize];
        if is_producer {
            let flag = &producer_flags[index];
            let waker = Waker::from(flag.clone());
            flag.0.store(false, Ordering::SeqCst);
            let id = sender_ids[index];
            let current = mem::replace(&mut producer_states[index], Producer::Done);
            producer_states[index] = match current {
                Producer::Idle { next } if next == items => {
                    state.close_sender(id, &mut wakes);
                    Producer::Done
                }
                Producer::Idle { next } => {
                    let item = (index as u64, next);
                    match state.start_send(id, false, item, Some(&waker), &mut wakes) {
                        Ok(None) => {
                            sent.insert(item);
                            Producer::Idle { next: next + 1 }
                        }
                        Ok(Some(key)) => Producer::Sending { key, item },
                        Err(error) => panic!("{context}: {error}"),
                    }
                }
                Producer::Sending { key, item } if cancel => {
                    match state.cancel_send(key) {
                        Some(back) => {
                            assert_eq!(back, item);
                            withdrawn.insert(item);
                        }
                        // Handed over before the cancellation: delivered.
                        None => {
                            sent.insert(item);
                        }
                    }
                    Producer::Idle { next: item.1 + 1 }
                }
                Producer::Sending { key, item } => match state.poll_send(key, Some(&waker)) {
                    Poll::Ready(Ok(())) => {
                        sent.insert(item);
                        Producer::Idle { next: item.1 + 1 }
                    }
                    Poll::Ready(Err(error)) => panic!("{context}: {error}"),
                    Poll::Pending => Producer::Sending { key, item },
                },
                Producer::Done => Producer::Done,
            };
        } else {
            let flag = &consumer_flags[index];
            let waker = Waker::from(flag.clone());
            flag.0.store(false, Ordering::SeqCst);
            let id = receiver_ids[index];
            let current = mem::replace(&mut consumer_states[index], Consumer::Done);
            let mut slot = match current {
                Consumer::Receiving(Some(key)) if cancel => {
                    state.cancel_receive(key, &mut wakes);
                    // Others may walk away for good, their handle left open: whatever was
                    // handed to them must reach consumer 0 without their help.
                    let walk_away = index > 0 && rng.below(2) == 0;
                    consumer_states[index] = if walk_away {
                        Consumer::Gone
                    } else {
                        Consumer::Idle
                    };
                    wakes.wake_all();
                    continue;
                }
                Consumer::Idle if rng.below(4) == 0 => {
                    consumer_states[index] = match state.try_receive(false, &mut wakes) {
                        Ok(item) => {
                            received[index].push(item);
                            Consumer::Idle
                        }
                        Err(TryReceiveError::WouldBlock) => Consumer::Idle,
                        Err(TryReceiveError::EndOfStream) => Consumer::Done,
                        Err(error) => panic!("{context}: {error}"),
                    };
                    wakes.wake_all();
                    continue;
                }
                Consumer::Receiving(slot) => slot,
                Consumer::Idle => None,
                Consumer::Done | Consumer::Gone => unreachable!(),
            };
            consumer_states[index] =
                match state.poll_receive(&mut slot, id, false, &waker, &mut wakes) {
                    Poll::Ready(Ok(item)) => {
                        received[index].push(item);
                        Consumer::Idle
                    }
                    Poll::Ready(Err(ReceiveError::EndOfStream)) => Consumer::Done,
                    Poll::Ready(Err(error)) => panic!("{context}: {error}"),
                    Poll::Pending => Consumer::Receiving(slot),
                };
        }
        wakes.wake_all();
    }
    assert!(
        producer_states.iter().all(|s| matches!(s, Producer::Done))
            && consumer_states
                .iter()
                .all(|s| matches!(s, Consumer::Done | Consumer::Gone)),
        "{context}: did not finish"
    );

    let mut counts = HashMap::new();
    for mine in &received {
        for producer in 0..producers {
            let order: Vec<u64> = mine
                .iter()
                .filter(|i| i.0 == producer)
                .map(|i| i.1)
                .collect();
            assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "{context}: out of order"
            );
        }
        for item in mine {
            *counts.entry(*item).or_insert(0) += 1;
        }
    }
    for (item, count) in &counts {
        assert_eq!(*count, 1, "{context}: {item:?} received {count} times");
        assert!(
            sent.contains(item),
            "{context}: {item:?} received but withdrawn or never sent"
        );
    }
    for item in &sent {
        assert!(
            counts.contains_key(item),
            "{context}: {item:?} sent but never received"
        );
    }
    assert!(sent.is_disjoint(&withdrawn));
}

#[test]
fn random_schedules_lose_duplicate_reorder_and_stall_nothing() {
    for seed in 0..3_000 {
        random_schedule(seed);
    }
}
