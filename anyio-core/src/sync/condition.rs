//! A condition variable for tasks, with its own fair lock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::error::WouldBlock;
use super::lock::{Lock, LockAcquire, LockGuard, LockStatistics};
use super::waiters::{lock, Key, Left, WaitQueue, WakeList};
use crate::loom::Mutex;
use crate::time::is_cancelled;

/// A condition variable: tasks holding its lock [`wait`](Self::wait) to be
/// [notified](Self::notify) that something changed, releasing the lock meanwhile.
///
/// The condition owns its [`Lock`]; [`acquire`](Self::acquire) gives a [`ConditionGuard`].
/// `wait` consumes the guard and returns it once the task was notified and got the lock
/// back. Notifications go to waiters in FIFO order and are never lost to cancellation: a
/// notified waiter dropped before its `wait` returned passes the notification to the next
/// waiter.
///
/// Unlike AnyIO, [`notify`](Self::notify) does not require holding the lock (as with
/// `std::sync::Condvar`); notify while holding it when the change must not race with a
/// waiter checking its condition.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use anyio_core::sync::Condition;
///
/// # anyio::run(async {
/// let condition = Arc::new(Condition::new());
/// let ready = Arc::new(AtomicBool::new(false));
/// let (c, r) = (condition.clone(), ready.clone());
/// anyio::task_group(|tg| async move {
///     tg.spawn(async move {
///         let guard = c.acquire().await;
///         let _guard = c.wait_for(guard, || r.load(Ordering::SeqCst)).await;
///         Ok(())
///     })?;
///     anyio::checkpoint().await;
///     let _guard = condition.acquire().await;
///     ready.store(true, Ordering::SeqCst);
///     condition.notify_all();
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
pub struct Condition {
    lock: Lock,
    waiters: Mutex<WaitQueue>,
}

impl Default for Condition {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

impl Condition {
    /// A condition with an unlocked lock and no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// assert!(!condition.locked());
    /// ```
    pub fn new() -> Self {
        Self {
            lock: Lock::new(),
            waiters: Mutex::new(WaitQueue::new()),
        }
    }

    /// Waits for the condition's lock, as [`Lock::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.acquire().await;
    /// assert!(condition.locked());
    /// drop(guard);
    /// assert!(!condition.locked());
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As [`Lock::acquire`]: an anyio checkpoint, and cancel safe; a lock handed to a dropped
    /// future passes on.
    pub fn acquire(&self) -> ConditionAcquire<'_> {
        ConditionAcquire {
            condition: self,
            acquire: self.lock.acquire(),
        }
    }

    /// Takes the condition's lock if it is free now and nobody waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.try_acquire().unwrap();
    /// assert!(condition.try_acquire().is_err());
    /// # drop(guard);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held.
    pub fn try_acquire(&self) -> Result<ConditionGuard<'_>, WouldBlock> {
        let lock = self.lock.try_acquire()?;
        Ok(ConditionGuard {
            condition: self,
            lock,
        })
    }

    /// Whether some task holds the condition's lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let _guard = condition.try_acquire().unwrap();
    /// assert!(condition.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Notifies up to `n` waiting tasks, first come first served. Tasks that start waiting
    /// afterwards are not notified.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// condition.notify(1); // nobody waits: nothing happens
    /// assert_eq!(condition.statistics().tasks_waiting, 0);
    /// ```
    pub fn notify(&self, n: usize) {
        let mut wakers = WakeList::new();
        {
            let mut waiters = lock(&self.waiters);
            for _ in 0..n {
                match waiters.grant_front() {
                    Some(waker) => wakers.push(waker),
                    None => break,
                }
            }
        }
        wakers.wake_all();
    }

    /// Notifies every waiting task.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// condition.notify_all();
    /// ```
    pub fn notify_all(&self) {
        let mut wakers = WakeList::new();
        lock(&self.waiters).grant_all(&mut wakers);
        wakers.wake_all();
    }

    /// Releases the lock held by `guard`, waits to be notified, then gets the lock back and
    /// returns the guard. As with any condition variable, check the condition again
    /// afterwards (or use [`wait_for`](Self::wait_for)): another task may have changed it
    /// before the lock came back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// # anyio::run(async {
    /// let condition = Arc::new(anyio_core::sync::Condition::new());
    /// let c = condition.clone();
    /// anyio::task_group(|tg| async move {
    ///     tg.spawn(async move {
    ///         let guard = c.acquire().await;
    ///         let _guard = c.wait(guard).await; // lock released while waiting
    ///         Ok(())
    ///     })?;
    ///     while condition.statistics().tasks_waiting == 0 {
    ///         anyio::checkpoint().await;
    ///     }
    ///     condition.notify(1);
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// When `guard` belongs to another condition.
    ///
    /// # Cancel safety
    ///
    /// An anyio checkpoint, and cancel safe: inside a cancelled scope it does not complete.
    /// Dropping the future releases the lock (it never returns the guard); if it had been
    /// notified, the notification passes to the next waiting task, so none is lost; if the
    /// lock had already been handed back to it, the lock passes on as well.
    pub fn wait<'a>(&'a self, guard: ConditionGuard<'a>) -> ConditionWait<'a> {
        assert!(
            std::ptr::eq(self, guard.condition),
            "`Condition::wait` was given the guard of another condition"
        );
        ConditionWait {
            condition: self,
            phase: Phase::Holding(guard.lock),
        }
    }

    /// Waits until `predicate` returns `true`, checking it with the lock held: first at once,
    /// then after each notification. Returns the guard, with the lock held and the predicate
    /// true.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let condition = anyio_core::sync::Condition::new();
    /// let guard = condition.acquire().await;
    /// let _guard = condition.wait_for(guard, || true).await; // already true: no wait
    /// # }).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// When `guard` belongs to another condition, or `predicate` panics.
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](Self::wait): dropping the future releases the lock and passes on a
    /// notification it received.
    pub fn wait_for<'a, F>(
        &'a self,
        guard: ConditionGuard<'a>,
        predicate: F,
    ) -> ConditionWaitFor<'a, F>
    where
        F: FnMut() -> bool,
    {
        assert!(
            std::ptr::eq(self, guard.condition),
            "`Condition::wait_for` was given the guard of another condition"
        );
        ConditionWaitFor {
            condition: self,
            predicate,
            state: WaitFor::Check(guard),
        }
    }

    /// How many tasks wait to be notified, and the state of the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let condition = anyio_core::sync::Condition::new();
    /// let stats = condition.statistics();
    /// assert_eq!(stats.tasks_waiting, 0);
    /// assert!(!stats.lock.locked);
    /// ```
    pub fn statistics(&self) -> ConditionStatistics {
        ConditionStatistics {
            tasks_waiting: lock(&self.waiters).len(),
            lock: self.lock.statistics(),
        }
    }

    /// Gives a notification that a dropped waiter received to the next waiter, if any.
    fn pass_on(&self) {
        self.notify(1);
    }
}

/// A snapshot of a [`Condition`]'s state, from [`Condition::statistics`].
///
/// # Examples
///
/// ```
/// let stats = anyio_core::sync::Condition::new().statistics();
/// assert_eq!(stats.tasks_waiting, 0);
/// assert_eq!(stats.lock.tasks_waiting, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConditionStatistics {
    /// Tasks waiting to be notified.
    pub tasks_waiting: usize,
    /// The state of the condition's lock.
    pub lock: LockStatistics,
}

/// Holds a [`Condition`]'s lock; dropping it releases the lock. Give it to
/// [`Condition::wait`] to wait for a notification.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Condition, ConditionGuard};
///
/// let condition = Condition::new();
/// let guard: ConditionGuard<'_> = condition.try_acquire().unwrap();
/// drop(guard);
/// assert!(!condition.locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a> {
    condition: &'a Condition,
    lock: LockGuard<'a>,
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard").finish_non_exhaustive()
    }
}

/// The future returned by [`Condition::acquire`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Condition, ConditionAcquire};
///
/// # anyio::run(async {
/// let condition = Condition::new();
/// let acquire: ConditionAcquire<'_> = condition.acquire();
/// let _guard = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: see [`Condition::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct ConditionAcquire<'a> {
    condition: &'a Condition,
    acquire: LockAcquire<'a>,
}

impl<'a> Future for ConditionAcquire<'a> {
    type Output = ConditionGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a>> {
        let lock = ready!(Pin::new(&mut self.acquire).poll(cx));
        Poll::Ready(ConditionGuard {
            condition: self.condition,
            lock,
        })
    }
}

#[derive(Debug)]
enum Phase<'a> {
    /// Not polled yet: still holds the lock.
    Holding(LockGuard<'a>),
    /// In the condition's line, with the lock released; `None` only while being polled.
    Waiting(Option<Key>),
    /// Notified: getting the lock back.
    Reacquiring(LockAcquire<'a>),
    Done,
}

/// The future returned by [`Condition::wait`]: resolves to the guard once notified and the
/// lock is held again.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Condition, ConditionWait};
///
/// # anyio::run(async {
/// let condition = Condition::new();
/// let guard = condition.acquire().await;
/// let wait: ConditionWait<'_> = condition.wait(guard);
/// let outcome = anyio::move_on_after(std::time::Duration::from_millis(5), wait).await;
/// assert!(outcome.is_none()); // nobody notified
/// assert!(!condition.locked()); // and the lock was released
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When polled again after it completed.
///
/// # Cancel safety
///
/// Cancel safe: see [`Condition::wait`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct ConditionWait<'a> {
    condition: &'a Condition,
    phase: Phase<'a>,
}

impl<'a> Future for ConditionWait<'a> {
    type Output = ConditionGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a>> {
        if is_cancelled() {
            return Poll::Pending;
        }
        let this = &mut *self;
        loop {
            match &mut this.phase {
                Phase::Holding(_) => {
                    // Join the line before releasing the lock, so that a notification sent by
                    // the next holder cannot miss us.
                    let key = lock(&this.condition.waiters).push((), cx.waker());
                    let held = std::mem::replace(&mut this.phase, Phase::Waiting(Some(key)));
                    if let Phase::Holding(guard) = held {
                        drop(guard);
                    }
                    return Poll::Pending;
                }
                Phase::Waiting(waiter) => {
                    let key = waiter.take().expect("a waiting phase holds its key");
                    let mut waiters = lock(&this.condition.waiters);
                    if !waiters.poll(&key, cx.waker()) {
                        *waiter = Some(key);
                        return Poll::Pending;
                    }
                    waiters.leave(key);
                    drop(waiters);
                    this.phase = Phase::Reacquiring(this.condition.lock.reacquire());
                }
                Phase::Reacquiring(acquire) => {
                    let lock = ready!(Pin::new(acquire).poll(cx));
                    this.phase = Phase::Done;
                    return Poll::Ready(ConditionGuard {
                        condition: this.condition,
                        lock,
                    });
                }
                Phase::Done => panic!("`ConditionWait` polled after completion"),
            }
        }
    }
}

impl Drop for ConditionWait<'_> {
    fn drop(&mut self) {
        match &mut self.phase {
            Phase::Waiting(waiter) => {
                let Some(key) = waiter.take() else { return };
                let left = lock(&self.condition.waiters).leave(key).0;
                if left == Left::Granted {
                    self.condition.pass_on();
                }
            }
            // Notified but not returned yet: the notification was not used, pass it on. The
            // lock acquisition passes the lock on by itself when it is dropped next.
            Phase::Reacquiring(_) => self.condition.pass_on(),
            Phase::Holding(_) | Phase::Done => {}
        }
    }
}

#[derive(Debug)]
enum WaitFor<'a> {
    Check(ConditionGuard<'a>),
    Wait(ConditionWait<'a>),
    Done,
}

/// The future returned by [`Condition::wait_for`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Condition, ConditionWaitFor};
///
/// # anyio::run(async {
/// let condition = Condition::new();
/// let guard = condition.acquire().await;
/// let mut checks = 0;
/// let wait_for: ConditionWaitFor<'_, _> = condition.wait_for(guard, || {
///     checks += 1;
///     true
/// });
/// let _guard = wait_for.await;
/// assert_eq!(checks, 1);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When `predicate` panics, or the future is polled again after it completed.
///
/// # Cancel safety
///
/// Cancel safe: see [`Condition::wait_for`].
#[must_use = "futures do nothing unless polled"]
pub struct ConditionWaitFor<'a, F> {
    condition: &'a Condition,
    predicate: F,
    state: WaitFor<'a>,
}

// The predicate is only ever called through `&mut`, never pinned.
impl<F> Unpin for ConditionWaitFor<'_, F> {}

impl<F> fmt::Debug for ConditionWaitFor<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionWaitFor")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<'a, F: FnMut() -> bool> Future for ConditionWaitFor<'a, F> {
    type Output = ConditionGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a>> {
        if is_cancelled() {
            return Poll::Pending;
        }
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, WaitFor::Done) {
                WaitFor::Check(guard) => {
                    if (this.predicate)() {
                        return Poll::Ready(guard);
                    }
                    this.state = WaitFor::Wait(this.condition.wait(guard));
                }
                WaitFor::Wait(mut wait) => match Pin::new(&mut wait).poll(cx) {
                    Poll::Ready(guard) => this.state = WaitFor::Check(guard),
                    Poll::Pending => {
                        this.state = WaitFor::Wait(wait);
                        return Poll::Pending;
                    }
                },
                WaitFor::Done => panic!("`ConditionWaitFor` polled after completion"),
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::task::Waker;

    use super::*;

    fn poll<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
        Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_notified_waiter_dropped_in_line_passes_the_notification_on() {
        let condition = Condition::new();
        let mut a = condition.wait(condition.try_acquire().unwrap());
        assert!(poll(&mut a).is_pending());
        assert!(!condition.locked(), "waiting released the lock");
        let mut b = condition.wait(condition.try_acquire().unwrap());
        assert!(poll(&mut b).is_pending());
        condition.notify(1);
        assert_eq!(condition.statistics().tasks_waiting, 1);
        drop(a);
        assert_eq!(condition.statistics().tasks_waiting, 0, "b was notified");
        let guard = poll(&mut b);
        assert!(guard.is_ready());
        assert!(condition.locked());
    }

    #[test]
    fn a_notified_waiter_dropped_while_reacquiring_passes_the_notification_on() {
        let condition = Condition::new();
        let mut a = condition.wait(condition.try_acquire().unwrap());
        assert!(poll(&mut a).is_pending());
        let mut b = condition.wait(condition.try_acquire().unwrap());
        assert!(poll(&mut b).is_pending());
        let held = condition.try_acquire().unwrap();
        condition.notify(1);
        assert!(poll(&mut a).is_pending(), "notified, waiting for the lock");
        assert_eq!(condition.statistics().lock.tasks_waiting, 1);
        drop(held); // handed to `a`...
        drop(a); // ...which is dropped: lock and notification both pass on
        assert!(!condition.locked());
        assert!(poll(&mut b).is_ready());
    }

    #[test]
    fn a_waiter_dropped_before_being_notified_takes_nothing() {
        let condition = Condition::new();
        let mut a = condition.wait(condition.try_acquire().unwrap());
        assert!(poll(&mut a).is_pending());
        drop(a);
        assert_eq!(condition.statistics().tasks_waiting, 0);
        let mut b = condition.wait(condition.try_acquire().unwrap());
        assert!(poll(&mut b).is_pending());
        assert!(poll(&mut b).is_pending(), "no stray notification");
        condition.notify_all();
        assert!(poll(&mut b).is_ready());
    }

    #[test]
    fn dropping_an_unpolled_wait_releases_the_lock() {
        let condition = Condition::new();
        drop(condition.wait(condition.try_acquire().unwrap()));
        assert!(!condition.locked());
    }
}
