//! Unix signals as a stream on every backend.
//!
//! Signals are process-wide and the tests of this file run on parallel threads, so each test
//! holds `SERIAL` while it has receivers open.

use std::sync::LazyLock;
use std::time::Duration;

use anyio::signal::{open_signal_receiver, Signal, SignalError, SIGUSR1, SIGUSR2};
use futures_util::StreamExt;

static SERIAL: LazyLock<anyio::Lock> = LazyLock::new(anyio::Lock::new);

/// The next signal, failing the test instead of hanging.
async fn next(receiver: &mut anyio::signal::SignalReceiver) -> Signal {
    anyio::fail_after(Duration::from_secs(10), receiver.next())
        .await
        .expect("no signal arrived within 10 s")
        .expect("the signal stream ended")
}

/// Whether another signal is ready within a short wait.
async fn has_more(receiver: &mut anyio::signal::SignalReceiver) -> bool {
    anyio::move_on_after(Duration::from_millis(50), receiver.next())
        .await
        .is_some()
}

#[anyio::test]
async fn a_raised_signal_arrives() {
    let _serial = SERIAL.acquire().await;
    let mut signals = open_signal_receiver(&[SIGUSR1]).unwrap();
    SIGUSR1.raise().unwrap();
    assert_eq!(next(&mut signals).await, SIGUSR1);
    assert!(!has_more(&mut signals).await);
}

#[anyio::test]
async fn several_signals_on_one_receiver() {
    let _serial = SERIAL.acquire().await;
    let mut signals = open_signal_receiver(&[SIGUSR1, SIGUSR2, SIGUSR1]).unwrap();
    SIGUSR2.raise().unwrap();
    SIGUSR1.raise().unwrap();
    let mut got = vec![next(&mut signals).await, next(&mut signals).await];
    got.sort();
    assert_eq!(got, [SIGUSR1, SIGUSR2]);
    // The duplicate in the list did not double the delivery.
    assert!(!has_more(&mut signals).await);
}

#[anyio::test]
async fn every_receiver_gets_the_signal() {
    let _serial = SERIAL.acquire().await;
    let mut first = open_signal_receiver(&[SIGUSR2]).unwrap();
    let mut second = open_signal_receiver(&[SIGUSR2]).unwrap();
    SIGUSR2.raise().unwrap();
    assert_eq!(next(&mut first).await, SIGUSR2);
    assert_eq!(next(&mut second).await, SIGUSR2);
}

#[anyio::test]
async fn a_dropped_receiver_stops_receiving() {
    let _serial = SERIAL.acquire().await;
    let dropped = open_signal_receiver(&[SIGUSR1]).unwrap();
    let mut kept = open_signal_receiver(&[SIGUSR1]).unwrap();
    drop(dropped);
    SIGUSR1.raise().unwrap();
    assert_eq!(next(&mut kept).await, SIGUSR1);
    let mut later = open_signal_receiver(&[SIGUSR1]).unwrap();
    assert!(
        !has_more(&mut later).await,
        "a signal from before it opened"
    );
}

#[anyio::test]
async fn waiting_for_a_signal_can_be_cancelled() {
    let _serial = SERIAL.acquire().await;
    let mut signals = open_signal_receiver(&[SIGUSR2]).unwrap();
    assert!(!has_more(&mut signals).await);
    SIGUSR2.raise().unwrap();
    assert_eq!(next(&mut signals).await, SIGUSR2);
}

#[anyio::test]
async fn bad_signals_are_refused() {
    assert!(matches!(
        open_signal_receiver(&[]),
        Err(SignalError::NoSignals)
    ));
    for number in [0, -1, 99999] {
        let error = open_signal_receiver(&[Signal::from_raw(number)]).unwrap_err();
        assert!(matches!(error, SignalError::Unknown(_)), "{error:?}");
        assert!(error.to_string().contains(&number.to_string()), "{error}");
    }
    for number in [libc_sigkill(), libc_sigstop()] {
        let error = open_signal_receiver(&[SIGUSR1, Signal::from_raw(number)]).unwrap_err();
        assert!(matches!(error, SignalError::Forbidden(_)), "{error:?}");
        assert!(error.to_string().contains("cannot be caught"), "{error}");
    }
}

fn libc_sigkill() -> i32 {
    9
}

fn libc_sigstop() -> i32 {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        19
    } else {
        17
    }
}
