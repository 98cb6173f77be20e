//! The root future of a child task: runs the child inside its node, catches its panic, and
//! reports how it ended to its group (or, before `started()`, to whoever awaits `start`).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::handle::Outcome;
use super::shared::GroupShared;
use super::status::StartSink;
use crate::backend::Runtime;
use crate::drive::{drive, Driven};
use crate::tree::NodeRef;

pin_project! {
    pub(crate) struct ChildTask<F, R: Runtime, E> {
        #[pin]
        future: Option<F>,
        // Linked below the group's node since `spawn`, so every cancellation reaches it;
        // taken out of the tree, and out of here, when the child ends.
        node: Option<NodeRef>,
        group: Arc<GroupShared<R, E>>,
        // Boxed to keep the pointer thin: only `start` children have one, and every parked
        // child pays for the field.
        start: Option<Box<Arc<dyn StartSink<E>>>>,
    }

    impl<F, R: Runtime, E> PinnedDrop for ChildTask<F, R, E> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // The runtime dropped the task before it ended (it shut down): still count it out.
            if let Some(node) = this.node.take() {
                if let Some(start) = this.start.take() {
                    start.ended(true);
                }
                this.group.child_done();
                node.exit_task();
            }
        }
    }
}

impl<F, R: Runtime, E> ChildTask<F, R, E> {
    pub(crate) fn new(
        future: F,
        node: NodeRef,
        group: Arc<GroupShared<R, E>>,
        start: Option<Arc<dyn StartSink<E>>>,
    ) -> Self {
        Self {
            future: Some(future),
            node: Some(node),
            group,
            start: start.map(Box::new),
        }
    }
}

impl<F, R, E, T> Future for ChildTask<F, R, E>
where
    F: Future<Output = Result<T, E>>,
    R: Runtime,
    E: Send + 'static,
{
    type Output = Outcome<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let mut this = self.project();
        assert!(this.node.is_some(), "child task polled after completion");
        let runtime = this.group.runtime();
        let polled = runtime.enter(|| {
            catch_unwind(AssertUnwindSafe(|| {
                drive(this.node, this.future.as_mut(), cx)
            }))
        });
        let outcome = match polled {
            Ok(Driven::Pending) => return Poll::Pending,
            Ok(Driven::Ready(Ok(value))) => {
                if let Some(start) = this.start.take() {
                    start.ended(false);
                }
                Outcome::Value(value)
            }
            Ok(Driven::Ready(Err(error))) => {
                let unclaimed = match this.start.take() {
                    Some(start) => start.fail(error),
                    None => Some(error),
                };
                if let Some(error) = unclaimed {
                    this.group.fail_with_error(error);
                }
                Outcome::Failed
            }
            Ok(Driven::Dropped) => {
                if let Some(node) = this.node.as_deref() {
                    node.set_caught();
                }
                if let Some(start) = this.start.take() {
                    start.ended(true);
                }
                Outcome::Cancelled
            }
            Err(panic) => {
                this.future.set(None);
                let unclaimed = match this.start.take() {
                    Some(start) => start.panic(panic),
                    None => Some(panic),
                };
                if let Some(panic) = unclaimed {
                    this.group.fail_with_panic(panic);
                }
                Outcome::Panicked
            }
        };
        // Counted out before it leaves the tree: while its node is linked, a cancelled scope
        // around the group keeps waiting (`has_blockers`), so the group's future is polled
        // again after the count has dropped and the failure recorded above is reported.
        this.group.child_done();
        if let Some(node) = this.node.take() {
            node.exit_task();
        }
        Poll::Ready(outcome)
    }
}
