//! Checks that a byte stream keeps the contract of anyio's stream traits, and in-memory
//! stream pairs to test protocols with: Trio's `trio.testing` stream checkers, for Rust.
//!
//! # Checking a stream
//!
//! Hand a checker a *stream maker*, an async closure that returns a fresh connected pair,
//! and await it:
//!
//! - [`check_one_way_stream`]: the first stream sends ([`ByteSendStream`]), the second
//!   receives ([`ByteReceiveStream`]); both are [`AsyncClose`];
//! - [`check_two_way_stream`]: both ends send and receive; the one-way properties are checked
//!   in both directions, plus a large full-duplex transfer;
//! - [`check_half_closeable_stream`]: both ends are [`ByteStream`]s; adds `send_eof`.
//!
//! Each property runs on its own pair, so one failure does not hide the others. A check
//! resolves to `Ok(())`, or to a [`CheckError`] that lists every [`Failure`]: the
//! [`Property`] that failed, in which direction, and what the stream did instead. A test
//! author writes `.await.unwrap()` (the error's `Debug` is the readable list) or `?`; a test
//! of a deliberately broken stream asks [`CheckError::failed`] which property failed. No
//! check panics on a misbehaving stream, and none hangs: a step that waits longer than the
//! [timeout](Check::timeout) ([`DEFAULT_TIMEOUT`]) fails its property as hanging.
//!
//! With a *clogged* stream maker ([`Check::clogged`]), whose pairs make a send wait until the
//! peer receives, the checkers also verify what needs a waiting send: a second send (or
//! `send_eof`) meanwhile fails with `Busy`, and a close wakes the waiting send.
//!
//! # The contract
//!
//! The properties are Trio's (`trio/testing/_check_streams.py`), in anyio's terms; see
//! [`Property`] for the list. In short: bytes arrive in order, whatever the chunk sizes; an
//! empty send is fine and means nothing; a receive of 0 bytes is `InvalidArgument`; one
//! task per direction (`Busy` otherwise); after `close` everything is `Closed`, closing again
//! is fine, and a close in a cancelled scope still closes; after the peer closes, sends are
//! `Broken` and receives end; closing wakes a waiting receive (or send) in another task with
//! `Closed`; `send_eof` ends the peer's receives after the data while the other direction
//! goes on.
//!
//! **Checkpoints.** A send and a receive are anyio checkpoints: inside a cancelled scope they
//! do not complete and have no effect, even when they could complete at once (a receive with
//! data ready). The checkers test this with a scope cancelled before the operation starts.
//! They do not require the operation to *yield* when it can complete at once, as Trio's
//! `assert_checkpoints` does: anyio's streams deliberately skip the yield on their fast path.
//! `close` is exempt (it must close even in a cancelled scope), and so, in part, is
//! `send_eof`: in a cancelled scope it may finish the sending half or do nothing, but never
//! half of it.
//!
//! [`TextStream`](crate::streams::TextStream) is no byte stream (its items are whole
//! characters, and its receive has no `max_bytes`), so the byte checkers do not apply to it:
//! check the byte stream under it. Trio's `wait_send_all_might_not_block` has no counterpart
//! in anyio's traits, so its checks are left out.
//!
//! # Streams for tests
//!
//! [`memory_stream_pair`] (unbounded buffering) and [`lockstep_stream_pair`] (no buffering:
//! a send waits until the peer took every byte) are two-way in-memory streams, and
//! [`memory_stream_one_way_pair`] and [`lockstep_stream_one_way_pair`] their one-way halves.
//! They pass the checkers; the lockstep pair is a ready-made clogged stream.
//!
//! # Checkpoint assertions
//!
//! [`assert_checkpoints`] and [`assert_no_checkpoints`] (Trio's) wrap a future and panic when
//! it completes if it did not go through a checkpoint (a cancel point and a schedule point
//! both), or if it did.
//!
//! # Ports for tests
//!
//! [`free_tcp_port`] and [`free_udp_port`] (AnyIO's fixtures of the same names) return a
//! port free on `127.0.0.1` and `::1`, never the same one twice in a process, for code that
//! must be told its port before it binds.
//!
//! Everything here is generic over the [`Runtime`] that serves the time limits; the `anyio`
//! facade's `anyio::testing` fixes it to the running backend.
//!
//! # Examples
//!
//! Checking your own stream takes one call; here a TCP connection, with a fresh pair per
//! property:
//!
//! ```
//! use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes as _};
//! use anyio::testing::check_half_closeable_stream;
//!
//! async fn tcp_pair() -> (anyio::net::TcpStream, anyio::net::TcpStream) {
//!     let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//!     let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
//!     (client, listener.accept().await.unwrap())
//! }
//!
//! # anyio::run(async {
//! let checked = check_half_closeable_stream(tcp_pair).await;
//! # let _ = checked; // TCP's `send_eof`-related results are asserted by the test suite
//! # }).unwrap();
//! ```
//!
//! A stream that loses data is caught, and the error says which property failed:
//!
//! ```
//! use std::time::Duration;
//! use anyio::streams::{AsyncClose, ByteSendStream, StreamError};
//! use anyio::testing::{check_one_way_stream, memory_stream_one_way_pair, MemorySendStream, Property};
//!
//! /// Sends only the first half of everything.
//! struct Lossy(MemorySendStream);
//!
//! impl ByteSendStream for Lossy {
//!     async fn send<'a>(&'a self, data: &'a [u8]) -> Result<(), StreamError> {
//!         self.0.send(&data[..data.len() / 2]).await
//!     }
//! }
//!
//! impl AsyncClose for Lossy {
//!     async fn close(&self) {
//!         self.0.close().await
//!     }
//! }
//!
//! # anyio::run(async {
//! let error = check_one_way_stream(|| async {
//!     let (tx, rx) = memory_stream_one_way_pair();
//!     (Lossy(tx), rx)
//! })
//! .timeout(Duration::from_millis(100))
//! .await
//! .unwrap_err();
//! assert!(error.failed(Property::Transfer));
//! println!("{error}"); // every failed property, with what happened
//! # }).unwrap();
//! ```

mod check;
mod checkpoints;
mod clock;
mod failure;
mod half_closeable;
mod lockstep;
mod memory;
mod one_way;
mod ports;
mod probe;
mod random;
mod two_way;

pub use check::{Check, CheckFuture, HalfCloseable, OneWay, StreamMaker, TwoWay, DEFAULT_TIMEOUT};
pub use checkpoints::{assert_checkpoints, assert_no_checkpoints, AssertCheckpoints};
pub use clock::{ClockId, VirtualClock, VirtualTimer};
pub use failure::{CheckError, Failure, Property};
pub use lockstep::{
    lockstep_stream_one_way_pair, lockstep_stream_pair, LockstepReceiveStream, LockstepSendStream,
    LockstepStream,
};
pub use memory::{
    memory_stream_one_way_pair, memory_stream_pair, MemoryReceiveStream, MemorySendStream,
    MemoryStream,
};
pub use ports::{free_tcp_port, free_udp_port};

use crate::backend::Runtime;
use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream};

/// Checks a one-way stream: the first stream of each pair from `stream_maker` sends, the
/// second receives. Trio's `check_one_way_stream`.
///
/// Await the returned [`Check`]; set a clogged stream maker or the time limit on it first.
///
/// # Examples
///
/// ```
/// use anyio::AnyRuntime;
/// use anyio_core::testing::{check_one_way_stream, memory_stream_one_way_pair};
///
/// # anyio::run(async {
/// check_one_way_stream::<AnyRuntime, _>(|| async { memory_stream_one_way_pair() })
///     .await
///     .unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The check resolves to a [`CheckError`] listing every property that failed.
pub fn check_one_way_stream<R, M>(stream_maker: M) -> Check<OneWay, R, M>
where
    R: Runtime,
    M: StreamMaker,
    M::First: ByteSendStream + AsyncClose,
    M::Second: ByteReceiveStream + AsyncClose,
{
    Check::new(stream_maker)
}

/// Checks a two-way stream: every one-way property in both directions, then a full-duplex
/// transfer of 1 MiB each way and a close that ends the peer's receive. Trio's
/// `check_two_way_stream`.
///
/// # Examples
///
/// ```
/// use anyio::AnyRuntime;
/// use anyio_core::testing::{check_two_way_stream, lockstep_stream_pair};
///
/// # anyio::run(async {
/// check_two_way_stream::<AnyRuntime, _>(|| async { lockstep_stream_pair() })
///     .clogged(|| async { lockstep_stream_pair() })
///     .await
///     .unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The check resolves to a [`CheckError`] listing every property that failed.
pub fn check_two_way_stream<R, M>(stream_maker: M) -> Check<TwoWay, R, M>
where
    R: Runtime,
    M: StreamMaker,
    M::First: ByteSendStream + ByteReceiveStream + AsyncClose,
    M::Second: ByteSendStream + ByteReceiveStream + AsyncClose,
{
    Check::new(stream_maker)
}

/// Checks a half-closeable stream: everything [`check_two_way_stream`] checks, and
/// [`send_eof`](ByteStream::send_eof). Trio's `check_half_closeable_stream`.
///
/// # Examples
///
/// ```
/// use anyio::AnyRuntime;
/// use anyio_core::testing::{check_half_closeable_stream, memory_stream_pair};
///
/// # anyio::run(async {
/// check_half_closeable_stream::<AnyRuntime, _>(|| async { memory_stream_pair() })
///     .await
///     .unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The check resolves to a [`CheckError`] listing every property that failed.
pub fn check_half_closeable_stream<R, M>(stream_maker: M) -> Check<HalfCloseable, R, M>
where
    R: Runtime,
    M: StreamMaker,
    M::First: ByteStream + AsyncClose,
    M::Second: ByteStream + AsyncClose,
{
    Check::new(stream_maker)
}
