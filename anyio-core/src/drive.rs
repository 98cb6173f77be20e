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

use crate::context;
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

/// Polls `body` with `node` as the innermost scope (see [`context::enter`]).
pub(crate) fn drive<F: Future>(
    node: &mut Option<NodeRef>,
    mut body: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
) -> Driven<F::Output> {
    loop {
        let Some(future) = body.as_mut().as_pin_mut() else {
            return Driven::Dropped;
        };
        let current = node.as_ref().expect("the node is back from the context");
        // Something below that finishes during the poll (a group's last child) may leave a
        // result the body has not seen yet (that group's failures): then it is polled again.
        let blocked = current.is_effective() && current.has_blockers();
        let (polled, entered) = context::enter(node, None, || future.poll(cx));
        // Likewise a cancellation the body could not have seen (it came in after the body
        // suspended) is delivered by polling the body once more, not by dropping it unseen.
        let seen = entered.cancelled_before;
        if let Poll::Ready(output) = polled {
            body.set(None);
            return Driven::Ready(output);
        }
        let current = node.as_ref().expect("the node is back from the context");
        let cancelled = current.register(cx.waker());
        if !cancelled || entered.shielded_yield {
            return Driven::Pending;
        }
        if !seen {
            continue;
        }
        if current.has_blockers() {
            return Driven::Pending;
        }
        if blocked {
            continue;
        }
        break;
    }
    // Outside the context: the body's destructors run as plain code of the enclosing scope.
    body.set(None);
    Driven::Dropped
}
