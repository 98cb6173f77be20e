//! Compiles and runs real expansions of both macros against a stand-in for the facade.
//!
//! The real `anyio` depends on this crate, so it cannot be a dependency here; `crate = "..."`
//! points the generated code at `fake_anyio` instead, which has the same surface (`run`,
//! `run_with`, `Backend`, `RunError`, the `__cfg_*` macros) and records which backend ran.

use std::collections::HashMap as Map;
use std::error::Error;
use std::num::ParseIntError;

mod fake_anyio {
    use std::cell::Cell;
    use std::fmt;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Backend {
        Tokio,
        AsyncStd,
        Smol,
    }

    #[derive(Debug)]
    pub(crate) struct RunError;

    impl fmt::Display for RunError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("no runtime")
        }
    }

    thread_local! {
        static CURRENT: Cell<Option<Backend>> = const { Cell::new(None) };
    }

    /// The backend whose `run_with` is running on this thread.
    pub(crate) fn current() -> Option<Backend> {
        CURRENT.with(Cell::get)
    }

    pub(crate) fn run<F: Future>(future: F) -> Result<F::Output, RunError> {
        run_with(Backend::Tokio, future)
    }

    pub(crate) fn run_with<F: Future>(backend: Backend, future: F) -> Result<F::Output, RunError> {
        struct Unpark(Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        CURRENT.with(|current| current.set(Some(backend)));
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let output = loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(output) => break output,
                Poll::Pending => thread::park(),
            }
        };
        CURRENT.with(|current| current.set(None));
        Ok(output)
    }

    // Every backend "enabled": which tests exist for a disabled one is covered by the unit
    // tests of the expansion and by the facade's own tests.
    macro_rules! __cfg_tokio {
        (@assert_enabled) => {};
        ($($tokens:tt)*) => { $($tokens)* };
    }
    macro_rules! __cfg_async_std {
        (@assert_enabled) => {};
        ($($tokens:tt)*) => { $($tokens)* };
    }
    macro_rules! __cfg_smol {
        (@assert_enabled) => {};
        ($($tokens:tt)*) => { $($tokens)* };
    }
    pub(crate) use {__cfg_async_std, __cfg_smol, __cfg_tokio};
}

use fake_anyio::Backend;

/// A future that is pending once, so the test really goes through the executor.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

#[anyio_macros::test(crate = "crate::fake_anyio")]
async fn runs_on_every_backend() {
    yield_once().await;
    assert!(fake_anyio::current().is_some());
}

#[anyio_macros::test(crate = "crate::fake_anyio", backends = ["smol"])]
async fn runs_on_the_listed_backend_only() {
    assert_eq!(fake_anyio::current(), Some(Backend::Smol));
}

#[anyio_macros::test(crate = "crate::fake_anyio", backends = ["async-std", "tokio"])]
async fn sees_the_imports_of_its_scope() -> Result<(), Box<dyn Error>> {
    let mut map = Map::new();
    map.insert("answer", "42".parse::<u32>()?);
    yield_once().await;
    assert_eq!(map["answer"], 42);
    assert_ne!(fake_anyio::current(), Some(Backend::Smol));
    Ok(())
}

#[anyio_macros::test(crate = "crate::fake_anyio")]
async fn question_mark_works() -> Result<(), ParseIntError> {
    assert_eq!("7".parse::<u8>()?, 7);
    Ok(())
}

#[anyio_macros::test(crate = "crate::fake_anyio")]
#[should_panic(expected = "boom")]
async fn panics_reach_the_harness() {
    yield_once().await;
    panic!("boom");
}

/// Lint attributes must land on the body, where the unused variable is; `-D warnings` in
/// clippy would fail otherwise.
#[anyio_macros::test(crate = "crate::fake_anyio")]
#[allow(unused_variables)]
#[cfg_attr(any(), ignore)]
async fn attributes_are_placed() {
    let unused = 1;
}

// Must vanish entirely: the body would not compile.
#[anyio_macros::test(crate = "crate::fake_anyio")]
#[cfg(any())]
async fn compiled_out() {
    this_function_does_not_exist();
}

#[anyio_macros::main(crate = "crate::fake_anyio")]
async fn entry_point() -> Result<u32, ParseIntError> {
    yield_once().await;
    "42".parse()
}

#[anyio_macros::main(crate = "crate::fake_anyio", backend = "async-std")]
async fn entry_point_on_async_std() -> Option<Backend> {
    fake_anyio::current()
}

#[test]
fn main_returns_the_body_output() {
    assert_eq!(entry_point(), Ok(42));
    assert_eq!(entry_point_on_async_std(), Some(Backend::AsyncStd));
}
