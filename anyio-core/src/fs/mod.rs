//! Files and directories: every operation runs the standard library's blocking call on the
//! runtime's pool for blocking work, so the event loop never waits on the disk.
//!
//! Errors are the standard library's [`io::Error`]s with their [`io::ErrorKind`] kept; where
//! the operating system's message does not say which file failed, the path is added to it
//! (`could not open /x/y: No such file or directory`).
//!
//! # Examples
//!
//! ```
//! use anyio::fs;
//!
//! # anyio::run(async {
//! let dir = std::env::temp_dir().join(format!("anyio-doc-fs-{}", std::process::id()));
//! fs::create_dir_all(&dir).await.unwrap();
//! fs::write(dir.join("hello.txt"), "hello").await.unwrap();
//! assert_eq!(fs::read_to_string(dir.join("hello.txt")).await.unwrap(), "hello");
//! fs::remove_dir_all(&dir).await.unwrap();
//! # }).unwrap();
//! ```

mod dir;
mod file;
mod ops;

use std::io;
use std::path::Path;

use crate::backend::Reactor;

pub use dir::{read_dir, DirEntry, ReadDir};
pub use file::{File, OpenOptions};
pub use ops::*;

/// Runs `f` on the runtime's pool for blocking work.
async fn blocking<R, T, F>(f: F) -> io::Result<T>
where
    R: Reactor,
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    let runtime = R::current().map_err(io::Error::other)?;
    runtime
        .spawn_blocking(f)
        .await
        .unwrap_or_else(|| Err(io::Error::other("the blocking file operation panicked")))
}

/// `error` with `what` and the path in front of its message, its kind kept.
fn naming_path(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{what} {}: {error}", path.display()))
}
