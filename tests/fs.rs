//! Files and directories on every backend.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::fs::{self, File, OpenOptions};
use futures_util::{FutureExt, TryStreamExt};

/// A fresh directory for one test, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("anyio-fs-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[anyio::test]
async fn whole_file_round_trips() {
    let dir = TempDir::new();
    let bytes: Vec<u8> = (0..=255).cycle().take(300_000).collect();
    fs::write(dir.join("bytes"), &bytes).await.unwrap();
    assert_eq!(fs::read(dir.join("bytes")).await.unwrap(), bytes);
    fs::write(dir.join("text"), "héllo\n").await.unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("text")).await.unwrap(),
        "héllo\n"
    );
    let error = fs::read_to_string(dir.join("bytes")).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        fs::metadata(dir.join("bytes")).await.unwrap().len(),
        300_000
    );
}

#[anyio::test]
async fn file_write_seek_and_partial_reads() {
    let dir = TempDir::new();
    let path = dir.join("file");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .open(&path)
        .await
        .unwrap();
    file.write_all(b"0123456789").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
    let mut buf = [0; 3];
    assert_eq!(file.read(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf, b"234");
    assert_eq!(file.seek(SeekFrom::Current(1)).await.unwrap(), 6);
    let mut rest = Vec::new();
    assert_eq!(file.read_to_end(&mut rest).await.unwrap(), 4);
    assert_eq!(rest, b"6789");
    assert_eq!(file.read(&mut buf).await.unwrap(), 0);
    file.set_len(4).await.unwrap();
    file.sync_all().await.unwrap();
    file.sync_data().await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 4);
    drop(file);
    assert_eq!(fs::read(&path).await.unwrap(), b"0123");
    let error = File::open(&path)
        .await
        .unwrap()
        .write_all(b"x")
        .await
        .unwrap_err();
    assert!(!error.to_string().is_empty());
}

#[anyio::test]
async fn append_and_create_new() {
    let dir = TempDir::new();
    let path = dir.join("log");
    for line in ["one\n", "two\n", "three\n"] {
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        file.write_all(line.as_bytes()).await.unwrap();
    }
    assert_eq!(
        fs::read_to_string(&path).await.unwrap(),
        "one\ntwo\nthree\n"
    );
    let error = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"fresh").await.unwrap();
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "fresh");
}

#[anyio::test]
async fn read_dir_lists_every_entry() {
    let dir = TempDir::new();
    // More than one batch of entries.
    let mut expected: Vec<String> = (0..150).map(|i| format!("file-{i:03}")).collect();
    for name in &expected {
        fs::write(dir.join(name), name).await.unwrap();
    }
    fs::create_dir(dir.join("sub")).await.unwrap();
    expected.push("sub".into());
    let entries: Vec<_> = fs::read_dir(&dir.0)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut names: Vec<String> = entries
        .iter()
        .map(|e| e.file_name().to_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, expected);
    let sub = entries.iter().find(|e| e.file_name() == "sub").unwrap();
    assert!(sub.file_type().is_dir());
    assert_eq!(sub.path(), dir.join("sub"));
    let empty: Vec<_> = fs::read_dir(dir.join("sub"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(empty.is_empty());
}

#[anyio::test]
async fn directories_and_renames() {
    let dir = TempDir::new();
    fs::create_dir_all(dir.join("a/b/c")).await.unwrap();
    assert!(fs::metadata(dir.join("a/b/c")).await.unwrap().is_dir());
    let error = fs::create_dir(dir.join("a")).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    let error = fs::remove_dir(dir.join("a")).await.unwrap_err();
    assert!(error.to_string().contains("could not remove the directory"));
    fs::write(dir.join("a/b/c/file"), "x").await.unwrap();
    fs::rename(dir.join("a/b/c/file"), dir.join("moved"))
        .await
        .unwrap();
    assert_eq!(fs::read_to_string(dir.join("moved")).await.unwrap(), "x");
    assert_eq!(
        fs::copy(dir.join("moved"), dir.join("copied"))
            .await
            .unwrap(),
        1
    );
    fs::remove_file(dir.join("moved")).await.unwrap();
    assert_eq!(
        fs::metadata(dir.join("moved")).await.unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    fs::remove_dir(dir.join("a/b/c")).await.unwrap();
    fs::remove_dir_all(dir.join("a")).await.unwrap();
    assert!(!Path::new(&dir.join("a")).exists());
}

#[anyio::test]
async fn errors_name_the_path() {
    let dir = TempDir::new();
    let missing = dir.join("missing");
    let shown = missing.display().to_string();
    for error in [
        File::open(&missing).await.unwrap_err(),
        fs::read(&missing).await.unwrap_err(),
        fs::read_to_string(&missing).await.unwrap_err(),
        fs::metadata(&missing).await.unwrap_err(),
        fs::remove_file(&missing).await.unwrap_err(),
        fs::read_dir(&missing).await.unwrap_err(),
        fs::write(missing.join("child"), "x").await.unwrap_err(),
    ] {
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
        assert!(error.to_string().contains(&shown), "{error}");
    }
    let error = fs::rename(&missing, dir.join("to")).await.unwrap_err();
    assert!(error.to_string().contains(&shown), "{error}");
}

#[anyio::test]
async fn opening_a_directory_is_refused() {
    let dir = TempDir::new();
    for options in [
        OpenOptions::new().read(true).clone(),
        OpenOptions::new().write(true).clone(),
    ] {
        let error = options.open(&dir.0).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory, "{error}");
        assert!(
            error.to_string().contains(&dir.0.display().to_string()),
            "{error}"
        );
    }
    let error = File::open(&dir.0).await.unwrap_err();
    assert!(error.to_string().contains("is a directory"), "{error}");
}

#[anyio::test]
async fn wraps_an_open_std_file() {
    let dir = TempDir::new();
    let path = dir.join("std");
    std::fs::write(&path, "prefix:").unwrap();
    let std_file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .unwrap();
    let mut file = File::from_std(std_file);
    file.write_all(b"suffix").await.unwrap();
    let mut all = Vec::new();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    file.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, b"prefix:suffix");
}

#[anyio::test]
async fn operations_after_a_cancelled_one_see_its_effect() {
    let dir = TempDir::new();
    let path = dir.join("ordered");
    let mut file = File::create(&path).await.unwrap();
    let big = vec![7u8; 8 * 1024 * 1024];
    // Polled once (which hands the write to the pool) and dropped: the write still runs, and
    // before the next operation.
    let _ = file.write_all(&big).now_or_never();
    file.write_all(b"end").await.unwrap();
    drop(file);
    let written = fs::read(&path).await.unwrap();
    assert_eq!(written.len(), big.len() + 3);
    assert!(written.ends_with(b"end"));
}
