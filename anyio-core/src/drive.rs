//! Polling a body inside a node of the cancel tree: the one place where a cancellation turns
//! into dropping a future.
//!
//! The delivery rule (DESIGN.md section 4): a cancelled node's body is still polled. It runs
//! until it suspends; every anyio checkpoint inside a cancelled node returns `Pending` at once
//! and does nothing. The first time the body returns `Pending` while its node is cancelled,
//! the body is dropped, unless something below the node in the same task must finish first
//! (a shielded scope, a task group with running children): then the body stays, and is polled
//! again when that finishes. A body that completes keeps its result, cancelled or not.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context::{self, Frame};
use crate::tree::NodeRef;

/// What one poll of a body did.
#[derive(Debug)]
pub(crate) enum Driven<T> {
    /// The body completed.
    Ready(T),
    /// The body is pending; its node will wake this task when its status changes.
    Pending,
    /// The node is cancelled and the body has been dropped (now or before).
    Dropped,
}

/// Polls `body` with `node` as the innermost scope. `node` is moved into the context for the
/// poll and back, so polling costs no reference-count traffic.
pub(crate) fn drive<F: Future>(
    node: &mut Option<NodeRef>,
    mut body: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
) -> Driven<F::Output> {
    let Some(future) = body.as_mut().as_pin_mut() else {
        return Driven::Dropped;
    };
    let mut frame = node.take().map(Frame::Node);
    let (polled, shielded_yield) = context::lend_watching(&mut frame, || future.poll(cx));
    let Some(Frame::Node(back)) = frame else {
        unreachable!("a node frame comes back as it was lent");
    };
    if let Poll::Ready(output) = polled {
        *node = Some(back);
        body.set(None);
        return Driven::Ready(output);
    }
    let cancelled = back.register(cx.waker());
    let drop_now = cancelled && !shielded_yield && !back.has_blockers();
    *node = Some(back);
    if !drop_now {
        return Driven::Pending;
    }
    // Outside the context: the body's destructors run as plain code of the enclosing scope.
    body.set(None);
    Driven::Dropped
}
