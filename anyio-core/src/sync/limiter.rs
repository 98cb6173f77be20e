//! A capacity limiter: a semaphore whose size changes at run time, lent to borrowers.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::error::{AlreadyBorrowed, InvalidTokens, NotBorrowed, TryBorrowError, WouldBlock};
use super::waiters::{lock, Key, Left, WaitQueue, WakeList};
use crate::loom::Mutex;
use crate::time::is_cancelled;

/// Who holds a token of a [`CapacityLimiter`] borrowed with
/// [`acquire_on_behalf_of`](CapacityLimiter::acquire_on_behalf_of): a task, a thread, a
/// connection — any id the caller chooses.
///
/// Ids made by [`new`](Self::new) below 2⁶³ never collide with the ones
/// [`unique`](Self::unique) hands out.
///
/// # Examples
///
/// ```
/// use anyio_core::sync::Borrower;
///
/// assert_eq!(Borrower::new(7).id(), 7);
/// assert_ne!(Borrower::unique(), Borrower::unique());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Borrower(u64);

impl Borrower {
    /// The borrower with id `id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let worker = anyio_core::sync::Borrower::new(3);
    /// assert_eq!(worker.id(), 3);
    /// ```
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// A borrower no other call of `unique` returns in this process; its id is at least 2⁶³.
    ///
    /// # Examples
    ///
    /// ```
    /// let borrower = anyio_core::sync::Borrower::unique();
    /// assert!(borrower.id() >= 1 << 63);
    /// ```
    pub fn unique() -> Self {
        // A process-wide counter, not part of any model-checked state: std's atomic.
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1 << 63);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio_core::sync::Borrower::new(9).id(), 9);
    /// ```
    pub const fn id(self) -> u64 {
        self.0
    }
}

impl From<u64> for Borrower {
    fn from(id: u64) -> Self {
        Self(id)
    }
}

/// Limits how many tasks (or threads, or connections) use a resource at once: each holds
/// one of `total_tokens` tokens while it does.
///
/// A token is borrowed either anonymously, as a guard ([`acquire`](Self::acquire)), or on
/// behalf of a [`Borrower`] ([`acquire_on_behalf_of`](Self::acquire_on_behalf_of)), which
/// can hold at most one token and gives it back with
/// [`release_on_behalf_of`](Self::release_on_behalf_of). Waiters are served in FIFO order
/// and a returned token is handed directly to the first of them.
///
/// The total can change at run time with [`set_total_tokens`](Self::set_total_tokens):
/// raising it hands the new tokens to waiters in order; lowering it below the number
/// borrowed takes nothing back, it only makes new borrowers wait until enough tokens came
/// back. Share it by reference or behind an [`Arc`](std::sync::Arc).
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use anyio_core::sync::CapacityLimiter;
///
/// # anyio::run(async {
/// let limiter = Arc::new(CapacityLimiter::new(2).unwrap());
/// let busy = Arc::new(AtomicUsize::new(0));
/// anyio::task_group(|tg| async move {
///     for _ in 0..8 {
///         let (limiter, busy) = (limiter.clone(), busy.clone());
///         tg.spawn(async move {
///             let _token = limiter.acquire().await;
///             assert!(busy.fetch_add(1, Ordering::SeqCst) < 2);
///             anyio::checkpoint().await;
///             busy.fetch_sub(1, Ordering::SeqCst);
///             Ok(())
///         })?;
///     }
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
pub struct CapacityLimiter {
    state: Mutex<Tokens>,
}

struct Tokens {
    total: usize,
    borrowed: usize,
    holders: HashSet<Borrower>,
    waiting: HashSet<Borrower>,
    /// Invariant: non-empty only while `borrowed >= total`.
    queue: WaitQueue<Option<Borrower>>,
}

impl Tokens {
    /// Hands free tokens to waiters in FIFO order.
    fn fill(&mut self, wakers: &mut WakeList) {
        while self.borrowed < self.total {
            let Some(&borrower) = self.queue.front() else {
                break;
            };
            let Some(waker) = self.queue.grant_front() else {
                break;
            };
            self.borrowed += 1;
            if let Some(borrower) = borrower {
                self.waiting.remove(&borrower);
                self.holders.insert(borrower);
            }
            wakers.push(waker);
        }
    }

    /// Takes back a token, then hands it on if it is free.
    fn give_back(&mut self, borrower: Option<Borrower>) -> Result<WakeList, NotBorrowed> {
        if let Some(borrower) = borrower {
            if !self.holders.remove(&borrower) {
                return Err(NotBorrowed::default());
            }
        }
        self.borrowed -= 1;
        let mut wakers = WakeList::new();
        self.fill(&mut wakers);
        Ok(wakers)
    }
}

impl fmt::Debug for CapacityLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("CapacityLimiter")
            .field("total_tokens", &stats.total_tokens)
            .field("borrowed_tokens", &stats.borrowed_tokens)
            .finish_non_exhaustive()
    }
}

impl CapacityLimiter {
    /// A limiter with `total_tokens` tokens, none borrowed. `usize::MAX` means no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::CapacityLimiter;
    ///
    /// let limiter = CapacityLimiter::new(4).unwrap();
    /// assert_eq!(limiter.available_tokens(), 4);
    /// assert!(CapacityLimiter::new(0).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidTokens`] when `total_tokens` is zero.
    pub fn new(total_tokens: usize) -> Result<Self, InvalidTokens> {
        NonZeroUsize::new(total_tokens)
            .map(Self::with_tokens)
            .ok_or_else(InvalidTokens::default)
    }

    /// A limiter with `total_tokens` tokens, none borrowed: [`new`](Self::new) for a count
    /// that cannot be zero, so it cannot fail.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use anyio_core::sync::CapacityLimiter;
    ///
    /// const FOUR: NonZeroUsize = NonZeroUsize::new(4).unwrap();
    /// let limiter = CapacityLimiter::with_tokens(FOUR);
    /// assert_eq!(limiter.total_tokens(), 4);
    /// ```
    pub fn with_tokens(total_tokens: NonZeroUsize) -> Self {
        Self {
            state: Mutex::new(Tokens {
                total: total_tokens.get(),
                borrowed: 0,
                holders: HashSet::new(),
                waiting: HashSet::new(),
                queue: WaitQueue::new(),
            }),
        }
    }

    /// The total number of tokens.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(3).unwrap();
    /// assert_eq!(limiter.total_tokens(), 3);
    /// ```
    pub fn total_tokens(&self) -> usize {
        lock(&self.state).total
    }

    /// Changes the total number of tokens. Raising it hands the new tokens to waiting tasks,
    /// in the order they started waiting; lowering it below the number borrowed is allowed
    /// and takes nothing back: new borrowers wait until enough tokens were returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1).unwrap();
    /// let token = limiter.try_acquire().unwrap();
    /// assert!(limiter.try_acquire().is_err());
    /// limiter.set_total_tokens(2).unwrap();
    /// let second = limiter.try_acquire().unwrap();
    /// limiter.set_total_tokens(1).unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 2); // still borrowed
    /// assert_eq!(limiter.available_tokens(), 0);
    /// # drop((token, second));
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidTokens`] when `total_tokens` is zero; the total is unchanged.
    pub fn set_total_tokens(&self, total_tokens: usize) -> Result<(), InvalidTokens> {
        if total_tokens == 0 {
            return Err(InvalidTokens::default());
        }
        let mut wakers = WakeList::new();
        {
            let mut state = lock(&self.state);
            state.total = total_tokens;
            state.fill(&mut wakers);
        }
        wakers.wake_all();
        Ok(())
    }

    /// How many tokens are borrowed (may exceed the total after it was lowered).
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(3).unwrap();
    /// let _token = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// ```
    pub fn borrowed_tokens(&self) -> usize {
        lock(&self.state).borrowed
    }

    /// How many tokens can be borrowed without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(3).unwrap();
    /// let _token = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.available_tokens(), 2);
    /// ```
    pub fn available_tokens(&self) -> usize {
        let state = lock(&self.state);
        state.total.saturating_sub(state.borrowed)
    }

    /// Waits for a token, borrowed anonymously: the guard gives it back when dropped.
    ///
    /// Waiters are served in FIFO order. When a token is free this completes at once without
    /// yielding.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1).unwrap();
    /// let token = limiter.acquire().await;
    /// assert_eq!(limiter.available_tokens(), 0);
    /// drop(token);
    /// assert_eq!(limiter.available_tokens(), 1);
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// An anyio checkpoint, and cancel safe: inside a cancelled scope it does not complete.
    /// Dropping the future before it completes gives up its place in line; if a token had
    /// already been handed to it, the token passes to the next waiter (or back to the
    /// limiter), so it is never lost.
    pub fn acquire(&self) -> CapacityLimiterAcquire<'_> {
        CapacityLimiterAcquire {
            limiter: self,
            waiter: None,
        }
    }

    /// [`acquire`](Self::acquire) through an `Arc`: the guard owns a reference to the limiter,
    /// so it can move into a spawned task — back-pressure for a spawn loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use anyio_core::sync::CapacityLimiter;
    ///
    /// # anyio::run(async {
    /// let limiter = Arc::new(CapacityLimiter::new(2).unwrap());
    /// anyio::task_group(|tg| async move {
    ///     for job in 0..10 {
    ///         // Waits here while two jobs run: at most two children at a time.
    ///         let token = limiter.clone().acquire_owned().await;
    ///         tg.spawn(async move {
    ///             let _token = token; // given back when the child ends
    ///             anyio::sleep(std::time::Duration::from_millis(1)).await;
    ///             Ok::<_, anyio::BoxError>(job)
    ///         })?;
    ///     }
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(self: Arc<Self>) -> OwnedCapacityLimiterAcquire {
        OwnedCapacityLimiterAcquire {
            limiter: Some(self),
            waiter: None,
        }
    }

    /// [`try_acquire`](Self::try_acquire) through an `Arc`, with a guard that owns a
    /// reference to the limiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let limiter = Arc::new(anyio_core::sync::CapacityLimiter::new(1).unwrap());
    /// let token = limiter.clone().try_acquire_owned().unwrap();
    /// assert!(limiter.clone().try_acquire_owned().is_err());
    /// drop(token);
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when no token is free.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedCapacityLimiterGuard, WouldBlock> {
        match self.try_take(None) {
            Ok(()) => Ok(OwnedCapacityLimiterGuard { limiter: self }),
            Err(_) => Err(WouldBlock::default()),
        }
    }

    /// Borrows a token anonymously if one is free now and nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1).unwrap();
    /// let token = limiter.try_acquire().unwrap();
    /// assert!(limiter.try_acquire().is_err());
    /// # drop(token);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when no token is free.
    pub fn try_acquire(&self) -> Result<CapacityLimiterGuard<'_>, WouldBlock> {
        match self.try_take(None) {
            Ok(()) => Ok(CapacityLimiterGuard { limiter: self }),
            Err(_) => Err(WouldBlock::default()),
        }
    }

    /// Waits for a token and lends it to `borrower`, until
    /// [`release_on_behalf_of`](Self::release_on_behalf_of). A borrower holds at most one
    /// token of a limiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    ///
    /// # anyio::run(async {
    /// let limiter = CapacityLimiter::new(1).unwrap();
    /// let worker = Borrower::new(1);
    /// limiter.acquire_on_behalf_of(worker).await.unwrap();
    /// assert!(limiter.acquire_on_behalf_of(worker).await.is_err()); // already holds one
    /// limiter.release_on_behalf_of(worker).unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`AlreadyBorrowed`] when `borrower` already holds a token of this limiter or waits for
    /// one; checked when the future is first polled.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire): dropping the future before it completes leaves
    /// `borrower` holding nothing, and passes on a token that was already handed to it.
    pub fn acquire_on_behalf_of(&self, borrower: Borrower) -> AcquireOnBehalfOf<'_> {
        AcquireOnBehalfOf {
            limiter: self,
            borrower,
            waiter: None,
        }
    }

    /// Lends a token to `borrower` if one is free now and nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    ///
    /// let limiter = CapacityLimiter::new(1).unwrap();
    /// limiter.try_acquire_on_behalf_of(Borrower::new(1)).unwrap();
    /// assert!(limiter.try_acquire_on_behalf_of(Borrower::new(2)).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`TryBorrowError::AlreadyBorrowed`] when `borrower` already holds or waits for a token
    /// of this limiter, else [`TryBorrowError::WouldBlock`] when no token is free.
    pub fn try_acquire_on_behalf_of(&self, borrower: Borrower) -> Result<(), TryBorrowError> {
        self.try_take(Some(borrower))
    }

    /// Gives back the token `borrower` holds; it goes to the first waiting task, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    ///
    /// let limiter = CapacityLimiter::new(1).unwrap();
    /// let worker = Borrower::new(1);
    /// limiter.try_acquire_on_behalf_of(worker).unwrap();
    /// limiter.release_on_behalf_of(worker).unwrap();
    /// assert!(limiter.release_on_behalf_of(worker).is_err()); // nothing left to release
    /// ```
    ///
    /// # Errors
    ///
    /// [`NotBorrowed`] when `borrower` holds no token of this limiter.
    pub fn release_on_behalf_of(&self, borrower: Borrower) -> Result<(), NotBorrowed> {
        self.release(Some(borrower))
    }

    /// Tokens borrowed and total, named borrowers, and tasks waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    ///
    /// let limiter = CapacityLimiter::new(3).unwrap();
    /// let _token = limiter.try_acquire().unwrap();
    /// limiter.try_acquire_on_behalf_of(Borrower::new(1)).unwrap();
    /// let stats = limiter.statistics();
    /// assert_eq!(stats.borrowed_tokens, 2);
    /// assert_eq!(stats.total_tokens, 3);
    /// assert_eq!(stats.borrowers, 1); // guards are anonymous
    /// assert_eq!(stats.tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> CapacityLimiterStatistics {
        let state = lock(&self.state);
        CapacityLimiterStatistics {
            borrowed_tokens: state.borrowed,
            total_tokens: state.total,
            borrowers: state.holders.len(),
            tasks_waiting: state.queue.len(),
        }
    }

    fn try_take(&self, borrower: Option<Borrower>) -> Result<(), TryBorrowError> {
        let mut state = lock(&self.state);
        if let Some(b) = borrower {
            if state.holders.contains(&b) || state.waiting.contains(&b) {
                return Err(AlreadyBorrowed::default().into());
            }
        }
        if !state.queue.is_empty() || state.borrowed >= state.total {
            return Err(WouldBlock::default().into());
        }
        state.borrowed += 1;
        if let Some(b) = borrower {
            state.holders.insert(b);
        }
        Ok(())
    }

    fn poll_take(
        &self,
        borrower: Option<Borrower>,
        waiter: &mut Option<Key>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AlreadyBorrowed>> {
        // A cancelled caller takes no token, unless one was handed to it before the
        // cancellation reached it: it keeps that one (DESIGN.md's delivery rule).
        if is_cancelled()
            && !waiter
                .as_ref()
                .is_some_and(|key| lock(&self.state).queue.is_granted(key))
        {
            return Poll::Pending;
        }
        if let Some(key) = waiter.take() {
            let mut state = lock(&self.state);
            if state.queue.poll(&key, cx.waker()) {
                // `fill` already counted the token and recorded the borrower.
                state.queue.leave(key);
                return Poll::Ready(Ok(()));
            }
            *waiter = Some(key);
            return Poll::Pending;
        }
        match self.try_take(borrower) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TryBorrowError::AlreadyBorrowed(e)) => return Poll::Ready(Err(e)),
            Err(TryBorrowError::WouldBlock(_)) => {}
        }
        let mut state = lock(&self.state);
        // Tokens may have come back between `try_take` and here.
        if state.queue.is_empty() && state.borrowed < state.total {
            state.borrowed += 1;
            if let Some(b) = borrower {
                state.holders.insert(b);
            }
            return Poll::Ready(Ok(()));
        }
        if let Some(b) = borrower {
            state.waiting.insert(b);
        }
        *waiter = Some(state.queue.push(borrower, cx.waker()));
        Poll::Pending
    }

    fn abandon(&self, waiter: &mut Option<Key>) {
        let Some(key) = waiter.take() else {
            return;
        };
        let mut wakers = WakeList::new();
        {
            let mut state = lock(&self.state);
            let (left, borrower) = state.queue.leave(key);
            match left {
                Left::Queued => {
                    if let Some(b) = borrower {
                        state.waiting.remove(&b);
                    }
                }
                Left::Granted => {
                    wakers = state
                        .give_back(borrower)
                        .expect("a granted borrower holds its token");
                }
            }
        }
        wakers.wake_all();
    }

    fn release(&self, borrower: Option<Borrower>) -> Result<(), NotBorrowed> {
        let wakers = lock(&self.state).give_back(borrower)?;
        wakers.wake_all();
        Ok(())
    }
}

/// A snapshot of a [`CapacityLimiter`]'s state, from [`CapacityLimiter::statistics`].
///
/// # Examples
///
/// ```
/// let stats = anyio_core::sync::CapacityLimiter::new(2).unwrap().statistics();
/// assert_eq!((stats.borrowed_tokens, stats.total_tokens), (0, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapacityLimiterStatistics {
    /// Tokens borrowed, anonymously or on behalf of a borrower.
    pub borrowed_tokens: usize,
    /// The total number of tokens.
    pub total_tokens: usize,
    /// Named [`Borrower`]s holding a token (anonymous guards are not counted).
    pub borrowers: usize,
    /// Tasks waiting for a token.
    pub tasks_waiting: usize,
}

/// A token of a [`CapacityLimiter`], borrowed anonymously; dropping it gives the token back
/// (to the first waiter, if any).
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{CapacityLimiter, CapacityLimiterGuard};
///
/// let limiter = CapacityLimiter::new(1).unwrap();
/// let token: CapacityLimiterGuard<'_> = limiter.try_acquire().unwrap();
/// drop(token);
/// assert_eq!(limiter.borrowed_tokens(), 0);
/// ```
#[must_use = "the token is given back as soon as the guard is dropped"]
pub struct CapacityLimiterGuard<'a> {
    limiter: &'a CapacityLimiter,
}

impl fmt::Debug for CapacityLimiterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityLimiterGuard")
            .finish_non_exhaustive()
    }
}

impl Drop for CapacityLimiterGuard<'_> {
    fn drop(&mut self) {
        // An anonymous token is always there to give back.
        let _ = self.limiter.release(None);
    }
}

/// The future returned by [`CapacityLimiter::acquire`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{CapacityLimiter, CapacityLimiterAcquire};
///
/// # anyio::run(async {
/// let limiter = CapacityLimiter::new(1).unwrap();
/// let acquire: CapacityLimiterAcquire<'_> = limiter.acquire();
/// let _token = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: see [`CapacityLimiter::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct CapacityLimiterAcquire<'a> {
    limiter: &'a CapacityLimiter,
    waiter: Option<Key>,
}

impl<'a> Future for CapacityLimiterAcquire<'a> {
    type Output = CapacityLimiterGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CapacityLimiterGuard<'a>> {
        let this = &mut *self;
        match this.limiter.poll_take(None, &mut this.waiter, cx) {
            Poll::Pending => Poll::Pending,
            // Only a named borrower can have borrowed already.
            Poll::Ready(_) => Poll::Ready(CapacityLimiterGuard {
                limiter: this.limiter,
            }),
        }
    }
}

impl Drop for CapacityLimiterAcquire<'_> {
    fn drop(&mut self) {
        self.limiter.abandon(&mut self.waiter);
    }
}

/// A token of a [`CapacityLimiter`] that owns a reference to it, from
/// [`CapacityLimiter::acquire_owned`]; dropping it gives the token back.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{CapacityLimiter, OwnedCapacityLimiterGuard};
///
/// let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
/// let token: OwnedCapacityLimiterGuard = limiter.clone().try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(token)).join().unwrap();
/// assert_eq!(limiter.borrowed_tokens(), 0);
/// ```
#[must_use = "the token is given back as soon as the guard is dropped"]
pub struct OwnedCapacityLimiterGuard {
    limiter: Arc<CapacityLimiter>,
}

impl fmt::Debug for OwnedCapacityLimiterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCapacityLimiterGuard")
            .field("limiter", &self.limiter)
            .finish()
    }
}

impl Drop for OwnedCapacityLimiterGuard {
    fn drop(&mut self) {
        let _ = self.limiter.release(None);
    }
}

/// The future returned by [`CapacityLimiter::acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{CapacityLimiter, OwnedCapacityLimiterAcquire};
///
/// # anyio::run(async {
/// let limiter = Arc::new(CapacityLimiter::new(1).unwrap());
/// let acquire: OwnedCapacityLimiterAcquire = limiter.acquire_owned();
/// let _token = acquire.await;
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When polled again after it completed.
///
/// # Cancel safety
///
/// Cancel safe: see [`CapacityLimiter::acquire`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct OwnedCapacityLimiterAcquire {
    limiter: Option<Arc<CapacityLimiter>>,
    waiter: Option<Key>,
}

impl Future for OwnedCapacityLimiterAcquire {
    type Output = OwnedCapacityLimiterGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedCapacityLimiterGuard> {
        let this = &mut *self;
        let limiter = this
            .limiter
            .as_ref()
            .expect("`OwnedCapacityLimiterAcquire` polled after completion");
        // Only a named borrower can have borrowed already.
        let _ = std::task::ready!(limiter.poll_take(None, &mut this.waiter, cx));
        let limiter = this.limiter.take().expect("checked above");
        Poll::Ready(OwnedCapacityLimiterGuard { limiter })
    }
}

impl Drop for OwnedCapacityLimiterAcquire {
    fn drop(&mut self) {
        if let Some(limiter) = &self.limiter {
            limiter.abandon(&mut self.waiter);
        }
    }
}

/// The future returned by [`CapacityLimiter::acquire_on_behalf_of`].
///
/// # Examples
///
/// ```
/// use anyio_core::sync::{AcquireOnBehalfOf, Borrower, CapacityLimiter};
///
/// # anyio::run(async {
/// let limiter = CapacityLimiter::new(1).unwrap();
/// let acquire: AcquireOnBehalfOf<'_> = limiter.acquire_on_behalf_of(Borrower::new(1));
/// acquire.await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`AlreadyBorrowed`]: see [`CapacityLimiter::acquire_on_behalf_of`].
///
/// # Cancel safety
///
/// Cancel safe: see [`CapacityLimiter::acquire_on_behalf_of`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct AcquireOnBehalfOf<'a> {
    limiter: &'a CapacityLimiter,
    borrower: Borrower,
    waiter: Option<Key>,
}

impl Future for AcquireOnBehalfOf<'_> {
    type Output = Result<(), AlreadyBorrowed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.limiter
            .poll_take(Some(this.borrower), &mut this.waiter, cx)
    }
}

impl Drop for AcquireOnBehalfOf<'_> {
    fn drop(&mut self) {
        self.limiter.abandon(&mut self.waiter);
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
    fn a_granted_borrower_dropped_passes_the_token_on() {
        let limiter = CapacityLimiter::new(1).unwrap();
        let held = limiter.try_acquire().unwrap();
        let (first, second) = (Borrower::new(1), Borrower::new(2));
        let mut a = limiter.acquire_on_behalf_of(first);
        let mut b = limiter.acquire_on_behalf_of(second);
        assert!(poll(&mut a).is_pending());
        assert!(poll(&mut b).is_pending());
        drop(held);
        assert_eq!(limiter.statistics().borrowers, 1, "granted to `first`");
        drop(a);
        let stats = limiter.statistics();
        assert_eq!((stats.borrowed_tokens, stats.borrowers), (1, 1));
        assert_eq!(poll(&mut b), Poll::Ready(Ok(())));
        assert_eq!(
            limiter.release_on_behalf_of(first),
            Err(NotBorrowed::default())
        );
        limiter.release_on_behalf_of(second).unwrap();
        assert_eq!(limiter.borrowed_tokens(), 0);
    }

    #[test]
    fn raising_the_total_grants_in_order_and_lowering_takes_nothing_back() {
        let limiter = CapacityLimiter::new(1).unwrap();
        let held = limiter.try_acquire().unwrap();
        let mut waiting: Vec<_> = (0..3).map(|_| limiter.acquire()).collect();
        for w in &mut waiting {
            assert!(poll(w).is_pending());
        }
        limiter.set_total_tokens(3).unwrap();
        let polled: Vec<_> = waiting.iter_mut().map(poll).collect();
        let ready: Vec<_> = polled.iter().map(Poll::is_ready).collect();
        assert_eq!(ready, [true, true, false]);
        limiter.set_total_tokens(1).unwrap();
        assert_eq!(limiter.borrowed_tokens(), 3);
        drop(held);
        assert!(poll(&mut waiting[2]).is_pending(), "still 2 borrowed of 1");
        drop(polled);
        assert!(poll(&mut waiting[2]).is_ready());
    }
}
