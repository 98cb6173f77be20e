//! Whole-file helpers and directory operations, each one blocking call on the pool.

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use super::{blocking, naming_path};
use crate::backend::Reactor;

/// Runs the blocking `op` on `path` on the pool, naming the path in its error.
async fn on_path<R, T>(
    what: &'static str,
    path: &Path,
    op: impl FnOnce(&Path) -> io::Result<T> + Send + 'static,
) -> io::Result<T>
where
    R: Reactor,
    T: Send + 'static,
{
    let path = path.to_path_buf();
    blocking::<R, _, _>(move || op(&path).map_err(|error| naming_path(error, what, &path))).await
}

/// Reads the whole file at `path`.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-read-{}", std::process::id()));
/// fs::write(&path, [1, 2, 3]).await.unwrap();
/// assert_eq!(fs::read(&path).await.unwrap(), [1, 2, 3]);
/// # fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error (for example [`io::ErrorKind::NotFound`]) naming the path,
/// or an error outside a runtime.
///
/// # Cancel safety
///
/// Cancel safe: a cancelled read finishes on the pool and its bytes are dropped.
pub async fn read<R: Reactor>(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_path::<R, _>("could not read", path.as_ref(), |p| std::fs::read(p)).await
}

/// Reads the whole file at `path` as UTF-8 text.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-text-{}", std::process::id()));
/// fs::write(&path, "text").await.unwrap();
/// assert_eq!(fs::read_to_string(&path).await.unwrap(), "text");
/// # fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// As [`read`], and [`io::ErrorKind::InvalidData`] when the file is not UTF-8.
///
/// # Cancel safety
///
/// Cancel safe, as [`read`].
pub async fn read_to_string<R: Reactor>(path: impl AsRef<Path>) -> io::Result<String> {
    on_path::<R, _>("could not read", path.as_ref(), |p| {
        std::fs::read_to_string(p)
    })
    .await
}

/// Writes `contents` as the whole file at `path`, creating it or replacing what it held.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-write-{}", std::process::id()));
/// fs::write(&path, "first").await.unwrap();
/// fs::write(&path, "second").await.unwrap();
/// assert_eq!(fs::read_to_string(&path).await.unwrap(), "second");
/// # fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path (for example a missing parent directory).
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled write still finishes on the pool.
pub async fn write<R: Reactor>(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> io::Result<()> {
    let contents = contents.as_ref().to_vec();
    on_path::<R, _>("could not write", path.as_ref(), move |p| {
        std::fs::write(p, contents)
    })
    .await
}

/// The metadata of the file or directory at `path`, following symbolic links.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-meta-{}", std::process::id()));
/// fs::write(&path, "12345").await.unwrap();
/// assert_eq!(fs::metadata(&path).await.unwrap().len(), 5);
/// # fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path.
///
/// # Cancel safety
///
/// Cancel safe.
pub async fn metadata<R: Reactor>(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path::<R, _>("could not read the metadata of", path.as_ref(), |p| {
        std::fs::metadata(p)
    })
    .await
}

/// Creates the directory `path`; its parent must exist.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let dir = std::env::temp_dir().join(format!("anyio-doc-mkdir-{}", std::process::id()));
/// fs::create_dir(&dir).await.unwrap();
/// assert!(fs::metadata(&dir).await.unwrap().is_dir());
/// # fs::remove_dir(&dir).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path, such as [`io::ErrorKind::AlreadyExists`].
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled call may still create the directory.
pub async fn create_dir<R: Reactor>(path: impl AsRef<Path>) -> io::Result<()> {
    on_path::<R, _>("could not create the directory", path.as_ref(), |p| {
        std::fs::create_dir(p)
    })
    .await
}

/// Creates the directory `path` and every missing parent; an existing directory is fine.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let root = std::env::temp_dir().join(format!("anyio-doc-mkdirs-{}", std::process::id()));
/// fs::create_dir_all(root.join("a/b")).await.unwrap();
/// assert!(fs::metadata(root.join("a/b")).await.unwrap().is_dir());
/// # fs::remove_dir_all(&root).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path, for example when a parent is a file.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled call may still create some of the directories.
pub async fn create_dir_all<R: Reactor>(path: impl AsRef<Path>) -> io::Result<()> {
    on_path::<R, _>("could not create the directory", path.as_ref(), |p| {
        std::fs::create_dir_all(p)
    })
    .await
}

/// Removes the file at `path`.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-rm-{}", std::process::id()));
/// fs::write(&path, "").await.unwrap();
/// fs::remove_file(&path).await.unwrap();
/// assert!(fs::metadata(&path).await.is_err());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path, such as [`io::ErrorKind::NotFound`].
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled call may still remove the file.
pub async fn remove_file<R: Reactor>(path: impl AsRef<Path>) -> io::Result<()> {
    on_path::<R, _>("could not remove", path.as_ref(), |p| {
        std::fs::remove_file(p)
    })
    .await
}

/// Removes the empty directory at `path`.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let dir = std::env::temp_dir().join(format!("anyio-doc-rmdir-{}", std::process::id()));
/// fs::create_dir(&dir).await.unwrap();
/// fs::remove_dir(&dir).await.unwrap();
/// assert!(fs::metadata(&dir).await.is_err());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path, for example when the directory is not
/// empty (use [`remove_dir_all`] then).
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled call may still remove the directory.
pub async fn remove_dir<R: Reactor>(path: impl AsRef<Path>) -> io::Result<()> {
    on_path::<R, _>("could not remove the directory", path.as_ref(), |p| {
        std::fs::remove_dir(p)
    })
    .await
}

/// Removes the directory at `path` with everything in it.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let dir = std::env::temp_dir().join(format!("anyio-doc-rmtree-{}", std::process::id()));
/// fs::create_dir_all(dir.join("inner")).await.unwrap();
/// fs::write(dir.join("inner/file"), "x").await.unwrap();
/// fs::remove_dir_all(&dir).await.unwrap();
/// assert!(fs::metadata(&dir).await.is_err());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled call keeps removing on the pool.
pub async fn remove_dir_all<R: Reactor>(path: impl AsRef<Path>) -> io::Result<()> {
    on_path::<R, _>("could not remove the directory", path.as_ref(), |p| {
        std::fs::remove_dir_all(p)
    })
    .await
}

/// Renames `from` to `to`, replacing `to` if it is a file.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let from = std::env::temp_dir().join(format!("anyio-doc-mv-a-{}", std::process::id()));
/// let to = std::env::temp_dir().join(format!("anyio-doc-mv-b-{}", std::process::id()));
/// fs::write(&from, "moved").await.unwrap();
/// fs::rename(&from, &to).await.unwrap();
/// assert_eq!(fs::read_to_string(&to).await.unwrap(), "moved");
/// # fs::remove_file(&to).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming both paths.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled call may still rename.
pub async fn rename<R: Reactor>(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let to = to.as_ref().to_path_buf();
    two_paths::<R, _>("could not rename", from.as_ref(), to, |from, to| {
        std::fs::rename(from, to)
    })
    .await
}

/// Copies the contents and permissions of the file `from` to `to`; returns the bytes copied.
///
/// # Examples
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let from = std::env::temp_dir().join(format!("anyio-doc-cp-a-{}", std::process::id()));
/// let to = std::env::temp_dir().join(format!("anyio-doc-cp-b-{}", std::process::id()));
/// fs::write(&from, "copied").await.unwrap();
/// assert_eq!(fs::copy(&from, &to).await.unwrap(), 6);
/// assert_eq!(fs::read_to_string(&to).await.unwrap(), "copied");
/// # fs::remove_file(&from).await.unwrap();
/// # fs::remove_file(&to).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming both paths.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled copy keeps copying on the pool.
pub async fn copy<R: Reactor>(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let to = to.as_ref().to_path_buf();
    two_paths::<R, _>("could not copy", from.as_ref(), to, |from, to| {
        std::fs::copy(from, to)
    })
    .await
}

async fn two_paths<R, T>(
    what: &'static str,
    from: &Path,
    to: PathBuf,
    op: impl FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
) -> io::Result<T>
where
    R: Reactor,
    T: Send + 'static,
{
    let from = from.to_path_buf();
    blocking::<R, _, _>(move || {
        op(&from, &to).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("{what} {} to {}: {error}", from.display(), to.display()),
            )
        })
    })
    .await
}
