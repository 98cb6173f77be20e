//! TLS streams and the TLS listener over real TCP, on every backend.

#![cfg(feature = "tls")]

/// AnyIO's `tests/streams/test_tls.py`, translated.
#[path = "tls_cases/anyio.rs"]
mod anyio_cases;
mod common;
#[path = "tls_certs/mod.rs"]
mod tls_certs;

use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes, TcpListener, TcpStream};
use anyio::streams::tls::rustls::{self, CertificateError, ClientConfig, ServerConfig};
use anyio::streams::tls::{TlsError, TlsListener, TlsStream};
use anyio::streams::StreamError;
use futures_util::future::Either;
use tls_certs::Ca;

/// Both sides' handshake results, run concurrently.
async fn handshake(
    name: &str,
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
) -> (
    Result<TlsStream<TcpStream>, StreamError>,
    Result<TlsStream<TcpStream>, StreamError>,
) {
    let (client_tcp, server_tcp) = common::tcp_pair().await;
    futures_util::join!(
        TlsStream::connect(client_tcp, name, client),
        TlsStream::accept(server_tcp, server),
    )
}

async fn connected() -> (TlsStream<TcpStream>, TlsStream<TcpStream>) {
    let ca = Ca::new("test ca");
    let (client, server) = handshake(
        "localhost",
        ca.client(),
        Arc::new(ca.server(&["localhost"])),
    )
    .await;
    (client.unwrap(), server.unwrap())
}

async fn receive_exactly(stream: &TlsStream<TcpStream>, n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n);
    while data.len() < n {
        let chunk = stream.receive((n - data.len()).min(1 << 16)).await.unwrap();
        data.extend_from_slice(&chunk);
    }
    data
}

fn tls_error(error: &StreamError) -> &TlsError {
    TlsError::from_stream_error(error).unwrap_or_else(|| panic!("not a TLS error: {error:?}"))
}

#[anyio::test]
async fn echo_round_trip_small_and_large() {
    let (client, server) = connected().await;
    assert_eq!(
        client.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    assert_eq!(client.peer_certificates().map(|chain| chain.len()), Some(1));
    assert!(server.peer_certificates().is_none());
    assert!(client.cipher_suite().is_some());
    assert_eq!(client.local_port(), server.remote_port());

    let large: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    for message in [&b"hello"[..], &large[..]] {
        let (sent, echoed) = futures_util::join!(client.send(message), async {
            let data = receive_exactly(&server, message.len()).await;
            server.send(&data).await
        });
        sent.unwrap();
        echoed.unwrap();
        assert_eq!(receive_exactly(&client, message.len()).await, message);
    }
}

#[anyio::test]
async fn a_tls12_client_is_served() {
    let ca = Ca::new("test ca");
    let client =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(ca.roots())
            .with_no_client_auth();
    let server = Arc::new(ca.server(&["localhost"]));
    let (client, server) = handshake("localhost", Arc::new(client), server).await;
    let (client, server) = (client.unwrap(), server.unwrap());
    assert_eq!(
        server.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    client.send(b"old but fine").await.unwrap();
    assert_eq!(receive_exactly(&server, 12).await, b"old but fine");
    server.close().await;
    assert!(matches!(
        client.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
}

#[test]
fn futures_and_streams_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TlsStream<TcpStream>>();
    send_sync::<TlsListener<TcpListener>>();
    let ca = Ca::new("test ca");
    let client = ca.client();
    let server = Arc::new(ca.server(&["localhost"]));
    let _ = |tcp: TcpStream, tls: &TlsStream<TcpStream>, listener: &TlsListener<TcpListener>| {
        send(&TlsStream::connect(tcp, "localhost", client.clone()));
        send(&tls.receive(1));
        send(&tls.send(b""));
        send(&tls.send_eof());
        send(&tls.close());
        send(&listener.accept());
        send(&listener.serve(|_tls| async {}));
    };
    let _ = |tcp: TcpStream| send(&TlsStream::accept(tcp, server.clone()));
}

#[anyio::test]
async fn an_unknown_issuer_is_rejected_with_the_cause() {
    let trusted = Ca::new("trusted ca");
    let other = Ca::new("other ca");
    let (client, server) = handshake(
        "localhost",
        trusted.client(),
        Arc::new(other.server(&["localhost"])),
    )
    .await;
    let error = client.unwrap_err();
    let tls = tls_error(&error);
    assert!(tls.is_handshake());
    assert_eq!(
        tls.rustls_error(),
        &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert!(
        error
            .to_string()
            .contains("invalid peer certificate: UnknownIssuer"),
        "{error}"
    );
    // The client's alert tells the server why.
    let error = server.unwrap_err();
    assert!(error.to_string().contains("alert"), "{error}");
}

#[anyio::test]
async fn an_empty_root_store_trusts_nothing() {
    let ca = Ca::new("test ca");
    let client = Arc::new(anyio::streams::tls::client_config(
        rustls::RootCertStore::empty(),
    ));
    let (client, _server) =
        handshake("localhost", client, Arc::new(ca.server(&["localhost"]))).await;
    let error = client.unwrap_err();
    assert!(tls_error(&error).is_handshake());
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
}

#[anyio::test]
async fn the_server_sees_the_name_the_client_asked_for() {
    let ca = Ca::new("test ca");
    let server = Arc::new(ca.server(&["localhost", "alt.example.test"]));
    let (client, server_side) = handshake("alt.example.test", ca.client(), server.clone()).await;
    let (client, server_side) = (client.unwrap(), server_side.unwrap());
    assert_eq!(
        server_side.server_name().as_deref(),
        Some("alt.example.test")
    );
    assert_eq!(client.server_name().as_deref(), Some("alt.example.test"));

    let (client, _) = handshake("other.example.test", ca.client(), server).await;
    let error = client.unwrap_err();
    assert!(
        matches!(
            tls_error(&error).rustls_error(),
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
                | rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        ),
        "{error}"
    );
}

#[anyio::test]
async fn a_bad_server_name_is_an_invalid_argument() {
    let ca = Ca::new("test ca");
    let (client_tcp, _server_tcp) = common::tcp_pair().await;
    let error = TlsStream::connect(client_tcp, "no spaces allowed", ca.client())
        .await
        .unwrap_err();
    assert!(matches!(error, StreamError::InvalidArgument(_)), "{error}");
}

#[anyio::test]
async fn alpn_picks_the_protocol_both_sides_speak() {
    let ca = Ca::new("test ca");
    let mut client = rustls::ClientConfig::clone(&ca.client());
    client.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut server = ca.server(&["localhost"]);
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    let (client, server) = handshake("localhost", Arc::new(client), Arc::new(server)).await;
    let (client, server) = (client.unwrap(), server.unwrap());
    assert_eq!(client.alpn_protocol().as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(server.alpn_protocol().as_deref(), Some(&b"http/1.1"[..]));
}

#[anyio::test]
async fn close_notify_is_a_clean_end_of_stream() {
    let (client, server) = connected().await;
    client.send(b"last words").await.unwrap();
    client.close().await;
    assert_eq!(receive_exactly(&server, 10).await, b"last words");
    let end = server.receive(16).await;
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
    let again = server.receive(16).await;
    assert!(matches!(again, Err(StreamError::EndOfStream)), "{again:?}");
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn send_eof_half_closes_and_the_reply_still_arrives() {
    let (client, server) = connected().await;
    client.send(b"request").await.unwrap();
    client.send_eof().await.unwrap();
    assert_eq!(receive_exactly(&server, 7).await, b"request");
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
    server.send(b"reply").await.unwrap();
    server.close().await;
    assert_eq!(receive_exactly(&client, 5).await, b"reply");
    assert!(matches!(
        client.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn a_transport_ending_without_close_notify_is_broken() {
    let (client, server) = connected().await;
    client.send(b"cut").await.unwrap();
    // Ending the TCP connection under the session skips close_notify. (Closing it would
    // reset the connection instead: the server's session tickets sit unread on the client.)
    client.get_ref().send_eof().await.unwrap();
    assert_eq!(receive_exactly(&server, 3).await, b"cut");
    match server.receive(16).await {
        Err(StreamError::Broken(error)) => {
            assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
            assert!(error.to_string().contains("close_notify"), "{error}");
        }
        other => panic!("expected Broken, got {other:?}"),
    }
}

#[anyio::test]
async fn a_cancelled_receive_loses_nothing() {
    let (client, server) = connected().await;
    for round in 0..20u8 {
        let cancelled = anyio::move_on_after(common::ms(1), server.receive(16)).await;
        assert!(cancelled.is_none(), "nothing was sent yet: {cancelled:?}");
        client.send(&[round]).await.unwrap();
        assert_eq!(receive_exactly(&server, 1).await, [round]);
    }
}

#[anyio::test]
async fn tls_runs_over_any_byte_stream_even_tls() {
    let ca = Ca::new("test ca");
    let (client, server) = connected().await;
    let (inner_client, inner_server) = futures_util::join!(
        TlsStream::connect(client, "inner.example.test", ca.client()),
        TlsStream::accept(server, Arc::new(ca.server(&["inner.example.test"]))),
    );
    let (client, server) = (inner_client.unwrap(), inner_server.unwrap());
    assert_eq!(server.server_name().as_deref(), Some("inner.example.test"));
    client.send(b"nested").await.unwrap();
    let mut buf = [0; 6];
    let mut got = 0;
    while got < buf.len() {
        got += server.receive_into(&mut buf[got..]).await.unwrap();
    }
    assert_eq!(&buf, b"nested");
    client.close().await;
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
    // Closing the outer session closed the TCP connection underneath too.
    assert!(client.get_ref().get_ref().is_closed());
}

#[anyio::test]
async fn a_second_concurrent_receiver_is_busy() {
    let (client, server) = connected().await;
    let server = &server;
    let (first, second) = futures_util::join!(server.receive(16), async {
        anyio::sleep(common::ms(20)).await;
        let busy = server.receive(16).await;
        client.send(b"x").await.unwrap();
        busy
    });
    assert!(matches!(second, Err(StreamError::Busy)), "{second:?}");
    assert_eq!(&first.unwrap()[..], b"x");
}

async fn tls_listener(ca: &Ca, timeout: Duration) -> (TlsListener<TcpListener>, u16) {
    let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = tcp.local_port().unwrap();
    let config = Arc::new(ca.server(&["localhost"]));
    let listener = TlsListener::new(tcp, config).with_handshake_timeout(timeout);
    (listener, port)
}

#[anyio::test]
async fn accept_gives_up_on_a_silent_client() {
    let ca = Ca::new("test ca");
    let (listener, port) = tls_listener(&ca, common::ms(200)).await;
    let _silent = connect_tcp("127.0.0.1", port).await.unwrap();
    let error = listener.accept().await.unwrap_err();
    match &error {
        StreamError::Io(io) => assert_eq!(io.kind(), io::ErrorKind::TimedOut),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("handshake"), "{error}");
}

#[anyio::test]
async fn serve_handles_a_client_while_another_stays_silent() {
    let ca = Ca::new("test ca");
    // Far longer than the test may take: the second client must not wait for it.
    let (listener, port) = tls_listener(&ca, Duration::from_secs(60)).await;
    let started = Instant::now();
    let server = listener.serve(|tls| async move {
        while let Ok(data) = tls.receive(1024).await {
            if tls.send(&data).await.is_err() {
                break;
            }
        }
        tls.close().await;
    });
    let clients = async {
        let silent = connect_tcp("127.0.0.1", port).await.unwrap();
        // Not TLS at all: its handshake fails, which must not end serving.
        let garbage = connect_tcp("127.0.0.1", port).await.unwrap();
        garbage.send(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let tcp = connect_tcp("127.0.0.1", port).await.unwrap();
        let tls = TlsStream::connect(tcp, "localhost", ca.client())
            .await
            .unwrap();
        tls.send(b"still served").await.unwrap();
        let echoed = receive_exactly(&tls, 12).await;
        drop(silent);
        echoed
    };
    // The clients finishing ends the test; dropping the serve future cancels it.
    let echoed = anyio::move_on_after(Duration::from_secs(20), async {
        match futures_util::future::select(pin!(server), pin!(clients)).await {
            Either::Left((served, _)) => panic!("serving ended early: {served:?}"),
            Either::Right((echoed, _)) => echoed,
        }
    })
    .await;
    assert_eq!(echoed.as_deref(), Some(&b"still served"[..]));
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// How much each side sends in the full-duplex tests.
const DUPLEX_BYTES: usize = 1 << 20;

/// The seed of a randomised test: `ANYIO_TLS_SEED=<seed>` replays one, else a fresh one.
fn test_seed(what: &str) -> u64 {
    let seed = std::env::var("ANYIO_TLS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("{what}: seed {seed} (replay with ANYIO_TLS_SEED={seed})");
    seed
}

/// Sends `data` in chunks of random sizes in 1..=16384.
async fn send_in_random_chunks(stream: &TlsStream<TcpStream>, data: &[u8], mut rng: fastrand::Rng) {
    let mut rest = data;
    while !rest.is_empty() {
        let n = rng.usize(1..=16384).min(rest.len());
        stream.send(&rest[..n]).await.unwrap();
        rest = &rest[n..];
    }
}

/// Receives `n` bytes with receives of random sizes in 1..=16384.
async fn receive_in_random_sizes(
    stream: &TlsStream<TcpStream>,
    n: usize,
    mut rng: fastrand::Rng,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(n);
    let mut buf = vec![0; 16384];
    while data.len() < n {
        let size = rng.usize(1..=16384);
        let got = stream
            .receive_into(&mut buf[..size])
            .await
            .unwrap_or_else(|error| panic!("receive failed after {} bytes: {error}", data.len()));
        data.extend_from_slice(&buf[..got]);
    }
    data
}

/// Both sides send [`DUPLEX_BYTES`] of random data while they receive the other side's, and
/// check it arrived whole.
async fn full_duplex(seed: u64, task_per_direction: bool) {
    let _watchdog = common::Watchdog::new("TLS full duplex", Duration::from_secs(60));
    let mut rng = fastrand::Rng::with_seed(seed);
    let (client, server) = connected().await;
    let (client, server) = (Arc::new(client), Arc::new(server));
    let mut payload = || {
        let mut data = vec![0; DUPLEX_BYTES];
        rng.fill(&mut data);
        data
    };
    let (to_server, to_client) = (payload(), payload());
    let rngs: Vec<fastrand::Rng> = (0..4).map(|_| rng.fork()).collect();
    let [send_c, recv_c, send_s, recv_s]: [fastrand::Rng; 4] = rngs.try_into().unwrap();

    let side = |stream: Arc<TlsStream<TcpStream>>,
                out: Vec<u8>,
                send_rng: fastrand::Rng,
                recv_rng: fastrand::Rng| async move {
        if task_per_direction {
            anyio::task_group(|tg| {
                let stream = stream.clone();
                async move {
                    let sender = stream.clone();
                    tg.spawn(async move {
                        send_in_random_chunks(&sender, &out, send_rng).await;
                        Ok::<_, common::TestError>(())
                    })?;
                    let received = tg.spawn(async move {
                        Ok(receive_in_random_sizes(&stream, DUPLEX_BYTES, recv_rng).await)
                    })?;
                    Ok::<_, common::TestError>(received.await?)
                }
            })
            .await
            .unwrap()
        } else {
            let ((), received) = futures_util::join!(
                send_in_random_chunks(&stream, &out, send_rng),
                receive_in_random_sizes(&stream, DUPLEX_BYTES, recv_rng),
            );
            received
        }
    };
    let (at_server, at_client) = futures_util::join!(
        side(client.clone(), to_server.clone(), send_c, recv_c),
        side(server.clone(), to_client.clone(), send_s, recv_s),
    );
    assert!(
        at_server == to_client,
        "seed {seed}: the client received other bytes"
    );
    assert!(
        at_client == to_server,
        "seed {seed}: the server received other bytes"
    );
}

#[anyio::test]
async fn full_duplex_in_one_task_with_random_chunks() {
    full_duplex(test_seed("full duplex in one task"), false).await;
}

#[anyio::test]
async fn full_duplex_with_a_task_per_direction_and_random_chunks() {
    full_duplex(test_seed("full duplex, a task per direction"), true).await;
}

#[anyio::test]
async fn one_way_with_random_chunks() {
    let seed = test_seed("one way");
    let mut rng = fastrand::Rng::with_seed(seed);
    let (client, server) = connected().await;
    let mut data = vec![0; DUPLEX_BYTES];
    rng.fill(&mut data);
    let ((), received) = futures_util::join!(
        send_in_random_chunks(&client, &data, rng.fork()),
        receive_in_random_sizes(&server, DUPLEX_BYTES, rng.fork()),
    );
    assert!(
        received == data,
        "seed {seed}: the server received other bytes"
    );
}

#[anyio::test]
async fn close_in_a_cancelled_scope_still_closes_the_transport() {
    let (client, server) = connected().await;
    client.send(b"before").await.unwrap();
    let scope = anyio::CancelScope::new();
    scope.cancel();
    scope.run(client.close()).await;
    assert_eq!(receive_exactly(&server, 6).await, b"before");
    // The cancelled close skipped close_notify but closed the transport: the server sees an
    // unclean end, or a reset since the server's session tickets were never read.
    match server.receive(16).await {
        Err(StreamError::Broken(error)) => assert!(
            error.to_string().contains("close_notify")
                || error.kind() == io::ErrorKind::ConnectionReset,
            "{error}"
        ),
        other => panic!("expected Broken, got {other:?}"),
    }
    assert!(client.get_ref().is_closed());
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(client.receive(16).await, Err(StreamError::Closed)));
    assert!(matches!(client.send_eof().await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn a_close_dropped_unpolled_still_closes_the_transport() {
    let (client, server) = connected().await;
    drop(client.close());
    assert!(client.get_ref().is_closed());
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::Broken(_))
    ));
    assert!(matches!(client.receive(16).await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn close_after_send_eof_closes_without_a_second_close_notify() {
    let (client, server) = connected().await;
    client.send_eof().await.unwrap();
    client.close().await;
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(matches!(client.send_eof().await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn plaintext_still_buffered_is_closed_to_the_closer() {
    let (client, server) = connected().await;
    server.send(b"unread").await.unwrap();
    // One byte in: the rest of the record is decrypted and buffered in the session.
    assert_eq!(receive_exactly(&client, 1).await, b"u");
    client.close().await;
    assert!(matches!(client.receive(16).await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn send_eof_during_a_blocked_send_is_busy_and_changes_nothing() {
    let (client, server) = connected().await;
    // More than the loopback socket buffers hold, so the send blocks until the server reads.
    let big: Vec<u8> = (0..32u32 << 20).map(|i| (i % 253) as u8).collect();
    // join! polls the send first, so it is in flight when send_eof runs.
    let (sent, received) = futures_util::join!(client.send(&big), async {
        let busy = client.send_eof().await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        receive_exactly(&server, big.len()).await
    });
    sent.unwrap();
    assert!(received == big, "the send was cut short or reordered");
    client.send(b"more").await.unwrap();
    client.send_eof().await.unwrap();
    assert_eq!(receive_exactly(&server, 4).await, b"more");
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn unwrap_hands_back_what_came_with_the_close_notify() {
    let (client, server) = connected().await;
    // The client finishes its TLS sending; the server sees that, leaves TLS and speaks in
    // the clear at once.
    client.send_eof().await.unwrap();
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
    let (server_tcp, rest) = server.unwrap().await.unwrap();
    assert!(rest.is_empty());
    server_tcp.send(b"in the clear").await.unwrap();
    // Both the server's close_notify and the clear text wait in the client's socket, so
    // one read takes them together: the clear text must not vanish into rustls.
    let (client_tcp, rest) = client.unwrap().await.unwrap();
    let mut clear = rest.to_vec();
    while clear.len() < 12 {
        let more = anyio::move_on_after(Duration::from_secs(5), client_tcp.receive(64)).await;
        let more = more.unwrap_or_else(|| panic!("only {clear:?} came back"));
        clear.extend_from_slice(&more.unwrap());
    }
    assert_eq!(clear, b"in the clear");
}

#[anyio::test]
async fn unwrap_refuses_plaintext_still_arriving() {
    let (client, server) = connected().await;
    server.send(b"unread").await.unwrap();
    let error = client.unwrap().await.unwrap_err();
    assert!(matches!(error, StreamError::InvalidData(_)), "{error:?}");
    assert!(error.to_string().contains("unwrap"), "{error}");
}

#[anyio::test]
async fn unwrap_after_a_ragged_end_is_broken_even_when_not_standard_compatible() {
    let (client, server) = connected().await;
    let client = client.with_standard_compatible(false);
    server.get_ref().close().await;
    let error = client.unwrap().await.unwrap_err();
    assert!(matches!(error, StreamError::Broken(_)), "{error:?}");
}
