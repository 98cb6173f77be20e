//! The cases: what each one measures, on which runtimes, and its target ratio.

mod c10k;
mod cancel;
mod channels;
mod fs;
mod memory;
mod parked;
mod sync;
mod tasks;
mod tcp;
mod threads;

use std::time::Duration;

use crate::harness::Rt;
pub(crate) use c10k::{c10k_child_main, c10k_clients_main, C10K_CHILD_FLAG, C10K_CLIENTS_FLAG};
use c10k::{c10k_facade, c10k_native};
use cancel::*;
use channels::*;
use fs::*;
pub(crate) use memory::{park_child_main, Footprint, PARK_CHILD_FLAG};
use memory::{park_facade, park_native};
use sync::*;
use tasks::*;
use tcp::*;
use threads::*;

/// How a case's samples are reported.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit {
    /// Wall time of one run, in milliseconds.
    Millis,
    /// Wall time of one run divided by this many operations, in nanoseconds.
    NanosPerOp(u64),
    /// Memory ([`Side::Memory`]): the peak RSS in MB (10^6 bytes) and the bytes it grew by
    /// per item measured, named by the string (a parked "child", an idle "connection"); the
    /// ratio compares the bytes per item.
    BytesPer(&'static str),
}

/// One sample of one side, as its [`Side`] returned it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sample {
    Time(Duration),
    Memory(Footprint),
}

impl Sample {
    /// The figure the ratio compares: seconds, or bytes per item.
    pub(crate) fn value(self) -> f64 {
        match self {
            Sample::Time(time) => time.as_secs_f64(),
            Sample::Memory(footprint) => footprint.per_item,
        }
    }
}

impl Unit {
    pub(crate) fn format(self, sample: Sample) -> String {
        match (self, sample) {
            (Unit::Millis, Sample::Time(time)) => format!("{:.2} ms", time.as_secs_f64() * 1e3),
            (Unit::NanosPerOp(ops), Sample::Time(time)) => {
                format!("{:.1} ns/op", time.as_secs_f64() * 1e9 / ops as f64)
            }
            (Unit::BytesPer(item), Sample::Memory(footprint)) => format!(
                "{:.1} MB peak, {:.1} B/{item}",
                footprint.peak as f64 / 1e6,
                footprint.per_item
            ),
            (unit, sample) => panic!("unit {unit:?} cannot show {sample:?}"),
        }
    }
}

/// How one side of a case takes a sample.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    /// Times one run in this process (units `Millis` and `NanosPerOp`).
    Time(fn(Rt) -> Duration),
    /// Measures one run's memory in a fresh child process (unit `BytesPer`).
    Memory(fn(Rt) -> Footprint),
}

impl Side {
    pub(crate) fn sample(self, rt: Rt) -> Sample {
        match self {
            Side::Time(side) => Sample::Time(side(rt)),
            Side::Memory(side) => Sample::Memory(side(rt)),
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
    pub(crate) facade: Side,
    pub(crate) native: Side,
}

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "spawn_join_100k",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: Side::Time(spawn_join_facade),
            native: Side::Time(spawn_join_native),
        },
        Case {
            name: "spawn_join_100k_vs_joinset",
            backends: &[Rt::Tokio],
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(spawn_join_facade),
            native: Side::Time(spawn_join_joinset),
        },
        Case {
            name: "sleep_10k_1ms",
            backends: &Rt::ALL,
            target: 1.15,
            unit: Unit::Millis,
            facade: Side::Time(sleep_facade),
            native: Side::Time(sleep_native),
        },
        Case {
            name: "sleep_only_10k_1ms",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(sleep_only_facade),
            native: Side::Time(sleep_native),
        },
        Case {
            name: "cancel_10k_sleeping",
            backends: &Rt::ALL,
            target: 1.2,
            unit: Unit::Millis,
            facade: Side::Time(cancel_facade),
            native: Side::Time(cancel_native),
        },
        Case {
            name: "park_1m",
            backends: &Rt::ALL,
            target: 1.25,
            unit: Unit::BytesPer("child"),
            facade: Side::Memory(park_facade),
            native: Side::Memory(park_native),
        },
        Case {
            name: "channel_1m_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(channel_facade),
            native: Side::Time(channel_tokio_mpsc),
        },
        Case {
            name: "channel_1m_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(channel_facade),
            native: Side::Time(channel_async_channel),
        },
        Case {
            name: "channel_1m_vs_flume",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(channel_facade),
            native: Side::Time(channel_flume),
        },
        Case {
            name: "ping_pong_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(ping_pong_facade),
            native: Side::Time(ping_pong_tokio_mpsc),
        },
        Case {
            name: "ping_pong_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(ping_pong_facade),
            native: Side::Time(ping_pong_async_channel),
        },
        Case {
            name: "ping_pong_vs_flume",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(ping_pong_facade),
            native: Side::Time(ping_pong_flume),
        },
        Case {
            name: "channel_1m_spawned_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(channel_facade_spawned),
            native: Side::Time(channel_tokio_mpsc),
        },
        Case {
            name: "channel_1m_spawned_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(channel_facade_spawned),
            native: Side::Time(channel_async_channel),
        },
        Case {
            name: "channel_1m_spawned_vs_flume",
            backends: &Rt::ALL,
            target: 1.0,
            unit: Unit::Millis,
            facade: Side::Time(channel_facade_spawned),
            native: Side::Time(channel_flume),
        },
        Case {
            name: "ping_pong_spawned_vs_tokio_mpsc",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(ping_pong_facade_spawned),
            native: Side::Time(ping_pong_tokio_mpsc),
        },
        Case {
            name: "ping_pong_spawned_vs_async_channel",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(ping_pong_facade_spawned),
            native: Side::Time(ping_pong_async_channel),
        },
        Case {
            name: "ping_pong_spawned_vs_flume",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(ping_pong_facade_spawned),
            native: Side::Time(ping_pong_flume),
        },
        Case {
            name: "lock_uncontended",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(LOCK_OPS),
            facade: Side::Time(lock_facade),
            native: Side::Time(lock_tokio_mutex),
        },
        Case {
            name: "move_on_after_ready",
            backends: &[Rt::Tokio],
            target: 1.1,
            unit: Unit::NanosPerOp(TIMEOUT_OPS),
            facade: Side::Time(move_on_after_facade),
            native: Side::Time(timeout_native),
        },
        Case {
            name: "tcp_echo_64b",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::NanosPerOp(ECHO_N),
            facade: Side::Time(echo_facade),
            native: Side::Time(echo_native),
        },
        Case {
            name: "tcp_echo_64b_receive_bytes",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(ECHO_N),
            facade: Side::Time(echo_facade_bytes),
            native: Side::Time(echo_native),
        },
        Case {
            name: "tcp_bulk_256mib",
            backends: &Rt::ALL,
            target: 1.05,
            unit: Unit::Millis,
            facade: Side::Time(bulk_facade),
            native: Side::Time(bulk_native),
        },
        Case {
            name: "tcp_bulk_256mib_receive_bytes",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: Side::Time(bulk_facade_bytes),
            native: Side::Time(bulk_native),
        },
        Case {
            name: "c10k_idle_rss",
            backends: &Rt::ALL,
            target: 1.2,
            unit: Unit::BytesPer("connection"),
            facade: Side::Memory(c10k_facade),
            native: Side::Memory(c10k_native),
        },
        Case {
            name: "fs_read_64mib",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::Millis,
            facade: Side::Time(fs_read_facade),
            native: Side::Time(fs_read_native),
        },
        Case {
            name: "to_thread_trivial",
            backends: &Rt::ALL,
            target: 1.1,
            unit: Unit::NanosPerOp(TO_THREAD_N),
            facade: Side::Time(to_thread_facade),
            native: Side::Time(to_thread_native),
        },
    ]
}
