//! Backend selection: the running backend, errors for unusable ones, nested runs.

mod common;

use anyio::{Backend, RunError};

#[anyio::test]
async fn the_current_backend_is_detected() {
    let current = Backend::current().expect("inside an anyio run");
    assert!(Backend::available().contains(&current));
}

#[anyio::test]
async fn children_run_on_the_same_backend() {
    let parent = Backend::current();
    let child = anyio::task_group(|tg| async move {
        let handle = tg.spawn(async { Ok(Backend::current()) })?;
        Ok::<_, common::TestError>(handle.await?)
    })
    .await
    .unwrap();
    assert_eq!(child, parent);
}

#[anyio::test]
async fn run_inside_a_running_runtime_is_an_error_not_a_deadlock() {
    for backend in Backend::available() {
        let error = anyio::run_with(backend, async {}).unwrap_err();
        assert!(matches!(error, RunError::Nested(_)), "{error}");
        assert!(error.to_string().contains("inside"), "{error}");
    }
    assert!(anyio::run(async {}).is_err());
}

#[test]
fn disabled_backends_name_their_feature() {
    for backend in [Backend::Tokio, Backend::AsyncStd, Backend::Smol] {
        if backend.is_enabled() {
            assert_eq!(anyio::run_with(backend, async { 7 }).unwrap(), 7);
        } else {
            let error = anyio::run_with(backend, async { 7 }).unwrap_err();
            let message = error.to_string();
            assert!(message.contains("feature"), "{message}");
            assert!(message.contains(&backend.to_string()), "{message}");
        }
    }
}

#[test]
fn backend_names_round_trip() {
    for backend in [Backend::Tokio, Backend::AsyncStd, Backend::Smol] {
        assert_eq!(backend.to_string().parse::<Backend>().unwrap(), backend);
    }
    let error = "nonsense".parse::<Backend>().unwrap_err().to_string();
    assert!(
        error.contains("nonsense") && error.contains("tokio"),
        "{error}"
    );
}
