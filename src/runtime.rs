//! [`AnyRuntime`]: the enabled backends behind one [`Runtime`], dispatched without boxing.

// Without any backend every dispatch is an empty `match`, which leaves arguments unused.
#![cfg_attr(
    not(any(feature = "tokio", feature = "async-std", feature = "smol")),
    allow(unused_variables, unreachable_code)
)]

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use anyio_core::backend::{self, NestedRun, NoRuntime, Runtime};
use anyio_core::testing::{ClockId, VirtualClock, VirtualTimer};
use pin_project_lite::pin_project;

#[cfg(feature = "async-std")]
use anyio_backend_async_std::{AsyncStdJoinHandle, AsyncStdRuntime, AsyncStdTimer};
#[cfg(feature = "smol")]
use anyio_backend_smol::{SmolJoinHandle, SmolRuntime, SmolTimer};
#[cfg(feature = "tokio")]
use anyio_backend_tokio::{TokioJoinHandle, TokioRuntime, TokioTimer};

use crate::backend::{Backend, RunError};

thread_local! {
    /// The backend anyio itself has declared for this thread (by `enter`), which beats
    /// detection: it is exact, and it is the only way to recognise smol.
    static CURRENT: Cell<Option<Backend>> = const { Cell::new(None) };
    /// The virtual clock of the run being polled on this thread, if it has one (by `enter`).
    static CURRENT_CLOCK: Cell<Option<ClockId>> = const { Cell::new(None) };
}

/// The runtime of one of the enabled backends.
///
/// This is the [`Runtime`] the rest of anyio runs on. It is an enum over the backends enabled
/// by cargo features, so every call is a `match` on a `Copy` value: nothing is boxed.
///
/// # Detection
///
/// [`AnyRuntime::current`] (and [`Backend::current`]) decide which backend serves the caller,
/// in this order:
///
/// 1. the backend anyio declared for the thread: inside [`run`](crate::run) /
///    [`run_with`](crate::run_with), and while anyio polls one of its own tasks
///    ([`Runtime::enter`]);
/// 2. tokio, if enabled and the thread is inside a tokio runtime
///    ([`Handle::try_current`](https://docs.rs/tokio/latest/tokio/runtime/struct.Handle.html#method.try_current)),
///    e.g. under `#[tokio::main]`;
/// 3. async-std, if enabled and the caller is inside an async-std task
///    (`async_std::task::try_current`), e.g. under `#[async_std::main]`;
/// 4. smol, if enabled, as a **fallback**: smol cannot be detected (`smol::block_on` leaves no
///    trace), but its executor and timers serve any thread, so anyio works everywhere when the
///    `smol` feature is on — including in threads that run no runtime at all.
///
/// Otherwise it returns [`NoRuntime`], naming the enabled features and what to do.
///
/// # Examples
///
/// ```
/// use anyio::{AnyRuntime, Backend};
/// use anyio::core::backend::Runtime;
///
/// for backend in Backend::available() {
///     let found = anyio::run_with(backend, async { AnyRuntime::current().unwrap().backend() });
///     assert_eq!(found, Ok(backend));
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnyRuntime(pub(crate) Inner, pub(crate) Option<ClockId>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Inner {
    #[cfg(feature = "tokio")]
    Tokio(TokioRuntime),
    #[cfg(feature = "async-std")]
    AsyncStd(AsyncStdRuntime),
    #[cfg(feature = "smol")]
    Smol(SmolRuntime),
}

impl AnyRuntime {
    /// This runtime with its time read from `clock`: `now()` is the clock's time and timers
    /// fire when the clock reaches them, for this runtime and for every task and scope of a
    /// run it serves. See [`anyio::testing::run_with_clock`](crate::testing::run_with_clock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::core::backend::Runtime;
    /// use anyio::testing::VirtualClock;
    /// use anyio::{AnyRuntime, Backend};
    ///
    /// let clock = VirtualClock::new();
    /// let runtime = AnyRuntime::try_from(Backend::available()[0]).unwrap().with_clock(&clock);
    /// let before = runtime.now();
    /// clock.advance(Duration::from_secs(90));
    /// assert_eq!(runtime.now() - before, Duration::from_secs(90));
    /// ```
    pub fn with_clock(self, clock: &VirtualClock) -> Self {
        AnyRuntime(self.0, Some(clock.id()))
    }

    /// The virtual clock this runtime reads its time from, if any (see
    /// [`with_clock`](Self::with_clock)).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    ///
    /// assert!(AnyRuntime::try_from(Backend::available()[0]).unwrap().clock().is_none());
    /// ```
    pub fn clock(self) -> Option<VirtualClock> {
        self.1.and_then(ClockId::clock)
    }

    /// The backend this runtime belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    ///
    /// for backend in Backend::available() {
    ///     assert_eq!(AnyRuntime::try_from(backend).unwrap().backend(), backend);
    /// }
    /// ```
    pub fn backend(self) -> Backend {
        match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(_) => Backend::Tokio,
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(_) => Backend::AsyncStd,
            #[cfg(feature = "smol")]
            Inner::Smol(_) => Backend::Smol,
        }
    }
}

/// The backend running the calling thread, by anyio's own marker or a native detection; unlike
/// [`AnyRuntime::current`] there is no fallback, since this decides whether blocking would
/// deadlock.
fn running() -> Option<Backend> {
    if let Some(backend) = CURRENT.with(Cell::get) {
        return Some(backend);
    }
    #[cfg(feature = "tokio")]
    if TokioRuntime::is_inside() {
        return Some(Backend::Tokio);
    }
    #[cfg(feature = "async-std")]
    if AsyncStdRuntime::is_inside() {
        return Some(Backend::AsyncStd);
    }
    #[cfg(feature = "smol")]
    if SmolRuntime::is_inside() {
        return Some(Backend::Smol);
    }
    None
}

#[cfg_attr(feature = "smol", allow(dead_code))] // smol serves every thread
fn no_runtime() -> NoRuntime {
    let enabled = Backend::available();
    if enabled.is_empty() {
        return NoRuntime::new(
            "no anyio backend is enabled: enable the `tokio`, `smol` or `async-std` feature of \
             anyio",
        );
    }
    let names: Vec<&str> = enabled.into_iter().map(Backend::name).collect();
    NoRuntime::new(format!(
        "no runtime is serving this thread (enabled anyio backends: {}): call this inside \
         anyio::run or a runtime of an enabled backend, or enable the `smol` feature of anyio, \
         which serves any thread",
        names.join(", ")
    ))
}

/// Restores the thread's previous markers when `enter` ends, also by panic.
struct Restore(Option<Backend>, Option<ClockId>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
        CURRENT_CLOCK.with(|clock| clock.set(self.1));
    }
}

impl TryFrom<Backend> for AnyRuntime {
    type Error = RunError;

    /// The runtime of `backend`, if its feature is enabled.
    fn try_from(backend: Backend) -> Result<Self, RunError> {
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => Ok(TokioRuntime.into()),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Ok(AsyncStdRuntime.into()),
            #[cfg(feature = "smol")]
            Backend::Smol => Ok(SmolRuntime.into()),
            #[allow(unreachable_patterns)] // when every backend is enabled
            _ => Err(RunError::NotEnabled(backend)),
        }
    }
}

impl From<AnyRuntime> for Backend {
    fn from(runtime: AnyRuntime) -> Self {
        runtime.backend()
    }
}

#[cfg(feature = "tokio")]
impl From<TokioRuntime> for AnyRuntime {
    fn from(runtime: TokioRuntime) -> Self {
        AnyRuntime(Inner::Tokio(runtime), None)
    }
}

#[cfg(feature = "async-std")]
impl From<AsyncStdRuntime> for AnyRuntime {
    fn from(runtime: AsyncStdRuntime) -> Self {
        AnyRuntime(Inner::AsyncStd(runtime), None)
    }
}

#[cfg(feature = "smol")]
impl From<SmolRuntime> for AnyRuntime {
    fn from(runtime: SmolRuntime) -> Self {
        AnyRuntime(Inner::Smol(runtime), None)
    }
}

impl Runtime for AnyRuntime {
    type Timer = AnyTimer;
    type JoinHandle<T: Send + 'static> = AnyJoinHandle<T>;

    /// The runtime serving the caller; see [`AnyRuntime`]'s detection rules.
    fn current() -> Result<Self, NoRuntime> {
        if let Some(backend) = CURRENT.with(Cell::get) {
            if let Ok(runtime) = AnyRuntime::try_from(backend) {
                return Ok(AnyRuntime(runtime.0, CURRENT_CLOCK.with(Cell::get)));
            }
        }
        #[cfg(feature = "tokio")]
        if TokioRuntime::is_inside() {
            return Ok(TokioRuntime.into());
        }
        #[cfg(feature = "async-std")]
        if AsyncStdRuntime::is_inside() {
            return Ok(AsyncStdRuntime.into());
        }
        #[cfg(feature = "smol")]
        return Ok(SmolRuntime.into());
        #[cfg(not(feature = "smol"))]
        Err(no_runtime())
    }

    fn name(self) -> &'static str {
        self.backend().name()
    }

    fn spawn<F>(self, future: F) -> AnyJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let inner = match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => HandleInner::Tokio(rt.spawn(future)),
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => HandleInner::AsyncStd(rt.spawn(future)),
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => HandleInner::Smol(rt.spawn(future)),
        };
        AnyJoinHandle(inner)
    }

    fn timer(self, deadline: Instant) -> AnyTimer {
        if let Some(clock) = self.1.and_then(ClockId::clock) {
            return AnyTimer {
                inner: TimerInner::Virtual {
                    timer: clock.timer(deadline),
                },
            };
        }
        let inner = match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => TimerInner::Tokio {
                timer: rt.timer(deadline),
            },
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => TimerInner::AsyncStd {
                timer: rt.timer(deadline),
            },
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => TimerInner::Smol {
                timer: rt.timer(deadline),
            },
        };
        AnyTimer { inner }
    }

    fn now(self) -> Instant {
        if let Some(clock) = self.1.and_then(ClockId::clock) {
            return clock.now();
        }
        match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => rt.now(),
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => rt.now(),
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => rt.now(),
        }
    }

    /// Marks this runtime's backend as the one serving the thread while `f` runs (restoring
    /// the previous marker afterwards, also on panic), then enters the backend's runtime.
    fn enter<T>(self, f: impl FnOnce() -> T) -> T {
        let _restore = Restore(
            CURRENT.with(|current| current.replace(Some(self.backend()))),
            CURRENT_CLOCK.with(|clock| clock.replace(self.1)),
        );
        match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => rt.enter(f),
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => rt.enter(f),
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => rt.enter(f),
        }
    }

    /// Like the backend's own `block_on`, but also refuses to nest inside a runtime of any
    /// other enabled backend, and marks the thread (see [`Runtime::enter`]) while `future`
    /// runs.
    fn block_on<F: Future>(self, future: F) -> Result<F::Output, NestedRun> {
        if let Some(backend) = running() {
            return Err(NestedRun::new(backend.name()));
        }
        self.enter(|| match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => rt.block_on(future),
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => rt.block_on(future),
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => rt.block_on(future),
        })
    }
}

/// Stands in for a disabled backend's timer and task handle in [`AnyTimer`] and
/// [`AnyJoinHandle`], whose variants cannot be `#[cfg]`-gated because pin-project-lite does not
/// carry such attributes over to its projections. Being uninhabited, it is never built.
#[derive(Debug)]
#[cfg_attr(
    all(feature = "tokio", feature = "async-std", feature = "smol"),
    allow(dead_code)
)]
enum Disabled {}

impl Future for Disabled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        match *self {}
    }
}

impl backend::Timer for Disabled {
    fn reset(self: Pin<&mut Self>, _: Instant) {
        match *self {}
    }
}

/// A disabled backend's task handle; the `PhantomData` only names `T`.
#[cfg_attr(
    all(feature = "tokio", feature = "async-std", feature = "smol"),
    allow(dead_code)
)]
struct DisabledHandle<T>(Disabled, PhantomData<fn() -> T>);

impl<T> fmt::Debug for DisabledHandle<T> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {}
    }
}

#[cfg(not(feature = "tokio"))]
type TokioTimer = Disabled;
#[cfg(not(feature = "async-std"))]
type AsyncStdTimer = Disabled;
#[cfg(not(feature = "smol"))]
type SmolTimer = Disabled;
#[cfg(not(feature = "tokio"))]
type TokioJoinHandle<T> = DisabledHandle<T>;
#[cfg(not(feature = "async-std"))]
type AsyncStdJoinHandle<T> = DisabledHandle<T>;
#[cfg(not(feature = "smol"))]
type SmolJoinHandle<T> = DisabledHandle<T>;

pin_project! {
    /// A timer of one of the enabled backends, as returned by [`Runtime::timer`] for
    /// [`AnyRuntime`].
    ///
    /// Once its deadline has passed it stays ready until it is reset.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use anyio::AnyRuntime;
    /// use anyio::core::backend::Runtime;
    ///
    /// # anyio::run(async {
    /// let runtime = AnyRuntime::current().unwrap();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// runtime.timer(deadline).await;
    /// assert!(Instant::now() >= deadline);
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it only disarms it.
    #[derive(Debug)]
    pub struct AnyTimer {
        #[pin]
        inner: TimerInner,
    }
}

pin_project! {
    #[project = TimerProj]
    #[derive(Debug)]
    #[allow(dead_code)] // the variants of disabled backends
    enum TimerInner {
        Tokio { #[pin] timer: TokioTimer },
        AsyncStd { #[pin] timer: AsyncStdTimer },
        Smol { #[pin] timer: SmolTimer },
        Virtual { #[pin] timer: VirtualTimer },
    }
}

impl Future for AnyTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.project() {
            TimerProj::Tokio { timer } => timer.poll(cx),
            TimerProj::AsyncStd { timer } => timer.poll(cx),
            TimerProj::Smol { timer } => timer.poll(cx),
            TimerProj::Virtual { timer } => timer.poll(cx),
        }
    }
}

impl backend::Timer for AnyTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        match self.project().inner.project() {
            TimerProj::Tokio { timer } => timer.reset(deadline),
            TimerProj::AsyncStd { timer } => timer.reset(deadline),
            TimerProj::Smol { timer } => timer.reset(deadline),
            TimerProj::Virtual { timer } => timer.reset(deadline),
        }
    }
}

/// A task spawned on one of the enabled backends, as returned by [`Runtime::spawn`] for
/// [`AnyRuntime`].
///
/// Resolves to `Some(output)`, or `None` when the task was aborted, panicked, or its runtime
/// shut down. Dropping it detaches the task.
///
/// # Examples
///
/// ```
/// use anyio::AnyRuntime;
/// use anyio::core::backend::{JoinHandle, Runtime};
///
/// # anyio::run(async {
/// let runtime = AnyRuntime::current().unwrap();
/// assert_eq!(runtime.spawn(async { 7 }).await, Some(7));
/// let stuck = runtime.spawn(std::future::pending::<()>());
/// stuck.abort();
/// assert_eq!(stuck.await, None);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it, or a pending `.await` on it, detaches the task, which keeps
/// running.
pub struct AnyJoinHandle<T>(HandleInner<T>);

#[allow(dead_code)] // the variants of disabled backends
enum HandleInner<T> {
    Tokio(TokioJoinHandle<T>),
    AsyncStd(AsyncStdJoinHandle<T>),
    Smol(SmolJoinHandle<T>),
}

#[cfg(feature = "tokio")]
impl<T> From<TokioJoinHandle<T>> for AnyJoinHandle<T> {
    fn from(handle: TokioJoinHandle<T>) -> Self {
        AnyJoinHandle(HandleInner::Tokio(handle))
    }
}

#[cfg(feature = "async-std")]
impl<T> From<AsyncStdJoinHandle<T>> for AnyJoinHandle<T> {
    fn from(handle: AsyncStdJoinHandle<T>) -> Self {
        AnyJoinHandle(HandleInner::AsyncStd(handle))
    }
}

#[cfg(feature = "smol")]
impl<T> From<SmolJoinHandle<T>> for AnyJoinHandle<T> {
    fn from(handle: SmolJoinHandle<T>) -> Self {
        AnyJoinHandle(HandleInner::Smol(handle))
    }
}

impl<T> fmt::Debug for AnyJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            HandleInner::Tokio(handle) => handle.fmt(f),
            HandleInner::AsyncStd(handle) => handle.fmt(f),
            HandleInner::Smol(handle) => handle.fmt(f),
        }
    }
}

impl<T: Send + 'static> Future for AnyJoinHandle<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match &mut self.0 {
            HandleInner::Tokio(handle) => Pin::new(handle).poll(cx),
            HandleInner::AsyncStd(handle) => Pin::new(handle).poll(cx),
            HandleInner::Smol(handle) => Pin::new(handle).poll(cx),
        }
    }
}

impl<T: Send + 'static> backend::JoinHandle<T> for AnyJoinHandle<T> {
    fn abort(&self) {
        match &self.0 {
            HandleInner::Tokio(handle) => handle.abort(),
            HandleInner::AsyncStd(handle) => handle.abort(),
            HandleInner::Smol(handle) => handle.abort(),
        }
    }
}

impl<T> Future for DisabledHandle<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
        match self.0 {}
    }
}

impl<T: Send + 'static> backend::JoinHandle<T> for DisabledHandle<T> {
    fn abort(&self) {
        match self.0 {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyio_core::backend::{JoinHandle as _, Timer as _};
    use std::time::Duration;

    fn each_runtime() -> impl Iterator<Item = AnyRuntime> {
        Backend::available()
            .into_iter()
            .map(|backend| AnyRuntime::try_from(backend).unwrap())
    }

    #[test]
    fn conversions_agree_with_the_backend() {
        for runtime in each_runtime() {
            assert_eq!(AnyRuntime::try_from(runtime.backend()), Ok(runtime));
            assert_eq!(Backend::from(runtime), runtime.backend());
            assert_eq!(runtime.name(), runtime.backend().name());
        }
        for backend in Backend::ALL.into_iter().filter(|b| !b.is_enabled()) {
            assert_eq!(
                AnyRuntime::try_from(backend),
                Err(RunError::NotEnabled(backend))
            );
        }
    }

    #[test]
    fn enter_marks_the_thread_and_restores_it_even_on_panic() {
        for runtime in each_runtime() {
            assert_eq!(running(), None);
            let inner = runtime.enter(|| (AnyRuntime::current(), running()));
            assert_eq!(inner, (Ok(runtime), Some(runtime.backend())));
            let panicked = std::panic::catch_unwind(|| runtime.enter(|| panic!("expected")));
            assert!(panicked.is_err());
            assert_eq!(running(), None);
        }
    }

    #[test]
    fn outside_any_runtime_only_smol_serves() {
        let current = AnyRuntime::current();
        if Backend::Smol.is_enabled() {
            assert_eq!(current.map(AnyRuntime::backend), Ok(Backend::Smol));
        } else {
            let message = current.unwrap_err().to_string();
            assert!(message.contains("`smol`"), "{message}");
            if !Backend::available().is_empty() {
                assert!(message.contains("anyio::run"), "{message}");
            }
        }
    }

    #[test]
    fn the_no_runtime_message_names_the_enabled_backends() {
        let message = no_runtime().to_string();
        for backend in Backend::ALL {
            let named = message.contains(&format!(" {}", backend.name()));
            assert_eq!(named, backend.is_enabled(), "{backend}: {message}");
        }
    }

    #[test]
    fn spawn_abort_and_timers_dispatch_to_each_backend() {
        for runtime in each_runtime() {
            let ran = runtime.block_on(async move {
                assert_eq!(runtime.spawn(async { 1 + 1 }).await, Some(2));

                let pending = runtime.spawn(std::future::pending::<()>());
                pending.abort();
                assert_eq!(pending.await, None);

                let mut timer = Box::pin(runtime.timer(runtime.now() + Duration::from_secs(3600)));
                timer
                    .as_mut()
                    .reset(runtime.now() + Duration::from_millis(2));
                timer.as_mut().await;
                format!("{timer:?}")
            });
            assert!(ran.unwrap().contains("timer"));
        }
    }

    #[test]
    fn block_on_refuses_to_nest_across_backends() {
        for outer in each_runtime() {
            let nested = outer
                .block_on(async move {
                    each_runtime()
                        .map(|inner| inner.block_on(async {}))
                        .collect::<Vec<_>>()
                })
                .unwrap();
            for result in nested {
                assert_eq!(result, Err(NestedRun::new(outer.name())));
            }
        }
    }

    #[test]
    fn native_runtimes_are_detected_in_their_own_threads() {
        for runtime in each_runtime() {
            let detected = runtime
                .block_on(async move {
                    // A spawned task carries no anyio marker: detection (or the smol fallback)
                    // must find its runtime.
                    runtime.spawn(async { Backend::current() }).await
                })
                .unwrap();
            assert_eq!(detected, Some(Some(runtime.backend())));
        }
    }
}
