//! Listing a directory as a stream, a batch of entries per blocking call.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::FileType;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{blocking, naming_path};
use crate::backend::{Reactor, Runtime};

/// Entries read from the operating system per blocking call.
const BATCH: usize = 64;

/// One entry of a directory listed by [`read_dir`].
///
/// # Examples
///
/// ```
/// use anyio::fs;
/// use futures_util::StreamExt;
///
/// # anyio::run(async {
/// let dir = std::env::temp_dir().join(format!("anyio-doc-entry-{}", std::process::id()));
/// fs::create_dir_all(&dir).await.unwrap();
/// fs::write(dir.join("a.txt"), "").await.unwrap();
/// let entry = fs::read_dir(&dir).await.unwrap().next().await.unwrap().unwrap();
/// assert_eq!(entry.file_name(), "a.txt");
/// assert_eq!(entry.path(), dir.join("a.txt"));
/// assert!(entry.file_type().is_file());
/// # fs::remove_dir_all(&dir).await.unwrap();
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct DirEntry {
    path: PathBuf,
    file_name: OsString,
    file_type: FileType,
}

impl DirEntry {
    /// The directory's path joined with the entry's name.
    ///
    /// # Examples
    ///
    /// See [`DirEntry`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry's name in its directory.
    ///
    /// # Examples
    ///
    /// See [`DirEntry`].
    pub fn file_name(&self) -> &OsString {
        &self.file_name
    }

    /// Whether the entry is a file, a directory or a symbolic link (not followed).
    ///
    /// # Examples
    ///
    /// See [`DirEntry`].
    pub fn file_type(&self) -> FileType {
        self.file_type
    }
}

type Batch = (std::fs::ReadDir, Vec<io::Result<DirEntry>>);

/// The entries of a directory, as returned by [`read_dir`]: a [`Stream`] of
/// `io::Result<DirEntry>` in the operating system's order, without `.` and `..`.
///
/// # Examples
///
/// ```
/// use anyio::fs;
/// use futures_util::TryStreamExt;
///
/// # anyio::run(async {
/// let dir = std::env::temp_dir().join(format!("anyio-doc-readdir-{}", std::process::id()));
/// fs::create_dir_all(&dir).await.unwrap();
/// for name in ["a", "b", "c"] {
///     fs::write(dir.join(name), name).await.unwrap();
/// }
/// let entries: Vec<_> = fs::read_dir(&dir).await.unwrap().try_collect().await.unwrap();
/// let mut names: Vec<_> = entries.iter().map(|e| e.file_name().clone()).collect();
/// names.sort();
/// assert_eq!(names, ["a", "b", "c"]);
/// # fs::remove_dir_all(&dir).await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping the stream while a batch is read lets that batch finish on the pool and drops it.
#[must_use = "a directory listing does nothing unless polled"]
pub struct ReadDir<R: Runtime> {
    ready: VecDeque<io::Result<DirEntry>>,
    state: ListState<R>,
}

enum ListState<R: Runtime> {
    Idle(std::fs::ReadDir, R),
    Reading(R::JoinHandle<Batch>, R),
    Done,
}

impl<R: Runtime> fmt::Debug for ReadDir<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            ListState::Idle(..) => "idle",
            ListState::Reading(..) => "reading",
            ListState::Done => "done",
        };
        f.debug_struct("ReadDir")
            .field("ready", &self.ready.len())
            .field("state", &state)
            .finish()
    }
}

fn read_batch(mut dir: std::fs::ReadDir) -> Batch {
    let batch = dir
        .by_ref()
        .take(BATCH)
        .map(|entry| {
            let entry = entry?;
            Ok(DirEntry {
                path: entry.path(),
                file_name: entry.file_name(),
                file_type: entry.file_type()?,
            })
        })
        .collect();
    (dir, batch)
}

// Nothing is pinned structurally: the join handle is `Unpin` and the runtime is a handle.
impl<R: Runtime> Unpin for ReadDir<R> {}

impl<R: Reactor> Stream for ReadDir<R> {
    type Item = io::Result<DirEntry>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(entry) = this.ready.pop_front() {
                return Poll::Ready(Some(entry));
            }
            match std::mem::replace(&mut this.state, ListState::Done) {
                ListState::Done => return Poll::Ready(None),
                ListState::Idle(dir, runtime) => {
                    let handle = runtime.spawn_blocking(move || read_batch(dir));
                    this.state = ListState::Reading(handle, runtime);
                }
                ListState::Reading(mut handle, runtime) => {
                    let polled = Pin::new(&mut handle).poll(cx);
                    let Poll::Ready(batch) = polled else {
                        this.state = ListState::Reading(handle, runtime);
                        return Poll::Pending;
                    };
                    let Some((dir, batch)) = batch else {
                        let error = io::Error::other("listing the directory panicked");
                        return Poll::Ready(Some(Err(error)));
                    };
                    if !batch.is_empty() {
                        this.state = ListState::Idle(dir, runtime);
                    }
                    this.ready.extend(batch);
                }
            }
        }
    }
}

/// Opens the directory at `path` for listing its entries as a stream.
///
/// # Examples
///
/// See [`ReadDir`].
///
/// ```
/// use anyio::fs;
///
/// # anyio::run(async {
/// let error = fs::read_dir("/no/such/dir").await.unwrap_err();
/// assert!(error.to_string().contains("/no/such/dir"));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error naming the path, for example [`io::ErrorKind::NotFound`] or
/// [`io::ErrorKind::NotADirectory`]; entries that cannot be read come as `Err` items.
///
/// # Cancel safety
///
/// Cancel safe.
pub async fn read_dir<R: Reactor>(path: impl AsRef<Path>) -> io::Result<ReadDir<R>> {
    let path = path.as_ref().to_path_buf();
    let dir = blocking::<R, _, _>(move || {
        std::fs::read_dir(&path).map_err(|error| naming_path(error, "could not list", &path))
    })
    .await?;
    let runtime = R::current().map_err(io::Error::other)?;
    Ok(ReadDir {
        ready: VecDeque::new(),
        state: ListState::Idle(dir, runtime),
    })
}
