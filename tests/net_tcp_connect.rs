//! Opening TCP connections: name resolution, happy eyeballs, and the errors, on every backend.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyio::net::{
    connect_tcp, create_tcp_listener, resolve, ConnectError, ResolveError, SocketAttributes,
    TcpConnect,
};

/// A loopback port nothing listens on: bound once, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

fn ipv6_loopback_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[anyio::test]
async fn a_closed_port_names_the_address_and_is_refused() {
    let port = closed_port();
    let error = connect_tcp("127.0.0.1", port).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("could not connect to 127.0.0.1:{port}: ")),
        "{message}"
    );
    assert!(error.is_refused(), "{error:?}");
    assert_eq!(error.attempts().len(), 1);
    assert_eq!(error.attempts()[0].address, loopback(port));
    let io = std::io::Error::from(error);
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[anyio::test]
async fn every_failed_address_is_listed() {
    let (first, second) = (loopback(closed_port()), loopback(closed_port()));
    let error = TcpConnect::addresses([first, second]).await.unwrap_err();
    let tried: Vec<_> = error.attempts().iter().map(|a| a.address).collect();
    assert_eq!(tried.len(), 2);
    assert!(
        tried.contains(&first) && tried.contains(&second),
        "{tried:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&first.to_string()) && message.contains(&second.to_string()),
        "{message}"
    );
}

#[anyio::test]
async fn a_refused_address_falls_back_to_the_next_at_once() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let live = loopback(listener.local_port().unwrap());
    let refused = loopback(closed_port());
    // With an hour's delay, only the first attempt's failure can start the second in time.
    let stream = anyio::fail_after(
        Duration::from_secs(10),
        TcpConnect::addresses([refused, live])
            .happy_eyeballs_delay(Duration::from_secs(3600))
            .connect(),
    )
    .await
    .expect("the fallback waited for the delay")
    .unwrap();
    assert_eq!(stream.remote_port(), Some(live.port()));
    let accepted = listener.accept().await.unwrap();
    assert_eq!(accepted.remote_port(), stream.local_port());
}

#[anyio::test]
async fn the_first_live_address_wins_and_leaves_no_other_connection() {
    let first = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let second = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let stream = TcpConnect::addresses([
        loopback(first.local_port().unwrap()),
        loopback(second.local_port().unwrap()),
    ])
    .happy_eyeballs_delay(Duration::from_secs(3600))
    .await
    .unwrap();
    assert_eq!(stream.remote_port(), first.local_port());
    // The second address was never tried: nothing waits on its listener.
    let nothing = anyio::move_on_after(common::ms(50), second.accept()).await;
    assert!(nothing.is_none(), "{nothing:?}");
}

#[anyio::test]
async fn port_zero_is_rejected_before_connecting() {
    let error = connect_tcp("127.0.0.1", 0).await.unwrap_err();
    assert!(matches!(error, ConnectError::InvalidPort), "{error:?}");
    assert!(error
        .to_string()
        .contains("port 0 is not a valid destination"));
    let error = TcpConnect::addresses([loopback(0)]).await.unwrap_err();
    assert!(matches!(error, ConnectError::InvalidPort), "{error:?}");
}

#[anyio::test]
async fn an_unparsable_host_is_a_typed_error() {
    for host in ["", "not a host", "127.0.0.1:80", "[localhost]"] {
        let error = connect_tcp(host, 80).await.unwrap_err();
        assert!(
            matches!(
                &error,
                ConnectError::Resolve(ResolveError::InvalidHost { host: h, .. }) if h == host
            ),
            "{host:?}: {error:?}"
        );
        assert!(error.attempts().is_empty());
        assert!(error.to_string().starts_with("invalid host"), "{error}");
    }
    let error = create_tcp_listener(Some("not a host"), 0)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("not a host"), "{error}");
}

#[anyio::test]
async fn literal_addresses_skip_the_resolver() {
    let v4 = resolve("127.0.0.1", 7).await.unwrap();
    assert_eq!(v4, [loopback(7)]);
    let v6 = resolve("[::1]", 7).await.unwrap();
    assert_eq!(
        v6,
        [SocketAddr::from((
            IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            7
        ))]
    );
    assert_eq!(resolve("::1", 7).await.unwrap(), v6);
}

#[anyio::test]
async fn names_resolve_off_the_event_loop() {
    let addresses = resolve("localhost", 8080).await.unwrap();
    assert!(!addresses.is_empty());
    assert!(
        addresses
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 8080),
        "{addresses:?}"
    );
    let error = resolve("no-such-host.invalid", 80).await.unwrap_err();
    assert!(matches!(error, ResolveError::Lookup { .. }), "{error:?}");
    assert!(
        error.to_string().contains("no-such-host.invalid"),
        "{error}"
    );
}

#[anyio::test]
async fn a_name_connects_to_a_listener_on_all_its_addresses() {
    let listener = create_tcp_listener(Some("localhost"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    let stream = connect_tcp("localhost", port).await.unwrap();
    let accepted = listener.accept().await.unwrap();
    assert_eq!(accepted.remote_port(), stream.local_port());
}

#[anyio::test]
async fn ipv6_literals_connect_bracketed_or_not() {
    if !ipv6_loopback_available() {
        // Nothing to connect to without IPv6 loopback; the resolver test covers parsing.
        return;
    }
    let listener = create_tcp_listener(Some("::1"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    for host in ["::1", "[::1]"] {
        let stream = connect_tcp(host, port).await.unwrap();
        assert!(matches!(
            stream.remote_address(),
            Ok(anyio::net::SocketAddress::Inet(SocketAddr::V6(_)))
        ));
        listener.accept().await.unwrap();
    }
}

#[anyio::test]
async fn a_local_address_binds_the_connecting_socket() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let local = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let local_port = local.local_addr().unwrap().port();
    drop(local);
    let stream = TcpConnect::new("127.0.0.1", listener.local_port().unwrap())
        .local_address(loopback(local_port))
        .await
        .unwrap();
    assert_eq!(stream.local_port(), Some(local_port));
}

#[anyio::test]
async fn an_empty_address_list_says_so() {
    let error = TcpConnect::addresses([]).await.unwrap_err();
    assert!(error.attempts().is_empty());
    assert_eq!(
        error.to_string(),
        "could not connect to an empty address list: no address to try"
    );
}
