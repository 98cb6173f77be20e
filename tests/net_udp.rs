//! UDP sockets, unconnected and connected, on every backend.

mod common;

use std::io;
use std::net::SocketAddr;

use anyio::net::{
    create_connected_udp_socket, create_udp_socket, ConnectedUdpSocket, SocketAttributes,
    UdpSocket, MAX_DATAGRAM_SIZE,
};
use anyio::streams::{ObjectReceiveStream, ObjectSendStream, StreamError};
use bytes::Bytes;

fn address_of(socket: &impl SocketAttributes) -> SocketAddr {
    socket.local_address().unwrap().as_inet().unwrap()
}

#[anyio::test]
async fn unconnected_round_trip() {
    let a = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let b = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    a.send_to(b"ping", address_of(&b)).await.unwrap();
    let (payload, from) = b.receive_from().await.unwrap();
    assert_eq!(&payload[..], b"ping");
    assert_eq!(from, address_of(&a));
    b.send_to(b"pong", from).await.unwrap();
    assert_eq!(
        a.receive_from().await.unwrap(),
        (Bytes::from_static(b"pong"), address_of(&b))
    );
    let error = a.remote_address().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotConnected);
}

#[anyio::test]
async fn connected_round_trip() {
    let server = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let server_address = address_of(&server);
    let client =
        create_connected_udp_socket("127.0.0.1", server_address.port(), Some("127.0.0.1"), 0)
            .await
            .unwrap();
    assert_eq!(
        client.remote_address().unwrap().as_inet(),
        Some(server_address)
    );
    client.send(b"request").await.unwrap();
    let (payload, from) = server.receive_from().await.unwrap();
    assert_eq!((&payload[..], from), (&b"request"[..], address_of(&client)));
    server.send_to(b"reply", from).await.unwrap();
    assert_eq!(&client.receive().await.unwrap()[..], b"reply");
}

#[anyio::test]
async fn a_connected_socket_ignores_other_senders() {
    let server = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let stranger = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let client = create_connected_udp_socket("127.0.0.1", address_of(&server).port(), None, 0)
        .await
        .unwrap();
    stranger
        .send_to(b"spam", address_of(&client))
        .await
        .unwrap();
    server
        .send_to(b"expected", address_of(&client))
        .await
        .unwrap();
    assert_eq!(&client.receive().await.unwrap()[..], b"expected");
}

#[anyio::test]
async fn many_datagrams_arrive_in_order() {
    let receiver = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let sender = create_connected_udp_socket("127.0.0.1", address_of(&receiver).port(), None, 0)
        .await
        .unwrap();
    // In batches that fit the receive buffer: loopback drops datagrams only when it is full.
    for batch in 0..8u32 {
        for i in 0..32u32 {
            sender.send(&(batch * 32 + i).to_be_bytes()).await.unwrap();
        }
        for i in 0..32u32 {
            let (payload, _) = receiver.receive_from().await.unwrap();
            assert_eq!(&payload[..], (batch * 32 + i).to_be_bytes());
        }
    }
}

#[anyio::test]
async fn the_largest_datagram_arrives_whole_and_a_larger_one_is_refused() {
    let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let own = address_of(&socket);
    let largest: Vec<u8> = (0..MAX_DATAGRAM_SIZE).map(|i| i as u8).collect();
    socket.send_to(&largest, own).await.unwrap();
    let (payload, _) = socket.receive_from().await.unwrap();
    assert_eq!(payload.len(), MAX_DATAGRAM_SIZE);
    assert_eq!(&payload[..], &largest[..]);
    let too_large = vec![0; MAX_DATAGRAM_SIZE + 1];
    let error = socket.send_to(&too_large, own).await.unwrap_err();
    assert!(
        matches!(error, StreamError::InvalidArgument(_)),
        "{error:?}"
    );
    // The refusal did not hold on to the send direction.
    socket.send_to(b"after", own).await.unwrap();
    assert_eq!(&socket.receive_from().await.unwrap().0[..], b"after");
}

#[anyio::test]
async fn an_empty_datagram_is_a_datagram() {
    let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    socket.send_to(b"", address_of(&socket)).await.unwrap();
    assert!(socket.receive_from().await.unwrap().0.is_empty());
}

#[anyio::test]
async fn a_closed_socket_refuses_receives_and_sends() {
    let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let own = address_of(&socket);
    socket.send_to(b"queued", own).await.unwrap();
    socket.close().await;
    assert!(socket.is_closed());
    assert!(matches!(
        socket.receive_from().await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        socket.send_to(b"x", own).await,
        Err(StreamError::Closed)
    ));
    let connected = create_connected_udp_socket("127.0.0.1", own.port(), None, 0)
        .await
        .unwrap();
    connected.close().await;
    assert!(matches!(
        connected.receive().await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        connected.send(b"x").await,
        Err(StreamError::Closed)
    ));
}

#[anyio::test]
async fn close_wakes_a_blocked_receive() {
    let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let socket = &socket;
    let started = std::time::Instant::now();
    let (received, ()) = futures_util::join!(socket.receive_from(), async {
        anyio::sleep(common::ms(20)).await;
        socket.close().await;
    });
    assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[anyio::test]
async fn a_second_receiver_is_busy() {
    let socket = create_connected_udp_socket("127.0.0.1", 9, None, 0)
        .await
        .unwrap();
    let socket = &socket;
    let (first, second) = futures_util::join!(socket.receive(), async {
        anyio::sleep(common::ms(20)).await;
        let busy = socket.receive().await;
        socket.close().await;
        busy
    });
    assert!(matches!(second, Err(StreamError::Busy)), "{second:?}");
    assert!(matches!(first, Err(StreamError::Closed)), "{first:?}");
}

#[anyio::test]
async fn ipv6_when_the_host_has_it() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        // No IPv6 loopback here: anyio must report that too, not invent a socket.
        assert!(create_udp_socket(Some("::1"), 0).await.is_err());
        return;
    }
    let a = create_udp_socket(Some("::1"), 0).await.unwrap();
    let b = create_udp_socket(Some("::1"), 0).await.unwrap();
    assert!(address_of(&a).is_ipv6());
    a.send_to(b"over v6", address_of(&b)).await.unwrap();
    let (payload, from) = b.receive_from().await.unwrap();
    assert_eq!((&payload[..], from), (&b"over v6"[..], address_of(&a)));
    let connected = create_connected_udp_socket("::1", address_of(&b).port(), None, 0)
        .await
        .unwrap();
    assert!(address_of(&connected).is_ipv6());
    connected.send(b"connected v6").await.unwrap();
    assert_eq!(&b.receive_from().await.unwrap().0[..], b"connected v6");
}

#[anyio::test]
async fn send_to_host_resolves_addresses() {
    let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let port = address_of(&socket).port();
    socket
        .send_to_host(b"literal", "127.0.0.1", port)
        .await
        .unwrap();
    assert_eq!(&socket.receive_from().await.unwrap().0[..], b"literal");
    // "localhost" may resolve to ::1 first; the socket's own family is chosen.
    socket
        .send_to_host(b"named", "localhost", port)
        .await
        .unwrap();
    assert_eq!(&socket.receive_from().await.unwrap().0[..], b"named");
}

async fn echo_once<S>(stream: &S) -> Result<(), StreamError>
where
    S: ObjectReceiveStream<(Bytes, SocketAddr), Error = StreamError>
        + ObjectSendStream<(Bytes, SocketAddr), Error = StreamError>,
{
    let datagram = stream.receive().await?;
    stream.send(datagram).await
}

async fn request<S>(stream: &S, payload: &'static [u8]) -> Result<Bytes, StreamError>
where
    S: ObjectReceiveStream<Bytes, Error = StreamError>
        + ObjectSendStream<Bytes, Error = StreamError>,
{
    stream.send(Bytes::from_static(payload)).await?;
    stream.receive().await
}

#[anyio::test]
async fn sockets_are_object_streams() {
    let server: UdpSocket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let client: ConnectedUdpSocket =
        create_connected_udp_socket("127.0.0.1", address_of(&server).port(), None, 0)
            .await
            .unwrap();
    let (echoed, reply) = futures_util::join!(echo_once(&server), request(&client, b"object"));
    echoed.unwrap();
    assert_eq!(&reply.unwrap()[..], b"object");
}

#[anyio::test]
async fn wrapping_an_unconnected_socket_as_connected_is_refused() {
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let error = ConnectedUdpSocket::from_std(std_socket).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotConnected);
    assert!(error.to_string().contains("connect it first"), "{error}");
}

/// Compiled, never run: every future of the UDP API can move between threads.
#[allow(dead_code)]
fn futures_are_send(socket: &UdpSocket, connected: &ConnectedUdpSocket, address: SocketAddr) {
    fn is_send<T: Send>(_: T) {}
    is_send(create_udp_socket(None, 0));
    is_send(create_connected_udp_socket("localhost", 1, None, 0));
    is_send(socket.receive_from());
    is_send(socket.send_to(b"", address));
    is_send(socket.send_to_host(b"", "localhost", 1));
    is_send(ObjectSendStream::send(socket, (Bytes::new(), address)));
    is_send(connected.receive());
    is_send(connected.send(b""));
    is_send(ObjectSendStream::send(connected, Bytes::new()));
}

/// AnyIO's `free_udp_port` fixture: a socket bound to the port receives what is sent to it.
#[anyio::test]
async fn a_free_udp_port_receives_datagrams() {
    let port = anyio::testing::free_udp_port().unwrap();
    let server = create_udp_socket(Some("127.0.0.1"), port).await.unwrap();
    let client = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let to: SocketAddr = ([127, 0, 0, 1], port).into();
    client.send_to(b"ping", to).await.unwrap();
    let (datagram, _from) = server.receive_from().await.unwrap();
    assert_eq!(&datagram[..], b"ping");
    assert_ne!(anyio::testing::free_udp_port().unwrap(), port);
}
