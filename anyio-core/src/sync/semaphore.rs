//! A fair counting semaphore with an optional max value.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::error::{SemaphoreFull, ValueAboveMax, WouldBlock};
use super::permits::{Acquiring, Permits, MAX_PERMITS};

/// A fair counting semaphore: [`acquire`](Self::acquire) takes one unit of its value, waiting
/// in FIFO order while the value is zero; the guard gives the unit back when dropped.
///
/// A released unit is handed directly to the first waiter, so later callers cannot overtake
/// the line. [`release`](Self::release) adds a unit without a guard (AnyIO's explicit
/// release); with a max value, releasing past it is an error. Share it by reference or
/// behind an [`Arc`].
///
/// # Examples
///
/// At most two tasks in the critical section:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use anyio_core::sync::Semaphore;
///
/// # anyio::run(async {
/// let semaphore = Arc::new(Semaphore::new(2));
/// let inside = Arc::new(AtomicUsize::new(0));
/// anyio::task_group(|tg| async move {
///     for _ in 0..6 {
///         let (semaphore, inside) = (semaphore.clone(), inside.clone());
///         tg.spawn(async move {
///             let _permit = semaphore.acquire().await;
///             assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
///             anyio::checkpoint().await;
///             inside.fetch_sub(1, Ordering::SeqCst);
///             Ok(())
///         })?;
///     }
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
pub struct Semaphore {
    permits: Permits,
    max_value: Option<usize>,
    fast_acquire: bool,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .field("max_value", &self.max_value)
            .finish_non_exhaustive()
    }
}

impl Semaphore {
    /// The largest value a semaphore can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Semaphore;
    ///
    /// assert_eq!(Semaphore::MAX_VALUE, usize::MAX >> 1);
    /// ```
    pub const MAX_VALUE: usize = MAX_PERMITS;

    /// A semaphore with value `initial_value` and no max value (beyond
    /// [`MAX_VALUE`](Self::MAX_VALUE)).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.value(), 3);
    /// assert_eq!(semaphore.max_value(), None);
    /// ```
    ///
    /// # Panics
    ///
    /// When `initial_value` is above [`MAX_VALUE`](Self::MAX_VALUE).
    pub fn new(initial_value: usize) -> Self {
        assert!(
            initial_value <= Self::MAX_VALUE,
            "a semaphore's value must be at most Semaphore::MAX_VALUE"
        );
        Self {
            permits: Permits::new(initial_value, Self::MAX_VALUE),
            max_value: None,
            fast_acquire: false,
        }
    }

    /// A semaphore with value `initial_value` that can never be released above `max_value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::with_max_value(1, 2).unwrap();
    /// semaphore.release().unwrap();
    /// assert!(semaphore.release().is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`ValueAboveMax`] when `initial_value` is above `max_value`, or `max_value` above
    /// [`MAX_VALUE`](Self::MAX_VALUE).
    pub fn with_max_value(initial_value: usize, max_value: usize) -> Result<Self, ValueAboveMax> {
        if max_value > Self::MAX_VALUE {
            return Err(ValueAboveMax::new(max_value, Self::MAX_VALUE));
        }
        if initial_value > max_value {
            return Err(ValueAboveMax::new(initial_value, max_value));
        }
        Ok(Self {
            permits: Permits::new(initial_value, max_value),
            max_value: Some(max_value),
            fast_acquire: false,
        })
    }

    /// Waits until the value is above zero, then decrements it; the guard increments it
    /// again (or serves the first waiter) when dropped.
    ///
    /// Waiters are served in FIFO order. When the value is above zero this completes at once
    /// without yielding.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// let permit = semaphore.acquire().await;
    /// assert_eq!(semaphore.value(), 0);
    /// drop(permit);
    /// assert_eq!(semaphore.value(), 1);
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// An anyio checkpoint, and cancel safe: inside a cancelled scope it does not complete.
    /// Dropping the future before it completes gives up its place in line; if a unit had
    /// already been handed to it, the unit passes to the next waiter (or back to the value),
    /// so it is never lost.
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            semaphore: self,
            waiter: Acquiring::default(),
        }
    }

    /// Like [`acquire`](Self::acquire), for a semaphore behind an [`Arc`]: the guard owns a
    /// reference, so it can move into another task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// # anyio::run(async {
    /// let semaphore = Arc::new(anyio_core::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().acquire_owned().await;
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// The same as [`acquire`](Self::acquire).
    pub fn acquire_owned(self: Arc<Self>) -> OwnedSemaphoreAcquire {
        OwnedSemaphoreAcquire {
            semaphore: Some(self),
            waiter: Acquiring::default(),
        }
    }

    /// Decrements the value if it is above zero now (then nobody waits).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// # drop(permit);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the value is zero.
    pub fn try_acquire(&self) -> Result<SemaphoreGuard<'_>, WouldBlock> {
        if self.permits.try_acquire() {
            Ok(SemaphoreGuard { semaphore: self })
        } else {
            Err(WouldBlock::default())
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), for a semaphore behind an [`Arc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(anyio_core::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// # drop(permit);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the value is zero.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphoreGuard, WouldBlock> {
        if self.permits.try_acquire() {
            Ok(OwnedSemaphoreGuard {
                semaphore: self,
                forgotten: false,
            })
        } else {
            Err(WouldBlock::default())
        }
    }

    /// Increments the value without a guard (AnyIO's explicit `release()`), or hands the unit
    /// to the first waiter. The counterpart of a [forgotten](SemaphoreGuard::forget) guard,
    /// or a way to raise the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(0);
    /// semaphore.release().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// [`SemaphoreFull`] when the value already is the max value, or
    /// [`MAX_VALUE`](Self::MAX_VALUE) when there is none; the value is unchanged.
    pub fn release(&self) -> Result<(), SemaphoreFull> {
        self.permits.release().map_err(|_| SemaphoreFull::default())
    }

    /// The current value: how many units can be acquired without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(2);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    pub fn value(&self) -> usize {
        self.permits.available()
    }

    /// The max value, if one was set with [`with_max_value`](Self::with_max_value).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::Semaphore;
    ///
    /// assert_eq!(Semaphore::with_max_value(0, 4).unwrap().max_value(), Some(4));
    /// ```
    pub fn max_value(&self) -> Option<usize> {
        self.max_value
    }

    /// How many tasks wait to acquire.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// assert_eq!(semaphore.statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> SemaphoreStatistics {
        SemaphoreStatistics {
            tasks_waiting: self.permits.waiting(),
        }
    }

    fn poll_acquire(&self, waiter: &mut Acquiring, cx: &mut Context<'_>) -> Poll<()> {
        self.permits.poll_checkpoint(waiter, self.fast_acquire, cx)
    }

    /// With `fast_acquire`, taking a unit that is free completes without yielding to other
    /// tasks (AnyIO's `Semaphore(fast_acquire=True)`); see [`Lock::fast_acquire`] for the
    /// trade-off. Without it (the default), such an acquire takes the unit and then yields
    /// once, cancel-shielded, holding it.
    ///
    /// [`Lock::fast_acquire`]: super::Lock::fast_acquire
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let semaphore = anyio_core::sync::Semaphore::new(2).fast_acquire(true);
    /// let unit = semaphore.acquire().await;
    /// assert_eq!(semaphore.value(), 1);
    /// # drop(unit);
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn fast_acquire(mut self, fast_acquire: bool) -> Self {
        self.fast_acquire = fast_acquire;
        self
    }

    /// Releases for a guard. At the max only if units were released explicitly that were
    /// never acquired; the value is full then, and the guard's unit is dropped.
    fn release_guard(&self) {
        let _ = self.permits.release();
    }
}

/// A snapshot of a [`Semaphore`]'s waiters, from [`Semaphore::statistics`].
///
/// # Examples
///
/// ```
/// let stats = anyio_core::sync::Semaphore::new(0).statistics();
/// assert_eq!(stats.tasks_waiting, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemaphoreStatistics {
    /// Tasks waiting to acquire.
    pub tasks_waiting: usize,
}

/// One unit of a [`Semaphore`]; dropping it gives the unit back (to the first waiter, if any).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Semaphore, SemaphoreGuard};
///
/// let semaphore = Semaphore::new(1);
/// let permit: SemaphoreGuard<'_> = semaphore.try_acquire().unwrap();
/// drop(permit);
/// assert_eq!(semaphore.value(), 1);
/// ```
#[must_use = "the unit is given back as soon as the guard is dropped"]
pub struct SemaphoreGuard<'a> {
    semaphore: &'a Semaphore,
}

impl SemaphoreGuard<'_> {
    /// Keeps the unit taken: the value stays decremented until someone calls
    /// [`Semaphore::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = anyio_core::sync::Semaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// semaphore.release().unwrap();
    /// assert_eq!(semaphore.value(), 1);
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        self.semaphore.release_guard();
    }
}

/// One unit of a [`Semaphore`] behind an [`Arc`]; dropping it gives the unit back. From
/// [`Semaphore::acquire_owned`] and [`Semaphore::try_acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{OwnedSemaphoreGuard, Semaphore};
///
/// let semaphore = Arc::new(Semaphore::new(1));
/// let permit: OwnedSemaphoreGuard = semaphore.clone().try_acquire_owned().unwrap();
/// drop(permit);
/// assert_eq!(semaphore.value(), 1);
/// ```
#[must_use = "the unit is given back as soon as the guard is dropped"]
pub struct OwnedSemaphoreGuard {
    semaphore: Arc<Semaphore>,
    /// Set by `forget`, which must still drop the `Arc`.
    forgotten: bool,
}

impl OwnedSemaphoreGuard {
    /// Keeps the unit taken: the value stays decremented until someone calls
    /// [`Semaphore::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(anyio_core::sync::Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// ```
    pub fn forget(mut self) {
        self.forgotten = true;
    }
}

impl fmt::Debug for OwnedSemaphoreGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphoreGuard")
            .finish_non_exhaustive()
    }
}

impl Drop for OwnedSemaphoreGuard {
    fn drop(&mut self) {
        if !self.forgotten {
            self.semaphore.release_guard();
        }
    }
}

/// The future returned by [`Semaphore::acquire`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Semaphore, SemaphoreAcquire};
///
/// # anyio::run(async {
/// let semaphore = Semaphore::new(1);
/// let acquire: SemaphoreAcquire<'_> = semaphore.acquire();
/// let _permit = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: see [`Semaphore::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct SemaphoreAcquire<'a> {
    semaphore: &'a Semaphore,
    waiter: Acquiring,
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = SemaphoreGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphoreGuard<'a>> {
        let this = &mut *self;
        ready!(this.semaphore.poll_acquire(&mut this.waiter, cx));
        Poll::Ready(SemaphoreGuard {
            semaphore: this.semaphore,
        })
    }
}

impl Drop for SemaphoreAcquire<'_> {
    fn drop(&mut self) {
        self.semaphore.permits.abandon_acquiring(&mut self.waiter);
    }
}

/// The future returned by [`Semaphore::acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{OwnedSemaphoreAcquire, Semaphore};
///
/// # anyio::run(async {
/// let acquire: OwnedSemaphoreAcquire = Arc::new(Semaphore::new(1)).acquire_owned();
/// let _permit = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When polled again after it completed.
///
/// # Cancel safety
///
/// Cancel safe: see [`Semaphore::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct OwnedSemaphoreAcquire {
    semaphore: Option<Arc<Semaphore>>,
    waiter: Acquiring,
}

impl Future for OwnedSemaphoreAcquire {
    type Output = OwnedSemaphoreGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphoreGuard> {
        let this = &mut *self;
        let semaphore = this
            .semaphore
            .as_ref()
            .expect("`OwnedSemaphoreAcquire` polled after completion");
        ready!(semaphore.poll_acquire(&mut this.waiter, cx));
        let semaphore = this.semaphore.take().expect("checked above");
        Poll::Ready(OwnedSemaphoreGuard {
            semaphore,
            forgotten: false,
        })
    }
}

impl Drop for OwnedSemaphoreAcquire {
    fn drop(&mut self) {
        if let Some(semaphore) = &self.semaphore {
            semaphore.permits.abandon_acquiring(&mut self.waiter);
        }
    }
}
