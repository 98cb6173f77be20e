//! The cases: what each one measures, on which runtimes, and its target ratio.

mod cancel;
mod channels;
mod fs;
mod parked;
mod sync;
mod tasks;
mod tcp;
mod threads;

use std::time::Duration;

use crate::harness::Rt;
use cancel::*;
use channels::*;
use fs::*;
use sync::*;
use tasks::*;
use tcp::*;
use threads::*;

/// How a case's times are reported.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit {
    /// Wall time of one run, in milliseconds.
    Millis,
    /// Wall time of one run divided by this many operations, in nanoseconds.
    NanosPerOp(u64),
}

impl Unit {
    pub(crate) fn format(self, time: Duration) -> String {
        match self {
            Unit::Millis => format!("{:.2} ms", time.as_secs_f64() * 1e3),
            Unit::NanosPerOp(ops) => format!("{:.1} ns/op", time.as_secs_f64() * 1e9 / ops as f64),
        }
    }
}

/// One benchmark: a facade side and a native side doing the same work on the same runtime.
#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) name: &'static str,
    /// The runtimes this case runs on.
    pub(crate) backends: &'static [Rt],
    /// The largest acceptable median facade/native ratio.
    pub(crate) target: f64,
    pub(crate) unit: Unit,
    pub(crate) facade: fn(Rt) -> Duration,
    pub(crate) native: fn(Rt) -> Duration,
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "spawn_join_100k",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: spawn_join_facade,
            native: spawn_join_native,
        },
        Case {
            name: "spawn_join_100k_vs_joinset",
            backends: &[Rt::Tokio],
            target: 1.0,
            unit: Unit::Millis,
            facade: spawn_join_facade,
            native: spawn_join_joinset,
        },
        Case {
            name: "sleep_10k_1ms",
            backends: &Rt::ALL,
            target: 1.15,
            unit: Unit::Millis,
            facade: sleep_facade,
            native: sleep_native,
        },
        Case {
            name: "sleep_only_10k_1ms",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: sleep_only_facade,
            native: sleep_native,
        },
        Case {
            name: "cancel_10k_sleeping",
            backends: &Rt::ALL,
            target: 1.2,
            unit: Unit::Millis,
            facade: cancel_facade,
            native: cancel_native,
        },
        Case {
            name: "channel_1m_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: channel_facade,
            native: channel_tokio_mpsc,
        },
        Case {
            name: "channel_1m_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: channel_facade,
            native: channel_async_channel,
        },
        Case {
            name: "channel_1m_vs_flume",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: channel_facade,
            native: channel_flume,
        },
        Case {
            name: "ping_pong_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: ping_pong_facade,
            native: ping_pong_tokio_mpsc,
        },
        Case {
            name: "ping_pong_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: ping_pong_facade,
            native: ping_pong_async_channel,
        },
        Case {
            name: "ping_pong_vs_flume",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: ping_pong_facade,
            native: ping_pong_flume,
        },
        Case {
            name: "lock_uncontended",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(LOCK_OPS),
            facade: lock_facade,
            native: lock_tokio_mutex,
        },
        Case {
            name: "move_on_after_ready",
            backends: &[Rt::Tokio],
            target: 1.1,
            unit: Unit::NanosPerOp(TIMEOUT_OPS),
            facade: move_on_after_facade,
            native: timeout_native,
        },
        Case {
            name: "tcp_echo_64b",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::NanosPerOp(ECHO_N),
            facade: echo_facade,
            native: echo_native,
        },
        Case {
            name: "tcp_echo_64b_receive_bytes",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(ECHO_N),
            facade: echo_facade_bytes,
            native: echo_native,
        },
        Case {
            name: "tcp_bulk_256mib",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: bulk_facade,
            native: bulk_native,
        },
        Case {
            name: "tcp_bulk_256mib_receive_bytes",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: bulk_facade_bytes,
            native: bulk_native,
        },
        Case {
            name: "fs_read_64mib",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: fs_read_facade,
            native: fs_read_native,
        },
        Case {
            name: "to_thread_trivial",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(TO_THREAD_N),
            facade: to_thread_facade,
            native: to_thread_native,
        },
    ]
}
