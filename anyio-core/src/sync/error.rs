//! The errors of the synchronization primitives, one per way an operation can be refused.

use std::fmt;

/// Returned by a `try_*` operation that could not complete without waiting.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Lock, WouldBlock};
///
/// let lock = Lock::new();
/// let _guard = lock.try_acquire().unwrap();
/// let error = lock.try_acquire().unwrap_err();
/// assert_eq!(error, WouldBlock::default());
/// assert_eq!(error.to_string(), "the operation would block: wait for it with the async version");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WouldBlock(());

impl fmt::Display for WouldBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block: wait for it with the async version")
    }
}

impl std::error::Error for WouldBlock {}

/// Returned by [`Lock::release`](super::Lock::release) when the lock is not held.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Lock, NotLocked};
///
/// let lock = Lock::new();
/// assert_eq!(lock.release(), Err(NotLocked::default()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotLocked(());

impl fmt::Display for NotLocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the lock is not held: release only a lock acquired through a guard that was \
             forgotten, and only once",
        )
    }
}

impl std::error::Error for NotLocked {}

/// Returned by [`Semaphore::release`](super::Semaphore::release) when the semaphore's value
/// is already at its max value (or at [`Semaphore::MAX_VALUE`](super::Semaphore::MAX_VALUE)
/// when it has none).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Semaphore, SemaphoreFull};
///
/// let semaphore = Semaphore::with_max_value(1, 1).unwrap();
/// assert_eq!(semaphore.release(), Err(SemaphoreFull::default()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SemaphoreFull(());

impl fmt::Display for SemaphoreFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the semaphore is already at its max value: release only permits that were \
             acquired, and each once",
        )
    }
}

impl std::error::Error for SemaphoreFull {}

/// Returned by [`Semaphore::with_max_value`](super::Semaphore::with_max_value) when the
/// initial value is above the max value, or the max value above
/// [`Semaphore::MAX_VALUE`](super::Semaphore::MAX_VALUE).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::Semaphore;
///
/// let error = Semaphore::with_max_value(3, 2).unwrap_err();
/// assert_eq!((error.value(), error.max()), (3, 2));
/// assert_eq!(
///     error.to_string(),
///     "value 3 is above the max value 2: pass a value no greater than the max value"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueAboveMax {
    value: usize,
    max: usize,
}

impl ValueAboveMax {
    pub(crate) fn new(value: usize, max: usize) -> Self {
        Self { value, max }
    }

    /// The value that was refused.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = anyio_core::sync::Semaphore::with_max_value(3, 2).unwrap_err();
    /// assert_eq!(error.value(), 3);
    /// ```
    pub fn value(&self) -> usize {
        self.value
    }

    /// The max value it had to stay within.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = anyio_core::sync::Semaphore::with_max_value(3, 2).unwrap_err();
    /// assert_eq!(error.max(), 2);
    /// ```
    pub fn max(&self) -> usize {
        self.max
    }
}

impl fmt::Display for ValueAboveMax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "value {} is above the max value {}: pass a value no greater than the max value",
            self.value, self.max
        )
    }
}

impl std::error::Error for ValueAboveMax {}

/// Returned when a [`CapacityLimiter`](super::CapacityLimiter) is asked for a token on behalf
/// of a borrower that already holds one, or is already waiting for one.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{AlreadyBorrowed, Borrower, CapacityLimiter};
///
/// let limiter = CapacityLimiter::new(2);
/// let me = Borrower::new(1);
/// limiter.try_acquire_on_behalf_of(me).unwrap();
/// let error = limiter.try_acquire_on_behalf_of(me).unwrap_err();
/// assert_eq!(error, AlreadyBorrowed::default().into());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlreadyBorrowed(());

impl fmt::Display for AlreadyBorrowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "this borrower already holds or waits for a token of this capacity limiter: \
             release that token first, or borrow on behalf of another borrower",
        )
    }
}

impl std::error::Error for AlreadyBorrowed {}

/// Returned by
/// [`CapacityLimiter::release_on_behalf_of`](super::CapacityLimiter::release_on_behalf_of)
/// when the borrower holds no token.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Borrower, CapacityLimiter, NotBorrowed};
///
/// let limiter = CapacityLimiter::new(2);
/// let error = limiter.release_on_behalf_of(Borrower::new(1)).unwrap_err();
/// assert_eq!(error, NotBorrowed::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotBorrowed(());

impl fmt::Display for NotBorrowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "this borrower holds no token of this capacity limiter: release only tokens \
             acquired on its behalf, and each once",
        )
    }
}

impl std::error::Error for NotBorrowed {}

/// Returned by
/// [`CapacityLimiter::try_acquire_on_behalf_of`](super::CapacityLimiter::try_acquire_on_behalf_of):
/// no token is free now, or the borrower already has one.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{Borrower, CapacityLimiter, TryBorrowError};
///
/// let limiter = CapacityLimiter::new(1);
/// let (a, b) = (Borrower::new(1), Borrower::new(2));
/// limiter.try_acquire_on_behalf_of(a).unwrap();
/// let taken = limiter.try_acquire_on_behalf_of(a).unwrap_err();
/// assert!(taken.is_already_borrowed());
/// let full = limiter.try_acquire_on_behalf_of(b).unwrap_err();
/// assert!(full.is_would_block());
/// assert_eq!(full.to_string(), "the operation would block: wait for it with the async version");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryBorrowError {
    /// No token is free now.
    WouldBlock(WouldBlock),
    /// The borrower already holds or waits for a token.
    AlreadyBorrowed(AlreadyBorrowed),
}

impl TryBorrowError {
    /// Whether no token was free.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{TryBorrowError, WouldBlock};
    ///
    /// assert!(TryBorrowError::from(WouldBlock::default()).is_would_block());
    /// ```
    pub fn is_would_block(&self) -> bool {
        matches!(self, Self::WouldBlock(_))
    }

    /// Whether the borrower already held or waited for a token.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{AlreadyBorrowed, TryBorrowError};
    ///
    /// assert!(TryBorrowError::from(AlreadyBorrowed::default()).is_already_borrowed());
    /// ```
    pub fn is_already_borrowed(&self) -> bool {
        matches!(self, Self::AlreadyBorrowed(_))
    }
}

impl From<WouldBlock> for TryBorrowError {
    fn from(e: WouldBlock) -> Self {
        Self::WouldBlock(e)
    }
}

impl From<AlreadyBorrowed> for TryBorrowError {
    fn from(e: AlreadyBorrowed) -> Self {
        Self::AlreadyBorrowed(e)
    }
}

impl fmt::Display for TryBorrowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WouldBlock(e) => e.fmt(f),
            Self::AlreadyBorrowed(e) => e.fmt(f),
        }
    }
}

/// The message is the inner error's, so there is no separate `source`.
impl std::error::Error for TryBorrowError {}
