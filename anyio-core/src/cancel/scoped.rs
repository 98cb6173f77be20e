//! The future that runs a body inside a cancel scope.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::deadline::DeadlineTimer;
use super::handle::CancelHandle;
use crate::backend::Runtime;
use crate::context::{self, Lazy};
use crate::drive::{drive, Driven};
use crate::instant;
use crate::time::current_time;
use crate::tree::{Kind, Node, NodeRef, Sources};

/// The deadline of a scope, as given before it is entered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EntryDeadline {
    /// The node already has its deadline (or none).
    Set,
    /// This long after entry.
    After(Duration),
    /// At this instant of the runtime's clock.
    At(Instant),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Fresh,
    Active,
    /// The body was dropped for a cancellation an enclosing scope is responsible for; that
    /// scope will drop this future in turn.
    Zombie,
    /// As `Zombie`, for a scope that never needed a node.
    LazyZombie {
        own: bool,
        shield: bool,
    },
    Done,
}

pin_project! {
    /// A future running a body inside a cancel scope; resolves to `Some(output)`, or `None`
    /// when the scope caught its own cancellation and dropped the body.
    ///
    /// Created by [`CancelScope::run`](super::CancelScope::run),
    /// [`move_on_after`](super::move_on_after) and [`move_on_at`](super::move_on_at).
    /// Before it is first polled, [`shield`](Self::shield) shields it and
    /// [`handle`](Self::handle) gives a handle to its scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio_core::cancel::Scoped;
    ///
    /// # anyio::run(async {
    /// let scoped: Scoped<_, anyio::AnyRuntime> =
    ///     anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever());
    /// assert_eq!(scoped.await, None);
    /// # }).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// When the scope has a deadline and its body suspends where `R::current()` finds no
    /// runtime to arm the timer on; the message says what to do.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the body, exactly as cancelling the scope would; it is as cancel safe
    /// as the body is.
    #[must_use = "futures do nothing unless polled"]
    pub struct Scoped<F, R: Runtime> {
        #[pin]
        body: Option<F>,
        #[pin]
        timer: DeadlineTimer<R>,
        node: Option<NodeRef>,
        entry: EntryDeadline,
        shield: bool,
        phase: Phase,
    }

    impl<F, R: Runtime> PinnedDrop for Scoped<F, R> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(node) = this.project().node.as_deref() {
                node.unlink();
            }
        }
    }
}

impl<F, R: Runtime> Scoped<F, R> {
    /// A scope around `body` whose node (from a [`CancelScope`](super::CancelScope)) already
    /// holds its deadline and shield.
    pub(crate) fn with_node(node: NodeRef, body: F) -> Self {
        Self {
            body: Some(body),
            timer: DeadlineTimer::default(),
            node: Some(node),
            entry: EntryDeadline::Set,
            shield: false,
            phase: Phase::Fresh,
        }
    }

    /// A scope nothing else can reach, with a deadline: it needs a node only if its body
    /// suspends or something inside needs a parent (see `context`).
    pub(crate) fn lazy(entry: EntryDeadline, body: F) -> Self {
        Self {
            body: Some(body),
            timer: DeadlineTimer::default(),
            node: None,
            entry,
            shield: false,
            phase: Phase::Fresh,
        }
    }

    /// Shields the body from the cancellation of enclosing scopes; the scope's own deadline
    /// and cancellation still apply. Call it before the future is first polled (afterwards,
    /// use [`CancelHandle::set_shield`]).
    ///
    /// # Examples
    ///
    /// Cleanup with its own time limit that an enclosing cancellation does not interrupt:
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let outer = anyio::CancelScope::new();
    /// outer.cancel();
    /// let flushed = outer
    ///     .run(async {
    ///         let flush = anyio::move_on_after(Duration::from_secs(1), async {
    ///             anyio::sleep(Duration::from_millis(5)).await;
    ///             "flushed"
    ///         });
    ///         flush.shield(true).await
    ///     })
    ///     .await;
    /// assert_eq!(flushed, Some(Some("flushed")));
    /// # }).unwrap();
    /// ```
    pub fn shield(mut self, shield: bool) -> Self {
        match &self.node {
            Some(node) => node.set_shield(shield),
            None => self.shield = shield,
        }
        self
    }

    /// A handle to this scope: cancel it, move its deadline or switch its shield from any
    /// task or thread, and ask afterwards whether it caught its cancellation.
    ///
    /// A relative deadline (`move_on_after`) is fixed when the future is first polled; until
    /// then the handle reports no deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let mut wait = anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever());
    /// let handle = wait.handle();
    /// assert_eq!(wait.await, None);
    /// assert!(handle.is_cancel_called()); // the deadline passed
    /// assert!(handle.cancelled_caught());
    /// # }).unwrap();
    /// ```
    pub fn handle(&mut self) -> CancelHandle {
        let shield = self.shield;
        let node = self.node.get_or_insert_with(|| {
            Node::new(
                Kind::Scope,
                Sources {
                    shield,
                    ..Sources::default()
                },
            )
        });
        CancelHandle::new::<R>(NodeRef::clone(node))
    }
}

impl<F: Future, R: Runtime> Future for Scoped<F, R> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match *this.phase {
            Phase::Fresh if this.node.is_none() => {
                let lazy = enter_lazy::<R>(*this.entry, *this.shield);
                let body = this.body.as_mut().as_pin_mut().expect("body present");
                let (polled, entered) = context::enter(this.node, Some(lazy), || body.poll(cx));
                let seen = entered.cancelled_before;
                if let Poll::Ready(output) = polled {
                    if let Some(node) = this.node.as_deref() {
                        node.unlink();
                    }
                    *this.phase = Phase::Done;
                    this.body.set(None);
                    return Poll::Ready(Some(output));
                }
                let shielded_yield = entered.shielded_yield;
                let node = match this.node.take() {
                    // Something inside needed a parent: the scope is a node already.
                    Some(node) => node,
                    None => {
                        if seen && !shielded_yield {
                            // Nothing can be below a scope that never became a node.
                            this.body.set(None);
                            let (own, shield) = (lazy.cancelled, lazy.shield);
                            *this.phase = Phase::LazyZombie { own, shield };
                            return poll_lazy_zombie(own, shield, this.phase);
                        }
                        lazy.materialize(context::current_node().as_ref())
                    }
                };
                *this.phase = Phase::Active;
                let cancelled = node.register(cx.waker());
                *this.node = Some(node);
                if shielded_yield {
                    return Poll::Pending;
                }
                // A cancelled node is settled by the loop below, which polls the body again
                // and weighs what is below it, as for every later poll.
                let node = this.node.as_ref().expect("set above");
                if !cancelled && !this.timer.as_mut().deliver(node, cx) {
                    return Poll::Pending;
                }
            }
            Phase::Fresh => {
                let node = this.node.as_ref().expect("checked above");
                Node::link(node, context::current_node().as_ref());
                enter_node::<R>(node, *this.entry);
                *this.phase = Phase::Active;
            }
            Phase::Active => {}
            Phase::Zombie => return poll_zombie(this.node, this.phase, cx),
            Phase::LazyZombie { own, shield } => return poll_lazy_zombie(own, shield, this.phase),
            Phase::Done => panic!("`Scoped` polled after completion"),
        }

        loop {
            let node = this.node.as_ref().expect("active scopes have a node");
            this.timer.as_mut().deliver_armed(node, cx);
            match drive(this.node, this.body.as_mut(), cx) {
                Driven::Ready(output) => {
                    return Poll::Ready(Some(finish(this.node, this.phase, output)));
                }
                Driven::Dropped => return settle(this.node, this.phase, cx),
                Driven::Pending => {
                    let node = this.node.as_ref().expect("active scopes have a node");
                    if node.is_effective() || !this.timer.as_mut().deliver(node, cx) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

/// The lazy frame for a scope entered now with `entry`.
fn enter_lazy<R: Runtime>(entry: EntryDeadline, shield: bool) -> Lazy {
    let (cancelled, deadline) = match entry {
        EntryDeadline::Set => (false, None),
        // Already past: no need to read the clock.
        EntryDeadline::After(delay) if delay.is_zero() => (true, Some(instant::past())),
        EntryDeadline::After(delay) => (false, current_time::<R>().checked_add(delay)),
        EntryDeadline::At(at) => (at <= current_time::<R>(), Some(at)),
    };
    Lazy {
        cancelled,
        shield,
        deadline,
    }
}

/// Fixes a relative deadline at entry, and cancels a node whose deadline has already passed.
fn enter_node<R: Runtime>(node: &NodeRef, entry: EntryDeadline) {
    match entry {
        EntryDeadline::Set => {}
        EntryDeadline::After(delay) => {
            let at = instant::after(current_time::<R>(), delay);
            node.init_deadline(at.map_or(instant::NEVER, instant::to_nanos));
        }
        EntryDeadline::At(at) => node.init_deadline(instant::to_nanos(at)),
    }
    node.cancel_if_deadline_passed(current_time::<R>());
}

fn finish<T>(node: &Option<NodeRef>, phase: &mut Phase, output: T) -> T {
    if let Some(node) = node {
        node.unlink();
    }
    *phase = Phase::Done;
    output
}

/// The body was dropped: resolve to "cancelled" if this scope is the one that caught it, else
/// wait to be dropped by the enclosing scope that did.
fn settle<T>(node: &Option<NodeRef>, phase: &mut Phase, cx: &mut Context<'_>) -> Poll<Option<T>> {
    *phase = Phase::Zombie;
    if let Some(node) = node {
        node.set_body_dropped();
    }
    poll_zombie(node, phase, cx)
}

fn poll_zombie<T>(
    node: &Option<NodeRef>,
    phase: &mut Phase,
    cx: &mut Context<'_>,
) -> Poll<Option<T>> {
    let node = node.as_ref().expect("zombies have a node");
    node.register(cx.waker());
    let catches = node.catches();
    // The enclosing scope responsible for the cancellation drops this future; if its
    // cancellation was lifted meanwhile (a shield switched on above), nobody will, and this
    // scope ends as cancelled itself.
    if catches || !node.parent_is_effective() {
        if catches {
            node.set_caught();
        }
        node.unlink();
        *phase = Phase::Done;
        return Poll::Ready(None);
    }
    Poll::Pending
}

fn poll_lazy_zombie<T>(own: bool, shield: bool, phase: &mut Phase) -> Poll<Option<T>> {
    let enclosing = context::is_cancelled();
    if (own && shield) || !enclosing {
        *phase = Phase::Done;
        return Poll::Ready(None);
    }
    Poll::Pending
}

impl<F, R: Runtime> fmt::Debug for Scoped<F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Scoped");
        match &self.node {
            Some(node) => debug
                .field("deadline", &node.deadline())
                .field("shield", &node.is_shielded())
                .field("cancel_called", &node.cancel_called()),
            None => debug
                .field("entry_deadline", &self.entry)
                .field("shield", &self.shield),
        };
        debug.field("phase", &self.phase).finish_non_exhaustive()
    }
}
