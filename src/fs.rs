//! Files and directories on the backend in use, each operation on its pool for blocking work.
//! See [`anyio_core::fs`] for the semantics.
//!
//! # Examples
//!
//! ```
//! use anyio::fs::{self, File};
//!
//! # anyio::run(async {
//! let path = std::env::temp_dir().join(format!("anyio-doc-facade-fs-{}", std::process::id()));
//! let mut file = File::create(&path).await.unwrap();
//! file.write_all(b"hello").await.unwrap();
//! assert_eq!(fs::read_to_string(&path).await.unwrap(), "hello");
//! fs::remove_file(&path).await.unwrap();
//! # }).unwrap();
//! ```

use std::fs::Metadata;
use std::io;
use std::path::Path;

use anyio_core::fs as core;
pub use anyio_core::fs::DirEntry;

use crate::AnyRuntime;

/// An open file on the backend in use; see [`anyio_core::fs::File`].
pub type File = core::File<AnyRuntime>;

/// How to open a [`File`]; see [`anyio_core::fs::OpenOptions`].
pub type OpenOptions = core::OpenOptions<AnyRuntime>;

/// A directory listing as a stream; see [`anyio_core::fs::ReadDir`].
pub type ReadDir = core::ReadDir<AnyRuntime>;

macro_rules! path_fn {
    ($(#[$doc:meta])* $name:ident -> $out:ty) => {
        $(#[$doc])*
        ///
        /// # Errors
        ///
        /// The operating system's error, naming the path.
        ///
        /// # Cancel safety
        ///
        /// As the core function's.
        pub async fn $name(path: impl AsRef<Path>) -> io::Result<$out> {
            core::$name::<AnyRuntime>(path).await
        }
    };
}

path_fn!(
    /// Reads the whole file; see [`anyio_core::fs::read`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::fs::read("/no/such/file").await.unwrap_err();
    /// assert!(error.to_string().contains("could not read /no/such/file"));
    /// # }).unwrap();
    /// ```
    read -> Vec<u8>
);

path_fn!(
    /// Reads the whole file as UTF-8; see [`anyio_core::fs::read_to_string`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-f-rts-{}", std::process::id()));
    /// anyio::fs::write(&path, "text").await.unwrap();
    /// assert_eq!(anyio::fs::read_to_string(&path).await.unwrap(), "text");
    /// # anyio::fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    read_to_string -> String
);

path_fn!(
    /// The metadata of a path; see [`anyio_core::fs::metadata`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// assert!(anyio::fs::metadata(std::env::temp_dir()).await.unwrap().is_dir());
    /// # }).unwrap();
    /// ```
    metadata -> Metadata
);

path_fn!(
    /// Creates a directory; see [`anyio_core::fs::create_dir`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let dir = std::env::temp_dir().join(format!("anyio-doc-f-mkdir-{}", std::process::id()));
    /// anyio::fs::create_dir(&dir).await.unwrap();
    /// anyio::fs::remove_dir(&dir).await.unwrap();
    /// # }).unwrap();
    /// ```
    create_dir -> ()
);

path_fn!(
    /// Creates a directory and its missing parents; see [`anyio_core::fs::create_dir_all`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let dir = std::env::temp_dir().join(format!("anyio-doc-f-mkdirs-{}", std::process::id()));
    /// anyio::fs::create_dir_all(dir.join("x/y")).await.unwrap();
    /// anyio::fs::remove_dir_all(&dir).await.unwrap();
    /// # }).unwrap();
    /// ```
    create_dir_all -> ()
);

path_fn!(
    /// Removes a file; see [`anyio_core::fs::remove_file`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-f-rm-{}", std::process::id()));
    /// anyio::fs::write(&path, "").await.unwrap();
    /// anyio::fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    remove_file -> ()
);

path_fn!(
    /// Removes an empty directory; see [`anyio_core::fs::remove_dir`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let dir = std::env::temp_dir().join(format!("anyio-doc-f-rmdir-{}", std::process::id()));
    /// anyio::fs::create_dir(&dir).await.unwrap();
    /// anyio::fs::remove_dir(&dir).await.unwrap();
    /// # }).unwrap();
    /// ```
    remove_dir -> ()
);

path_fn!(
    /// Removes a directory and everything in it; see [`anyio_core::fs::remove_dir_all`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let dir = std::env::temp_dir().join(format!("anyio-doc-f-rmtree-{}", std::process::id()));
    /// anyio::fs::create_dir_all(dir.join("inner")).await.unwrap();
    /// anyio::fs::remove_dir_all(&dir).await.unwrap();
    /// # }).unwrap();
    /// ```
    remove_dir_all -> ()
);

path_fn!(
    /// Opens a directory for listing; see [`anyio_core::fs::read_dir`].
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::StreamExt;
    ///
    /// # anyio::run(async {
    /// let dir = std::env::temp_dir().join(format!("anyio-doc-f-ls-{}", std::process::id()));
    /// anyio::fs::create_dir_all(&dir).await.unwrap();
    /// anyio::fs::write(dir.join("only"), "").await.unwrap();
    /// let entries: Vec<_> = anyio::fs::read_dir(&dir).await.unwrap().collect().await;
    /// assert_eq!(entries.len(), 1);
    /// # anyio::fs::remove_dir_all(&dir).await.unwrap();
    /// # }).unwrap();
    /// ```
    read_dir -> ReadDir
);

/// Writes `contents` as the whole file; see [`anyio_core::fs::write`].
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-f-write-{}", std::process::id()));
/// anyio::fs::write(&path, b"bytes").await.unwrap();
/// assert_eq!(anyio::fs::read(&path).await.unwrap(), b"bytes");
/// # anyio::fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error, naming the path.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled write still finishes.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    core::write::<AnyRuntime>(path, contents).await
}

/// Renames `from` to `to`; see [`anyio_core::fs::rename`].
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let error = anyio::fs::rename("/no/such/a", "/no/such/b").await.unwrap_err();
/// assert!(error.to_string().contains("could not rename /no/such/a to /no/such/b"));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error, naming both paths.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled rename may still happen.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    core::rename::<AnyRuntime>(from, to).await
}

/// Copies the file `from` to `to`; see [`anyio_core::fs::copy`].
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let error = anyio::fs::copy("/no/such/a", "/no/such/b").await.unwrap_err();
/// assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error, naming both paths.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled copy keeps copying.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    core::copy::<AnyRuntime>(from, to).await
}
