//! Streams, sync primitives and threads on the delivery model (DESIGN.md section 4): what a
//! hand-over, a close, a cancelled host or a blocked send means, on every backend. One test
//! binary, a module per concept.

mod common;
#[cfg(feature = "tls")]
#[path = "tls_certs/mod.rs"]
mod tls_certs;

#[path = "streams_sync_threads/net_send_eof.rs"]
mod net_send_eof;
#[path = "streams_sync_threads/streams_cancelled_close.rs"]
mod streams_cancelled_close;
#[path = "streams_sync_threads/streams_memory_anyio.rs"]
mod streams_memory_anyio;
#[path = "streams_sync_threads/sync_anyio.rs"]
mod sync_anyio;
#[path = "streams_sync_threads/thread_from_thread_cancelled.rs"]
mod thread_from_thread_cancelled;
