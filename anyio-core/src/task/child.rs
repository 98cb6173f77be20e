//! The root future of a child task: runs the child inside its own scope, catches its panic,
//! and reports how it ended to its group (or, before `started()`, to whoever awaits `start`).

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::group::GroupShared;
use crate::backend::Runtime;
use crate::cancel::node::ScopeNode;
use crate::cancel::scoped::{NoDeadline, ScopeFuture};

pub(crate) type Panic = Box<dyn Any + Send + 'static>;

/// How a child ended, as its [`TaskHandle`](super::TaskHandle) sees it. Failures themselves
/// go to the group, which is the one place that reports them.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    Value(T),
    Failed,
    Panicked,
    Cancelled,
}

/// Where a child started with `start` sends what happens before it calls `started()`.
pub(crate) trait StartSink<E>: Send + Sync {
    /// Takes the error if the child has not started yet; hands it back otherwise.
    fn fail(&self, error: E) -> Option<E>;
    /// Takes the panic if the child has not started yet; hands it back otherwise.
    fn panic(&self, panic: Panic) -> Option<Panic>;
    /// The child completed or was cancelled; if it never started, the caller of `start` learns.
    fn ended(&self, cancelled: bool);
}

pin_project! {
    /// The child's scope is created on its first poll, on the thread that runs it: allocating
    /// it at spawn time would have the spawning thread allocate what a worker frees, which
    /// costs allocators far more than a same-thread allocation.
    #[project = StageProj]
    enum Stage<F> {
        Unstarted { future: Option<F> },
        Running { #[pin] scoped: ScopeFuture<F, NoDeadline> },
    }
}

pin_project! {
    pub(crate) struct ChildTask<F, R: Runtime, E> {
        #[pin]
        stage: Stage<F>,
        id: u64,
        group: Arc<GroupShared<R, E>>,
        start: Option<Arc<dyn StartSink<E>>>,
        done: bool,
    }

    impl<F, R: Runtime, E> PinnedDrop for ChildTask<F, R, E> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // The runtime dropped the task before it ended (it shut down): still count it out.
            if !*this.done {
                if let Some(start) = this.start.take() {
                    start.ended(true);
                }
                this.group.child_done();
            }
        }
    }
}

impl<F, R: Runtime, E> ChildTask<F, R, E> {
    pub(crate) fn new(
        id: u64,
        future: F,
        group: Arc<GroupShared<R, E>>,
        start: Option<Arc<dyn StartSink<E>>>,
    ) -> Self {
        Self {
            stage: Stage::Unstarted {
                future: Some(future),
            },
            id,
            group,
            start,
            done: false,
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
        let this = self.project();
        let mut stage = this.stage;
        if let StageProj::Unstarted { future } = stage.as_mut().project() {
            let future = future.take().expect("child polled after completion");
            let group_node = this.group.node();
            let node = ScopeNode::with_id(*this.id, true);
            node.set_parent(Some(Arc::clone(group_node)));
            if group_node.take_early_cancel(*this.id) {
                node.cancel();
            }
            stage.set(Stage::Running {
                scoped: ScopeFuture::new(node, future),
            });
        }
        let StageProj::Running { scoped } = stage.project() else {
            unreachable!("the child's scope was created above");
        };
        let runtime = this.group.runtime();
        let polled = runtime.enter(|| catch_unwind(AssertUnwindSafe(|| scoped.poll(cx))));
        let outcome = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Some(Ok(value)))) => {
                if let Some(start) = this.start.take() {
                    start.ended(false);
                }
                Outcome::Value(value)
            }
            Ok(Poll::Ready(Some(Err(error)))) => {
                let unclaimed = match this.start.take() {
                    Some(start) => start.fail(error),
                    None => Some(error),
                };
                if let Some(error) = unclaimed {
                    this.group.fail_with_error(error);
                }
                Outcome::Failed
            }
            Ok(Poll::Ready(None)) => {
                if let Some(start) = this.start.take() {
                    start.ended(true);
                }
                Outcome::Cancelled
            }
            Err(panic) => {
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
        *this.done = true;
        this.group.child_done();
        Poll::Ready(outcome)
    }
}
