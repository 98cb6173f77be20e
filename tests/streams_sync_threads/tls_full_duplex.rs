//! TLS under two-way traffic: 1 MiB each way at once, with random send chunks and receive
//! sizes, in one task and with one task per direction, on every backend. The seed is printed
//! and can be replayed with `ANYIO_TLS_SEED`.

use crate::common;

use std::sync::Arc;

use crate::tls_certs::Ca;
use anyio::net::TcpStream;
use anyio::streams::tls::TlsStream;

const TOTAL: usize = 1 << 20;
const MAX_CHUNK: usize = 16_384;

async fn connected() -> (TlsStream<TcpStream>, TlsStream<TcpStream>) {
    let ca = Ca::new("test ca");
    let (client_tcp, server_tcp) = common::tcp_pair().await;
    let (client, server) = futures_util::join!(
        TlsStream::connect(client_tcp, "localhost", ca.client()),
        TlsStream::accept(server_tcp, Arc::new(ca.server(&["localhost"]))),
    );
    (client.unwrap(), server.unwrap())
}

fn seed() -> u64 {
    let seed = std::env::var("ANYIO_TLS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("ANYIO_TLS_SEED={seed}");
    seed
}

fn payload(rng: &mut fastrand::Rng) -> Vec<u8> {
    (0..TOTAL).map(|_| rng.u8(..)).collect()
}

async fn send_all(stream: &TlsStream<TcpStream>, data: &[u8], mut rng: fastrand::Rng) {
    let mut rest = data;
    while !rest.is_empty() {
        let n = rng.usize(1..=MAX_CHUNK).min(rest.len());
        stream.send(&rest[..n]).await.unwrap();
        rest = &rest[n..];
    }
}

async fn receive_all(stream: &TlsStream<TcpStream>, mut rng: fastrand::Rng) -> Vec<u8> {
    let mut received = Vec::with_capacity(TOTAL);
    while received.len() < TOTAL {
        match stream.receive(rng.usize(1..=MAX_CHUNK)).await {
            Ok(chunk) => received.extend_from_slice(&chunk),
            Err(error) => panic!("receive failed after {} bytes: {error}", received.len()),
        }
    }
    received
}

/// Both directions of one side: its send and its receive, as one future.
async fn both_ways(stream: &TlsStream<TcpStream>, data: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    let (sender, receiver) = (rng.fork(), rng.fork());
    let ((), received) = futures_util::join!(
        send_all(stream, data, sender),
        receive_all(stream, receiver)
    );
    received
}

#[anyio::test]
async fn a_million_bytes_each_way_in_one_task_per_side() {
    let mut rng = fastrand::Rng::with_seed(seed());
    let (client, server) = connected().await;
    let (up, down) = (payload(&mut rng), payload(&mut rng));
    let (mut client_rng, mut server_rng) = (rng.fork(), rng.fork());
    let (at_server, at_client) = futures_util::join!(
        both_ways(&server, &down, &mut server_rng),
        both_ways(&client, &up, &mut client_rng),
    );
    assert!(at_server == up, "the client's bytes arrive intact");
    assert!(at_client == down, "the server's bytes arrive intact");
}

#[anyio::test]
async fn a_million_bytes_each_way_with_a_task_per_direction() {
    let mut rng = fastrand::Rng::with_seed(seed());
    let (client, server) = connected().await;
    let (client, server) = (Arc::new(client), Arc::new(server));
    let (up, down) = (Arc::new(payload(&mut rng)), Arc::new(payload(&mut rng)));
    let results = anyio::task_group(|tg| {
        let (client, server, up, down) = (client.clone(), server.clone(), up.clone(), down.clone());
        let mut rng = rng.fork();
        async move {
            for (stream, data) in [(client.clone(), up), (server.clone(), down)] {
                let sender = rng.fork();
                tg.spawn(async move {
                    send_all(&stream, &data, sender).await;
                    Ok::<_, anyio::BoxError>(Vec::<u8>::new())
                })?;
            }
            let at_server = tg.spawn({
                let (server, receiver) = (server.clone(), rng.fork());
                async move { Ok(receive_all(&server, receiver).await) }
            })?;
            let at_client = tg.spawn({
                let (client, receiver) = (client.clone(), rng.fork());
                async move { Ok(receive_all(&client, receiver).await) }
            })?;
            Ok::<_, anyio::BoxError>((at_server.await?, at_client.await?))
        }
    })
    .await;
    let (at_server, at_client) = results.unwrap();
    assert!(at_server == *up, "the client's bytes arrive intact");
    assert!(at_client == *down, "the server's bytes arrive intact");
}
