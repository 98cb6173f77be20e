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

/// Futures and handles of the streams, sockets, sync primitives and threads: each is `Send`,
/// shared handles are `Sync` too, and the named futures that promise it are `Unpin`. Checked
/// at compile time only: the functions below are never called.
mod streams_net_sync {
    use std::sync::Arc;

    use anyio::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
    use anyio::streams::memory::{MemoryObjectReceiver, MemoryObjectSender};
    use anyio::sync::{CapacityLimiter, Lock, Semaphore};

    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send_unpin<T: Send + Unpin>(_: &T) {}

    #[allow(dead_code)]
    fn memory_streams(tx: &MemoryObjectSender<u8>, rx: &MemoryObjectReceiver<u8>) {
        send_sync(tx);
        send_sync(rx);
        send_unpin(&tx.send(1));
        send(&rx.receive());
    }

    #[allow(dead_code)]
    async fn sockets(tcp: &TcpStream, listener: &TcpListener, unix: &UnixStream) {
        send_sync(tcp);
        send_sync(listener);
        send_sync(unix);
        send_unpin(&tcp.receive(1));
        send_unpin(&tcp.send(b"x"));
        send_unpin(&unix.receive(1));
        send_unpin(&unix.send(b"x"));
        send(&listener.accept());
        send(&anyio::net::connect_tcp("localhost", 1));
        send(&anyio::net::create_tcp_listener(None, 0));
        send(&anyio::net::connect_unix("/nonexistent"));
        send(&anyio::net::create_udp_socket(None, 0));
    }

    #[allow(dead_code)]
    fn datagrams(udp: &UdpSocket, unix_listener: &UnixListener) {
        send_sync(udp);
        send_sync(unix_listener);
        send_unpin(&udp.receive_from());
        send(&unix_listener.accept());
    }

    #[allow(dead_code)]
    fn sync_primitives(lock: Arc<Lock>, semaphore: Arc<Semaphore>, limiter: Arc<CapacityLimiter>) {
        send(&lock.acquire());
        send(&lock.clone().acquire_owned());
        send(&semaphore.acquire());
        send(&semaphore.clone().acquire_owned());
        send(&limiter.acquire());
        send(&limiter.clone().acquire_owned());
        send_sync(&limiter.clone().try_acquire_owned());
    }

    #[allow(dead_code)]
    fn wrappers(
        tcp: TcpStream,
        chunks: anyio::streams::ChunkStream<MemoryObjectReceiver<anyio::streams::Bytes>>,
    ) {
        use anyio::streams::{BufferedByteReceiveStream, ByteReceiveStream, TextStream};
        let buffered = BufferedByteReceiveStream::new(tcp);
        send_sync(&buffered);
        send(&buffered.receive_exactly(1));
        send(&buffered.receive_until(b"\n", 10));
        let text = TextStream::new(buffered).lossy();
        send_sync(&text);
        send(&text.receive());
        send_sync(&chunks);
        send(&ByteReceiveStream::receive(&chunks, 1));
    }

    #[allow(dead_code)]
    fn threads() {
        send(&anyio::to_thread::run_sync(|| 1));
    }

    #[cfg(feature = "tls")]
    #[allow(dead_code)]
    fn tls(stream: &anyio::streams::tls::TlsStream<TcpStream>) {
        send_sync(stream);
        send(&stream.receive(1));
        send(&stream.send(b"x"));
        send(&stream.close());
    }
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
