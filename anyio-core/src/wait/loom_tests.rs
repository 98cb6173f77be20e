//! Loom models of the toolkit's one cross-thread piece: a parked waiter never misses the
//! update that asks for it, whether it waits as a task or as a thread.

use std::task::{Context, Poll, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::Parked;

struct Count(AtomicUsize);

impl std::task::Wake for Count {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_task_never_misses_the_update() {
    loom::model(|| {
        let slot = Arc::new(Parked::new(None::<u8>));
        let setter = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.update(|s| {
                    *s = Some(1);
                    ((), true)
                })
            })
        };
        let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let first = slot.poll(&mut cx, |s, _| s.take().map_or(Poll::Pending, Poll::Ready));
        setter.join().unwrap();
        if first.is_pending() {
            assert_eq!(
                count.0.load(Ordering::SeqCst),
                1,
                "the pending waiter was woken"
            );
            let second = slot.poll(&mut cx, |s, _| s.take().map_or(Poll::Pending, Poll::Ready));
            assert_eq!(second, Poll::Ready(1));
        } else {
            assert_eq!(first, Poll::Ready(1));
        }
    });
}

#[test]
fn a_thread_never_misses_the_update() {
    loom::model(|| {
        let slot = Arc::new(Parked::new(None::<u8>));
        let setter = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.update(|s| {
                    *s = Some(2);
                    ((), true)
                })
            })
        };
        assert_eq!(slot.wait_blocking(Option::take), 2);
        setter.join().unwrap();
    });
}
