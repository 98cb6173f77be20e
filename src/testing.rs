//! Stream checkers and in-memory stream pairs for tests, on the backend in use: Trio's
//! `trio.testing` stream tools. See [`anyio_core::testing`] for the contract the checkers
//! verify. [`free_tcp_port`] and [`free_udp_port`] are AnyIO's port fixtures: loopback ports
//! free on IPv4 and IPv6, never the same twice in one process.
//!
//! [`VirtualClock`] is time that moves only when the test moves it: [`run_with_clock`] (or
//! `#[anyio::test(virtual_time)]`) runs a future with every sleep, deadline and timeout of the
//! run on the clock, on any backend, multi-threaded; [`current_clock`] finds it inside. An
//! hour of back-off then takes as long as the test's `advance` calls.
//!
//! [`assert_checkpoints`] and [`assert_no_checkpoints`] are Trio's checkpoint assertions.
//!
//! Hand a checker an async closure that makes a fresh connected pair, and await it:
//! [`check_one_way_stream`], [`check_two_way_stream`] or [`check_half_closeable_stream`].
//! The check resolves to `Ok(())` or to a [`CheckError`] listing every [`Property`] that
//! failed and how; its `Debug` output is that list, so `.unwrap()` in a test says what went
//! wrong. [`Check::clogged`] adds the properties that need a waiting send, and
//! [`Check::timeout`] bounds every step, so a misbehaving stream fails the check instead of
//! hanging it.
//!
//! # Examples
//!
//! One call checks a stream; here the in-memory pair, which passes:
//!
//! ```
//! use anyio::testing::{check_half_closeable_stream, memory_stream_pair};
//!
//! # anyio::run(async {
//! check_half_closeable_stream(|| async { memory_stream_pair() }).await.unwrap();
//! # }).unwrap();
//! ```
//!
//! Your own stream: a maker that connects a fresh pair for each property, and a clogged maker
//! whose sends wait (a lockstep stream wrapped the same way would do):
//!
//! ```
//! use anyio::streams::StapledByteStream;
//! use anyio::testing::{check_two_way_stream, lockstep_stream_one_way_pair};
//!
//! async fn my_pair() -> (
//!     StapledByteStream<anyio::testing::LockstepSendStream, anyio::testing::LockstepReceiveStream>,
//!     StapledByteStream<anyio::testing::LockstepSendStream, anyio::testing::LockstepReceiveStream>,
//! ) {
//!     let (a_tx, b_rx) = lockstep_stream_one_way_pair();
//!     let (b_tx, a_rx) = lockstep_stream_one_way_pair();
//!     (StapledByteStream::new(a_tx, a_rx), StapledByteStream::new(b_tx, b_rx))
//! }
//!
//! # anyio::run(async {
//! check_two_way_stream(my_pair).clogged(my_pair).await.unwrap();
//! # }).unwrap();
//! ```

use anyio_core::testing as core;

pub use core::{
    assert_checkpoints, assert_no_checkpoints, free_tcp_port, free_udp_port,
    lockstep_stream_one_way_pair, lockstep_stream_pair, memory_stream_one_way_pair,
    memory_stream_pair, AssertCheckpoints, Check, CheckError, CheckFuture, ClockId, Failure,
    HalfCloseable, LockstepReceiveStream, LockstepSendStream, LockstepStream, MemoryReceiveStream,
    MemorySendStream, MemoryStream, OneWay, Property, StreamMaker, TwoWay, VirtualClock,
    VirtualTimer, DEFAULT_TIMEOUT,
};

use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream};
use crate::{AnyRuntime, Backend, RunError};

/// The virtual clock of the run polling the caller: the one [`run_with_clock`] or
/// `#[anyio::test(virtual_time)]` started it with; `None` in a run on real time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::testing::{current_clock, run_with_clock, VirtualClock};
/// use anyio::Backend;
///
/// let backend = Backend::available()[0];
/// run_with_clock(backend, &VirtualClock::new(), async {
///     let clock = current_clock().unwrap();
///     let start = anyio::current_time();
///     clock.advance(Duration::from_secs(3600));
///     assert_eq!(anyio::current_time() - start, Duration::from_secs(3600));
/// })
/// .unwrap();
/// assert!(anyio::run(async { current_clock() }).unwrap().is_none());
/// ```
pub fn current_clock() -> Option<VirtualClock> {
    use anyio_core::backend::Runtime as _;
    AnyRuntime::current().ok()?.clock()
}

/// Runs `future` to completion on `backend` as [`run_with`](crate::run_with) does, with every
/// clock reading of the run taken from `clock`: [`sleep`](crate::sleep),
/// [`sleep_until`](crate::sleep_until), deadlines, [`move_on_after`](crate::move_on_after) /
/// [`fail_after`](crate::fail_after), [`current_time`](crate::current_time) and
/// [`current_effective_deadline`](crate::current_effective_deadline) follow virtual time, in
/// the run's own task and in every task and scope it starts. The runtime stays
/// multi-threaded.
///
/// Time moves only when the test moves it, with [`VirtualClock::advance`] and its variants,
/// from the run itself or from another thread holding a clone of the clock: a sleep of an
/// hour then takes as long as the advance that passes it. (Jumping to the next deadline by
/// itself, once every task waits, is not done yet.)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::testing::{run_with_clock, VirtualClock};
/// use anyio::Backend;
///
/// let clock = VirtualClock::new();
/// let start = clock.now();
/// for backend in Backend::available() {
///     let ticker = clock.clone();
///     let timed_out = run_with_clock(backend, &clock, async move {
///         let (slept, ()) = futures_util::join!(
///             anyio::move_on_after(Duration::from_secs(3600), anyio::sleep_forever()),
///             async {
///                 anyio::sleep(Duration::ZERO).await;
///                 ticker.advance(Duration::from_secs(3600));
///             },
///         );
///         slept.is_none()
///     })
///     .unwrap();
///     assert!(timed_out);
/// }
/// assert!(clock.now() - start >= Duration::from_secs(3600));
/// ```
///
/// # Errors
///
/// As [`run_with`](crate::run_with).
// Without any backend `try_from` always fails, and what follows it is unreachable.
#[cfg_attr(
    not(any(feature = "tokio", feature = "async-std", feature = "smol")),
    allow(unused_variables, unreachable_code)
)]
pub fn run_with_clock<F: std::future::Future>(
    backend: Backend,
    clock: &VirtualClock,
    future: F,
) -> Result<F::Output, RunError> {
    use anyio_core::backend::Runtime as _;
    let runtime = AnyRuntime::try_from(backend)?.with_clock(clock);
    Ok(runtime.block_on(future)?)
}

/// Checks a one-way stream: the first stream of each pair from `stream_maker` sends, the
/// second receives; see [`anyio_core::testing::check_one_way_stream`].
///
/// # Examples
///
/// ```
/// use anyio::testing::{check_one_way_stream, lockstep_stream_one_way_pair};
///
/// # anyio::run(async {
/// check_one_way_stream(|| async { lockstep_stream_one_way_pair() })
///     .clogged(|| async { lockstep_stream_one_way_pair() })
///     .await
///     .unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The check resolves to a [`CheckError`] listing every property that failed.
pub fn check_one_way_stream<M>(stream_maker: M) -> Check<OneWay, AnyRuntime, M>
where
    M: StreamMaker,
    M::First: ByteSendStream + AsyncClose,
    M::Second: ByteReceiveStream + AsyncClose,
{
    core::check_one_way_stream(stream_maker)
}

/// Checks a two-way stream: the one-way properties both ways, a full-duplex transfer, and a
/// close that ends the peer's receive; see [`anyio_core::testing::check_two_way_stream`].
///
/// # Examples
///
/// ```
/// use anyio::testing::{check_two_way_stream, memory_stream_pair};
///
/// # anyio::run(async {
/// check_two_way_stream(|| async { memory_stream_pair() }).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The check resolves to a [`CheckError`] listing every property that failed.
pub fn check_two_way_stream<M>(stream_maker: M) -> Check<TwoWay, AnyRuntime, M>
where
    M: StreamMaker,
    M::First: ByteSendStream + ByteReceiveStream + AsyncClose,
    M::Second: ByteSendStream + ByteReceiveStream + AsyncClose,
{
    core::check_two_way_stream(stream_maker)
}

/// Checks a half-closeable stream: everything [`check_two_way_stream`] checks, and
/// `send_eof`; see [`anyio_core::testing::check_half_closeable_stream`].
///
/// # Examples
///
/// ```
/// use anyio::testing::{check_half_closeable_stream, memory_stream_pair};
///
/// # anyio::run(async {
/// check_half_closeable_stream(|| async { memory_stream_pair() }).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The check resolves to a [`CheckError`] listing every property that failed.
pub fn check_half_closeable_stream<M>(stream_maker: M) -> Check<HalfCloseable, AnyRuntime, M>
where
    M: StreamMaker,
    M::First: ByteStream + AsyncClose,
    M::Second: ByteStream + AsyncClose,
{
    core::check_half_closeable_stream(stream_maker)
}
