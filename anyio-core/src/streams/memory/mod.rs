//! Memory object streams: anyio's channels.
//!
//! [`create_memory_object_stream`] returns a connected [`MemoryObjectSender`] and
//! [`MemoryObjectReceiver`] that carry items of type `T` between tasks, and OS threads:
//!
//! - **capacity**: `0` is a rendezvous (a send completes when it hands its item to a
//!   receiver waiting for one), `n` buffers up to `n` items,
//!   [`create_unbounded_memory_object_stream`] never makes a send wait;
//! - **clones**: both ends are [`Clone`]; an end counts as closed only when every clone is
//!   closed ([`close`](MemoryObjectSender::close)) or dropped;
//! - **fairness**: waiting sends deliver in the order they started waiting, and waiting
//!   receives are handed items in the order they started waiting; items are always received
//!   in the order they entered the stream;
//! - **endings**: once every sender is gone, receivers get the items still buffered, then
//!   [`ReceiveError::EndOfStream`]; once every receiver is gone, sends fail with
//!   [`SendError::Broken`], handing the item back; using a handle you closed fails with
//!   `Closed` (a failed send hands the item back);
//! - **cancel safety**: [`send`](MemoryObjectSender::send) and
//!   [`receive`](MemoryObjectReceiver::receive) are anyio checkpoints and lossless. A send's
//!   item enters the stream only in the poll that reports success, so a send dropped before
//!   that (plain drop, cancel scope, task-group cancellation) delivered nothing: no receiver
//!   ever sees its item, and retrying it duplicates nothing. A receive never holds an item:
//!   one handed to it stays in the stream until it runs, and goes to the next receiver if it
//!   is dropped first. See the `# Cancel safety` sections for the details;
//! - **`try_*` twins** ([`try_send`](MemoryObjectSender::try_send),
//!   [`try_receive`](MemoryObjectReceiver::try_receive)) never wait, are not checkpoints, and
//!   work from synchronous code;
//! - the receiver is a [`futures_core::Stream`], the sender a [`futures_sink::Sink`];
//! - [`statistics`](MemoryObjectSender::statistics) on either end reports the buffer use and
//!   the open handles and waiting tasks of both ends.
//!
//! The futures do not yield when they can complete at once, so a consumer of a stream that
//! never runs dry does not yield to the scheduler; add [`checkpoint`](crate::time::checkpoint)
//! calls to such loops if other tasks must run meanwhile.
//!
//! # Examples
//!
//! Producers and consumers in one task group; consumers stop when every producer is done:
//!
//! ```
//! use anyio::streams::memory::create_memory_object_stream;
//!
//! # anyio::run(async {
//! let (tx, rx) = create_memory_object_stream::<u32>(8);
//! let total = anyio::task_group(|tg| async move {
//!     for producer in 0..3 {
//!         let tx = tx.clone();
//!         tg.spawn(async move {
//!             for i in 0..10 {
//!                 tx.send(producer * 100 + i).await?;
//!             }
//!             Ok(0)
//!         })?;
//!     }
//!     drop(tx); // the producers hold the only senders now
//!     let consumer = tg.spawn(async move {
//!         let mut sum = 0;
//!         while let Ok(item) = rx.receive().await {
//!             sum += item;
//!         }
//!         Ok(sum)
//!     })?;
//!     Ok::<_, anyio::BoxError>(consumer.await?)
//! })
//! .await
//! .unwrap();
//! assert_eq!(total, (0..3).map(|p| p * 1000 + 45).sum::<u32>());
//! # }).unwrap();
//! ```

mod error;
#[cfg(all(test, loom))]
mod loom_tests;
mod object;
mod receiver;
mod sender;
mod state;
mod statistics;

pub use error::{ReceiveError, SendError, TryReceiveError, TrySendError};
pub use receiver::{MemoryObjectReceiver, Receive};
pub use sender::{MemoryObjectSender, Send};
pub use statistics::MemoryObjectStreamStatistics;

use crate::loom::Arc;
use state::{Shared, UNBOUNDED};

/// Creates a memory object stream buffering up to `capacity` items; `0` makes it a
/// rendezvous, where each send completes only when it hands its item to a receiver waiting
/// for one (if that receiver is cancelled before it runs, the item goes to the next receiver:
/// it is never lost). Any `capacity`
/// is valid; `usize::MAX` is the same as
/// [`create_unbounded_memory_object_stream`]. The buffer grows as needed: a large capacity
/// reserves no memory up front.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, TrySendError};
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u32>(2);
/// tx.send(1).await.unwrap();
/// tx.send(2).await.unwrap();
/// assert_eq!(tx.try_send(3), Err(TrySendError::WouldBlock(3))); // full
/// assert_eq!(rx.receive().await.unwrap(), 1);
///
/// let (tx, rx) = create_memory_object_stream::<u32>(0);
/// assert_eq!(tx.try_send(1), Err(TrySendError::WouldBlock(1))); // nobody receiving
/// # drop(rx);
/// # }).unwrap();
/// ```
pub fn create_memory_object_stream<T>(
    capacity: usize,
) -> (MemoryObjectSender<T>, MemoryObjectReceiver<T>) {
    // `State::new` gives the first sender id 0 and the first receiver id 1.
    let shared = Arc::new(Shared::new(capacity));
    (
        MemoryObjectSender::new(shared.clone(), 0),
        MemoryObjectReceiver::new(shared, 1),
    )
}

/// Creates a memory object stream whose buffer is unbounded: sends never wait (they still
/// fail when the receivers are gone or the handle is closed).
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_unbounded_memory_object_stream;
///
/// let (tx, rx) = create_unbounded_memory_object_stream::<u32>();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.statistics().current_buffer_used, 1000);
/// assert_eq!(rx.statistics().max_buffer_size, None);
/// ```
pub fn create_unbounded_memory_object_stream<T>() -> (MemoryObjectSender<T>, MemoryObjectReceiver<T>)
{
    create_memory_object_stream(UNBOUNDED)
}
