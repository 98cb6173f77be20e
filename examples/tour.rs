//! The same library code, run on every backend this build enables.
//!
//! `cargo run --example tour --all-features` runs it on tokio, smol and async-std in turn;
//! with fewer features it runs on the ones enabled.

use std::time::{Duration, Instant};

use anyio::{BoxError, CancelScope, TaskStatus};

/// Library code: it never names a runtime.
async fn tour() -> Result<Vec<String>, BoxError> {
    let mut report = Vec::new();
    let started = Instant::now();

    // A task group: children run concurrently; the group waits for all of them.
    let total = anyio::task_group(|tg| async move {
        let handles = (1..=5u64)
            .map(|i| {
                tg.spawn(async move {
                    anyio::sleep(Duration::from_millis(10 * i)).await;
                    Ok(i)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut total = 0;
        for handle in handles {
            total += handle.await?;
        }
        Ok::<_, BoxError>(total)
    })
    .await?;
    report.push(format!(
        "task group: 5 children summed to {total} in {:?} (they ran concurrently)",
        started.elapsed()
    ));

    // start/started: wait until a service is ready, then keep it running in the group.
    let port = anyio::task_group(|tg| async move {
        let port = tg
            .start(|status: TaskStatus<u16>| async move {
                status.started(8080);
                anyio::sleep(Duration::from_millis(5)).await;
                Ok::<_, BoxError>(())
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, BoxError>(port)
    })
    .await?;
    report.push(format!("start/started: the service reported port {port}"));

    // The first failure cancels the rest of the group.
    let failure = anyio::task_group(|tg| async move {
        tg.spawn(async {
            anyio::sleep_forever().await;
            Ok(())
        })?;
        tg.spawn(async {
            anyio::sleep(Duration::from_millis(5)).await;
            Err::<(), BoxError>("the upstream went away".into())
        })?;
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap_err();
    report.push(format!(
        "first failure: {failure}; its sibling was cancelled"
    ));

    // Timeouts.
    let moved_on = anyio::move_on_after(Duration::from_millis(20), anyio::sleep_forever()).await;
    report.push(format!("move_on_after: {moved_on:?} after 20 ms"));
    let timed_out = anyio::fail_after(Duration::from_millis(20), anyio::sleep_forever()).await;
    report.push(format!("fail_after: {}", timed_out.unwrap_err()));

    // A shield lets cleanup finish although the enclosing scope was cancelled.
    let scope = CancelScope::new();
    let cancel = scope.handle();
    let cleanup = scope
        .run(async move {
            CancelScope::new()
                .shield(true)
                .run(async move {
                    cancel.cancel();
                    anyio::sleep(Duration::from_millis(5)).await;
                    "cleanup finished under a shield"
                })
                .await
        })
        .await
        .flatten();
    report.push(format!(
        "shield: {}",
        cleanup.unwrap_or("cleanup was cut short")
    ));

    Ok(report)
}

fn main() -> Result<(), BoxError> {
    let backends = anyio::Backend::available();
    if backends.is_empty() {
        return Err("no backend enabled: build with --features tokio, smol or async-std".into());
    }
    for backend in backends {
        println!("== {backend}");
        for line in anyio::run_with(backend, tour())?? {
            println!("   {line}");
        }
    }
    Ok(())
}
