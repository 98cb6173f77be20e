//! How a sample is taken: the runtimes, entering them the same way on both sides, warming up,
//! timing, and the native sides' spawn.

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Once;
use std::time::{Duration, Instant};

use async_executor::Executor;

/// A runtime both sides of a case run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rt {
    Tokio,
    AsyncStd,
    Smol,
}

impl Rt {
    pub(crate) const ALL: [Rt; 3] = [Rt::Tokio, Rt::AsyncStd, Rt::Smol];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Rt::Tokio => "tokio",
            Rt::AsyncStd => "async-std",
            Rt::Smol => "smol",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Rt> {
        Rt::ALL.into_iter().find(|rt| rt.name() == name)
    }

    pub(crate) fn anyio(self) -> anyio::Backend {
        match self {
            Rt::Tokio => anyio::Backend::Tokio,
            Rt::AsyncStd => anyio::Backend::AsyncStd,
            Rt::Smol => anyio::Backend::Smol,
        }
    }
}

/// Runs `work` once to warm up, then times one more run of it.
async fn warm_then_time<F, Fut>(work: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    work().await;
    let start = Instant::now();
    work().await;
    start.elapsed()
}

/// Runs `work` once to warm up, then once more, and returns the time that run measured itself.
///
/// For cases whose run has a setup phase that must not be timed (spawning and parking
/// thousands of tasks before cancelling them): the work times only its own timed part.
async fn warm_then_self_time<F, Fut>(work: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = Duration>,
{
    work().await;
    work().await
}

/// One facade sample: enters `rt` through `anyio::run_with` and times `work` inside it.
pub(crate) fn on_facade<F, Fut>(rt: Rt, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    anyio::run_with(rt.anyio(), warm_then_time(work)).expect("anyio::run_with failed")
}

/// As [`on_facade`], but `work` returns the time of its own timed part (see
/// [`warm_then_self_time`]), which becomes the sample.
pub(crate) fn on_facade_self_timed<F, Fut>(rt: Rt, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Duration> + Send,
{
    anyio::run_with(rt.anyio(), warm_then_self_time(work)).expect("anyio::run_with failed")
}

/// One native sample: enters `rt` the way an application using it directly would, configured
/// like the anyio backend for it, and times `work` inside it.
///
/// - tokio: a fresh `Builder::new_multi_thread().enable_all()` runtime per sample (what
///   `anyio::run_with(Tokio, ..)` builds per call), driven by `Runtime::block_on`;
/// - async-std: `async_std::task::block_on` on its global executor (what anyio uses too);
/// - smol: [`NATIVE_SMOL`], an `async_executor::Executor` of its own run by
///   `available_parallelism()` worker threads plus the calling thread in
///   `async_io::block_on(executor.run(..))` — the same shape as anyio's smol backend, but a
///   separate executor, so the two sides never share a queue.
pub(crate) fn on_native<F, Fut>(rt: Rt, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    block_on_native(rt, warm_then_time(work))
}

/// As [`on_native`], but `work` returns the time of its own timed part (see
/// [`warm_then_self_time`]), which becomes the sample.
pub(crate) fn on_native_self_timed<F, Fut>(rt: Rt, work: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Duration> + Send,
{
    block_on_native(rt, warm_then_self_time(work))
}

/// Enters `rt` natively as described at [`on_native`] and runs `future` to completion there,
/// without warm-up or timing.
pub(crate) fn block_on_native<T>(rt: Rt, future: impl Future<Output = T>) -> T {
    match rt {
        Rt::Tokio => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("failed to start a tokio runtime")
            .block_on(future),
        Rt::AsyncStd => async_std::task::block_on(future),
        Rt::Smol => {
            start_native_smol();
            async_io::block_on(NATIVE_SMOL.run(future))
        }
    }
}

/// The native smol side's executor; see [`on_native`].
pub(crate) static NATIVE_SMOL: Executor<'static> = Executor::new();
static NATIVE_SMOL_WORKERS: Once = Once::new();

fn start_native_smol() {
    NATIVE_SMOL_WORKERS.call_once(|| {
        let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        for n in 1..=threads {
            std::thread::Builder::new()
                .name(format!("native-smol-{n}"))
                .spawn(|| async_io::block_on(NATIVE_SMOL.run(std::future::pending::<()>())))
                .expect("failed to start a native smol worker");
        }
    });
}

/// Runs two futures as native tasks of `rt` and waits for both: the native sides' spawn.
pub(crate) async fn native_pair<A, B>(rt: Rt, a: A, b: B)
where
    A: Future<Output = ()> + Send + 'static,
    B: Future<Output = ()> + Send + 'static,
{
    match rt {
        Rt::Tokio => {
            let (a, b) = (tokio::spawn(a), tokio::spawn(b));
            a.await.expect("task failed");
            b.await.expect("task failed");
        }
        Rt::AsyncStd => {
            let (a, b) = (async_std::task::spawn(a), async_std::task::spawn(b));
            a.await;
            b.await;
        }
        Rt::Smol => {
            let (a, b) = (NATIVE_SMOL.spawn(a), NATIVE_SMOL.spawn(b));
            a.await;
            b.await;
        }
    }
}
