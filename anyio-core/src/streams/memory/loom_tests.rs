//! Loom models of the channel: every interleaving of two threads on the shared state.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p anyio-core --lib --release streams::memory`.
//! The models drive the public handles where they can, and the state machine directly where
//! a cancel scope takes part (there is no runtime under loom to run one).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::thread;

use super::*;

/// Polls `future` to completion, yielding to the other loom threads while it is pending (the
/// `loom::future` module needs loom's `futures` feature; this needs nothing).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::yield_now();
    }
}

#[test]
fn items_cross_threads_in_order() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(1);
        let producer = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.receive()), Ok(1));
        assert_eq!(block_on(rx.receive()), Ok(2));
        assert_eq!(block_on(rx.receive()), Err(ReceiveError::EndOfStream));
        producer.join().unwrap();
    });
}

#[test]
fn a_dropped_receive_never_loses_the_item_handed_to_it() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let mut cx = Context::from_waker(Waker::noop());
        let mut receive = Box::pin(rx.receive());
        assert!(receive.as_mut().poll(&mut cx).is_pending());
        let sender = thread::spawn(move || tx.try_send(7).is_ok());
        // Dropped while the other thread may be handing the item over.
        drop(receive);
        let sent = sender.join().unwrap();
        let got = rx.try_receive();
        if sent {
            assert_eq!(got, Ok(7));
        } else {
            assert_eq!(got, Err(TryReceiveError::EndOfStream));
        }
    });
}

#[test]
fn a_waiting_send_is_handed_over_exactly_once() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let receiver = thread::spawn(move || (rx.try_receive(), rx));
        let mut cx = Context::from_waker(Waker::noop());
        let mut send = Box::pin(tx.send(7));
        // Capacity 0 and a receiver that never waits: the send queues its item, or finds it
        // already taken by the time it runs again.
        let first = send.as_mut().poll(&mut cx);
        assert!(first.is_pending(), "{first:?}");
        let (got, rx) = receiver.join().unwrap();
        let second = send.as_mut().poll(&mut cx);
        match got {
            Ok(7) => assert_eq!(second, Poll::Ready(Ok(())), "handed over: completed"),
            Err(TryReceiveError::WouldBlock) => assert!(second.is_pending()),
            other => panic!("{other:?}"),
        }
        // Whatever happened, dropping the send now leaves nothing behind and takes nothing
        // back that was received.
        drop(send);
        drop(tx);
        assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    });
}

#[test]
fn a_hand_over_racing_the_receivers_cancellation_delivers_the_item_once() {
    use super::scope_probe::ScopeProbe;
    use super::state::Shared;
    use crate::tree::{Kind, Node, Sources};

    loom::model(|| {
        let shared = Arc::new(Shared::<u32>::new(1));
        let node = Node::new(Kind::Scope, Sources::default());
        let probe = ScopeProbe::Scoped(Some(node.clone()));
        let waker = Waker::noop();
        let mut slot = None;
        let poll = |slot: &mut Option<_>, cancelled| {
            shared.with(|state, wakes| {
                let scope = || probe.clone();
                state.poll_receive(slot, 1, false, cancelled, waker, scope, wakes)
            })
        };
        assert!(poll(&mut slot, false).is_pending(), "nothing sent yet");
        let canceller = thread::spawn(move || node.cancel(None));
        let sender = {
            let shared = shared.clone();
            thread::spawn(move || shared.with(|state, wakes| state.try_send(false, 7, wakes)))
        };
        canceller.join().unwrap();
        assert_eq!(
            sender.join().unwrap(),
            Ok(()),
            "capacity 1: room either way"
        );
        // The receive's scope is cancelled now: it takes the item only if it was handed over
        // first; otherwise the scope drops it and the item waits for the next receiver.
        match poll(&mut slot, true) {
            Poll::Ready(Ok(7)) => {
                let rest = shared.with(|state, wakes| state.try_receive(false, wakes));
                assert_eq!(rest, Err(TryReceiveError::WouldBlock));
            }
            Poll::Pending => {
                let key = slot.take().expect("still waiting");
                shared.with(|state, wakes| state.cancel_receive(key, wakes));
                let rest = shared.with(|state, wakes| state.try_receive(false, wakes));
                assert_eq!(rest, Ok(7));
            }
            other => panic!("{other:?}"),
        }
    });
}
