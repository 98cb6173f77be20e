//! The `futures::io` and tokio I/O traits over anyio's TCP streams, on every backend.

mod common;

/// A payload whose every position is distinguishable, so reordering or loss shows.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

mod futures_io {
    use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use futures_util::TryStreamExt;

    use super::common::tcp_pair;
    use super::payload;

    #[anyio::test]
    async fn buf_reader_reads_lines() {
        let (mut client, server) = tcp_pair().await;
        let (written, lines) = futures_util::join!(
            async {
                for i in 0..100 {
                    client.write_all(format!("line {i}\n").as_bytes()).await?;
                }
                client.write_all(b"last, unterminated").await?;
                AsyncWriteExt::close(&mut client).await
            },
            BufReader::new(server).lines().try_collect::<Vec<String>>()
        );
        written.unwrap();
        let lines = lines.unwrap();
        assert_eq!(lines.len(), 101);
        assert_eq!(lines[42], "line 42");
        assert_eq!(lines[100], "last, unterminated");
    }

    #[anyio::test]
    async fn io_copy_relays_a_mebibyte() {
        let data = payload(1024 * 1024);
        let (mut source, relay_in) = tcp_pair().await;
        let (mut relay_out, mut sink) = tcp_pair().await;
        let (written, copied, received) = futures_util::join!(
            async {
                source.write_all(&data).await?;
                AsyncWriteExt::close(&mut source).await
            },
            async {
                let copied = futures_util::io::copy(&relay_in, &mut relay_out).await?;
                AsyncWriteExt::close(&mut relay_out).await?;
                Ok::<_, std::io::Error>(copied)
            },
            async {
                let mut received = Vec::new();
                sink.read_to_end(&mut received).await.map(|_| received)
            }
        );
        written.unwrap();
        assert_eq!(copied.unwrap(), data.len() as u64);
        assert!(received.unwrap() == data, "the relayed bytes differ");
    }
}

#[cfg(feature = "tokio-io")]
mod tokio_io {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    use super::common::tcp_pair;
    use super::payload;

    #[anyio::test]
    async fn tokio_read_and_write_ext() {
        let data = payload(256 * 1024);
        let (mut client, mut server) = tcp_pair().await;
        let (written, received) = futures_util::join!(
            async {
                client.write_u32(data.len() as u32).await?;
                client.write_all(&data).await?;
                client.shutdown().await
            },
            async {
                let len = server.read_u32().await? as usize;
                let mut body = vec![0; len];
                server.read_exact(&mut body).await?;
                let mut rest = Vec::new();
                server.read_to_end(&mut rest).await?;
                Ok::<_, std::io::Error>((body, rest))
            }
        );
        written.unwrap();
        let (body, rest) = received.unwrap();
        assert!(body == data, "the received bytes differ");
        assert!(rest.is_empty());
    }

    #[anyio::test]
    async fn tokio_copy_and_buffered_lines() {
        let (mut client, server) = tcp_pair().await;
        let (written, lines) = futures_util::join!(
            async {
                let mut text: &[u8] = b"alpha\nbeta\ngamma\n";
                tokio::io::copy(&mut text, &mut client).await?;
                client.shutdown().await
            },
            async {
                let mut lines = BufReader::new(server).lines();
                let mut all = Vec::new();
                while let Some(line) = lines.next_line().await? {
                    all.push(line);
                }
                Ok::<_, std::io::Error>(all)
            }
        );
        written.unwrap();
        assert_eq!(lines.unwrap(), ["alpha", "beta", "gamma"]);
    }
}
