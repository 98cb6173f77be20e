//! A TLS echo server and a client in one program.
//!
//! ```text
//! cargo run --example tls_echo --features tls                      # server + client, then exit
//! cargo run --example tls_echo --features tls,smol -- --backend smol
//! cargo run --example tls_echo --features tls -- --serve --port 8443
//! openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile <printed path>
//! ```
//!
//! Without `--cert`/`--key` (PEM files) it makes a self-signed certificate for `localhost`
//! at startup and writes it to a temporary file for clients to trust. Without `--backend`,
//! `ANYIO_BACKEND` (or the default backend) chooses.

// This example appends the usage to each argument error itself and announces its server in
// its own words, so `cli::parsed` and `cli::listen` go unused.
#[allow(dead_code)]
#[path = "support/cli.rs"]
mod cli;

use std::path::PathBuf;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes, TcpStream};
use anyio::streams::tls::rustls::pki_types::pem::PemObject;
use anyio::streams::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use anyio::streams::tls::rustls::RootCertStore;
use anyio::streams::tls::{client_config, server_config, TlsListener, TlsStream};
use anyio::streams::StreamError;
use anyio::{Backend, BoxError};
use futures_util::future::Either;

const USAGE: &str = "usage: tls_echo [--backend tokio|async-std|smol] [--port N] [--serve] \
                     [--cert CERT.pem --key KEY.pem]";

#[derive(Debug, Default)]
struct Args {
    backend: Option<Backend>,
    port: u16,
    serve: bool,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let with_usage = |message: String| format!("{message}\n{USAGE}");
        match word.as_str() {
            "--backend" => args.backend = Some(cli::backend(&mut words).map_err(with_usage)?),
            "--port" => args.port = cli::port(&mut words).map_err(with_usage)?,
            "--serve" => args.serve = true,
            "--cert" => {
                args.cert = Some(cli::value(&mut words, "--cert").map_err(with_usage)?.into())
            }
            "--key" => args.key = Some(cli::value(&mut words, "--key").map_err(with_usage)?.into()),
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.cert.is_some() != args.key.is_some() {
        return Err(format!("--cert and --key go together\n{USAGE}"));
    }
    Ok(args)
}

/// The server's certificate chain and key, and a PEM file clients can trust.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    trust_file: PathBuf,
}

fn identity(args: &Args) -> Result<Identity, BoxError> {
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_file(key)?;
        return Ok(Identity {
            chain,
            key,
            trust_file: cert.clone(),
        });
    }
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let trust_file =
        std::env::temp_dir().join(format!("anyio-tls-echo-{}.pem", std::process::id()));
    std::fs::write(&trust_file, generated.cert.pem())?;
    Ok(Identity {
        chain: vec![generated.cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(generated.key_pair.serialize_der().into()),
        trust_file,
    })
}

/// Sends back whatever arrives until the client finishes, then says goodbye.
async fn echo(tls: TlsStream<TcpStream>) {
    let peer = tls
        .remote_address()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!(
        "server: {peer} connected, asked for {:?}",
        tls.server_name()
    );
    loop {
        match tls.receive(4096).await {
            Ok(data) => {
                if let Err(error) = tls.send(&data).await {
                    println!("server: {peer}: {error}");
                    break;
                }
            }
            Err(StreamError::EndOfStream) => break,
            Err(error) => {
                println!("server: {peer}: {error}");
                break;
            }
        }
    }
    tls.close().await;
    println!("server: {peer} done");
}

async fn client(port: u16, roots: RootCertStore) -> Result<(), BoxError> {
    let tcp = connect_tcp("127.0.0.1", port).await?;
    let tls = TlsStream::connect(tcp, "localhost", Arc::new(client_config(roots))).await?;
    println!("client: connected with {:?}", tls.protocol_version());
    for line in ["hello", "over TLS", "on any backend"] {
        let line = format!("{line}\n");
        tls.send(line.as_bytes()).await?;
        let mut echoed = Vec::new();
        while echoed.len() < line.len() {
            echoed.extend_from_slice(&tls.receive(line.len() - echoed.len()).await?);
        }
        print!("client: echoed {}", String::from_utf8_lossy(&echoed));
    }
    tls.send_eof().await?;
    match tls.receive(1).await {
        Err(StreamError::EndOfStream) => println!("client: the server closed cleanly"),
        other => println!("client: unexpected end: {other:?}"),
    }
    Ok(())
}

async fn run(args: Args) -> Result<(), BoxError> {
    let identity = identity(&args)?;
    let mut roots = RootCertStore::empty();
    let leaf = identity
        .chain
        .first()
        .ok_or("the --cert file holds no certificate")?;
    roots.add(leaf.clone())?;
    let config = Arc::new(server_config(identity.chain, identity.key)?);
    let tcp = create_tcp_listener(Some("127.0.0.1"), args.port).await?;
    let port = tcp.local_port().ok_or("the listener has no port")?;
    let listener = TlsListener::new(tcp, config);

    if args.serve {
        println!(
            "serving TLS echo on 127.0.0.1:{port}; try\n  openssl s_client -connect \
             127.0.0.1:{port} -servername localhost -CAfile {}",
            identity.trust_file.display()
        );
        listener.serve(echo).await?;
        return Ok(());
    }
    let finished = anyio::fail_after(Duration::from_secs(10), async {
        match futures_util::future::select(pin!(listener.serve(echo)), pin!(client(port, roots)))
            .await
        {
            Either::Left((served, _)) => served.map_err(BoxError::from),
            Either::Right((done, _)) => done,
        }
    })
    .await;
    if args.cert.is_none() {
        let _ = std::fs::remove_file(&identity.trust_file);
    }
    finished?
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    cli::run("error", args.backend, run(args))
}
