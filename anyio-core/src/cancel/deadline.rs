//! The timer that watches a node's deadline for the future that owns the node.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;

use pin_project_lite::pin_project;

use crate::backend::{Runtime, Timer};
use crate::instant;
use crate::tree::Node;

pin_project! {
    /// A runtime timer, created the first time its owner waits with a deadline, and moved when
    /// the deadline moves.
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

impl<R: Runtime> DeadlineTimer<R> {
    /// Cancels `node` if its deadline has passed, arming (or re-arming, after a change) the
    /// timer for it otherwise; whether it cancelled. A node without a deadline arms nothing.
    ///
    /// # Panics
    ///
    /// When a timer must be created where `R::current()` finds no runtime.
    pub(crate) fn deliver(self: Pin<&mut Self>, node: &Node, cx: &mut Context<'_>) -> bool {
        let expired = self.poll_expired(node, cx);
        if expired {
            node.cancel_by_deadline();
        }
        expired
    }

    /// As [`deliver`](Self::deliver) if a timer is armed already: a deadline that passed while
    /// the body was suspended is delivered before the body runs again, and a body that never
    /// suspended arms nothing.
    pub(crate) fn deliver_armed(self: Pin<&mut Self>, node: &Node, cx: &mut Context<'_>) {
        if self.timer.is_some() {
            self.deliver(node, cx);
        }
    }

    fn poll_expired(self: Pin<&mut Self>, node: &Node, cx: &mut Context<'_>) -> bool {
        let this = self.project();
        let deadline = node.deadline_nanos();
        let Some(at) = instant::from_nanos(deadline) else {
            return false;
        };
        let mut timer = this.timer;
        if let Some(armed) = timer.as_mut().as_pin_mut() {
            if *this.armed_for == deadline {
                return armed.poll(cx).is_ready();
            }
        }
        // Arming: a runtime's timer may report a deadline that has already passed only on its
        // driver's next turn, so the clock decides.
        let runtime = R::current().unwrap_or_else(|e| panic!("{e}"));
        if at <= runtime.now() {
            return true;
        }
        match timer.as_mut().as_pin_mut() {
            Some(armed) => armed.reset(at),
            None => timer.set(Some(runtime.timer(at))),
        }
        *this.armed_for = deadline;
        let armed = timer.as_pin_mut().expect("armed above");
        armed.poll(cx).is_ready()
    }
}

impl<R: Runtime> std::fmt::Debug for DeadlineTimer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadlineTimer")
            .field("armed", &self.timer.is_some())
            .finish_non_exhaustive()
    }
}
