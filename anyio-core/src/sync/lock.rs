//! A fair async lock without data, released by dropping its guard.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::error::{NotLocked, WouldBlock};
use super::permits::{Acquiring, Permits};

/// A fair mutual-exclusion lock for tasks: one holder at a time, others served in the order
/// they started waiting.
///
/// Holding the lock is holding a [`LockGuard`]; dropping the guard releases it. On release the
/// lock is handed directly to the first waiter, so a task that calls
/// [`acquire`](Self::acquire) later cannot overtake the line. For a lock that owns the data
/// it protects, see [`Mutex`](super::Mutex).
///
/// Share it by reference or behind an [`Arc`]; [`acquire_owned`](Self::acquire_owned) gives
/// a guard that keeps the `Arc` alive, for guards that move into another task.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::Lock;
///
/// # anyio::run(async {
/// let lock = Arc::new(Lock::new());
/// let log = Arc::new(std::sync::Mutex::new(Vec::new()));
/// let (l, g) = (lock.clone(), log.clone());
/// anyio::task_group(|tg| async move {
///     for i in 0..3 {
///         let (lock, log) = (l.clone(), g.clone());
///         tg.spawn(async move {
///             let _guard = lock.acquire().await;
///             log.lock().unwrap().push(i);
///             anyio::checkpoint().await; // the others wait, in line
///             log.lock().unwrap().push(i);
///             Ok(())
///         })?;
///     }
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// // Each holder finished before the next one started.
/// let log = log.lock().unwrap();
/// assert!(log.chunks(2).all(|pair| pair[0] == pair[1]));
/// # }).unwrap();
/// ```
pub struct Lock {
    permits: Permits,
    fast_acquire: bool,
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

impl Lock {
    /// An unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// assert!(!lock.locked());
    /// ```
    pub fn new() -> Self {
        Self {
            permits: Permits::new(1, 1),
            fast_acquire: false,
        }
    }

    /// With `fast_acquire`, taking the lock uncontended completes without yielding to other
    /// tasks (AnyIO's `Lock(fast_acquire=True)`): faster, but a task that takes and releases
    /// the lock in a loop with no other checkpoint starves the others. Without it (the
    /// default), an uncontended acquire is a full checkpoint, as in AnyIO and Trio: it takes
    /// the lock at once, then yields once, cancel-shielded, holding it.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let lock = anyio_core::sync::Lock::new().fast_acquire(true);
    /// let guard = lock.acquire().await; // no yield: nobody else held it
    /// assert!(lock.locked());
    /// # drop(guard);
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn fast_acquire(mut self, fast_acquire: bool) -> Self {
        self.fast_acquire = fast_acquire;
        self
    }

    /// Waits for the lock, then holds it until the returned guard is dropped.
    ///
    /// Waiters are served in FIFO order. Uncontended, this takes the lock at once (one atomic
    /// operation) and then yields once while holding it, unless the lock was made with
    /// [`fast_acquire`](Self::fast_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let lock = anyio_core::sync::Lock::new();
    /// let guard = lock.acquire().await;
    /// assert!(lock.locked());
    /// drop(guard);
    /// assert!(!lock.locked());
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// An anyio checkpoint, and cancel safe: inside a cancelled scope it does not complete,
    /// unless the lock was handed to it before the cancellation reached it (then it returns
    /// the guard). Dropping the future before it completes gives up its place in line; if the
    /// lock had already been handed to it, the lock passes to the next waiter (or is
    /// released), so it is never lost.
    pub fn acquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            lock: self,
            waiter: Acquiring::default(),
        }
    }

    /// Like [`acquire`](Self::acquire), for a lock behind an [`Arc`]: the guard owns a
    /// reference, so it can move into another task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// # anyio::run(async {
    /// let lock = Arc::new(anyio_core::sync::Lock::new());
    /// let guard = lock.clone().acquire_owned().await;
    /// std::thread::spawn(move || drop(guard)).join().unwrap();
    /// assert!(!lock.locked());
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// The same as [`acquire`](Self::acquire).
    pub fn acquire_owned(self: Arc<Self>) -> OwnedLockAcquire {
        OwnedLockAcquire {
            lock: Some(self),
            waiter: Acquiring::default(),
        }
    }

    /// Takes the lock if it is free now and nobody waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_err());
    /// drop(guard);
    /// assert!(lock.try_acquire().is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held.
    pub fn try_acquire(&self) -> Result<LockGuard<'_>, WouldBlock> {
        if self.permits.try_acquire() {
            Ok(LockGuard { lock: self })
        } else {
            Err(WouldBlock::default())
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), for a lock behind an [`Arc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(anyio_core::sync::Lock::new());
    /// let guard = lock.clone().try_acquire_owned().unwrap();
    /// assert!(lock.clone().try_acquire_owned().is_err());
    /// drop(guard);
    /// assert!(!lock.locked());
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedLockGuard, WouldBlock> {
        if self.permits.try_acquire() {
            Ok(OwnedLockGuard { lock: self })
        } else {
            Err(WouldBlock::default())
        }
    }

    /// Whether some task holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(lock.locked());
    /// # drop(guard);
    /// ```
    pub fn locked(&self) -> bool {
        self.permits.available() == 0
    }

    /// Releases the lock without a guard: the counterpart of an acquire whose guard was
    /// [forgotten](std::mem::forget), as AnyIO's explicit `release()`. The lock goes to the
    /// first waiter, if any.
    ///
    /// Guards release by themselves; prefer them. This does not check *who* holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// std::mem::forget(lock.try_acquire().unwrap());
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// assert!(!lock.locked());
    /// assert!(lock.release().is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`NotLocked`] when nobody holds the lock.
    pub fn release(&self) -> Result<(), NotLocked> {
        self.permits.release().map_err(|_| NotLocked::default())
    }

    /// Whether the lock is held, and how many tasks wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = anyio_core::sync::Lock::new();
    /// let stats = lock.statistics();
    /// assert!(!stats.locked);
    /// assert_eq!(stats.tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> LockStatistics {
        LockStatistics {
            locked: self.locked(),
            tasks_waiting: self.permits.waiting(),
        }
    }

    /// An acquire that never yields once the lock is free: for a condition's wait, which has
    /// been through its checkpoint already.
    pub(crate) fn reacquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            lock: self,
            waiter: Acquiring::without_yield(),
        }
    }

    pub(crate) fn poll_acquire(&self, waiter: &mut Acquiring, cx: &mut Context<'_>) -> Poll<()> {
        self.permits.poll_checkpoint(waiter, self.fast_acquire, cx)
    }

    pub(crate) fn abandon(&self, waiter: &mut Acquiring) {
        self.permits.abandon_acquiring(waiter);
    }

    /// Releases for a guard. Fails only if someone released the lock explicitly while the
    /// guard held it; there is nothing left to release then.
    fn release_guard(&self) {
        let _ = self.permits.release();
    }
}

/// A snapshot of a [`Lock`]'s state, from [`Lock::statistics`].
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let lock = anyio_core::sync::Lock::new();
/// let _guard = lock.acquire().await;
/// assert!(lock.statistics().locked);
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockStatistics {
    /// Whether some task holds the lock.
    pub locked: bool,
    /// Tasks waiting to acquire it.
    pub tasks_waiting: usize,
}

/// Holds a [`Lock`]; dropping it releases the lock (to the first waiter, if any).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Lock, LockGuard};
///
/// # anyio::run(async {
/// let lock = Lock::new();
/// {
///     let _guard: LockGuard<'_> = lock.acquire().await;
///     assert!(lock.locked());
/// }
/// assert!(!lock.locked());
/// # }).unwrap();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.release_guard();
    }
}

/// Holds a [`Lock`] behind an [`Arc`]; dropping it releases the lock. From
/// [`Lock::acquire_owned`] and [`Lock::try_acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{Lock, OwnedLockGuard};
///
/// let lock = Arc::new(Lock::new());
/// let guard: OwnedLockGuard = lock.clone().try_acquire_owned().unwrap();
/// drop(guard);
/// assert!(!lock.locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedLockGuard {
    lock: Arc<Lock>,
}

impl fmt::Debug for OwnedLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLockGuard").finish_non_exhaustive()
    }
}

impl Drop for OwnedLockGuard {
    fn drop(&mut self) {
        self.lock.release_guard();
    }
}

/// The future returned by [`Lock::acquire`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Lock, LockAcquire};
///
/// # anyio::run(async {
/// let lock = Lock::new();
/// let acquire: LockAcquire<'_> = lock.acquire();
/// let _guard = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: see [`Lock::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct LockAcquire<'a> {
    lock: &'a Lock,
    waiter: Acquiring,
}

impl<'a> Future for LockAcquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let this = &mut *self;
        ready!(this.lock.poll_acquire(&mut this.waiter, cx));
        Poll::Ready(LockGuard { lock: this.lock })
    }
}

impl Drop for LockAcquire<'_> {
    fn drop(&mut self) {
        self.lock.abandon(&mut self.waiter);
    }
}

/// The future returned by [`Lock::acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{Lock, OwnedLockAcquire};
///
/// # anyio::run(async {
/// let acquire: OwnedLockAcquire = Arc::new(Lock::new()).acquire_owned();
/// let _guard = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When polled again after it completed.
///
/// # Cancel safety
///
/// Cancel safe: see [`Lock::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct OwnedLockAcquire {
    lock: Option<Arc<Lock>>,
    waiter: Acquiring,
}

impl Future for OwnedLockAcquire {
    type Output = OwnedLockGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedLockGuard> {
        let this = &mut *self;
        let lock = this
            .lock
            .as_ref()
            .expect("`OwnedLockAcquire` polled after completion");
        ready!(lock.poll_acquire(&mut this.waiter, cx));
        let lock = this.lock.take().expect("checked above");
        Poll::Ready(OwnedLockGuard { lock })
    }
}

impl Drop for OwnedLockAcquire {
    fn drop(&mut self) {
        if let Some(lock) = &self.lock {
            lock.abandon(&mut self.waiter);
        }
    }
}
