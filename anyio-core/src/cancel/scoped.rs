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
use crate::context;

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
    /// Created by [`CancelScope::run`](super::CancelScope::run).
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the body, exactly as cancelling the scope would.
    #[must_use = "futures do nothing unless polled"]
    pub struct Scoped<F, R: Runtime> {
        #[pin]
        body: Option<F>,
        #[pin]
        timer: Option<R::Timer>,
        armed_for: u64,
        node: Arc<ScopeNode>,
        delay: Option<Duration>,
        phase: Phase,
        registration: Option<usize>,
        deferring: bool,
    }

    impl<F, R: Runtime> PinnedDrop for Scoped<F, R> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            leave(this.node, this.phase, this.registration, this.deferring);
        }
    }
}

impl<F, R: Runtime> std::fmt::Debug for Scoped<F, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scoped")
            .field("deadline", &self.node.deadline())
            .field("shield", &self.node.is_shielded())
            .field("cancel_called", &self.node.cancel_called())
            .finish_non_exhaustive()
    }
}

impl<F, R: Runtime> Scoped<F, R> {
    pub(crate) fn new(node: Arc<ScopeNode>, body: F) -> Self {
        Self::build(node, None, body)
    }

    fn build(node: Arc<ScopeNode>, delay: Option<Duration>, body: F) -> Self {
        Self {
            body: Some(body),
            timer: None,
            armed_for: instant::NEVER,
            node,
            delay,
            phase: Phase::Fresh,
            registration: None,
            deferring: false,
        }
    }

    /// A scope whose deadline is `delay` after the moment it is first polled.
    pub(crate) fn with_delay(node: Arc<ScopeNode>, delay: Duration, body: F) -> Self {
        Self::build(node, Some(delay), body)
    }
}

fn leave(
    node: &ScopeNode,
    phase: &mut Phase,
    registration: &mut Option<usize>,
    deferring: &mut bool,
) {
    if *phase != Phase::Active {
        return;
    }
    *phase = Phase::Done;
    if let Some(parent) = node.parent() {
        if let Some(key) = registration.take() {
            parent.deregister_child(key);
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

impl<F: Future, R: Runtime> Future for Scoped<F, R> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match *this.phase {
            Phase::Fresh => {
                let node = &**this.node;
                if node.parent().is_none() {
                    node.set_parent(context::current());
                }
                if let Some(delay) = this.delay.take() {
                    node.init_deadline(instant::after(std::time::Instant::now(), delay));
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

        let node = Arc::clone(this.node);
        let before = node.cause(&mut Now::default());
        if before == Cause::Own {
            node.fire_deadline();
        }
        if before != Cause::None && node.deferrals() <= 0 {
            if catches(&node, before) {
                this.body.set(None);
                node.set_caught();
                leave(&node, this.phase, this.registration, this.deferring);
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
        if let Poll::Ready(output) = context::enter(&node, || body.poll(cx)) {
            this.body.set(None);
            leave(&node, this.phase, this.registration, this.deferring);
            return Poll::Ready(Some(output));
        }

        node.set_waker(cx.waker());
        if this.registration.is_none() {
            if let Some(parent) = node.parent() {
                *this.registration = Some(parent.register_child(&node));
            }
        }
        // A cancellation that raced with the poll above must not be missed: registering first
        // and checking after means either we see it here or its wake-up reaches us.
        let after = node.cause(&mut Now::default());
        if before == Cause::None && catches(&node, after) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if after == Cause::None {
            poll_deadline::<R>(&node, this.timer, this.armed_for, cx);
        }
        Poll::Pending
    }
}

/// Arms (or re-arms, after a deadline change) the scope's timer and polls it.
fn poll_deadline<R: Runtime>(
    node: &ScopeNode,
    mut timer: Pin<&mut Option<R::Timer>>,
    armed_for: &mut u64,
    cx: &mut Context<'_>,
) {
    let deadline = node.deadline_nanos();
    let Some(at) = instant::from_nanos(deadline) else {
        return;
    };
    match timer.as_mut().as_pin_mut() {
        Some(t) if *armed_for == deadline => {
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
    *armed_for = deadline;
    let t = timer.as_pin_mut().expect("timer just armed");
    if t.poll(cx).is_ready() {
        cx.waker().wake_by_ref();
    }
}
