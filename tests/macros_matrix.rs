//! `#[anyio::test]` itself: one test per enabled backend, narrowing, `Result` tests.

use anyio::Backend;

#[anyio::test]
async fn each_backend_runs_its_own_copy() {
    let backend = Backend::current().expect("inside a run");
    // The test named after a backend runs on that backend.
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    if !name.is_empty() && name != "main" {
        let suffix = name.rsplit("::").next().unwrap();
        assert_eq!(suffix.replace('_', "-"), backend.to_string(), "{name}");
    }
}

#[anyio::test(backends = ["smol"])]
async fn narrowed_to_smol() {
    assert_eq!(Backend::current(), Some(Backend::Smol));
}

#[anyio::test(backends = ["tokio", "async-std"])]
async fn narrowed_to_two() {
    let backend = Backend::current().unwrap();
    assert!(
        matches!(backend, Backend::Tokio | Backend::AsyncStd),
        "{backend}"
    );
}

#[anyio::test]
async fn tests_may_return_results() -> Result<(), anyio::BoxError> {
    let value: u32 = "42".parse()?;
    anyio::sleep(std::time::Duration::from_millis(1)).await;
    assert_eq!(value, 42);
    Ok(())
}

#[anyio::test]
#[should_panic(expected = "inside the test body")]
async fn panics_reach_the_test_harness() {
    anyio::checkpoint().await;
    panic!("inside the test body");
}
