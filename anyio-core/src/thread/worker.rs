//! What a worker thread shares with the task waiting for it: the waiting task's cancel scope
//! and an inbox of futures the thread wants run in that task.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};

use crate::context;
use crate::tree::NodeRef;
use crate::wait::{register, Acquire};

/// A future sent by the thread, which reports its output through a channel of its own.
pub(crate) struct Request {
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// Sync code, which cannot be cancelled: it runs also when the calling scope is.
    uncancellable: bool,
}

impl Request {
    /// A future that runs inside the calling scope, and is dropped when it is cancelled.
    pub(crate) fn cancellable(future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Self {
        Self {
            future,
            uncancellable: false,
        }
    }

    /// Sync code wrapped in a future that completes in its first poll, outside any scope.
    pub(crate) fn uncancellable(future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Self {
        Self {
            future,
            uncancellable: true,
        }
    }
}

/// Shared between the waiting task and its worker thread.
pub(crate) struct Link {
    /// The scope that encloses the `to_thread::run_sync` call.
    scope: Option<NodeRef>,
    inbox: Mutex<Inbox>,
}

#[derive(Default)]
struct Inbox {
    queue: VecDeque<Request>,
    waker: Option<Waker>,
    /// The waiting task is gone (it abandoned the thread or finished).
    closed: bool,
}

/// Why the task could not take a request.
pub(crate) struct Refused;

impl Link {
    /// A link for a worker started by code running in the current context.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            scope: context::current_node(),
            inbox: Mutex::new(Inbox::default()),
        })
    }

    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.acquire()
    }

    /// Whether the calling scope was cancelled, or the task stopped waiting.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.inbox().closed || self.scope_cancelled()
    }

    fn scope_cancelled(&self) -> bool {
        self.scope.as_ref().is_some_and(|s| s.is_effective())
    }

    /// Hands `request` to the waiting task.
    pub(crate) fn send(&self, request: Request) -> Result<(), Refused> {
        let waker = {
            let mut inbox = self.inbox();
            if inbox.closed {
                return Err(Refused);
            }
            inbox.queue.push_back(request);
            inbox.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Stops taking requests; those not yet taken are dropped, which tells their senders.
    pub(crate) fn close(&self) {
        let dropped = {
            let mut inbox = self.inbox();
            inbox.closed = true;
            std::mem::take(&mut inbox.queue)
        };
        drop(dropped);
    }
}

/// The waiting task's side: runs the requests it took, inside the caller's scope.
#[derive(Default)]
pub(crate) struct Servicer {
    running: Vec<Request>,
}

impl Servicer {
    /// Takes new requests and polls every running one once. When the calling scope is
    /// cancelled, the cancellable ones are dropped, so that the thread learns it at once
    /// instead of waiting for futures that will never complete there; sync code still runs.
    pub(crate) fn poll(&mut self, link: &Link, cx: &mut Context<'_>) {
        {
            let mut inbox = link.inbox();
            self.running.extend(inbox.queue.drain(..));
            register(&mut inbox.waker, cx.waker());
        }
        if self.running.is_empty() {
            return;
        }
        if link.scope_cancelled() {
            self.running.retain(|request| request.uncancellable);
        }
        self.running.retain_mut(|request| {
            let mut scope = if request.uncancellable {
                None
            } else {
                link.scope.clone()
            };
            let (polled, _) = context::enter(&mut scope, None, || request.future.as_mut().poll(cx));
            polled.is_pending()
        });
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Link>>> = const { RefCell::new(None) };
}

/// Runs `f` with `link` as this thread's worker context, also restoring the previous one
/// when `f` panics (pool threads are reused).
pub(crate) fn enter<T>(link: Arc<Link>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<Link>>);

    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = self.0.take());
        }
    }

    let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(link)));
    f()
}

/// The worker context of the calling thread, if it runs a `to_thread` closure.
pub(crate) fn current() -> Option<Arc<Link>> {
    CURRENT.with(|c| c.borrow().clone())
}
