//! Public futures and handles are `Send` (and `Sync` where shared), so they cross tasks and
//! threads.

use std::future::Future;

fn send<T: Send>(_: &T) {}
fn send_sync<T: Send + Sync>() {}

async fn body() -> Result<u8, anyio::BoxError> {
    Ok(1)
}

#[test]
fn futures_are_send() {
    send(&anyio::sleep(std::time::Duration::ZERO));
    send(&anyio::checkpoint());
    send(&anyio::sleep_forever());
    send(&anyio::move_on_after(std::time::Duration::ZERO, body()));
    send(&anyio::fail_after(std::time::Duration::ZERO, body()));
    send(&anyio::CancelScope::new().run(body()));
    send(&anyio::task_group(|_tg| body()));
    send(&anyio::lowlevel::checkpoint_if_cancelled());
    send(&anyio::lowlevel::cancel_shielded_checkpoint());
    send(&anyio::move_on_after(std::time::Duration::ZERO, body()).shield(true));
    fn start_futures_are_send(tg: &anyio::TaskGroup<anyio::BoxError>) {
        send(&tg.start(|status: anyio::TaskStatus<u8>| async move {
            status.started(1);
            Ok(())
        }));
        send(
            &tg.start_with_handle(|status: anyio::TaskStatus<u8>| async move {
                status.started(1);
                Ok(())
            }),
        );
    }
    let _ = start_futures_are_send;
    fn group_future_is_send<F: Future + Send>(_: F) {}
    group_future_is_send(anyio::task_group(
        |tg: anyio::TaskGroup<anyio::BoxError>| async move {
            tg.spawn(body())?.await?;
            Ok::<_, anyio::BoxError>(())
        },
    ));
}

#[test]
fn handles_are_send_and_sync() {
    send_sync::<anyio::CancelHandle>();
    send_sync::<anyio::CancelScope>();
    send_sync::<anyio::TaskGroup<anyio::BoxError>>();
    send_sync::<anyio::TaskHandle<u8>>();
    send_sync::<anyio::TaskStatus<u8>>();
    send_sync::<anyio::Backend>();
    send_sync::<anyio::TaskGroupError<anyio::BoxError>>();
    send_sync::<anyio::RunError>();
    send_sync::<anyio::BlockingPortal>();
    send_sync::<anyio::portal::PortalTask<u8>>();
    send_sync::<anyio::portal::PortalError>();
}
