//! A [`JoinHandle`] adapter for runtimes whose task handles can only stop a task by consuming
//! the handle (smol's `Task`, async-std's `JoinHandle`), while the waist's `abort` takes
//! `&self`. Shared by those backends so each only says how its handle stops a task.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::JoinHandle;

/// A native task handle that can stop its task only by being consumed. It resolves to
/// `Some(value)`, or `None` when the task did not finish.
pub trait NativeTask: Future<Output = Option<Self::Value>> + Unpin + Send {
    /// What the task produces.
    type Value;

    /// Stops the task (at its next suspension point); called at most once.
    fn stop(self);
}

/// Wraps a [`NativeTask`] as a [`JoinHandle`]: `abort` takes the native handle out from under
/// a lock and stops it, and wakes whoever was awaiting the handle.
pub struct LockedJoinHandle<H> {
    state: Mutex<State<H>>,
}

struct State<H> {
    task: Option<H>,
    // A stopped task no longer wakes whoever waited for it, so `abort` must.
    waker: Option<Waker>,
}

impl<H> LockedJoinHandle<H> {
    /// Wraps `task`.
    pub fn new(task: H) -> Self {
        Self {
            state: Mutex::new(State {
                task: Some(task),
                waker: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<H>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<H: NativeTask> Future for LockedJoinHandle<H> {
    type Output = Option<H::Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.lock();
        let Some(task) = state.task.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(task).poll(cx) {
            Poll::Ready(output) => {
                state.task = None;
                Poll::Ready(output)
            }
            Poll::Pending => {
                match &mut state.waker {
                    Some(waker) => waker.clone_from(cx.waker()),
                    None => state.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<T, H: NativeTask<Value = T> + fmt::Debug> JoinHandle<T> for LockedJoinHandle<H> {
    fn abort(&self) {
        let (task, waker) = {
            let mut state = self.lock();
            (state.task.take(), state.waker.take())
        };
        // Outside the lock: stopping a finished task drops its output, which runs user code.
        if let Some(task) = task {
            task.stop();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<H: fmt::Debug> fmt::Debug for LockedJoinHandle<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockedJoinHandle")
            .field("task", &self.lock().task)
            .finish_non_exhaustive()
    }
}
