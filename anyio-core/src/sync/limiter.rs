//! A capacity limiter: a semaphore whose size changes at run time, lent to borrowers.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::acquiring::{Acquiring, Mode};
use super::error::{AlreadyBorrowed, NotBorrowed, TryBorrowError, WouldBlock};
use super::waiter_scope::WaiterScope;
use super::waiters::{lock, Key, Left, WaitQueue, WakeList};
use crate::context;
use crate::loom::Mutex;

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
/// A token is borrowed either anonymously, as a guard ([`acquire`](Self::acquire), or
/// [`acquire_owned`](Self::acquire_owned) for a limiter behind an [`Arc`]), or on behalf of a
/// [`Borrower`] ([`acquire_on_behalf_of`](Self::acquire_on_behalf_of)), which can hold at
/// most one token and gives it back with
/// [`release_on_behalf_of`](Self::release_on_behalf_of). Waiters are served in FIFO order
/// and a returned token is handed directly to the first of them whose scope is not
/// cancelled.
///
/// The total can change at run time with [`set_total_tokens`](Self::set_total_tokens):
/// raising it hands the new tokens to waiters in order; lowering it below the number
/// borrowed takes nothing back, it only makes new borrowers wait until enough tokens came
/// back. A total of zero is allowed (as in AnyIO 4): everyone waits until it is raised.
///
/// Acquiring is a full checkpoint, as in AnyIO: even when a token is free it yields once.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use anyio_core::sync::CapacityLimiter;
///
/// # anyio::run(async {
/// let limiter = Arc::new(CapacityLimiter::new(2));
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
///
/// Back-pressure in a spawn loop: take the token *before* spawning, with an owned guard that
/// moves into the task, so the loop itself waits while the limit is reached:
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::CapacityLimiter;
///
/// # anyio::run(async {
/// let limiter = Arc::new(CapacityLimiter::new(4));
/// let l = limiter.clone();
/// anyio::task_group(|tg| async move {
///     for job in 0..100u32 {
///         let token = l.clone().acquire_owned().await; // waits while 4 jobs run
///         tg.spawn(async move {
///             let _token = token; // given back when the job ends
///             anyio::checkpoint().await;
///             let _ = job;
///             Ok(())
///         })?;
///     }
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// assert_eq!(limiter.borrowed_tokens(), 0);
/// # }).unwrap();
/// ```
pub struct CapacityLimiter {
    state: Mutex<Tokens>,
}

/// A place in the limiter's line.
#[derive(Debug)]
struct Waiter {
    borrower: Option<Borrower>,
    scope: WaiterScope,
}

struct Tokens {
    total: usize,
    borrowed: usize,
    holders: HashSet<Borrower>,
    waiting: HashSet<Borrower>,
    /// Invariant: holds a waiter whose scope is not cancelled only while
    /// `borrowed >= total`. Tokens are free with waiters in line only when every one of
    /// them was passed over, so a newcomer may take a free token.
    queue: WaitQueue<Waiter>,
}

impl Tokens {
    /// Hands free tokens to waiters in FIFO order, passing over those whose scope is
    /// cancelled.
    fn fill(&mut self, wakers: &mut WakeList) {
        while self.borrowed < self.total {
            let Some((waker, waiter)) = self.queue.grant_first(|w| !w.scope.is_cancelled()) else {
                break;
            };
            let borrower = waiter.borrower;
            self.borrowed += 1;
            if let Some(borrower) = borrower {
                self.waiting.remove(&borrower);
                self.holders.insert(borrower);
            }
            wakers.push(waker);
        }
    }

    /// Lends a free token to `borrower` (checked) without waiting.
    fn take(&mut self, borrower: Option<Borrower>) -> Result<(), TryBorrowError> {
        if let Some(b) = borrower {
            if self.holders.contains(&b) || self.waiting.contains(&b) {
                return Err(AlreadyBorrowed::default().into());
            }
        }
        if self.borrowed >= self.total {
            return Err(WouldBlock::default().into());
        }
        self.borrowed += 1;
        if let Some(b) = borrower {
            self.holders.insert(b);
        }
        Ok(())
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
    /// A limiter with `total_tokens` tokens, none borrowed. `usize::MAX` means no limit;
    /// zero means that every borrower waits until the total is raised.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::CapacityLimiter;
    ///
    /// let limiter = CapacityLimiter::new(4);
    /// assert_eq!(limiter.available_tokens(), 4);
    /// assert!(CapacityLimiter::new(0).try_acquire().is_err());
    /// ```
    pub fn new(total_tokens: usize) -> Self {
        Self {
            state: Mutex::new(Tokens {
                total: total_tokens,
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
    /// let limiter = anyio_core::sync::CapacityLimiter::new(3);
    /// assert_eq!(limiter.total_tokens(), 3);
    /// ```
    pub fn total_tokens(&self) -> usize {
        lock(&self.state).total
    }

    /// Changes the total number of tokens. Raising it hands the new tokens to waiting tasks,
    /// in the order they started waiting; lowering it below the number borrowed (down to
    /// zero) is allowed and takes nothing back: new borrowers wait until enough tokens were
    /// returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1);
    /// let token = limiter.try_acquire().unwrap();
    /// assert!(limiter.try_acquire().is_err());
    /// limiter.set_total_tokens(2);
    /// let second = limiter.try_acquire().unwrap();
    /// limiter.set_total_tokens(1);
    /// assert_eq!(limiter.borrowed_tokens(), 2); // still borrowed
    /// assert_eq!(limiter.available_tokens(), 0);
    /// # drop((token, second));
    /// ```
    pub fn set_total_tokens(&self, total_tokens: usize) {
        let mut wakers = WakeList::new();
        {
            let mut state = lock(&self.state);
            state.total = total_tokens;
            state.fill(&mut wakers);
        }
        wakers.wake_all();
    }

    /// How many tokens are borrowed (may exceed the total after it was lowered).
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(3);
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
    /// let limiter = anyio_core::sync::CapacityLimiter::new(3);
    /// let _token = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.available_tokens(), 2);
    /// ```
    pub fn available_tokens(&self) -> usize {
        let state = lock(&self.state);
        state.total.saturating_sub(state.borrowed)
    }

    /// Waits for a token, borrowed anonymously: the guard gives it back when dropped.
    ///
    /// Waiters are served in FIFO order. When a token is free this takes it at once and then
    /// yields once, as a checkpoint that delivers no cancellation: the token is kept across
    /// it.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1);
    /// let token = limiter.acquire().await;
    /// assert_eq!(limiter.available_tokens(), 0);
    /// drop(token);
    /// assert_eq!(limiter.available_tokens(), 1);
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// An anyio checkpoint, and cancel safe: inside a cancelled scope it takes nothing and
    /// does not complete. A waiter whose scope is cancelled is passed over: the token goes to
    /// the next waiter, or back to the limiter. A waiter that was handed a token before its
    /// scope was cancelled keeps it and returns with the guard (the delivery rule). Dropping
    /// the future in any other way (a `select!`) before it completes gives up its place in
    /// line, and passes on a token it had been handed, so none is lost.
    pub fn acquire(&self) -> CapacityLimiterAcquire<'_> {
        CapacityLimiterAcquire {
            limiter: self,
            state: Acquiring::Start,
        }
    }

    /// Like [`acquire`](Self::acquire), for a limiter behind an [`Arc`]: the guard owns a
    /// reference, so it can move into another task (see the back-pressure example on
    /// [`CapacityLimiter`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// # anyio::run(async {
    /// let limiter = Arc::new(anyio_core::sync::CapacityLimiter::new(1));
    /// let token = limiter.clone().acquire_owned().await;
    /// std::thread::spawn(move || drop(token)).join().unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 0);
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// The same as [`acquire`](Self::acquire).
    pub fn acquire_owned(self: Arc<Self>) -> OwnedCapacityLimiterAcquire {
        OwnedCapacityLimiterAcquire {
            limiter: Some(self),
            state: Acquiring::Start,
        }
    }

    /// Borrows a token anonymously if one is free now.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = anyio_core::sync::CapacityLimiter::new(1);
    /// let token = limiter.try_acquire().unwrap();
    /// assert!(limiter.try_acquire().is_err());
    /// # drop(token);
    /// ```
    ///
    /// # Errors
    ///
    /// [`WouldBlock`] when no token is free.
    pub fn try_acquire(&self) -> Result<CapacityLimiterGuard<'_>, WouldBlock> {
        match lock(&self.state).take(None) {
            Ok(()) => Ok(CapacityLimiterGuard { limiter: self }),
            Err(_) => Err(WouldBlock::default()),
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), for a limiter behind an [`Arc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(anyio_core::sync::CapacityLimiter::new(1));
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
        let taken = lock(&self.state).take(None);
        match taken {
            Ok(()) => Ok(OwnedCapacityLimiterGuard { limiter: self }),
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
    /// let limiter = CapacityLimiter::new(1);
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
    /// one; checked when the future is first polled outside a cancelled scope.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire): dropping the future before it completes leaves
    /// `borrower` holding nothing, and passes on a token that was already handed to it.
    pub fn acquire_on_behalf_of(&self, borrower: Borrower) -> AcquireOnBehalfOf<'_> {
        AcquireOnBehalfOf {
            limiter: self,
            borrower,
            state: Acquiring::Start,
            mode: Mode::Checkpoint,
        }
    }

    /// [`acquire_on_behalf_of`](Self::acquire_on_behalf_of) without the yield when a token
    /// is free, for callers that suspend right afterwards anyway (a worker thread's start).
    pub(crate) fn acquire_on_behalf_of_fast(&self, borrower: Borrower) -> AcquireOnBehalfOf<'_> {
        AcquireOnBehalfOf {
            limiter: self,
            borrower,
            state: Acquiring::Start,
            mode: Mode::Fast,
        }
    }

    /// Lends a token to `borrower` if one is free now.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    ///
    /// let limiter = CapacityLimiter::new(1);
    /// limiter.try_acquire_on_behalf_of(Borrower::new(1)).unwrap();
    /// assert!(limiter.try_acquire_on_behalf_of(Borrower::new(2)).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`TryBorrowError::AlreadyBorrowed`] when `borrower` already holds or waits for a token
    /// of this limiter, else [`TryBorrowError::WouldBlock`] when no token is free.
    pub fn try_acquire_on_behalf_of(&self, borrower: Borrower) -> Result<(), TryBorrowError> {
        lock(&self.state).take(Some(borrower))
    }

    /// Gives back the token `borrower` holds; it goes to the first waiting task, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::sync::{Borrower, CapacityLimiter};
    ///
    /// let limiter = CapacityLimiter::new(1);
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
    /// let limiter = CapacityLimiter::new(3);
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

    /// The one state machine behind every acquiring future (see [`Acquiring`]).
    fn poll_take(
        &self,
        borrower: Option<Borrower>,
        state: &mut Acquiring,
        mode: Mode,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AlreadyBorrowed>> {
        match std::mem::replace(state, Acquiring::Done) {
            Acquiring::Done => panic!("a capacity limiter acquisition polled after it completed"),
            // Taken before any cancellation could reach it: kept.
            Acquiring::Yielded => Poll::Ready(Ok(())),
            Acquiring::Queued(key) => self.poll_queued(key, state, cx).map(Ok),
            Acquiring::Start => {
                // Checked under the lock a release takes too: a cancellation and a release by
                // another thread in that order are seen in that order.
                let mut tokens = lock(&self.state);
                if context::is_cancelled() {
                    *state = Acquiring::Start;
                    return Poll::Pending;
                }
                match tokens.take(borrower) {
                    Ok(()) => {
                        drop(tokens);
                        return state.took(mode, cx).map(Ok);
                    }
                    Err(TryBorrowError::AlreadyBorrowed(e)) => return Poll::Ready(Err(e)),
                    Err(TryBorrowError::WouldBlock(_)) => {}
                }
                if let Some(b) = borrower {
                    tokens.waiting.insert(b);
                }
                let waiter = Waiter {
                    borrower,
                    scope: WaiterScope::current(),
                };
                *state = Acquiring::Queued(tokens.queue.push(waiter, cx.waker()));
                Poll::Pending
            }
        }
    }

    fn poll_queued(&self, key: Key, state: &mut Acquiring, cx: &mut Context<'_>) -> Poll<()> {
        let mut tokens = lock(&self.state);
        // Handed over before any cancellation reached this waiter: it keeps the token (the
        // delivery rule), so this comes before the cancel check. `fill` already counted the
        // token and recorded the borrower.
        if tokens.queue.poll(&key, cx.waker()) {
            tokens.queue.leave(key);
            return Poll::Ready(());
        }
        if context::is_cancelled() {
            // Stays in line, passed over by `fill`, until the scope drops the future.
            *state = Acquiring::Queued(key);
            return Poll::Pending;
        }
        tokens.queue.payload_mut(&key).scope.refresh();
        // Free while in line only if every waiter was passed over: this one can take it.
        if tokens.borrowed < tokens.total {
            let (_, waiter) = tokens.queue.leave(key);
            tokens.borrowed += 1;
            if let Some(b) = waiter.borrower {
                tokens.waiting.remove(&b);
                tokens.holders.insert(b);
            }
            return Poll::Ready(());
        }
        *state = Acquiring::Queued(key);
        Poll::Pending
    }

    fn abandon(&self, state: &mut Acquiring, borrower: Option<Borrower>) {
        let mut wakers = WakeList::new();
        match std::mem::replace(state, Acquiring::Done) {
            Acquiring::Queued(key) => {
                let mut tokens = lock(&self.state);
                let (left, waiter) = tokens.queue.leave(key);
                match left {
                    Left::Queued => {
                        if let Some(b) = waiter.borrower {
                            tokens.waiting.remove(&b);
                        }
                    }
                    Left::Granted => {
                        wakers = tokens
                            .give_back(waiter.borrower)
                            .expect("a granted borrower holds its token");
                    }
                }
            }
            // Dropped during its yield by a foreign `select!` or `drop`: it holds a token.
            Acquiring::Yielded => {
                wakers = lock(&self.state)
                    .give_back(borrower)
                    .expect("a borrower that took a token holds it");
            }
            Acquiring::Start | Acquiring::Done => {}
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
/// let stats = anyio_core::sync::CapacityLimiter::new(2).statistics();
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
/// let limiter = CapacityLimiter::new(1);
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

/// A token of a [`CapacityLimiter`] behind an [`Arc`], borrowed anonymously; dropping it
/// gives the token back. From [`CapacityLimiter::acquire_owned`] and
/// [`CapacityLimiter::try_acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::sync::{CapacityLimiter, OwnedCapacityLimiterGuard};
///
/// let limiter = Arc::new(CapacityLimiter::new(1));
/// let token: OwnedCapacityLimiterGuard = limiter.clone().try_acquire_owned().unwrap();
/// drop(token);
/// assert_eq!(limiter.borrowed_tokens(), 0);
/// ```
#[must_use = "the token is given back as soon as the guard is dropped"]
pub struct OwnedCapacityLimiterGuard {
    limiter: Arc<CapacityLimiter>,
}

impl fmt::Debug for OwnedCapacityLimiterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCapacityLimiterGuard")
            .finish_non_exhaustive()
    }
}

impl Drop for OwnedCapacityLimiterGuard {
    fn drop(&mut self) {
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
/// let limiter = CapacityLimiter::new(1);
/// let acquire: CapacityLimiterAcquire<'_> = limiter.acquire();
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
pub struct CapacityLimiterAcquire<'a> {
    limiter: &'a CapacityLimiter,
    state: Acquiring,
}

impl<'a> Future for CapacityLimiterAcquire<'a> {
    type Output = CapacityLimiterGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CapacityLimiterGuard<'a>> {
        let this = &mut *self;
        match this
            .limiter
            .poll_take(None, &mut this.state, Mode::Checkpoint, cx)
        {
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
        self.limiter.abandon(&mut self.state, None);
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
/// let acquire: OwnedCapacityLimiterAcquire = Arc::new(CapacityLimiter::new(1)).acquire_owned();
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
    state: Acquiring,
}

impl Future for OwnedCapacityLimiterAcquire {
    type Output = OwnedCapacityLimiterGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedCapacityLimiterGuard> {
        let this = &mut *self;
        let limiter = this
            .limiter
            .as_ref()
            .expect("`OwnedCapacityLimiterAcquire` polled after completion");
        if limiter
            .poll_take(None, &mut this.state, Mode::Checkpoint, cx)
            .is_pending()
        {
            return Poll::Pending;
        }
        let limiter = this.limiter.take().expect("checked above");
        Poll::Ready(OwnedCapacityLimiterGuard { limiter })
    }
}

impl Drop for OwnedCapacityLimiterAcquire {
    fn drop(&mut self) {
        if let Some(limiter) = &self.limiter {
            limiter.abandon(&mut self.state, None);
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
/// let limiter = CapacityLimiter::new(1);
/// let acquire: AcquireOnBehalfOf<'_> = limiter.acquire_on_behalf_of(Borrower::new(1));
/// acquire.await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`AlreadyBorrowed`]: see [`CapacityLimiter::acquire_on_behalf_of`].
///
/// # Panics
///
/// When polled again after it completed.
///
/// # Cancel safety
///
/// Cancel safe: see [`CapacityLimiter::acquire_on_behalf_of`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct AcquireOnBehalfOf<'a> {
    limiter: &'a CapacityLimiter,
    borrower: Borrower,
    state: Acquiring,
    mode: Mode,
}

impl Future for AcquireOnBehalfOf<'_> {
    type Output = Result<(), AlreadyBorrowed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.limiter
            .poll_take(Some(this.borrower), &mut this.state, this.mode, cx)
    }
}

impl Drop for AcquireOnBehalfOf<'_> {
    fn drop(&mut self) {
        self.limiter.abandon(&mut self.state, Some(self.borrower));
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
        let limiter = CapacityLimiter::new(1);
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
        let limiter = CapacityLimiter::new(1);
        let held = limiter.try_acquire().unwrap();
        let mut waiting: Vec<_> = (0..3).map(|_| limiter.acquire()).collect();
        for w in &mut waiting {
            assert!(poll(w).is_pending());
        }
        limiter.set_total_tokens(3);
        let polled: Vec<_> = waiting.iter_mut().map(poll).collect();
        let ready: Vec<_> = polled.iter().map(Poll::is_ready).collect();
        assert_eq!(ready, [true, true, false]);
        limiter.set_total_tokens(1);
        assert_eq!(limiter.borrowed_tokens(), 3);
        drop(held);
        assert!(poll(&mut waiting[2]).is_pending(), "still 2 borrowed of 1");
        drop(polled);
        assert!(poll(&mut waiting[2]).is_ready());
    }
}
