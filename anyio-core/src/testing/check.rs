//! The checks as values: which contract, which stream makers, what time limit; awaiting one
//! runs every property on fresh pairs and gathers the failures.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::failure::{CheckError, Failure, Property};
use super::probe::{Ctx, Step};
use super::{half_closeable, one_way, two_way};
use crate::backend::Runtime;
use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream};

/// How long one step of a check may wait before the check fails instead of hanging.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes a fresh connected pair of streams for each property a checker verifies: Trio's
/// `stream_maker`. Any `Fn() -> impl Future<Output = (A, B)>` is one, such as
/// `|| async { memory_stream_pair() }`.
///
/// For the one-way checker the first stream sends and the second receives; for the two-way
/// checkers both do, and each direction is checked.
///
/// # Examples
///
/// ```
/// use anyio::testing::{memory_stream_pair, StreamMaker};
///
/// fn assert_maker(_: &impl StreamMaker) {}
/// assert_maker(&|| async { memory_stream_pair() });
/// ```
pub trait StreamMaker: Send + Sync {
    /// The first stream of each pair.
    type First: Send + Sync + 'static;
    /// The second stream of each pair, connected to the first.
    type Second: Send + Sync + 'static;

    /// Makes a connected pair.
    fn make(&self) -> impl Future<Output = (Self::First, Self::Second)> + Send;
}

impl<F, Fut, A, B> StreamMaker for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = (A, B)> + Send,
    A: Send + Sync + 'static,
    B: Send + Sync + 'static,
{
    type First = A;
    type Second = B;

    fn make(&self) -> impl Future<Output = (A, B)> + Send {
        self()
    }
}

/// A maker whose pairs come the other way round, to check the second direction.
pub(super) struct Flipped<'a, M>(pub(super) &'a M);

impl<M: StreamMaker> StreamMaker for Flipped<'_, M> {
    type First = M::Second;
    type Second = M::First;

    async fn make(&self) -> (M::Second, M::First) {
        let (first, second) = self.0.make().await;
        (second, first)
    }
}

/// The kind of [`Check`] made by [`check_one_way_stream`](super::check_one_way_stream).
#[derive(Debug, Clone, Copy)]
pub struct OneWay;

/// The kind of [`Check`] made by [`check_two_way_stream`](super::check_two_way_stream).
#[derive(Debug, Clone, Copy)]
pub struct TwoWay;

/// The kind of [`Check`] made by
/// [`check_half_closeable_stream`](super::check_half_closeable_stream).
#[derive(Debug, Clone, Copy)]
pub struct HalfCloseable;

/// A stream check, ready to run: await it.
///
/// Made by [`check_one_way_stream`](super::check_one_way_stream),
/// [`check_two_way_stream`](super::check_two_way_stream) and
/// [`check_half_closeable_stream`](super::check_half_closeable_stream); `K` is the kind of
/// check, `R` the runtime that serves its time limits, `M` the stream maker and `C` the
/// clogged stream maker (the same type as `M` until [`clogged`](Self::clogged) sets one).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::testing::{check_two_way_stream, lockstep_stream_pair};
///
/// # anyio::run(async {
/// check_two_way_stream(|| async { lockstep_stream_pair() })
///     .clogged(|| async { lockstep_stream_pair() })
///     .timeout(Duration::from_secs(5))
///     .await
///     .unwrap();
/// # }).unwrap();
/// ```
#[must_use = "a check does nothing unless awaited"]
pub struct Check<K, R, M, C = M> {
    stream_maker: M,
    clogged_stream_maker: Option<C>,
    timeout: Duration,
    _kind: PhantomData<fn() -> (K, R)>,
}

impl<K, R, M> Check<K, R, M> {
    pub(super) fn new(stream_maker: M) -> Self {
        Self {
            stream_maker,
            clogged_stream_maker: None,
            timeout: DEFAULT_TIMEOUT,
            _kind: PhantomData,
        }
    }
}

impl<K, R, M: StreamMaker, C> Check<K, R, M, C> {
    /// Also runs the properties that need a send to wait: `clogged_stream_maker` makes pairs
    /// like the stream maker's, except that a send on the first stream (and, for two-way
    /// checks, on the second) waits until the peer receives. Trio's `clogged_stream_maker`.
    ///
    /// The checkers send 1 MiB at once on a clogged stream, so a socket pair whose buffers
    /// were filled first (write until the OS refuses, without receiving) will do, even if it
    /// finds a little room again later; a lockstep stream is clogged by nature.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::{check_one_way_stream, lockstep_stream_one_way_pair};
    ///
    /// # anyio::run(async {
    /// check_one_way_stream(|| async { lockstep_stream_one_way_pair() })
    ///     .clogged(|| async { lockstep_stream_one_way_pair() })
    ///     .await
    ///     .unwrap();
    /// # }).unwrap();
    /// ```
    pub fn clogged<C2>(self, clogged_stream_maker: C2) -> Check<K, R, M, C2>
    where
        C2: StreamMaker<First = M::First, Second = M::Second>,
    {
        Check {
            stream_maker: self.stream_maker,
            clogged_stream_maker: Some(clogged_stream_maker),
            timeout: self.timeout,
            _kind: PhantomData,
        }
    }

    /// How long one step may wait (a receive for its bytes, a close, the stream maker) before
    /// the property fails as hanging; [`DEFAULT_TIMEOUT`] unless set. The whole of one
    /// property may take twice as long, and the full-duplex transfer ten times as long.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::testing::{check_one_way_stream, memory_stream_one_way_pair};
    ///
    /// # anyio::run(async {
    /// check_one_way_stream(|| async { memory_stream_one_way_pair() })
    ///     .timeout(Duration::from_secs(1))
    ///     .await
    ///     .unwrap();
    /// # }).unwrap();
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<K, R, M, C> fmt::Debug for Check<K, R, M, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("kind", &std::any::type_name::<K>())
            .field("clogged", &self.clogged_stream_maker.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The future of an awaited [`Check`]: `Ok(())` when every property held, else the
/// [`CheckError`] listing those that failed.
///
/// # Examples
///
/// ```
/// use anyio::testing::{check_one_way_stream, memory_stream_one_way_pair, CheckFuture};
/// use std::future::IntoFuture;
///
/// # anyio::run(async {
/// let future: CheckFuture = check_one_way_stream(|| async { memory_stream_one_way_pair() }).into_future();
/// future.await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping it drops the streams of the property being checked, which closes them.
#[must_use = "futures do nothing unless polled"]
pub struct CheckFuture(Pin<Box<dyn Future<Output = Result<(), CheckError>> + Send>>);

impl fmt::Debug for CheckFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckFuture").finish_non_exhaustive()
    }
}

impl Future for CheckFuture {
    type Output = Result<(), CheckError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<R, M, C> IntoFuture for Check<OneWay, R, M, C>
where
    R: Runtime,
    M: StreamMaker + 'static,
    C: StreamMaker<First = M::First, Second = M::Second> + 'static,
    M::First: ByteSendStream + AsyncClose,
    M::Second: ByteReceiveStream + AsyncClose,
{
    type Output = Result<(), CheckError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        CheckFuture(Box::pin(async move {
            let mut runner = Runner::<R>::new(self.timeout);
            let clogged = self.clogged_stream_maker.as_ref();
            one_way::check(&mut runner, &self.stream_maker, clogged, None).await;
            runner.finish()
        }))
    }
}

impl<R, M, C> IntoFuture for Check<TwoWay, R, M, C>
where
    R: Runtime,
    M: StreamMaker + 'static,
    C: StreamMaker<First = M::First, Second = M::Second> + 'static,
    M::First: ByteSendStream + ByteReceiveStream + AsyncClose,
    M::Second: ByteSendStream + ByteReceiveStream + AsyncClose,
{
    type Output = Result<(), CheckError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        CheckFuture(Box::pin(async move {
            let mut runner = Runner::<R>::new(self.timeout);
            let clogged = self.clogged_stream_maker.as_ref();
            two_way::check(&mut runner, &self.stream_maker, clogged).await;
            runner.finish()
        }))
    }
}

impl<R, M, C> IntoFuture for Check<HalfCloseable, R, M, C>
where
    R: Runtime,
    M: StreamMaker + 'static,
    C: StreamMaker<First = M::First, Second = M::Second> + 'static,
    M::First: ByteStream + AsyncClose,
    M::Second: ByteStream + AsyncClose,
{
    type Output = Result<(), CheckError>;
    type IntoFuture = CheckFuture;

    fn into_future(self) -> CheckFuture {
        CheckFuture(Box::pin(async move {
            let mut runner = Runner::<R>::new(self.timeout);
            let clogged = self.clogged_stream_maker.as_ref();
            two_way::check(&mut runner, &self.stream_maker, clogged).await;
            half_closeable::check(&mut runner, &self.stream_maker, clogged).await;
            runner.finish()
        }))
    }
}

/// How many time limits a step of `property` may take: the full-duplex transfer moves 2 MiB
/// in each of its steps.
fn allowance(property: Property) -> u32 {
    match property {
        Property::FullDuplex => 10,
        _ => 1,
    }
}

/// Runs properties one by one, each on a fresh pair, and keeps the failures.
pub(super) struct Runner<R> {
    ctx: Ctx<R>,
    failures: Vec<Failure>,
    checked: usize,
}

impl<R: Runtime> Runner<R> {
    fn new(timeout: Duration) -> Self {
        Self {
            ctx: Ctx::new(timeout),
            failures: Vec::new(),
            checked: 0,
        }
    }

    pub(super) fn ctx(&self) -> Ctx<R> {
        self.ctx
    }

    /// Checks `property` with `body` on a fresh pair from `maker`, then closes the pair
    /// forcefully (whatever the body left behind) before dropping it.
    pub(super) async fn run<M, F, Fut>(
        &mut self,
        property: Property,
        direction: Option<&'static str>,
        maker: &M,
        body: F,
    ) where
        M: StreamMaker,
        M::First: AsyncClose,
        M::Second: AsyncClose,
        F: FnOnce(Arc<M::First>, Arc<M::Second>) -> Fut,
        Fut: Future<Output = Step> + Send,
    {
        self.checked += 1;
        let ctx = self.ctx;
        let Some((first, second)) = ctx.limit(Box::pin(maker.make())).await else {
            let detail = format!(
                "while checking {property:?}, the stream maker did not return a pair within {:?}",
                ctx.timeout()
            );
            self.failures
                .push(Failure::new(Property::MakeStreams, direction, detail));
            return;
        };
        let (first, second) = (Arc::new(first), Arc::new(second));
        let whole = ctx.timeout() * 2 * allowance(property);
        let outcome =
            crate::cancel::fail_after::<_, R>(whole, Box::pin(body(first.clone(), second.clone())))
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "the property's steps did not finish within {whole:?}: one of them hangs"
                    ))
                });
        futures_util::future::join(
            ctx.close_forcefully(&*first),
            ctx.close_forcefully(&*second),
        )
        .await;
        if let Err(detail) = outcome {
            self.failures
                .push(Failure::new(property, direction, detail));
        }
    }

    /// The time limit of the steps of `property`.
    pub(super) fn ctx_for(&self, property: Property) -> Ctx<R> {
        Ctx::new(self.ctx.timeout() * allowance(property))
    }

    fn finish(self) -> Result<(), CheckError> {
        if self.failures.is_empty() {
            return Ok(());
        }
        Err(CheckError::new(self.failures, self.checked))
    }
}
