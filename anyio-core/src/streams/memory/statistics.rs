//! A snapshot of a memory object stream's state.

/// What [`statistics`](super::MemoryObjectSender::statistics) reports: a snapshot of the stream
/// shared by every clone of both ends.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
///
/// let (tx, rx) = create_memory_object_stream::<u32>(4);
/// let _tx2 = tx.clone();
/// tx.try_send(1).unwrap();
/// let stats = rx.statistics();
/// assert_eq!(stats.current_buffer_used, 1);
/// assert_eq!(stats.max_buffer_size, Some(4));
/// assert_eq!(stats.open_send_streams, 2);
/// assert_eq!(stats.open_receive_streams, 1);
/// assert_eq!(stats.tasks_waiting_send, 0);
/// assert_eq!(stats.tasks_waiting_receive, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MemoryObjectStreamStatistics {
    /// Items buffered and not yet handed to a receiver. Usually at most `max_buffer_size`; it
    /// exceeds it only by items handed to a waiting receive that was then dropped without
    /// taking them (by a `select!`, say) or whose scope was cancelled in the instant of the
    /// hand-over, with no other receiver waiting: they stay first in line, never lost.
    pub current_buffer_used: usize,
    /// The capacity given at creation; `None` for an unbounded stream.
    pub max_buffer_size: Option<usize>,
    /// Sender handles (clones) not yet closed or dropped.
    pub open_send_streams: usize,
    /// Receiver handles (clones) not yet closed or dropped.
    pub open_receive_streams: usize,
    /// Sends waiting for room (their items not handed over yet), a
    /// [`Sink`](futures_sink::Sink) item in flight included.
    pub tasks_waiting_send: usize,
    /// Receives (and [`Stream`](futures_core::Stream) polls) waiting for an item and not yet
    /// handed one.
    pub tasks_waiting_receive: usize,
}
