//! TCP listeners: several addresses on one port, accept semantics, and serving many clients,
//! on every backend.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use anyio::net::{
    connect_tcp, create_tcp_listener, SocketAddress, SocketAttributes, TcpConnect, TcpListener,
};
use anyio::streams::StreamError;

fn inet(address: &SocketAddress) -> SocketAddr {
    match address {
        SocketAddress::Inet(address) => *address,
        other => panic!("not an internet address: {other:?}"),
    }
}

/// Both loopbacks: several addresses (the case of no host, or a host with several addresses)
/// without opening anything beyond loopback.
fn loopbacks() -> [SocketAddr; 2] {
    ["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()]
}

#[anyio::test]
async fn several_addresses_share_one_port() {
    let listener = TcpListener::bind(&loopbacks()).unwrap();
    let port = listener.local_port().unwrap();
    assert_ne!(port, 0);
    let addresses: Vec<_> = listener
        .local_addresses()
        .unwrap()
        .iter()
        .map(inet)
        .collect();
    assert!(
        !addresses.is_empty() && addresses.len() <= 2,
        "{addresses:?}"
    );
    assert!(addresses
        .iter()
        .all(|a| a.port() == port && a.ip().is_loopback()));
    assert!(addresses.iter().any(SocketAddr::is_ipv4), "{addresses:?}");
    // Each socket accepts on its own address.
    for address in &addresses {
        let client = connect_tcp(&address.ip().to_string(), port).await.unwrap();
        let accepted = listener.accept().await.unwrap();
        assert_eq!(accepted.remote_port(), client.local_port());
    }
}

#[anyio::test]
async fn accepts_alternate_between_sockets() {
    let listener = TcpListener::bind(&loopbacks()).unwrap();
    let port = listener.local_port().unwrap();
    let addresses = listener.local_addresses().unwrap();
    if addresses.len() < 2 {
        // IPv4 only here: nothing to alternate between.
        assert!(addresses[0].ip().is_some_and(|ip| ip.is_ipv4()));
        return;
    }
    // Both sockets have connections waiting; neither may starve the other.
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(connect_tcp("::1", port).await.unwrap());
        clients.push(connect_tcp("127.0.0.1", port).await.unwrap());
    }
    anyio::sleep(common::ms(20)).await;
    let mut families = Vec::new();
    for _ in 0..4 {
        let accepted = listener.accept().await.unwrap();
        families.push(inet(&accepted.local_address().unwrap()).is_ipv6());
    }
    assert!(
        families.contains(&true) && families.contains(&false),
        "{families:?}"
    );
}

#[anyio::test]
async fn an_empty_address_list_is_refused() {
    let error = TcpListener::bind(&[]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("at least one"), "{error}");
}

#[anyio::test]
async fn a_second_accept_is_busy_and_close_wakes_the_first() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let listener = &listener;
    let (first, second) = futures_util::join!(listener.accept(), async {
        anyio::sleep(common::ms(20)).await;
        let busy = listener.accept().await;
        listener.close().await;
        busy
    });
    assert!(matches!(second, Err(StreamError::Busy)), "{second:?}");
    assert!(matches!(first, Err(StreamError::Closed)), "{first:?}");
    assert!(listener.is_closed());
    assert!(matches!(listener.accept().await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn a_cancelled_accept_frees_the_listener() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let cancelled = anyio::move_on_after(common::ms(20), listener.accept()).await;
    assert!(cancelled.is_none());
    let client = connect_tcp("127.0.0.1", listener.local_port().unwrap())
        .await
        .unwrap();
    let accepted = listener.accept().await.unwrap();
    assert_eq!(accepted.remote_port(), client.local_port());
}

#[anyio::test]
async fn a_silent_client_does_not_hold_up_the_others() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    let server = listener.serve(|conn| async move {
        while let Ok(data) = conn.receive(1024).await {
            if conn.send(&data).await.is_err() {
                break;
            }
        }
    });
    let clients = async {
        let silent = connect_tcp("127.0.0.1", port).await.unwrap();
        for round in 0..5u8 {
            let client = connect_tcp("127.0.0.1", port).await.unwrap();
            client.send(&[round; 3]).await.unwrap();
            let mut reply = Vec::new();
            while reply.len() < 3 {
                reply.extend_from_slice(&client.receive(3).await.unwrap());
            }
            assert_eq!(reply, [round; 3]);
        }
        drop(silent);
        listener.close().await;
    };
    let (served, ()) = anyio::fail_after(Duration::from_secs(10), async {
        futures_util::join!(server, clients)
    })
    .await
    .expect("the silent client held up the listener");
    assert!(matches!(served, Err(StreamError::Closed)), "{served:?}");
}

#[anyio::test]
async fn a_thousand_concurrent_clients_are_all_echoed() {
    const CLIENTS: u32 = 1000;
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    let server = listener.serve(|conn| async move {
        while let Ok(data) = conn.receive(64).await {
            if conn.send(&data).await.is_err() {
                break;
            }
        }
    });
    let clients = async {
        let echoed = anyio::task_group(|tg| async move {
            for id in 0..CLIENTS {
                tg.spawn(async move {
                    let client = TcpConnect::new("127.0.0.1", port).await?;
                    let message = id.to_be_bytes();
                    client.send(&message).await?;
                    let mut reply = Vec::new();
                    while reply.len() < message.len() {
                        reply.extend_from_slice(&client.receive(message.len()).await?);
                    }
                    assert_eq!(reply, message);
                    Ok::<_, anyio::BoxError>(())
                })?;
            }
            Ok::<_, anyio::BoxError>(CLIENTS)
        })
        .await;
        listener.close().await;
        echoed
    };
    let (served, echoed) = anyio::fail_after(Duration::from_secs(60), async {
        futures_util::join!(server, clients)
    })
    .await
    .expect("a thousand clients took over a minute");
    assert_eq!(echoed.unwrap(), CLIENTS);
    assert!(matches!(served, Err(StreamError::Closed)), "{served:?}");
}

#[anyio::test]
async fn a_taken_port_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let error = create_tcp_listener(Some("127.0.0.1"), port)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[anyio::test]
async fn a_listener_from_std_serves() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listener = anyio::net::TcpListener::from_std(std_listener).unwrap();
    assert_eq!(listener.local_addresses().unwrap().len(), 1);
    let client = connect_tcp("127.0.0.1", listener.local_port().unwrap())
        .await
        .unwrap();
    let accepted = listener.accept().await.unwrap();
    assert_eq!(accepted.remote_port(), client.local_port());
}

/// AnyIO's `free_tcp_port` fixture: the port serves on both loopback addresses, and the next
/// one differs.
#[anyio::test]
async fn a_free_tcp_port_serves_on_both_loopbacks() {
    let port = anyio::testing::free_tcp_port().unwrap();
    let v4 = create_tcp_listener(Some("127.0.0.1"), port).await.unwrap();
    assert_eq!(inet(&v4.local_address().unwrap()).port(), port);
    let client = connect_tcp("127.0.0.1", port).await.unwrap();
    client.send(b"hi").await.unwrap();
    let served = v4.accept().await.unwrap();
    assert_eq!(&served.receive(2).await.unwrap()[..], b"hi");
    // The host may have no IPv6 loopback; where it has one, the port is free there too.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let v6 = create_tcp_listener(Some("::1"), port).await.unwrap();
        assert_eq!(inet(&v6.local_address().unwrap()).port(), port);
    }
    assert_ne!(anyio::testing::free_tcp_port().unwrap(), port);
}
