//! The waiting toolkit every primitive of this crate is built on: a FIFO line of waiters
//! ([`WaitList`]), the wakers to wake once a lock is released ([`WakeList`]), a state shared
//! with the one task waiting on it ([`Parked`]), and the one way to take a lock
//! ([`Acquire`]).
//!
//! None of them wakes anybody while holding a lock: a woken task that runs at once on another
//! thread must not find the lock still held by its waker.

mod list;
#[cfg(loom)]
mod loom_tests;
mod parked;
mod wake;

pub(crate) use list::{Key, WaitList};
pub(crate) use parked::Parked;
pub(crate) use wake::{register, WakeList};

/// Takes a lock, carrying on past poison. The critical sections of this crate run no user
/// code, so a poisoned lock can only come from a panic (an allocation failure, a bug's
/// assertion) that left the state consistent; refusing every later operation would turn one
/// failure into a hang of every task that shares the state.
pub(crate) trait Acquire {
    type Guard<'a>
    where
        Self: 'a;

    fn acquire(&self) -> Self::Guard<'_>;
}

impl<T: ?Sized> Acquire for std::sync::Mutex<T> {
    type Guard<'a>
        = std::sync::MutexGuard<'a, T>
    where
        Self: 'a;

    #[inline]
    fn acquire(&self) -> Self::Guard<'_> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(loom)]
impl<T: ?Sized> Acquire for loom::sync::Mutex<T> {
    type Guard<'a>
        = loom::sync::MutexGuard<'a, T>
    where
        Self: 'a;

    fn acquire(&self) -> Self::Guard<'_> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
