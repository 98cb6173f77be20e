//! The portal's event-loop side: a request queue fed by sync threads and the task group that
//! serves it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use super::completion::Reporter;
use super::marker;
use super::PortalError;
use crate::backend::Runtime;
use crate::cancel::CancelHandle;
use crate::task::TaskGroup;
use crate::wait::Acquire;

/// One request: spawns its task into the portal's group. Dropping it unrun reports the task
/// as cancelled (through the [`Reporter`] it owns).
pub(super) type Job<R> = Box<dyn FnOnce(&TaskGroup<R, Infallible>) + Send + 'static>;

struct State<R: Runtime> {
    jobs: VecDeque<Job<R>>,
    /// The serve loop, waiting for a job.
    waker: Option<Waker>,
    /// `Some(cancel_remaining)` once the portal is stopping; no job is accepted after that.
    stop: Option<bool>,
    /// The group's cancel scope, once the serve loop runs.
    group: Option<CancelHandle>,
}

/// What the portal's clients and its serve loop share.
pub(super) struct Queue<R: Runtime> {
    state: Mutex<State<R>>,
}

enum Next<R: Runtime> {
    Job(Job<R>),
    Stop { cancel: bool },
}

impl<R: Runtime> Queue<R> {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                waker: None,
                stop: None,
                group: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<R>> {
        // No user code runs under the lock (jobs are dropped and wakers woken outside it).
        self.state.acquire()
    }

    /// Queues a job for the serve loop.
    pub(super) fn push(&self, job: Job<R>) -> Result<(), PortalError> {
        let waker = {
            let mut state = self.lock();
            if state.stop.is_some() {
                return Err(PortalError::Stopped);
            }
            state.jobs.push_back(job);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Refuses further jobs; with `cancel`, also cancels the running tasks and drops the queued
    /// ones (a later `cancel` upgrades an earlier graceful stop).
    pub(super) fn stop(&self, cancel: bool) {
        let (waker, group, dropped) = {
            let mut state = self.lock();
            let cancel = cancel || state.stop == Some(true);
            state.stop = Some(cancel);
            let dropped: Vec<Job<R>> = if cancel {
                state.jobs.drain(..).collect()
            } else {
                Vec::new()
            };
            let group = if cancel { state.group.clone() } else { None };
            (state.waker.take(), group, dropped)
        };
        drop(dropped);
        if let Some(group) = group {
            group.cancel();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether [`stop`](Self::stop) has been called (or the runtime thread has ended).
    pub(super) fn is_stopped(&self) -> bool {
        self.lock().stop.is_some()
    }

    fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Next<R>> {
        let mut state = self.lock();
        if let Some(job) = state.jobs.pop_front() {
            return Poll::Ready(Next::Job(job));
        }
        if let Some(cancel) = state.stop {
            return Poll::Ready(Next::Stop { cancel });
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Runs the portal until it is stopped: spawns each queued job into `group`, which the
    /// caller awaits, so a graceful stop waits for the running tasks.
    pub(super) async fn serve(&self, group: TaskGroup<R, Infallible>) -> Result<(), Infallible> {
        let cancel_now = {
            let mut state = self.lock();
            state.group = Some(group.cancel_handle());
            state.stop == Some(true)
        };
        if cancel_now {
            group.cancel();
        }
        loop {
            match poll_fn(|cx| self.poll_next(cx)).await {
                Next::Job(job) => job(&group),
                Next::Stop { cancel } => {
                    if cancel {
                        group.cancel();
                    }
                    return Ok(());
                }
            }
        }
    }
}

/// Builds the job that spawns `future` into the group, reporting to `reporter`.
pub(super) fn job<R, F>(portal: u64, future: F, reporter: Reporter<F::Output>) -> Job<R>
where
    R: Runtime,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Box::new(move |group: &TaskGroup<R, Infallible>| {
        let completion = Arc::clone(&reporter.0);
        let task = PortalFuture {
            future,
            reporter: Some(reporter),
            portal,
        };
        // A refused spawn (the group is finishing) drops the task, which reports "cancelled".
        if let Ok(handle) = group.spawn(task) {
            completion.set_canceller(Box::new(move || handle.cancel()));
        }
    })
}

pin_project! {
    /// A portal task as the group sees it: marks the polling thread as inside the portal, and
    /// turns the task's value or panic into a report, so one task's panic does not tear down
    /// the whole portal.
    struct PortalFuture<F: Future> {
        #[pin]
        future: F,
        reporter: Option<Reporter<F::Output>>,
        portal: u64,
    }
}

impl<F: Future> Future for PortalFuture<F> {
    type Output = Result<(), Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(reporter) = this.reporter.as_ref() else {
            return Poll::Ready(Ok(()));
        };
        let _mark = marker::enter(*this.portal);
        let future = this.future;
        match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => reporter.value(value),
            Err(payload) => reporter.panicked(payload),
        }
        *this.reporter = None;
        Poll::Ready(Ok(()))
    }
}
