//! A one-shot flag that tasks can wait for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiter_scope::WaiterScope;
use super::waiters::{lock, Key, WaitQueue, WakeList};
use crate::loom::atomic::{AtomicBool, Ordering};
use crate::loom::Mutex;
use crate::time::is_cancelled;

/// A flag that starts unset, can be [`set`](Self::set) once, and wakes every task that
/// [waits](Self::wait) for it. It cannot be reset: create a new one instead.
///
/// `Event` is not a handle: share it by reference or behind an [`Arc`](std::sync::Arc),
/// like the other primitives of this module.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::Event;
///
/// # anyio::run(async {
/// let ready = Arc::new(Event::new());
/// let r = ready.clone();
/// anyio::task_group(|tg| async move {
///     tg.spawn(async move {
///         r.wait().await;
///         Ok(())
///     })?;
///     anyio::checkpoint().await;
///     ready.set();
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
pub struct Event {
    set: AtomicBool,
    waiters: Mutex<WaitQueue<WaiterScope>>,
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}

impl Event {
    /// An unset event.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!anyio_core::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Self {
        Self {
            set: AtomicBool::new(false),
            waiters: Mutex::new(WaitQueue::new()),
        }
    }

    /// Sets the event and wakes every task waiting for it; later waits complete at once.
    /// Setting it again does nothing. A waiter whose scope is already cancelled is not woken
    /// by it: the cancellation came first, and its scope drops the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = anyio_core::sync::Event::new();
    /// event.set();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        if self.set.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut wakers = WakeList::new();
        lock(&self.waiters).grant_all_where(&mut wakers, |scope| !scope.is_cancelled());
        wakers.wake_all();
    }

    /// Whether the event was set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = anyio_core::sync::Event::new();
    /// assert!(!event.is_set());
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// Waits until the event is set; completes at once (without yielding) if it already is.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let event = anyio_core::sync::Event::new();
    /// event.set();
    /// event.wait().await;
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// An anyio checkpoint, and cancel safe: inside a cancelled scope it does not complete,
    /// and dropping the future only stops waiting (the event stays as it is). A waiter the
    /// event was set for has completed, and returns even if its scope is cancelled before it
    /// runs again (the delivery rule: a completed operation keeps its result); a waiter whose
    /// scope was cancelled before the event was set does not return.
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            waiter: None,
        }
    }

    /// How many tasks wait for the event.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = anyio_core::sync::Event::new();
    /// assert_eq!(event.statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> EventStatistics {
        EventStatistics {
            tasks_waiting: lock(&self.waiters).len(),
        }
    }
}

/// A snapshot of an [`Event`]'s waiters, from [`Event::statistics`].
///
/// # Examples
///
/// ```
/// let stats = anyio_core::sync::Event::new().statistics();
/// assert_eq!(stats.tasks_waiting, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventStatistics {
    /// Tasks waiting for the event.
    pub tasks_waiting: usize,
}

/// The future returned by [`Event::wait`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Event, EventWait};
///
/// # anyio::run(async {
/// let event = Event::new();
/// event.set();
/// let wait: EventWait<'_> = event.wait();
/// wait.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: see [`Event::wait`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct EventWait<'a> {
    event: &'a Event,
    waiter: Option<Key>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Some(key) = this.waiter.take() {
            // A waiter the event was set for completed before any cancellation reached it: it
            // keeps that result (the delivery rule), so this comes before the cancel check.
            let mut waiters = lock(&this.event.waiters);
            if waiters.poll(&key, cx.waker()) {
                waiters.leave(key);
                return Poll::Ready(());
            }
            if !is_cancelled() {
                // Passed over by `set` while cancelled, and shielded since: the event is set.
                if this.event.is_set() {
                    waiters.leave(key);
                    return Poll::Ready(());
                }
                waiters.payload_mut(&key).refresh();
            }
            this.waiter = Some(key);
            drop(waiters);
            return Poll::Pending;
        }
        // The flag is read before the scope, here and under the lock: another thread's
        // cancel and set, in that order, are then never seen as a set without the cancel.
        let set = this.event.is_set();
        if is_cancelled() {
            return Poll::Pending;
        }
        if set {
            return Poll::Ready(());
        }
        let mut waiters = lock(&this.event.waiters);
        // `set` stores the flag before it takes the lock to wake the line: checked under the
        // lock, either we see the flag or `set` sees us.
        if this.event.is_set() {
            if is_cancelled() {
                return Poll::Pending;
            }
            return Poll::Ready(());
        }
        this.waiter = Some(waiters.push(WaiterScope::current(), cx.waker()));
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            // A granted waiter has nothing to pass on: the event stays set for everyone.
            lock(&self.event.waiters).leave(key);
        }
    }
}
