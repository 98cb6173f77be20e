//! An open file whose operations run on the pool for blocking work, one after another.

use std::fmt;
use std::fs::Metadata;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::{blocking, naming_path};
use crate::backend::Reactor;
use crate::wait::Acquire;

/// The most bytes one [`File::read`] moves through the pool.
const MAX_READ: usize = 2 * 1024 * 1024;

/// An open file on runtime `R`; every operation runs on the runtime's pool for blocking work.
///
/// Operations take `&mut self`, so one runs at a time. A cancelled operation still finishes
/// on the pool, and the next one waits for it: operations reach the file in the order they
/// were started, and the file position always reflects every one of them.
///
/// # Examples
///
/// ```
/// use std::io::SeekFrom;
/// use anyio::fs::{self, File};
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-file-{}", std::process::id()));
/// let mut file = File::create(&path).await.unwrap();
/// file.write_all(b"hello world").await.unwrap();
/// drop(file);
/// let mut file = File::open(&path).await.unwrap();
/// file.seek(SeekFrom::Start(6)).await.unwrap();
/// let mut rest = Vec::new();
/// file.read_to_end(&mut rest).await.unwrap();
/// assert_eq!(rest, b"world");
/// # fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
pub struct File<R> {
    shared: Arc<Shared>,
    /// The turn the next operation takes.
    next_ticket: u64,
    _runtime: PhantomData<fn() -> R>,
}

struct Shared {
    state: Mutex<State>,
    turn_taken: Condvar,
}

struct State {
    file: std::fs::File,
    /// The ticket whose operation may run now.
    turn: u64,
}

impl Shared {
    fn wait_for(&self, ticket: u64) -> MutexGuard<'_, State> {
        let mut state = self.state.acquire();
        while state.turn != ticket {
            state = self
                .turn_taken
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state
    }
}

/// One operation's place in line; passes the turn on when dropped, whether the operation
/// ran, panicked or never started.
struct Ticket {
    shared: Arc<Shared>,
    number: u64,
}

impl Ticket {
    fn run<T>(self, op: impl FnOnce(&mut std::fs::File) -> io::Result<T>) -> io::Result<T> {
        let mut state = self.shared.wait_for(self.number);
        op(&mut state.file)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.shared.wait_for(self.number);
        state.turn += 1;
        self.shared.turn_taken.notify_all();
    }
}

impl<R: Reactor> File<R> {
    /// Opens the file at `path` for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let error = File::open("/no/such/file").await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    /// assert!(error.to_string().contains("/no/such/file"));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error naming the path, and [`io::ErrorKind::IsADirectory`] for
    /// a directory.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a file opened after cancellation is closed.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens the file at `path` for writing, creating it or emptying what it held.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-create-{}", std::process::id()));
    /// let mut file = File::create(&path).await.unwrap();
    /// file.write_all(b"new").await.unwrap();
    /// assert_eq!(fs::read(&path).await.unwrap(), b"new");
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
    /// Not cancel safe: the file may be created or emptied even when cancelled.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Wraps a file opened with the standard library.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-std-{}", std::process::id()));
    /// let mut file = File::from_std(std::fs::File::create(&path).unwrap());
    /// file.write_all(b"std").await.unwrap();
    /// assert_eq!(fs::read(&path).await.unwrap(), b"std");
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    pub fn from_std(file: std::fs::File) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State { file, turn: 0 }),
                turn_taken: Condvar::new(),
            }),
            next_ticket: 0,
            _runtime: PhantomData,
        }
    }

    /// Runs `op` on the file on the pool, after every operation started before it.
    async fn run<T: Send + 'static>(
        &mut self,
        op: impl FnOnce(&mut std::fs::File) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let runtime = R::current().map_err(io::Error::other)?;
        let ticket = Ticket {
            shared: Arc::clone(&self.shared),
            number: self.next_ticket,
        };
        self.next_ticket += 1;
        runtime
            .spawn_blocking(move || ticket.run(op))
            .await
            .unwrap_or_else(|| Err(io::Error::other("the blocking file operation panicked")))
    }

    /// Reads up to `buf.len()` bytes (at most 2 MiB per call) at the file position; returns
    /// how many, 0 at the end of the file.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-readf-{}", std::process::id()));
    /// fs::write(&path, "abc").await.unwrap();
    /// let mut file = File::open(&path).await.unwrap();
    /// let mut buf = [0; 2];
    /// assert_eq!(file.read(&mut buf).await.unwrap(), 2);
    /// assert_eq!(&buf, b"ab");
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, for example when the file was not opened for reading.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled read still advances the file position, its bytes lost.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(MAX_READ);
        let (chunk, n) = self
            .run(move |file| {
                let mut chunk = vec![0; len];
                let n = file.read(&mut chunk)?;
                Ok((chunk, n))
            })
            .await?;
        buf[..n].copy_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads from the file position to the end, appending to `buf`; returns how many bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-rte-{}", std::process::id()));
    /// fs::write(&path, "all of it").await.unwrap();
    /// let mut buf = b"> ".to_vec();
    /// File::open(&path).await.unwrap().read_to_end(&mut buf).await.unwrap();
    /// assert_eq!(buf, b"> all of it");
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error; `buf` is unchanged then.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled read still moves the file position to the end.
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let data = self
            .run(|file| {
                let mut data = Vec::new();
                file.read_to_end(&mut data)?;
                Ok(data)
            })
            .await?;
        buf.extend_from_slice(&data);
        Ok(data.len())
    }

    /// Writes all of `data` at the file position (at the end in append mode).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, OpenOptions};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-wa-{}", std::process::id()));
    /// fs::write(&path, "one ").await.unwrap();
    /// let mut file = OpenOptions::new().append(true).open(&path).await.unwrap();
    /// file.write_all(b"two").await.unwrap();
    /// assert_eq!(fs::read_to_string(&path).await.unwrap(), "one two");
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, for example when the file was not opened for writing or
    /// the disk is full; part of `data` may have been written then.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled write still finishes on the pool.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let data = data.to_vec();
        self.run(move |file| file.write_all(&data)).await
    }

    /// Moves the file position; returns the new position from the start.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::SeekFrom;
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-seek-{}", std::process::id()));
    /// fs::write(&path, "0123456789").await.unwrap();
    /// let mut file = File::open(&path).await.unwrap();
    /// assert_eq!(file.seek(SeekFrom::End(-3)).await.unwrap(), 7);
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] for a position before the start.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled seek still moves the position.
    pub async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.run(move |file| file.seek(pos)).await
    }

    /// Waits for every operation started before; the file keeps no buffer of its own, so
    /// written data has then reached the operating system.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-flush-{}", std::process::id()));
    /// let mut file = File::create(&path).await.unwrap();
    /// file.write_all(b"x").await.unwrap();
    /// file.flush().await.unwrap();
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// An error only outside a runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.run(|file| file.flush()).await
    }

    /// Waits until the contents and metadata are on the disk (`fsync`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-sync-{}", std::process::id()));
    /// let mut file = File::create(&path).await.unwrap();
    /// file.write_all(b"durable").await.unwrap();
    /// file.sync_all().await.unwrap();
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the sync finishes on the pool.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.run(|file| file.sync_all()).await
    }

    /// Waits until the contents are on the disk, without metadata a read does not need
    /// (`fdatasync`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-sd-{}", std::process::id()));
    /// let mut file = File::create(&path).await.unwrap();
    /// file.write_all(b"data").await.unwrap();
    /// file.sync_data().await.unwrap();
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the sync finishes on the pool.
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.run(|file| file.sync_data()).await
    }

    /// The file's metadata.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-fmeta-{}", std::process::id()));
    /// fs::write(&path, "four").await.unwrap();
    /// let mut file = File::open(&path).await.unwrap();
    /// assert_eq!(file.metadata().await.unwrap().len(), 4);
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn metadata(&mut self) -> io::Result<Metadata> {
        self.run(|file| file.metadata()).await
    }

    /// Truncates or extends (with zeros) the file to `len` bytes; the position stays.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::{self, File};
    ///
    /// # anyio::run(async {
    /// let path = std::env::temp_dir().join(format!("anyio-doc-len-{}", std::process::id()));
    /// let mut file = File::create(&path).await.unwrap();
    /// file.write_all(b"longer").await.unwrap();
    /// file.set_len(4).await.unwrap();
    /// assert_eq!(fs::read(&path).await.unwrap(), b"long");
    /// # fs::remove_file(&path).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, for example when the file was not opened for writing.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled call may still change the length.
    pub async fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.run(move |file| file.set_len(len)).await
    }
}

impl<R> fmt::Debug for File<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("operations_started", &self.next_ticket)
            .finish_non_exhaustive()
    }
}

/// How to open a [`File`]: the standard library's options, opened on the pool.
///
/// # Examples
///
/// ```
/// use anyio::fs::{self, OpenOptions};
///
/// # anyio::run(async {
/// let path = std::env::temp_dir().join(format!("anyio-doc-opts-{}", std::process::id()));
/// let mut file = OpenOptions::new().write(true).create_new(true).open(&path).await.unwrap();
/// file.write_all(b"fresh").await.unwrap();
/// let error = OpenOptions::new().write(true).create_new(true).open(&path).await.unwrap_err();
/// assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
/// # fs::remove_file(&path).await.unwrap();
/// # }).unwrap();
/// ```
pub struct OpenOptions<R> {
    options: std::fs::OpenOptions,
    _runtime: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for OpenOptions<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OpenOptions").field(&self.options).finish()
    }
}

impl<R> Clone for OpenOptions<R> {
    fn clone(&self) -> Self {
        Self {
            options: self.options.clone(),
            _runtime: PhantomData,
        }
    }
}

impl<R: Reactor> Default for OpenOptions<R> {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! option {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(&mut self, on: bool) -> &mut Self {
            self.options.$name(on);
            self
        }
    };
}

impl<R: Reactor> OpenOptions<R> {
    /// Options with everything off; set at least one of `read`, `write` or `append`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::OpenOptions;
    ///
    /// # anyio::run(async {
    /// let error = OpenOptions::new().open("/tmp").await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// # }).unwrap();
    /// ```
    pub fn new() -> Self {
        Self {
            options: std::fs::OpenOptions::new(),
            _runtime: PhantomData,
        }
    }

    option!(
        /// Opens for reading.
        ///
        /// # Examples
        ///
        /// ```
        /// let mut options = anyio::fs::OpenOptions::new();
        /// options.read(true);
        /// ```
        read
    );
    option!(
        /// Opens for writing at the file position.
        ///
        /// # Examples
        ///
        /// ```
        /// let mut options = anyio::fs::OpenOptions::new();
        /// options.write(true);
        /// ```
        write
    );
    option!(
        /// Opens for writing, every write going to the end of the file.
        ///
        /// # Examples
        ///
        /// ```
        /// let mut options = anyio::fs::OpenOptions::new();
        /// options.append(true);
        /// ```
        append
    );
    option!(
        /// Empties the file when opening it for writing.
        ///
        /// # Examples
        ///
        /// ```
        /// let mut options = anyio::fs::OpenOptions::new();
        /// options.write(true).truncate(true);
        /// ```
        truncate
    );
    option!(
        /// Creates the file if it does not exist (needs `write` or `append`).
        ///
        /// # Examples
        ///
        /// ```
        /// let mut options = anyio::fs::OpenOptions::new();
        /// options.write(true).create(true);
        /// ```
        create
    );
    option!(
        /// Creates the file, failing with [`io::ErrorKind::AlreadyExists`] if it exists.
        ///
        /// # Examples
        ///
        /// ```
        /// let mut options = anyio::fs::OpenOptions::new();
        /// options.write(true).create_new(true);
        /// ```
        create_new
    );

    /// Opens the file at `path` with these options.
    ///
    /// A directory is refused with [`io::ErrorKind::IsADirectory`] even for reading, where
    /// the operating system would open it and fail only at the first read.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::fs::OpenOptions;
    ///
    /// # anyio::run(async {
    /// let error = OpenOptions::new().read(true).open(std::env::temp_dir()).await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::IsADirectory);
    /// assert!(error.to_string().contains("is a directory"));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error naming the path ([`io::ErrorKind::NotFound`],
    /// [`io::ErrorKind::PermissionDenied`], ...), [`io::ErrorKind::IsADirectory`], and
    /// [`io::ErrorKind::InvalidInput`] for options that open for neither reading nor writing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe for reading; with `create` or `truncate` the file may be changed even when
    /// cancelled. A file opened after cancellation is closed.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File<R>> {
        let options = self.options.clone();
        let path = path.as_ref().to_path_buf();
        let file = blocking::<R, _, _>(move || {
            let file = options
                .open(&path)
                .map_err(|error| naming_path(error, "could not open", &path))?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    format!(
                        "could not open {}: it is a directory; list it with read_dir instead",
                        path.display()
                    ),
                ));
            }
            Ok(file)
        })
        .await?;
        Ok(File::from_std(file))
    }
}
