//! What a worker thread shares with the task waiting for it: the waiting task's cancel scope
//! and an inbox of futures and closures the thread wants run in that task.
//!
//! The two kinds of request differ in how cancellation treats them, as in AnyIO:
//!
//! - a future ([`Request::Async`]) runs inside the caller's scope and is subject to it: it is
//!   dropped when that scope is cancelled, and refused once the task stopped waiting;
//! - a closure ([`Request::Sync`]) cannot be cancelled: it runs even when the scope is
//!   cancelled, and when the task no longer waits (it abandoned the thread) it runs in a task
//!   of its own on the runtime instead.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};

use crate::context;
use crate::tree::NodeRef;

/// A closure sent by the thread; it reports its result through a channel of its own.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// Something the thread wants run on the event loop.
enum Request {
    /// A future, which reports its output through a channel of its own.
    Async(Pin<Box<dyn Future<Output = ()> + Send>>),
    /// A closure, run whatever the state of the caller's scope.
    Sync(Job),
}

/// Runs a closure in a task of its own on the caller's runtime, for when the caller no
/// longer waits. Dropping the closure unrun (the runtime has shut down) tells its sender.
pub(crate) type Spawn = Box<dyn Fn(Job) + Send + Sync>;

/// Shared between the waiting task and its worker thread.
pub(crate) struct Link {
    /// The scope that encloses the `to_thread::run_sync` call.
    scope: Option<NodeRef>,
    spawn: Spawn,
    inbox: Mutex<Inbox>,
    /// The closure returned when the scope was already cancelled: its result came after the
    /// cancellation, so a call that abandons its thread does not deliver it.
    finished_after_cancel: AtomicBool,
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
    /// A link for a worker started by code running in the current context; `spawn` runs the
    /// closures sent after the caller stopped waiting.
    pub(crate) fn new(spawn: Spawn) -> Arc<Self> {
        Arc::new(Self {
            scope: context::current_node(),
            spawn,
            inbox: Mutex::new(Inbox::default()),
            finished_after_cancel: AtomicBool::new(false),
        })
    }

    /// Called by the worker when the closure has returned (before the waiting task can see
    /// its result).
    pub(crate) fn finish(&self) {
        if self.scope_cancelled() {
            self.finished_after_cancel.store(true, Ordering::Release);
        }
    }

    /// Whether the closure returned only after the calling scope was cancelled.
    pub(crate) fn finished_after_cancel(&self) -> bool {
        self.finished_after_cancel.load(Ordering::Acquire)
    }

    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // A request is only moved in and out under the lock: a panic cannot leave it torn.
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the calling scope was cancelled, or the task stopped waiting.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.inbox().closed || self.scope_cancelled()
    }

    fn scope_cancelled(&self) -> bool {
        self.scope.as_ref().is_some_and(|s| s.is_effective())
    }

    /// Hands `future` to the waiting task; refused once the task stopped waiting.
    pub(crate) fn send_async(
        &self,
        future: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Result<(), Refused> {
        self.push(Request::Async(future)).map_err(|_| Refused)
    }

    /// Hands `job` to the waiting task, or to the runtime once the task stopped waiting.
    pub(crate) fn send_sync(&self, job: Job) {
        if let Err(Request::Sync(job)) = self.push(Request::Sync(job)) {
            (self.spawn)(job);
        }
    }

    /// Queues `request` and wakes the task, or gives it back when the task stopped waiting.
    fn push(&self, request: Request) -> Result<(), Request> {
        let waker = {
            let mut inbox = self.inbox();
            if inbox.closed {
                return Err(request);
            }
            inbox.queue.push_back(request);
            inbox.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Stops taking requests. Futures not yet taken are dropped, which tells their senders;
    /// closures not yet taken go to the runtime.
    pub(crate) fn close(&self) {
        let left = {
            let mut inbox = self.inbox();
            inbox.closed = true;
            std::mem::take(&mut inbox.queue)
        };
        for request in left {
            if let Request::Sync(job) = request {
                (self.spawn)(job);
            }
        }
    }
}

/// The waiting task's side: runs the requests it took, inside the caller's scope.
#[derive(Default)]
pub(crate) struct Servicer {
    running: Vec<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Servicer {
    /// Takes new requests, runs the closures, and polls every running future once; drops the
    /// futures when the calling scope is cancelled, so that the thread learns it at once
    /// instead of waiting for futures that will never complete there.
    pub(crate) fn poll(&mut self, link: &Link, cx: &mut Context<'_>) {
        let taken = {
            let mut inbox = link.inbox();
            match &inbox.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => inbox.waker = Some(cx.waker().clone()),
            }
            std::mem::take(&mut inbox.queue)
        };
        let mut scope = link.scope.clone();
        for request in taken {
            match request {
                Request::Async(future) => self.running.push(future),
                // Sync code cannot be cancelled: it runs in the caller's scope, cancelled or
                // not, and sees which it is.
                Request::Sync(job) => {
                    context::enter(&mut scope, None, job);
                }
            }
        }
        if self.running.is_empty() {
            return;
        }
        if link.scope_cancelled() {
            self.running.clear();
            return;
        }
        self.running.retain_mut(|request| {
            let (polled, _) = context::enter(&mut scope, None, || request.as_mut().poll(cx));
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
