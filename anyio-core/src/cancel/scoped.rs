//! The future that runs a body inside a cancel scope: the one place where cancellation turns
//! into dropping a future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::instant;
use super::node::{Cause, Now, ScopeNode};
use crate::backend::{Runtime, Timer};
use crate::context::{self, Frame, LazyScope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Fresh,
    Active,
    Done,
}

pin_project! {
    /// A future running a body inside a cancel scope; resolves to `Some(output)`, or `None`
    /// when the scope caught its own cancellation and dropped the body.
    ///
    /// Created by [`CancelScope::run`](super::CancelScope::run),
    /// [`move_on_after`](super::move_on_after) and [`move_on_at`](super::move_on_at).
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
    /// When the scope has a deadline and its body suspends where `R::current()` finds no runtime
    /// to arm the timer on; the message says what to do.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the body, exactly as cancelling the scope would; it is as cancel safe
    /// as the body is.
    #[must_use = "futures do nothing unless polled"]
    pub struct Scoped<F, R: Runtime> {
        #[pin]
        inner: ScopeFuture<F, DeadlineTimer<R>>,
    }
}

pin_project! {
    /// The scope machinery, generic over how it waits for its deadline so that task roots,
    /// which never have one, carry no timer.
    pub(crate) struct ScopeFuture<F, D> {
        #[pin]
        body: Option<F>,
        #[pin]
        deadline: D,
        node: NodeSlot,
        entry_deadline: Option<EntryDeadline>,
        phase: Phase,
        registered: bool,
        deferring: bool,
    }

    impl<F, D> PinnedDrop for ScopeFuture<F, D> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // A lazy scope dropped before it needed a node has nothing to undo.
            if let Some(node) = this.node.0.as_deref() {
                leave(node, this.phase, this.registered, this.deferring);
            }
        }
    }
}

/// Waits for a scope's deadline.
pub(crate) trait Deadline {
    /// Arms (or re-arms, after a deadline change) the timer for `node`'s deadline and polls
    /// it, waking the task when the deadline has passed.
    fn poll_deadline(self: Pin<&mut Self>, node: &ScopeNode, cx: &mut Context<'_>);
}

/// For scopes that can never have a deadline: task roots.
#[derive(Debug, Default)]
pub(crate) struct NoDeadline;

impl Deadline for NoDeadline {
    fn poll_deadline(self: Pin<&mut Self>, _node: &ScopeNode, _cx: &mut Context<'_>) {}
}

pin_project! {
    /// A runtime timer, created the first time the scope waits with a deadline.
    pub(crate) struct DeadlineTimer<R: Runtime> {
        #[pin]
        timer: Option<R::Timer>,
        armed_for: u64,
    }
}

impl<R: Runtime> Default for DeadlineTimer<R> {
    fn default() -> Self {
        Self {
            timer: None,
            armed_for: instant::NEVER,
        }
    }
}

impl<R: Runtime> Deadline for DeadlineTimer<R> {
    fn poll_deadline(self: Pin<&mut Self>, node: &ScopeNode, cx: &mut Context<'_>) {
        let this = self.project();
        let deadline = node.deadline_nanos();
        let Some(at) = instant::from_nanos(deadline) else {
            return;
        };
        let mut timer = this.timer;
        match timer.as_mut().as_pin_mut() {
            Some(t) if *this.armed_for == deadline => {
                if t.poll(cx).is_ready() {
                    cx.waker().wake_by_ref();
                }
                return;
            }
            Some(t) => t.reset(at),
            None => {
                let runtime = R::current().unwrap_or_else(|e| panic!("{e}"));
                timer.set(Some(runtime.timer(at)));
            }
        }
        *this.armed_for = deadline;
        let t = timer.as_pin_mut().expect("timer just armed");
        if t.poll(cx).is_ready() {
            cx.waker().wake_by_ref();
        }
    }
}

impl<F, R: Runtime> std::fmt::Debug for Scoped<F, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Scoped");
        match &self.inner.node.0 {
            Some(node) => debug
                .field("deadline", &node.deadline())
                .field("shield", &node.is_shielded())
                .field("cancel_called", &node.cancel_called()),
            None => debug.field("entered", &false),
        };
        debug.finish_non_exhaustive()
    }
}

impl<F, R: Runtime> Scoped<F, R> {
    pub(crate) fn new(node: Arc<ScopeNode>, body: F) -> Self {
        Self {
            inner: ScopeFuture::new(node, body),
        }
    }

    /// A scope nothing else can reach, with a deadline: it needs a node only if its body
    /// suspends (see [`LazyScope`]).
    pub(crate) fn lazy(deadline: EntryDeadline, body: F) -> Self {
        Self {
            inner: ScopeFuture {
                body: Some(body),
                deadline: DeadlineTimer::default(),
                node: NodeSlot(None),
                entry_deadline: Some(deadline),
                phase: Phase::Fresh,
                registered: false,
                deferring: false,
            },
        }
    }
}

/// The deadline of a scope, fixed when the scope is entered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EntryDeadline {
    /// This long after entry.
    After(Duration),
    /// At this instant.
    At(std::time::Instant),
}

impl EntryDeadline {
    /// The deadline for a scope entered at `entered`; `None` when it cannot be represented
    /// (which means never).
    fn resolve(self, entered: std::time::Instant) -> Option<std::time::Instant> {
        match self {
            // Deadlines too far to store become "never" when a node stores them.
            Self::After(delay) => entered.checked_add(delay),
            Self::At(at) => Some(at),
        }
    }
}

impl<F: Future, R: Runtime> Future for Scoped<F, R> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

impl<F, D: Default> ScopeFuture<F, D> {
    pub(crate) fn new(node: Arc<ScopeNode>, body: F) -> Self {
        Self {
            body: Some(body),
            deadline: D::default(),
            node: NodeSlot(Some(node)),
            entry_deadline: None,
            phase: Phase::Fresh,
            registered: false,
            deferring: false,
        }
    }
}

/// The scope's node. While the body is polled it is lent to the thread's context (moved, not
/// cloned), and when the scope goes away it is recycled.
struct NodeSlot(Option<Arc<ScopeNode>>);

impl NodeSlot {
    fn get(&self) -> &ScopeNode {
        self.0
            .as_deref()
            .expect("the scope's node is only lent out while its body is polled")
    }
}

impl Drop for NodeSlot {
    fn drop(&mut self) {
        if let Some(node) = self.0.take() {
            ScopeNode::recycle(node);
        }
    }
}

fn leave(node: &ScopeNode, phase: &mut Phase, registered: &mut bool, deferring: &mut bool) {
    if *phase != Phase::Active {
        return;
    }
    *phase = Phase::Done;
    if let Some(parent) = node.parent() {
        if std::mem::take(registered) {
            parent.deregister_child(node.id());
        }
        if std::mem::take(deferring) {
            ScopeNode::remove_deferral(parent);
        }
    }
}

/// Whether a scope in this state stops its body itself (rather than leaving it to an
/// ancestor, which will drop the whole subtree).
fn catches(node: &ScopeNode, cause: Cause) -> bool {
    cause == Cause::Own || (cause == Cause::Ancestor && node.is_task_root())
}

impl<F: Future, D: Deadline> Future for ScopeFuture<F, D> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let mut now = Now::default();
        match *this.phase {
            Phase::Fresh if this.node.0.is_none() => {
                let entered = std::time::Instant::now();
                let deadline = this.entry_deadline.take().and_then(|d| d.resolve(entered));
                let lazy = LazyScope {
                    parent: context::current(),
                    deadline,
                };
                match lazy.cause(Some(entered)) {
                    Cause::Own => {
                        // Already past its deadline: the body is dropped unpolled.
                        this.body.set(None);
                        *this.phase = Phase::Done;
                        return Poll::Ready(None);
                    }
                    // A cancelled enclosing scope will drop us; that needs a node to wait on.
                    Cause::Ancestor => this.node.0 = Some(lazy.materialize()),
                    Cause::None => {
                        let body = this.body.as_mut().as_pin_mut().expect("body present");
                        let mut frame = Some(Frame::Lazy(lazy));
                        let polled = context::lend(&mut frame, || body.poll(cx));
                        let node = match frame.expect("lend gives the frame back") {
                            Frame::Lazy(_) if polled.is_ready() => {
                                this.body.set(None);
                                *this.phase = Phase::Done;
                                return polled.map(Some);
                            }
                            Frame::Lazy(lazy) => lazy.materialize(),
                            Frame::Node(node) => node,
                        };
                        this.node.0 = Some(node);
                        *this.phase = Phase::Active;
                        if let Poll::Ready(output) = polled {
                            this.body.set(None);
                            leave(this.node.get(), this.phase, this.registered, this.deferring);
                            return Poll::Ready(Some(output));
                        }
                        suspend(this.node, this.registered, this.deadline, Cause::None, cx);
                        return Poll::Pending;
                    }
                }
                *this.phase = Phase::Active;
            }
            Phase::Fresh => {
                let node = this.node.get();
                // An unset parent already reads as "none": skip the once-cell when there is
                // nothing to link to.
                if node.parent().is_none() {
                    if let Some(parent) = context::current() {
                        node.set_parent(Some(parent));
                    }
                }
                if let Some(deadline) = this.entry_deadline.take() {
                    node.init_deadline(deadline.resolve(std::time::Instant::now()));
                }
                if node.is_shielded() {
                    if let Some(parent) = node.parent() {
                        ScopeNode::add_deferral(parent);
                        *this.deferring = true;
                    }
                }
                *this.phase = Phase::Active;
            }
            Phase::Active => {}
            Phase::Done => panic!("`Scoped` polled after completion"),
        }

        let node = this.node.get();
        let before = node.cause(&mut now);
        if before == Cause::Own {
            node.fire_deadline();
        }
        if before != Cause::None && node.deferrals() <= 0 {
            if catches(node, before) {
                this.body.set(None);
                node.set_caught();
                leave(node, this.phase, this.registered, this.deferring);
                return Poll::Ready(None);
            }
            // An enclosing scope of this same task is cancelled and will drop us.
            node.set_waker(cx.waker());
            return Poll::Pending;
        }

        let body = this
            .body
            .as_mut()
            .as_pin_mut()
            .expect("body present while active");
        let mut frame = this.node.0.take().map(Frame::Node);
        let polled = context::lend(&mut frame, || body.poll(cx));
        this.node.0 = match frame {
            Some(Frame::Node(node)) => Some(node),
            _ => unreachable!("a node frame comes back as lent"),
        };
        if let Poll::Ready(output) = polled {
            this.body.set(None);
            leave(this.node.get(), this.phase, this.registered, this.deferring);
            return Poll::Ready(Some(output));
        }
        suspend(this.node, this.registered, this.deadline, before, cx);
        Poll::Pending
    }
}

/// After the body returned `Pending`: make sure cancellation can wake this task, and wait for
/// the deadline.
fn suspend<D: Deadline>(
    slot: &NodeSlot,
    registered: &mut bool,
    deadline: Pin<&mut D>,
    before: Cause,
    cx: &mut Context<'_>,
) {
    let node = slot.get();
    node.set_waker(cx.waker());
    if !*registered {
        if let Some(parent) = node.parent() {
            parent.register_child(slot.0.as_ref().expect("node present"));
            *registered = true;
        }
    }
    // A cancellation that raced with the poll must not be missed: registering first and
    // checking after means either we see it here or its wake-up reaches us.
    let after = node.cause(&mut Now::default());
    if before == Cause::None && catches(node, after) {
        cx.waker().wake_by_ref();
        return;
    }
    if after == Cause::None {
        deadline.poll_deadline(node, cx);
    }
}
