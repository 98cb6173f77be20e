//! Stream checkers and in-memory stream pairs for tests, on the backend in use: Trio's
//! `trio.testing` stream tools. See [`anyio_core::testing`] for the contract the checkers
//! verify. [`free_tcp_port`] and [`free_udp_port`] are AnyIO's port fixtures: loopback ports
//! free on IPv4 and IPv6, never the same twice in one process.
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
    free_tcp_port, free_udp_port, lockstep_stream_one_way_pair, lockstep_stream_pair,
    memory_stream_one_way_pair, memory_stream_pair, Check, CheckError, CheckFuture, Failure,
    HalfCloseable, LockstepReceiveStream, LockstepSendStream, LockstepStream, MemoryReceiveStream,
    MemorySendStream, MemoryStream, OneWay, Property, StreamMaker, TwoWay, DEFAULT_TIMEOUT,
};

use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream};
use crate::AnyRuntime;

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
