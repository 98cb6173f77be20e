//! Unix sockets on the backend in use.

use std::io;
use std::path::Path;

use anyio_core::net as core;

use crate::AnyRuntime;

/// A Unix stream connection on the backend in use; see [`anyio_core::net::UnixStream`].
pub type UnixStream = core::UnixStream<AnyRuntime>;

/// A Unix socket listener on the backend in use; see [`anyio_core::net::UnixListener`].
pub type UnixListener = core::UnixListener<AnyRuntime>;

/// Connects to the Unix socket at `path`; see [`anyio_core::net::connect_unix`].
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_unix, create_unix_listener};
///
/// # anyio::run(async {
/// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-facade-connect", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("app.sock");
/// let listener = create_unix_listener(&path).await.unwrap();
/// let client = connect_unix(&path).await.unwrap();
/// let server = listener.accept().await.unwrap();
/// client.send(b"hi").await.unwrap();
/// assert_eq!(&server.receive(2).await.unwrap()[..], b"hi");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error, with a message naming `path`.
///
/// # Cancel safety
///
/// Cancel safe: a connection that has not been returned is closed.
pub async fn connect_unix(path: impl AsRef<Path>) -> io::Result<UnixStream> {
    core::connect_unix::<AnyRuntime>(path).await
}

/// Creates a Unix socket listener at `path`, replacing a stale socket file; see
/// [`anyio_core::net::create_unix_listener`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_unix_listener;
///
/// # anyio::run(async {
/// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-facade-listen", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("app.sock");
/// let listener = create_unix_listener(&path).await.unwrap();
/// assert_eq!(listener.local_address().unwrap().as_path(), Some(path.as_path()));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`io::ErrorKind::AlreadyExists`] when `path` is a file other than a socket,
/// [`io::ErrorKind::AddrInUse`] when a process listens on it, and otherwise the operating
/// system's error; every message names `path`.
///
/// # Cancel safety
///
/// Cancel safe, as [`anyio_core::net::create_unix_listener`].
pub async fn create_unix_listener(path: impl AsRef<Path>) -> io::Result<UnixListener> {
    core::create_unix_listener::<AnyRuntime>(path).await
}
