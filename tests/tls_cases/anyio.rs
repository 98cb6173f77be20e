//! AnyIO's `tests/streams/test_tls.py`, translated, on every backend.
//!
//! AnyIO's peer is Python's blocking `ssl` module in a thread; here both ends are anyio TLS
//! streams over loopback TCP, so each test drives both sides. AnyIO's `extra(...)`
//! attributes are our accessors; `aclose` is `close`, which never fails, so where AnyIO
//! expects `aclose` to raise, the failure shows on the side that still receives.

use crate::common;
use crate::tls_certs;

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes, TcpStream};
use anyio::streams::tls::rustls::{self, ClientConfig, ServerConfig};
use anyio::streams::tls::{TlsListener, TlsStream};
use anyio::streams::StreamError;
use anyio::Event;
use futures_util::future::Either;
use tls_certs::Ca;

type Tls = TlsStream<TcpStream>;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client and a server session, handshaken over a fresh TCP connection.
async fn pair(client: Arc<ClientConfig>, server: Arc<ServerConfig>) -> (Tls, Tls) {
    let (client_tcp, server_tcp) = common::tcp_pair().await;
    let (client, server) = futures_util::join!(
        TlsStream::connect(client_tcp, "localhost", client),
        TlsStream::accept(server_tcp, server),
    );
    (client.unwrap(), server.unwrap())
}

async fn default_pair() -> (Tls, Tls) {
    let ca = Ca::new("test ca");
    pair(ca.client(), Arc::new(ca.server(&["localhost"]))).await
}

async fn receive_exactly(stream: &Tls, n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n);
    while data.len() < n {
        data.extend_from_slice(&stream.receive(n - data.len()).await.unwrap());
    }
    data
}

/// What the stream's next receive gives, bounded so that a missing end fails the test.
async fn next_receive(stream: &Tls) -> Result<bytes::Bytes, StreamError> {
    anyio::fail_after(Duration::from_secs(10), stream.receive(64))
        .await
        .expect("the receive never ended")
}

#[anyio::test]
async fn test_send_receive() {
    let (client, server) = default_pair().await;
    let ((), response) = futures_util::join!(
        async {
            let data = server.receive(10).await.unwrap();
            let reversed: Vec<u8> = data.iter().rev().copied().collect();
            server.send(&reversed).await.unwrap();
            server.close().await;
        },
        async {
            client.send(b"hello").await.unwrap();
            client.receive(10).await.unwrap()
        },
    );
    assert_eq!(&response[..], b"olleh");
}

#[anyio::test]
async fn test_extra_attributes() {
    let ca = Ca::new("test ca");
    let mut client_config = ClientConfig::clone(&ca.client());
    client_config.alpn_protocols = vec![b"h2".to_vec()];
    let (server_chain, server_key) = ca.issue(&["localhost"]);
    let mut server_config =
        anyio::streams::tls::server_config(server_chain.clone(), server_key).unwrap();
    server_config.alpn_protocols = vec![b"h2".to_vec()];
    let (client, server) = pair(Arc::new(client_config), Arc::new(server_config)).await;
    let client = client.with_standard_compatible(false);
    let transport = client.get_ref();

    // The socket attributes are the transport's.
    assert_eq!(
        client.local_address().unwrap(),
        transport.local_address().unwrap()
    );
    assert_eq!(
        client.remote_address().unwrap(),
        transport.remote_address().unwrap()
    );
    assert_eq!(
        client.local_port().unwrap(),
        transport.local_port().unwrap()
    );
    assert_eq!(client.remote_port().unwrap(), server.local_port().unwrap());

    assert_eq!(client.alpn_protocol().as_deref(), Some(&b"h2"[..]));
    // channel_binding_tls_unique: TLS 1.3 has none; its channel binding is the exporter's.
    let binding = client
        .export_keying_material([0; 32], b"EXPORTER-Channel-Binding", None)
        .unwrap();
    assert_eq!(
        binding,
        server
            .export_keying_material([0; 32], b"EXPORTER-Channel-Binding", None)
            .unwrap()
    );
    assert_ne!(binding, [0; 32]);
    assert_eq!(client.cipher_suite(), server.cipher_suite());
    assert!(client.cipher_suite().is_some());
    // peer_certificate and peer_certificate_binary: the server's chain, as DER.
    assert_eq!(client.peer_certificates(), Some(server_chain));
    assert!(!client.is_server());
    assert!(!client.is_standard_compatible());
    assert_eq!(
        client.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    // shared_ciphers and ssl_object have no rustls counterpart (AnyIO's client gets None).
    client.send(b"\x00").await.unwrap();
    assert_eq!(receive_exactly(&server, 1).await, b"\x00");
    client.close().await;
}

#[anyio::test]
async fn test_unwrap() {
    let (client, server) = default_pair().await;
    let ((), (msg1, msg2)) = futures_util::join!(
        async {
            server.send(b"encrypted").await.unwrap();
            let (clear, rest) = server.unwrap().await.unwrap();
            assert!(rest.is_empty());
            clear.send(b"unencrypted").await.unwrap();
            clear.close().await;
        },
        async {
            let msg1 = receive_exactly(&client, 9).await;
            let (clear, rest) = client.unwrap().await.unwrap();
            let mut msg2 = rest.to_vec();
            while msg2.len() < 11 {
                msg2.extend_from_slice(&clear.receive(64).await.unwrap());
            }
            (msg1, msg2)
        },
    );
    assert_eq!(msg1, b"encrypted");
    assert_eq!(msg2, b"unencrypted");
}

#[anyio::test]
async fn test_alpn_negotiation() {
    let ca = Ca::new("test ca");
    let mut client_config = ClientConfig::clone(&ca.client());
    client_config.alpn_protocols = vec![b"dummy2".to_vec(), b"dummy3".to_vec()];
    let mut server_config = ca.server(&["localhost"]);
    server_config.alpn_protocols = vec![b"dummy1".to_vec(), b"dummy2".to_vec()];
    let (client, server) = pair(Arc::new(client_config), Arc::new(server_config)).await;
    assert_eq!(client.alpn_protocol().as_deref(), Some(&b"dummy2"[..]));
    let selected = server.alpn_protocol().unwrap();
    server.send(&selected).await.unwrap();
    server.close().await;
    assert_eq!(receive_exactly(&client, 6).await, b"dummy2");
}

/// AnyIO's `test_ragged_eofs`: the server sends "hello" and ends the session the way its
/// compatibility says (standard: close_notify, then it waits for the client's, as `unwrap`
/// does; not: the TCP connection just closes). The client receives, then closes the same
/// way. A standard client sees the server's ragged end as Broken; the standard server sees
/// the non-standard client's end as Broken.
async fn ragged_eofs(server_compatible: bool, client_compatible: bool) {
    let (client, server) = default_pair().await;
    let client = client.with_standard_compatible(client_compatible);
    let server = server.with_standard_compatible(server_compatible);
    let (server_outcome, ()) = futures_util::join!(
        async {
            server.send(b"hello").await.unwrap();
            if server_compatible {
                server.unwrap().await.map(drop)
            } else {
                server.close().await;
                Ok(())
            }
        },
        async {
            assert_eq!(receive_exactly(&client, 5).await, b"hello");
            let end = next_receive(&client).await;
            if client_compatible && !server_compatible {
                assert!(matches!(end, Err(StreamError::Broken(_))), "{end:?}");
            } else {
                assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
            }
            client.close().await;
        },
    );
    if server_compatible && !client_compatible {
        assert!(
            matches!(server_outcome, Err(StreamError::Broken(_))),
            "{server_outcome:?}"
        );
    } else {
        server_outcome.unwrap();
    }
}

#[anyio::test]
async fn test_ragged_eofs_both_standard() {
    ragged_eofs(true, true).await;
}

#[anyio::test]
async fn test_ragged_eofs_server_standard() {
    ragged_eofs(true, false).await;
}

#[anyio::test]
async fn test_ragged_eofs_client_standard() {
    ragged_eofs(false, true).await;
}

#[anyio::test]
async fn test_ragged_eofs_neither_standard() {
    ragged_eofs(false, false).await;
}

#[anyio::test]
async fn test_ragged_eof_on_receive() {
    let (client, server) = default_pair().await;
    let client = client.with_standard_compatible(false);
    server.send(b"hello").await.unwrap();
    // The TCP connection closes under the session: no close_notify.
    server.get_ref().close().await;
    assert_eq!(receive_exactly(&client, 5).await, b"hello");
    let end = next_receive(&client).await;
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
}

#[anyio::test]
async fn test_receive_send_after_eof() {
    let (client, server) = default_pair().await;
    server.send(b"hello").await.unwrap();
    server.send_eof().await.unwrap();
    assert_eq!(receive_exactly(&client, 5).await, b"hello");
    for _ in 0..2 {
        let end = next_receive(&client).await;
        assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
    }
    // The half-closed server still receives what the client sends after the end.
    client.send(b"after eof").await.unwrap();
    assert_eq!(receive_exactly(&server, 9).await, b"after eof");
    client.close().await;
    server.close().await;
}

/// AnyIO's `test_send_eof_not_implemented`: AnyIO's TLS streams refuse `send_eof`; ours
/// implement it. Over TLS 1.3 the half-close is the standard's; between rustls peers it
/// works over TLS 1.2 too, since rustls does not answer close_notify by closing.
async fn send_eof_half_closes(version: &'static rustls::SupportedProtocolVersion) {
    let ca = Ca::new("test ca");
    let client_config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(ca.roots())
        .with_no_client_auth();
    let (client, server) = pair(Arc::new(client_config), Arc::new(ca.server(&["localhost"]))).await;
    assert_eq!(client.protocol_version(), Some(version.version));
    server.send(b"hello").await.unwrap();
    assert_eq!(receive_exactly(&client, 5).await, b"hello");
    client.send_eof().await.unwrap();
    let end = next_receive(&server).await;
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
    server.send(b"reply").await.unwrap();
    server.close().await;
    assert_eq!(receive_exactly(&client, 5).await, b"reply");
    let end = next_receive(&client).await;
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
}

#[anyio::test]
async fn test_send_eof_not_implemented_tlsv13() {
    send_eof_half_closes(&rustls::version::TLS13).await;
}

#[anyio::test]
async fn test_send_eof_not_implemented_tlsv12() {
    send_eof_half_closes(&rustls::version::TLS12).await;
}

/// AnyIO checks that its default context does not ignore an unexpected EOF: by default a
/// stream keeps to the standard, so a transport that ends without close_notify is Broken.
#[anyio::test]
async fn test_default_context_ignore_unexpected_eof_flag_off() {
    let (client, server) = default_pair().await;
    assert!(client.is_standard_compatible() && server.is_standard_compatible());
    server.get_ref().close().await;
    let end = next_receive(&client).await;
    assert!(matches!(end, Err(StreamError::Broken(_))), "{end:?}");
}

async fn tls_listener(config: ServerConfig) -> (TlsListener<anyio::net::TcpListener>, u16) {
    let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = tcp.local_port().unwrap();
    (TlsListener::new(tcp, Arc::new(config)), port)
}

#[anyio::test]
async fn test_listener_handshake_fail() {
    let ca = Ca::new("test ca");
    let (listener, port) = tls_listener(ca.server(&["localhost"])).await;
    // A client that connects and hangs up at once: the handshake fails as Broken.
    connect_tcp("127.0.0.1", port).await.unwrap().close().await;
    let error = listener.accept().await.unwrap_err();
    assert!(matches!(error, StreamError::Broken(_)), "{error:?}");
    assert!(error.to_string().contains("handshake"), "{error}");

    // Serving, such a client never reaches the handler, and serving goes on.
    let handled = Arc::new(Event::new());
    let served = handled.clone();
    let serving = listener.serve(move |tls| {
        let served = served.clone();
        async move {
            assert_eq!(&tls.receive(16).await.unwrap()[..], b"real");
            served.set();
            tls.close().await;
        }
    });
    let clients = async {
        connect_tcp("127.0.0.1", port).await.unwrap().close().await;
        let tcp = connect_tcp("127.0.0.1", port).await.unwrap();
        let tls = TlsStream::connect(tcp, "localhost", ca.client())
            .await
            .unwrap();
        tls.send(b"real").await.unwrap();
        handled.wait().await;
    };
    let outcome = anyio::move_on_after(Duration::from_secs(10), async {
        match futures_util::future::select(pin!(serving), pin!(clients)).await {
            Either::Left((served, _)) => panic!("serving ended early: {served:?}"),
            Either::Right(((), _)) => {}
        }
    })
    .await;
    assert!(outcome.is_some(), "the real client was never served");
}

#[anyio::test]
async fn test_listener_extra_attributes() {
    let ca = Ca::new("test ca");
    // The server asks for a client certificate and trusts the CA's.
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(ca.roots()),
        provider(),
    )
    .build()
    .unwrap();
    let (chain, key) = ca.issue(&["localhost"]);
    let mut server_config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    server_config.alpn_protocols = vec![b"h2".to_vec()];
    let (client_chain, client_key) = ca.issue(&["dummy-client"]);
    let client_cert = client_chain[0].clone();
    let mut client_config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(ca.roots())
        .with_client_auth_cert(client_chain, client_key)
        .unwrap();
    client_config.alpn_protocols = vec![b"h2".to_vec()];

    let (listener, port) = tls_listener(server_config).await;
    assert!(listener.is_standard_compatible());
    let client = async {
        let tcp = connect_tcp("127.0.0.1", port).await.unwrap();
        let tls = TlsStream::connect(tcp, "localhost", Arc::new(client_config))
            .await
            .unwrap();
        let byte = tls.receive(1).await.unwrap();
        tls.close().await;
        byte
    };
    let (server, byte) = futures_util::join!(
        async {
            let tls = listener.accept().await.unwrap();
            assert_eq!(tls.alpn_protocol().as_deref(), Some(&b"h2"[..]));
            assert!(tls
                .export_keying_material([0; 16], b"EXPORTER-Channel-Binding", None)
                .is_ok());
            assert!(tls.cipher_suite().is_some());
            assert_eq!(tls.peer_certificates(), Some(vec![client_cert]));
            assert!(tls.is_server());
            assert!(tls.is_standard_compatible());
            assert!(tls.protocol_version().is_some());
            tls.send(b"\x00").await.unwrap();
            tls
        },
        client,
    );
    assert_eq!(&byte[..], b"\x00");
    let end = next_receive(&server).await;
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
}
