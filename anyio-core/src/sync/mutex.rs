//! A fair async lock that owns the data it protects.
//!
//! The crate forbids `unsafe`, so the data cannot sit in an `UnsafeCell` handed out by the
//! async lock. Instead it lives boxed in a `std::sync::Mutex<Option<Box<T>>>`: whoever holds
//! the async [`Lock`] moves the box out into its guard and puts it back when the guard drops.
//! The std mutex is therefore never contended (the async lock already excludes everyone
//! else) and is held only for a pointer move, and the guard owns the box, so it is `Send`
//! (a std guard would not be) and can be held across `.await` in a spawned task.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{ready, Context, Poll};

use super::error::WouldBlock;
use super::lock::{Lock, LockAcquire, LockGuard, LockStatistics};
use crate::wait::Acquire;

/// A fair async mutex that owns its data: [`lock`](Self::lock) waits in FIFO order for a
/// guard that dereferences to the data.
///
/// It is a [`Lock`] plus the data: the same fairness, hand-over and cancellation behaviour.
/// There is no poisoning: a task that panics while holding the guard releases the lock and
/// leaves the data as it was at the panic.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::Mutex;
///
/// # anyio::run(async {
/// let total = Arc::new(Mutex::new(0u64));
/// let t = total.clone();
/// anyio::task_group(|tg| async move {
///     for i in 1..=10 {
///         let total = t.clone();
///         tg.spawn(async move {
///             let mut sum = total.lock().await;
///             anyio::checkpoint().await; // still held: nobody else can add meanwhile
///             *sum += i;
///             Ok(())
///         })?;
///     }
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// assert_eq!(*total.lock().await, 55);
/// # }).unwrap();
/// ```
pub struct Mutex<T> {
    lock: Lock,
    slot: std::sync::Mutex<Option<Box<T>>>,
}

impl<T> Mutex<T> {
    /// A mutex holding `value`, unlocked. Allocates one box for the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(vec![1, 2]);
    /// assert_eq!(mutex.into_inner(), [1, 2]);
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            lock: Lock::new(),
            slot: std::sync::Mutex::new(Some(Box::new(value))),
        }
    }

    /// Waits for exclusive access to the data, in FIFO order; the guard releases it when
    /// dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let mutex = anyio_core::sync::Mutex::new(String::from("a"));
    /// mutex.lock().await.push('b');
    /// assert_eq!(*mutex.lock().await, "ab");
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As [`Lock::acquire`]: an anyio checkpoint, and cancel safe. Dropping the future before
    /// it completes gives up its place in line, and passes the lock on if it had already been
    /// handed over; the data is never touched.
    pub fn lock(&self) -> MutexLock<'_, T> {
        MutexLock {
            mutex: self,
            acquire: self.lock.acquire(),
        }
    }

    /// Takes the lock if it is free now and nobody waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// assert_eq!(*guard, 1);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when the lock is held.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, WouldBlock> {
        let lock = self.lock.try_acquire()?;
        Ok(self.guard(lock))
    }

    /// Whether some task holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(());
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.locked());
    /// drop(guard);
    /// assert!(!mutex.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Whether the lock is held, and how many tasks wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new(());
    /// assert_eq!(mutex.statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> LockStatistics {
        self.lock.statistics()
    }

    /// The data, through exclusive access to the mutex: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = anyio_core::sync::Mutex::new(1);
    /// *mutex.get_mut() += 1;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    ///
    /// # Panics
    ///
    /// When a guard was leaked with [`std::mem::forget`]: the data went with it.
    pub fn get_mut(&mut self) -> &mut T {
        self.slot
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref_mut()
            .expect(LEAKED)
    }

    /// The data, consuming the mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = anyio_core::sync::Mutex::new("data");
    /// assert_eq!(mutex.into_inner(), "data");
    /// ```
    ///
    /// # Panics
    ///
    /// When a guard was leaked with [`std::mem::forget`]: the data went with it.
    pub fn into_inner(self) -> T {
        let slot = self
            .slot
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        *slot.expect(LEAKED)
    }

    fn guard<'a>(&'a self, lock: LockGuard<'a>) -> MutexGuard<'a, T> {
        let value = self.slot.acquire().take();
        MutexGuard {
            mutex: self,
            value,
            _lock: lock,
        }
    }
}

const LEAKED: &str = "the mutex's data was leaked along with a forgotten guard";

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Exclusive access to a [`Mutex`]'s data; dropping it releases the lock (to the first
/// waiter, if any).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Mutex, MutexGuard};
///
/// # anyio::run(async {
/// let mutex = Mutex::new(vec![1]);
/// let mut guard: MutexGuard<'_, Vec<i32>> = mutex.lock().await;
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// # }).unwrap();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    value: Option<Box<T>>,
    // Dropped after `Drop::drop` put the value back.
    _lock: LockGuard<'a>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_deref().expect(LEAKED)
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_deref_mut().expect(LEAKED)
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        let value = self.value.take();
        *self.mutex.slot.acquire() = value;
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The future returned by [`Mutex::lock`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Mutex, MutexLock};
///
/// # anyio::run(async {
/// let mutex = Mutex::new(3);
/// let lock: MutexLock<'_, i32> = mutex.lock();
/// assert_eq!(*lock.await, 3);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: see [`Mutex::lock`].
#[must_use = "futures do nothing unless polled"]
pub struct MutexLock<'a, T> {
    mutex: &'a Mutex<T>,
    acquire: LockAcquire<'a>,
}

impl<T> fmt::Debug for MutexLock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexLock")
            .field("acquire", &self.acquire)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Future for MutexLock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let lock = ready!(Pin::new(&mut self.acquire).poll(cx));
        Poll::Ready(self.mutex.guard(lock))
    }
}
