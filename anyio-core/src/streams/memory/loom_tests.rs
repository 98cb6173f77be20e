//! Loom models of the channel: every interleaving of two threads on the shared state.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p anyio-core --lib --release streams::memory`.

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
fn a_dropped_send_delivers_exactly_when_it_was_handed_over() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let mut cx = Context::from_waker(Waker::noop());
        let mut send = Box::pin(tx.send(7));
        assert!(
            send.as_mut().poll(&mut cx).is_pending(),
            "capacity 0 and no receiver waiting: the send waits"
        );
        let receiver = thread::spawn(move || rx.try_receive());
        // Dropped while the other thread may be taking its item.
        drop(send);
        drop(tx);
        match receiver.join().unwrap() {
            // Taken before the drop: the item was delivered, exactly once.
            Ok(item) => assert_eq!(item, 7),
            // Withdrawn by the drop first: nobody ever sees it.
            Err(error) => assert!(
                matches!(
                    error,
                    TryReceiveError::WouldBlock | TryReceiveError::EndOfStream
                ),
                "{error:?}"
            ),
        }
    });
}

#[test]
fn a_waiting_send_handed_over_reports_success() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let receiver = thread::spawn(move || block_on(rx.receive()));
        assert_eq!(block_on(tx.send(9)), Ok(()));
        assert_eq!(receiver.join().unwrap(), Ok(9));
    });
}
