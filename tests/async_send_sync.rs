//! Public futures and handles are `Send` (and `Sync` where shared), so they cross tasks and
//! threads.

use std::future::Future;

fn send<T: Send>(_: &T) {}
fn send_sync<T: Send + Sync>() {}

async fn body() -> Result<u8, anyio::BoxError> {
    Ok(1)
}

#[test]
fn futures_are_send() {
    send(&anyio::sleep(std::time::Duration::ZERO));
    send(&anyio::checkpoint());
    send(&anyio::sleep_forever());
    send(&anyio::move_on_after(std::time::Duration::ZERO, body()));
    send(&anyio::fail_after(std::time::Duration::ZERO, body()));
    send(&anyio::CancelScope::new().run(body()));
    send(&anyio::task_group(|_tg| body()));
    send(&anyio::lowlevel::checkpoint_if_cancelled());
    send(&anyio::lowlevel::cancel_shielded_checkpoint());
    send(&anyio::move_on_after(std::time::Duration::ZERO, body()).shield(true));
    fn start_futures_are_send(tg: &anyio::TaskGroup<anyio::BoxError>) {
        send(&tg.start(|status: anyio::TaskStatus<u8>| async move {
            status.started(1);
            Ok(())
        }));
        send(
            &tg.start_with_handle(|status: anyio::TaskStatus<u8>| async move {
                status.started(1);
                Ok(())
            }),
        );
    }
    let _ = start_futures_are_send;
    fn group_future_is_send<F: Future + Send>(_: F) {}
    group_future_is_send(anyio::task_group(
        |tg: anyio::TaskGroup<anyio::BoxError>| async move {
            tg.spawn(body())?.await?;
            Ok::<_, anyio::BoxError>(())
        },
    ));
}

#[test]
fn handles_are_send_and_sync() {
    send_sync::<anyio::CancelHandle>();
    send_sync::<anyio::CancelScope>();
    send_sync::<anyio::TaskGroup<anyio::BoxError>>();
    send_sync::<anyio::TaskHandle<u8>>();
    send_sync::<anyio::TaskStatus<u8>>();
    send_sync::<anyio::Backend>();
    send_sync::<anyio::TaskGroupError<anyio::BoxError>>();
    send_sync::<anyio::RunError>();
    send_sync::<anyio::BlockingPortal>();
    send_sync::<anyio::portal::PortalTask<u8>>();
    send_sync::<anyio::portal::PortalError>();
}

// ---------------------------------------------------------------------------------------
// Sync primitives, worker threads and portals: every public future and guard.
// ---------------------------------------------------------------------------------------

mod sync_thread_portal {
    use std::sync::Arc;

    use anyio::from_thread::FromThreadError;
    use anyio::portal::{PortalError, PortalTask};
    use anyio::sync::{
        AcquireOnBehalfOf, AlreadyBorrowed, Borrower, CapacityLimiter, CapacityLimiterAcquire,
        CapacityLimiterGuard, CapacityLimiterStatistics, Condition, ConditionAcquire,
        ConditionGuard, ConditionStatistics, ConditionWait, ConditionWaitFor, Event,
        EventStatistics, EventWait, Lock, LockAcquire, LockGuard, LockStatistics, Mutex,
        MutexGuard, MutexLock, NotBorrowed, NotLocked, OwnedCapacityLimiterAcquire,
        OwnedCapacityLimiterGuard, OwnedLockAcquire, OwnedLockGuard, OwnedSemaphoreAcquire,
        OwnedSemaphoreGuard, Semaphore, SemaphoreAcquire, SemaphoreFull, SemaphoreGuard,
        SemaphoreStatistics, TryBorrowError, ValueAboveMax, WouldBlock,
    };
    use anyio::to_thread::{RunSync, RunSyncFuture};
    use anyio::BlockingPortal;

    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    fn send_unpin<T: Send + Unpin>() {}

    type Data = Vec<u8>;
    type Closure = fn() -> u8;
    type Predicate = fn() -> bool;

    #[test]
    fn primitives_are_send_sync_unpin() {
        send_sync_unpin::<Event>();
        send_sync_unpin::<Lock>();
        send_sync_unpin::<Mutex<Data>>();
        send_sync_unpin::<Semaphore>();
        send_sync_unpin::<Condition>();
        send_sync_unpin::<CapacityLimiter>();
        send_sync_unpin::<Arc<CapacityLimiter>>();
        send_sync_unpin::<Borrower>();
        send_sync_unpin::<EventStatistics>();
        send_sync_unpin::<LockStatistics>();
        send_sync_unpin::<SemaphoreStatistics>();
        send_sync_unpin::<ConditionStatistics>();
        send_sync_unpin::<CapacityLimiterStatistics>();
    }

    #[test]
    fn sync_futures_are_send_sync_unpin() {
        send_sync_unpin::<EventWait<'_>>();
        send_sync_unpin::<LockAcquire<'_>>();
        send_sync_unpin::<OwnedLockAcquire>();
        send_sync_unpin::<MutexLock<'_, Data>>();
        send_sync_unpin::<SemaphoreAcquire<'_>>();
        send_sync_unpin::<OwnedSemaphoreAcquire>();
        send_sync_unpin::<ConditionAcquire<'_>>();
        send_sync_unpin::<ConditionWait<'_>>();
        send_sync_unpin::<ConditionWaitFor<'_, Predicate>>();
        send_sync_unpin::<CapacityLimiterAcquire<'_>>();
        send_sync_unpin::<OwnedCapacityLimiterAcquire>();
        send_sync_unpin::<AcquireOnBehalfOf<'_>>();
    }

    #[test]
    fn sync_guards_are_send_sync_unpin() {
        send_sync_unpin::<LockGuard<'_>>();
        send_sync_unpin::<OwnedLockGuard>();
        send_sync_unpin::<MutexGuard<'_, Data>>();
        send_sync_unpin::<SemaphoreGuard<'_>>();
        send_sync_unpin::<OwnedSemaphoreGuard>();
        send_sync_unpin::<ConditionGuard<'_>>();
        send_sync_unpin::<CapacityLimiterGuard<'_>>();
        send_sync_unpin::<OwnedCapacityLimiterGuard>();
    }

    #[test]
    fn sync_errors_are_send_sync_unpin() {
        send_sync_unpin::<WouldBlock>();
        send_sync_unpin::<NotLocked>();
        send_sync_unpin::<SemaphoreFull>();
        send_sync_unpin::<ValueAboveMax>();
        send_sync_unpin::<AlreadyBorrowed>();
        send_sync_unpin::<NotBorrowed>();
        send_sync_unpin::<TryBorrowError>();
    }

    #[test]
    fn thread_and_portal_types_are_send_and_unpin() {
        // A configured call holds the closure: `Sync` when the closure is.
        send_sync_unpin::<RunSync<Closure, u8>>();
        // The running call is a boxed `Send` future, polled by one task only.
        send_unpin::<RunSyncFuture<u8>>();
        send_sync_unpin::<FromThreadError>();
        send_sync_unpin::<BlockingPortal>();
        send_sync_unpin::<PortalTask<u8>>();
        send_sync_unpin::<PortalError>();
    }
}
