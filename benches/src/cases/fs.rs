//! Files: reading a whole 64 MiB file, anyio's `fs::read` against each runtime's own.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::harness::{on_facade, on_native, Rt};

/// Bytes in the file `fs_read_64mib` reads.
const FILE_SIZE: usize = 64 << 20;

/// The file both sides read, written once per process (and reused across runs, so the disk
/// keeps one copy); its contents are not all zeros, so no file system can make it sparse.
fn file() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join("anyio-bench-fs-read-64mib");
        let ready = std::fs::metadata(&path).is_ok_and(|m| m.len() == FILE_SIZE as u64);
        if !ready {
            let contents: Vec<u8> = (0..FILE_SIZE).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, contents).expect("failed to write the benchmark file");
        }
        path
    })
    .clone()
}

/// `anyio::fs::read` of the 64 MiB file.
pub(crate) fn fs_read_facade(rt: Rt) -> Duration {
    let path = file();
    on_facade(rt, move || {
        let path = path.clone();
        async move {
            let data = anyio::fs::read(&path).await.expect("read failed");
            assert_eq!(data.len(), FILE_SIZE);
        }
    })
}

/// The runtime's own whole-file read: `tokio::fs::read`, `async_std::fs::read`, and
/// `async_fs::read` for smol.
pub(crate) fn fs_read_native(rt: Rt) -> Duration {
    let path = file();
    match rt {
        Rt::Tokio => on_native(rt, move || {
            let path = path.clone();
            async move {
                let data = tokio::fs::read(&path).await.expect("read failed");
                assert_eq!(data.len(), FILE_SIZE);
            }
        }),
        Rt::AsyncStd => on_native(rt, move || {
            let path = path.clone();
            async move {
                let data = async_std::fs::read(&path).await.expect("read failed");
                assert_eq!(data.len(), FILE_SIZE);
            }
        }),
        Rt::Smol => on_native(rt, move || {
            let path = path.clone();
            async move {
                let data = async_fs::read(&path).await.expect("read failed");
                assert_eq!(data.len(), FILE_SIZE);
            }
        }),
    }
}
