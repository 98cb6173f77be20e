//! What receiving costs in memory, on every backend: a pending receive holds no buffer, what a
//! receive returns holds about what arrived, and a UDP socket holds no buffer of its own.
//!
//! The allocator below counts, per thread, the bytes allocated and not yet freed. A test body
//! runs on its test's own thread and polls its receives there, so each test reads a count
//! that other tests running at the same time do not touch.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use anyio::net::{create_udp_socket, SocketAttributes as _, TcpStream};

struct CountingAllocator;

thread_local! {
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // During thread teardown the count may be gone already; nothing reads it then.
    let _ = LIVE_BYTES.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call goes to the system allocator unchanged; only the bookkeeping is added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            track(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            track(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Bytes this thread allocated and has not freed.
fn live_bytes() -> isize {
    LIVE_BYTES.with(Cell::get)
}

/// Connections, and sockets, per test.
const CONNECTIONS: usize = 64;
/// What each receive asks for, as a server reading requests would.
const MAX_BYTES: usize = 65_536;
/// The most a pending receive, or a short message held, may cost: far below one `MAX_BYTES`
/// buffer, well above the bookkeeping of a future or a `Bytes`.
const PER_CONNECTION: isize = 4096;
const MESSAGE: &[u8] = b"ten bytes!";

/// `n` connected pairs (client, server side) on loopback, after one warm-up round trip so
/// that whatever a first receive sets up once per thread is not counted.
async fn connections(n: usize) -> Vec<(TcpStream, TcpStream)> {
    let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    let port = listener.local_port().unwrap();
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let client = anyio::net::connect_tcp("127.0.0.1", port).await.unwrap();
        let server = listener.accept().await.unwrap();
        pairs.push((client, server));
    }
    let (client, server) = &pairs[0];
    client.send(MESSAGE).await.unwrap();
    assert_eq!(&server.receive(MAX_BYTES).await.unwrap()[..], MESSAGE);
    pairs
}

#[anyio::test]
async fn a_pending_receive_holds_no_buffer_and_a_short_read_no_spare_room() {
    let pairs = connections(CONNECTIONS).await;
    let budget = CONNECTIONS as isize * PER_CONNECTION;
    let before = live_bytes();
    let mut receives: Vec<_> = pairs
        .iter()
        .map(|(_, server)| server.receive(MAX_BYTES))
        .collect();
    for receive in &mut receives {
        assert!(futures_util::poll!(receive).is_pending());
    }
    let pending = live_bytes() - before;
    assert!(
        pending < budget,
        "{CONNECTIONS} pending receives of {MAX_BYTES} bytes hold {pending} bytes"
    );

    for (client, _) in &pairs {
        client.send(MESSAGE).await.unwrap();
    }
    let mut received = Vec::with_capacity(CONNECTIONS);
    for receive in receives {
        received.push(receive.await.unwrap());
    }
    assert!(received.iter().all(|bytes| bytes[..] == *MESSAGE));
    let held = live_bytes() - before;
    assert!(
        held < budget,
        "{CONNECTIONS} received messages of {} bytes hold {held} bytes",
        MESSAGE.len()
    );
}

#[anyio::test]
async fn a_full_read_is_handed_over_whole() {
    let (client, server) = common::tcp_pair().await;
    let data: Vec<u8> = (0..=255).cycle().take(4 * MAX_BYTES).collect();
    let sender = async {
        client.send(&data).await.unwrap();
        client.send_eof().await.unwrap();
    };
    let receiver = async {
        let mut received = Vec::with_capacity(data.len());
        loop {
            match server.receive(MAX_BYTES).await {
                Ok(chunk) => {
                    assert!(!chunk.is_empty() && chunk.len() <= MAX_BYTES);
                    received.extend_from_slice(&chunk);
                }
                Err(anyio::streams::StreamError::EndOfStream) => break received,
                Err(other) => panic!("{other:?}"),
            }
        }
    };
    let ((), received) = futures_util::join!(sender, receiver);
    assert_eq!(received, data);
}

#[anyio::test]
async fn a_udp_socket_holds_no_receive_buffer() {
    let peer = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let budget = CONNECTIONS as isize * PER_CONNECTION;
    let before = live_bytes();
    let mut sockets = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        sockets.push(create_udp_socket(Some("127.0.0.1"), 0).await.unwrap());
    }
    let idle = live_bytes() - before;
    assert!(idle < budget, "{CONNECTIONS} UDP sockets hold {idle} bytes");

    for socket in &sockets {
        let address = socket.local_address().unwrap().as_inet().unwrap();
        peer.send_to(MESSAGE, address).await.unwrap();
    }
    let mut received = Vec::with_capacity(CONNECTIONS);
    for socket in &sockets {
        let (payload, _) = socket.receive_from().await.unwrap();
        assert_eq!(&payload[..], MESSAGE);
        received.push(payload);
    }
    let held = live_bytes() - before;
    // One receive buffer per thread that receives is allowed for; one per socket is not.
    assert!(
        held < budget + MAX_BYTES as isize,
        "{CONNECTIONS} UDP sockets holding a datagram each hold {held} bytes"
    );
}

#[anyio::test]
async fn a_receive_larger_than_the_scratch_buffer_holds_no_spare_room() {
    const LARGE: usize = 1 << 20;
    let pairs = connections(8).await;
    let before = live_bytes();
    let mut received = Vec::with_capacity(pairs.len());
    for (client, server) in &pairs {
        client.send(MESSAGE).await.unwrap();
        received.push(server.receive(LARGE).await.unwrap());
    }
    assert!(received.iter().all(|bytes| bytes[..] == *MESSAGE));
    let held = live_bytes() - before;
    assert!(
        held < pairs.len() as isize * PER_CONNECTION,
        "{} messages received with receive({LARGE}) hold {held} bytes",
        pairs.len()
    );
}
