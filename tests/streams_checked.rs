//! The stream checkers of `anyio::testing` run over every byte stream anyio has, on every
//! backend; and over deliberately broken streams, to prove that each property can fail.

mod common;
#[path = "streams_checked/faulty.rs"]
mod faulty;
#[cfg(feature = "tls")]
#[path = "tls_certs/mod.rs"]
mod tls_certs;

use std::collections::BTreeSet;
use std::future::Future as _;
use std::time::Duration;

use anyio::net::{TcpStream, UnixStream};
use anyio::streams::memory::{
    create_memory_object_stream, MemoryObjectReceiver, MemoryObjectSender,
};
use anyio::streams::{
    AsyncClose, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream, Bytes,
    ChunkStream, StapledByteStream, StapledObjectStream, StreamError, TextStream,
};
use anyio::testing::{
    check_half_closeable_stream, check_one_way_stream, check_two_way_stream,
    lockstep_stream_one_way_pair, lockstep_stream_pair, memory_stream_one_way_pair,
    memory_stream_pair, CheckError, Property,
};
use common::ms;
use faulty::Fault;

/// Fills a socket's buffers and its peer's with junk, without receiving: afterwards a send
/// waits until the peer receives. Writes until the OS refuses, lets the loopback settle, and
/// repeats until nothing more fits.
async fn clog<T>(socket: &T)
where
    for<'a> &'a T: std::io::Write,
{
    use std::io::Write as _;

    let junk = vec![0u8; 65536];
    loop {
        let mut wrote = 0;
        loop {
            match (&*socket).write(&junk) {
                Ok(n) => wrote += n,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("clogging the socket failed: {error}"),
            }
        }
        if wrote == 0 {
            return;
        }
        anyio::sleep(ms(50)).await;
    }
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    common::tcp_pair().await
}

/// A TCP pair whose sends wait, both ways.
async fn clogged_tcp_pair() -> (TcpStream, TcpStream) {
    let (a, b) = tcp_pair().await;
    clog(a.get_ref()).await;
    clog(b.get_ref()).await;
    (a, b)
}

fn unix_pair() -> (UnixStream, UnixStream) {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    (
        UnixStream::from_std(a).unwrap(),
        UnixStream::from_std(b).unwrap(),
    )
}

async fn clogged_unix_pair() -> (UnixStream, UnixStream) {
    let (a, b) = unix_pair();
    clog(a.get_ref()).await;
    clog(b.get_ref()).await;
    (a, b)
}

type StapledTcp = StapledByteStream<TcpStream, TcpStream>;

/// Two one-way TCP connections stapled into a two-way stream, from both ends; with
/// `clogged`, both sending halves are full.
async fn stapled_tcp_pair(clogged: bool) -> (StapledTcp, StapledTcp) {
    let (out_tx, out_rx) = tcp_pair().await;
    let (back_tx, back_rx) = tcp_pair().await;
    if clogged {
        clog(out_tx.get_ref()).await;
        clog(back_tx.get_ref()).await;
    }
    (
        StapledByteStream::new(out_tx, back_rx),
        StapledByteStream::new(back_tx, out_rx),
    )
}

type Buffered = BufferedByteReceiveStream<TcpStream>;

async fn buffered_tcp_pair(clogged: bool) -> (Buffered, Buffered) {
    let (a, b) = if clogged {
        clogged_tcp_pair().await
    } else {
        tcp_pair().await
    };
    (
        BufferedByteReceiveStream::new(a),
        BufferedByteReceiveStream::new(b),
    )
}

/// Which properties failed, for comparing with what a fault should break.
fn failed(result: Result<(), CheckError>) -> BTreeSet<String> {
    let error = match result {
        Ok(()) => return BTreeSet::new(),
        Err(error) => error,
    };
    eprintln!("{error}");
    error
        .failures()
        .iter()
        .map(|failure| format!("{:?}", failure.property()))
        .collect()
}

fn properties(list: &[Property]) -> BTreeSet<String> {
    list.iter().map(|p| format!("{p:?}")).collect()
}

// ---- the test streams of anyio::testing ----

#[anyio::test]
async fn memory_stream_one_way_pair_is_a_one_way_stream() {
    check_one_way_stream(|| async { memory_stream_one_way_pair() })
        .await
        .unwrap();
}

#[anyio::test]
async fn memory_stream_pair_is_a_half_closeable_stream() {
    check_half_closeable_stream(|| async { memory_stream_pair() })
        .await
        .unwrap();
}

#[anyio::test]
async fn lockstep_stream_one_way_pair_is_a_clogged_one_way_stream() {
    check_one_way_stream(|| async { lockstep_stream_one_way_pair() })
        .clogged(|| async { lockstep_stream_one_way_pair() })
        .await
        .unwrap();
}

#[anyio::test]
async fn lockstep_stream_pair_is_a_clogged_two_way_stream() {
    check_two_way_stream(|| async { lockstep_stream_pair() })
        .clogged(|| async { lockstep_stream_pair() })
        .await
        .unwrap();
}

#[anyio::test]
async fn lockstep_stream_pair_is_a_half_closeable_stream() {
    check_half_closeable_stream(|| async { lockstep_stream_pair() })
        .await
        .unwrap();
}

/// Trio's `test_memory_stream_pair`, and the lockstep pair's lack of buffering.
#[anyio::test]
async fn memory_pairs_carry_bytes_and_lockstep_pairs_do_not_buffer() {
    let (a, b) = memory_stream_pair();
    a.send(b"123").await.unwrap();
    b.send(b"abc").await.unwrap();
    assert_eq!(&b.receive(10).await.unwrap()[..], b"123");
    assert_eq!(&a.receive(10).await.unwrap()[..], b"abc");
    a.send_eof().await.unwrap();
    assert!(matches!(b.receive(10).await, Err(StreamError::EndOfStream)));
    let (sent, received) = futures_util::join!(b.send(b"xyz"), a.receive(10));
    sent.unwrap();
    assert_eq!(&received.unwrap()[..], b"xyz");

    // Closing the receiving end discards what it had not received.
    let (tx, rx) = memory_stream_one_way_pair();
    tx.send(b"lost on close").await.unwrap();
    rx.close().await;
    assert!(matches!(rx.receive(10).await, Err(StreamError::Closed)));
    assert!(matches!(tx.send(b"x").await, Err(StreamError::Broken(_))));

    let (tx, rx) = lockstep_stream_one_way_pair();
    assert!(anyio::move_on_after(ms(20), tx.send(b"x")).await.is_none());
    // The cancelled send withdrew its offer: the receive waits for the next one.
    let (sent, received) = futures_util::join!(tx.send(b"yz"), async {
        let first = rx.receive(1).await.unwrap();
        let second = rx.receive(1).await.unwrap();
        [first[0], second[0]]
    });
    sent.unwrap();
    assert_eq!(&received, b"yz");
}

// ---- sockets, TLS and the wrappers ----

#[anyio::test]
async fn tcp_stream_is_a_half_closeable_stream() {
    check_half_closeable_stream(tcp_pair)
        .clogged(clogged_tcp_pair)
        .await
        .unwrap();
}

#[anyio::test]
async fn unix_stream_is_a_half_closeable_stream() {
    check_half_closeable_stream(|| async { unix_pair() })
        .clogged(clogged_unix_pair)
        .await
        .unwrap();
}

#[cfg(feature = "tls")]
mod tls {
    use std::sync::Arc;

    use anyio::net::TcpStream;
    use anyio::streams::tls::TlsStream;
    use anyio::testing::check_half_closeable_stream;

    use super::{clog, tcp_pair, tls_certs::Ca};

    type Tls = TlsStream<TcpStream>;

    /// A maker of TLS pairs over TCP, with certificates made once; with `clogged`, the TCP
    /// connection under both ends is full.
    fn tls_maker(
        clogged: bool,
    ) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = (Tls, Tls)> + Send>> + Send + Sync
    {
        let ca = Ca::new("checker ca");
        let client = ca.client();
        let server = Arc::new(ca.server(&["localhost"]));
        move || {
            let (client, server) = (client.clone(), server.clone());
            Box::pin(async move {
                let (client_tcp, server_tcp) = tcp_pair().await;
                let (client, server) = futures_util::join!(
                    TlsStream::connect(client_tcp, "localhost", client),
                    TlsStream::accept(server_tcp, server),
                );
                let (client, server) = (client.unwrap(), server.unwrap());
                if clogged {
                    clog(client.get_ref().get_ref()).await;
                    clog(server.get_ref().get_ref()).await;
                }
                (client, server)
            })
        }
    }

    #[anyio::test]
    async fn tls_stream_is_a_half_closeable_stream() {
        check_half_closeable_stream(tls_maker(false))
            .clogged(tls_maker(true))
            .await
            .unwrap();
    }
}

#[anyio::test]
async fn stapled_tcp_halves_are_a_clogged_two_way_stream() {
    check_two_way_stream(|| stapled_tcp_pair(false))
        .clogged(|| stapled_tcp_pair(true))
        .await
        .unwrap();
}

/// `send_eof` of a stapled stream closes its send half, which is allowed during a waiting
/// send (it wakes it with `Closed`), so the clogged `send_eof` property does not apply.
#[anyio::test]
async fn stapled_tcp_halves_are_a_half_closeable_stream() {
    check_half_closeable_stream(|| stapled_tcp_pair(false))
        .await
        .unwrap();
}

/// A stapled stream of unlike halves: memory one way, lockstep the other.
#[anyio::test]
async fn stapled_memory_and_lockstep_halves_are_a_half_closeable_stream() {
    check_half_closeable_stream(|| async {
        let (there_tx, there_rx) = memory_stream_one_way_pair();
        let (back_tx, back_rx) = lockstep_stream_one_way_pair();
        (
            StapledByteStream::new(there_tx, back_rx),
            StapledByteStream::new(back_tx, there_rx),
        )
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn buffered_tcp_stream_is_a_half_closeable_stream() {
    check_half_closeable_stream(|| buffered_tcp_pair(false))
        .clogged(|| buffered_tcp_pair(true))
        .await
        .unwrap();
}

#[anyio::test]
async fn buffered_memory_stream_is_a_half_closeable_stream() {
    check_half_closeable_stream(|| async {
        let (a, b) = memory_stream_pair();
        (
            BufferedByteReceiveStream::new(a),
            BufferedByteReceiveStream::new(b),
        )
    })
    .await
    .unwrap();
}

// ---- ChunkStream: memory object streams of byte chunks as byte streams ----

type ChunkSender = ChunkStream<MemoryObjectSender<Bytes>>;
type ChunkReceiver = ChunkStream<MemoryObjectReceiver<Bytes>>;
type ChunkPipe =
    ChunkStream<StapledObjectStream<MemoryObjectSender<Bytes>, MemoryObjectReceiver<Bytes>>>;

/// A one-way chunk stream over a channel of `capacity` chunks; 0 makes every send wait for
/// the receive.
fn chunk_one_way_pair(capacity: usize) -> (ChunkSender, ChunkReceiver) {
    let (tx, rx) = create_memory_object_stream::<Bytes>(capacity);
    (ChunkStream::new(tx), ChunkStream::new(rx))
}

fn chunk_pair(capacity: usize) -> (ChunkPipe, ChunkPipe) {
    let (there_tx, there_rx) = create_memory_object_stream::<Bytes>(capacity);
    let (back_tx, back_rx) = create_memory_object_stream::<Bytes>(capacity);
    (
        ChunkStream::new(StapledObjectStream::new(there_tx, back_rx)),
        ChunkStream::new(StapledObjectStream::new(back_tx, there_rx)),
    )
}

#[anyio::test]
async fn chunk_stream_over_a_channel_is_a_clogged_one_way_stream() {
    check_one_way_stream(|| async { chunk_one_way_pair(4) })
        .clogged(|| async { chunk_one_way_pair(0) })
        .await
        .unwrap();
}

#[anyio::test]
async fn chunk_stream_over_stapled_channels_is_a_half_closeable_stream() {
    check_half_closeable_stream(|| async { chunk_pair(4) })
        .clogged(|| async { chunk_pair(0) })
        .await
        .unwrap();
}

// ---- TextStream: the parts of the byte contract that apply to text ----
//
// A TextStream is no byte stream (whole characters, no max_bytes), so the checkers cannot
// take it; these tests check it for what the contract says beyond the bytes.

type Text = TextStream<anyio::testing::MemoryStream>;

fn text_pair() -> (Text, Text) {
    let (a, b) = memory_stream_pair();
    (TextStream::new(a), TextStream::new(b))
}

#[anyio::test]
async fn text_stream_second_receive_is_busy() {
    let (_a, b) = text_pair();
    let both = futures_util::future::select(Box::pin(b.receive()), Box::pin(b.receive()));
    let outcome = match anyio::fail_after(Duration::from_secs(5), both)
        .await
        .unwrap()
    {
        futures_util::future::Either::Right((second, _first)) => second,
        futures_util::future::Either::Left((first, _)) => panic!("first completed: {first:?}"),
    };
    assert!(matches!(outcome, Err(StreamError::Busy)), "{outcome:?}");
}

#[anyio::test]
async fn text_stream_receive_is_a_checkpoint() {
    let (a, b) = text_pair();
    a.send("héllo").await.unwrap();
    let scope = anyio::CancelScope::new();
    scope.cancel();
    assert!(scope.run(b.receive()).await.is_none());
    assert_eq!(b.receive().await.unwrap(), "héllo");
    let scope = anyio::CancelScope::new();
    scope.cancel();
    assert_eq!(scope.run(a.send("lost")).await.map(|r| r.is_ok()), None);
    a.send("kept").await.unwrap();
    assert_eq!(b.receive().await.unwrap(), "kept");
}

#[anyio::test]
async fn text_stream_close_wakes_a_receive_in_another_task() {
    let (_a, b) = text_pair();
    let b = std::sync::Arc::new(b);
    let polled = std::sync::Arc::new(anyio::Event::new());
    let woken = anyio::task_group(|tg| async move {
        let waiting = tg.spawn({
            let (b, polled) = (b.clone(), polled.clone());
            async move {
                let mut receive = std::pin::pin!(b.receive());
                let received = std::future::poll_fn(|cx| {
                    let poll = receive.as_mut().poll(cx);
                    polled.set(); // the receive has started, and waits unless it completed
                    poll
                });
                Ok(received.await)
            }
        })?;
        polled.wait().await;
        b.close().await;
        Ok::<_, anyio::BoxError>(waiting.await?)
    })
    .await
    .unwrap();
    assert!(matches!(woken, Err(StreamError::Closed)), "{woken:?}");
}

#[anyio::test]
async fn text_stream_ends_after_send_eof_and_close() {
    let (a, b) = text_pair();
    a.send("done").await.unwrap();
    a.send_eof().await.unwrap();
    assert!(matches!(a.send("more").await, Err(StreamError::Closed)));
    assert_eq!(b.receive().await.unwrap(), "done");
    assert!(matches!(b.receive().await, Err(StreamError::EndOfStream)));
    b.send("back").await.unwrap();
    assert_eq!(a.receive().await.unwrap(), "back");
    a.close().await;
    a.close().await;
    assert!(matches!(a.receive().await, Err(StreamError::Closed)));
    assert!(matches!(b.send("gone").await, Err(StreamError::Broken(_))));
}

// ---- the checkers catch broken streams ----

/// Runs the half-closeable checker over a faulty pair, with a short time limit since
/// properties that hang are expected.
async fn check_fault(fault: Fault) -> BTreeSet<String> {
    let _watchdog = common::Watchdog::new("a check of a faulty stream", Duration::from_secs(120));
    failed(
        check_half_closeable_stream(move || async move { faulty::pair(fault) })
            .timeout(ms(250))
            .await,
    )
}

#[anyio::test]
async fn a_correct_stream_written_against_the_traits_passes() {
    assert_eq!(check_fault(Fault::None).await, properties(&[]));
}

#[anyio::test]
async fn a_stream_that_drops_bytes_fails_full_duplex() {
    assert_eq!(
        check_fault(Fault::DropsBytes).await,
        properties(&[Property::FullDuplex])
    );
}

#[anyio::test]
async fn a_send_that_is_no_checkpoint_fails_send_checkpoint() {
    assert_eq!(
        check_fault(Fault::SendIgnoresCancel).await,
        properties(&[Property::SendCheckpoint])
    );
}

#[anyio::test]
async fn a_receive_that_is_no_checkpoint_fails_receive_checkpoint() {
    assert_eq!(
        check_fault(Fault::ReceiveIgnoresCancel).await,
        properties(&[Property::ReceiveCheckpoint])
    );
}

#[anyio::test]
async fn receives_that_queue_instead_of_busy_fail_concurrent_receives() {
    assert_eq!(
        check_fault(Fault::NoBusy).await,
        properties(&[Property::ConcurrentReceives])
    );
}

#[anyio::test]
async fn a_close_that_does_not_wake_fails_close_wakes_receive() {
    assert_eq!(
        check_fault(Fault::CloseDoesNotWake).await,
        properties(&[Property::CloseWakesReceive])
    );
}

#[anyio::test]
async fn a_cancelled_close_that_does_nothing_fails_cancelled_close() {
    assert_eq!(
        check_fault(Fault::CancelledCloseDoesNothing).await,
        properties(&[Property::CancelledClose, Property::PeerCloseEndsReceive])
    );
}

#[anyio::test]
async fn a_receive_into_an_empty_buffer_that_waits_fails_zero_max_bytes() {
    assert_eq!(
        check_fault(Fault::AcceptsEmptyBuffer).await,
        properties(&[Property::ZeroMaxBytes])
    );
}

#[anyio::test]
async fn a_send_eof_that_does_nothing_fails_the_send_eof_properties() {
    assert_eq!(
        check_fault(Fault::SendEofDoesNothing).await,
        properties(&[
            Property::SendEof,
            Property::SendAfterEof,
            Property::CancelledSendEof
        ])
    );
}

#[anyio::test]
async fn a_send_eof_left_half_done_by_cancellation_fails_cancelled_send_eof() {
    assert_eq!(
        check_fault(Fault::SendEofHalfDone).await,
        properties(&[Property::CancelledSendEof])
    );
}

/// A failure names the property, the direction and what happened, in `Display` and in the
/// `Debug` that `.unwrap()` prints.
#[anyio::test]
async fn a_failure_says_which_property_failed_and_how() {
    let error = check_two_way_stream(|| async { faulty::pair(Fault::ReceiveIgnoresCancel) })
        .timeout(ms(250))
        .await
        .unwrap_err();
    let directions: Vec<_> = error.failures().iter().map(|f| f.direction()).collect();
    assert_eq!(
        directions,
        [Some("first end to second"), Some("second end to first")]
    );
    let failure = &error.failures()[0];
    assert_eq!(failure.property(), Property::ReceiveCheckpoint);
    assert!(failure.detail().contains("cancelled scope"), "{failure}");
    let shown = format!("{error:?}");
    assert!(shown.starts_with("2 of "), "{shown}");
    assert!(shown.contains("ReceiveCheckpoint"), "{shown}");
    assert!(shown.contains("first end to second"), "{shown}");
    assert_eq!(shown, error.to_string());
    assert!(error.failed(Property::ReceiveCheckpoint));
    assert!(!error.failed(Property::Transfer));
}

/// A stream maker that never returns fails `MakeStreams` instead of hanging.
#[anyio::test]
async fn a_maker_that_hangs_fails_instead_of_hanging() {
    let error = check_one_way_stream(|| async {
        anyio::sleep_forever().await;
        memory_stream_one_way_pair()
    })
    .timeout(ms(20))
    .await
    .unwrap_err();
    assert!(error
        .failures()
        .iter()
        .all(|f| f.property() == Property::MakeStreams));
    assert_eq!(error.failures().len(), error.checked());
}
