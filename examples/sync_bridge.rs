//! Both directions of the sync/async bridge, on the backend named by `ANYIO_BACKEND`:
//!
//! 1. async code calling a blocking function without stalling the event loop;
//! 2. a plain sync function calling async code through a [`anyio::BlockingPortal`].
//!
//! ```text
//! ANYIO_BACKEND=smol cargo run --example sync_bridge --features smol
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::portal::{PortalError, PortalTask};
use anyio::{Backend, BlockingPortal, BoxError};

/// A blocking library call (a slow disk, a C library, a heavy computation): it must not run
/// on the event loop, where it would stall every other task.
fn checksum_blocking(data: &[u8]) -> u64 {
    std::thread::sleep(Duration::from_millis(200));
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Part 1: runs the blocking call on the runtime's blocking pool while a ticker shows that
/// the event loop stays responsive. Returns the checksum and how often the ticker ran.
async fn async_calls_blocking(data: Vec<u8>) -> Result<(u64, u32), BoxError> {
    let ticks = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&ticks);
    let checksum = anyio::task_group(|tg| async move {
        // The ticker never returns; the body cancels it.
        let ticker = tg.spawn::<_, ()>(async move {
            loop {
                anyio::sleep(Duration::from_millis(20)).await;
                counted.fetch_add(1, Ordering::Relaxed);
            }
        })?;
        // On the runtime's blocking pool, bounded by the default thread limiter.
        let checksum = anyio::to_thread::run_sync(move || checksum_blocking(&data)).await;
        ticker.cancel(); // stop the ticker; the group ends with the checksum
        Ok::<_, BoxError>(checksum)
    })
    .await
    .map_err(|error| error.into_first().unwrap_or_else(|| "cancelled".into()))?;
    Ok((checksum, ticks.load(Ordering::Relaxed)))
}

/// Part 2: a plain sync function (a callback of some sync library, say) that needs async
/// code. It starts one async lookup per name on the portal, waits for them all, and runs one
/// more call under an anyio deadline.
fn sync_calls_async(
    portal: &BlockingPortal,
    names: &[&'static str],
) -> Result<Vec<String>, PortalError> {
    let lookups = names
        .iter()
        .map(|&name| {
            portal.start_task_soon(async move {
                let delay = Duration::from_millis(10 * name.len() as u64);
                anyio::sleep(delay).await;
                format!("{name}: looked up in {delay:?}")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut lines = lookups
        .into_iter()
        .map(PortalTask::wait)
        .collect::<Result<Vec<_>, _>>()?;
    let timed_out = portal.call(async {
        anyio::move_on_after(Duration::from_millis(50), anyio::sleep_forever()).await
    })?;
    lines.push(format!(
        "a call under a 50 ms deadline: timed out = {}",
        timed_out.is_none()
    ));
    Ok(lines)
}

fn main() -> Result<(), BoxError> {
    let start = Instant::now();
    let data = b"the quick brown fox jumps over the lazy dog".repeat(1000);
    let (backend, (checksum, ticks)) = anyio::run(async {
        let backend = Backend::current().ok_or("anyio::run starts a backend")?;
        Ok::<_, BoxError>((backend, async_calls_blocking(data).await?))
    })??;
    println!("[{backend}] async -> blocking: checksum {checksum:016x}; the event loop ticked {ticks} times meanwhile");

    let portal = anyio::start_blocking_portal(backend)?;
    for line in sync_calls_async(&portal, &["alpha", "beta", "gamma"])? {
        println!("[{backend}] sync -> async: {line}");
    }
    portal.stop(false);
    println!("[{backend}] done in {:?}", start.elapsed());
    Ok(())
}
