//! A bounded load like `redis-benchmark -n N -c C -P P -t set,get,incr`, from std threads, for
//! the `mini_redis` tests where `redis-benchmark` is not installed.
//!
//! Each test sends its `requests` commands over `clients` connections at once, each keeping
//! `pipeline` commands in flight, on the keys `redis-benchmark` uses. Every reply is checked,
//! stricter than `redis-benchmark` does: `SET` must answer `OK`, `GET` the value set, and the
//! `INCR` replies together must be exactly the next `requests` integers.

use std::io::{BufReader, Write};
use std::time::{Duration, Instant};

use super::resp::{self, Reply};

const KEY: &str = "key:__rand_int__";
const COUNTER: &str = "counter:__rand_int__";
/// `redis-benchmark`'s default 3-byte value.
const VALUE: &str = "xxx";

/// How much load, and how long it may take in all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub(crate) requests: usize,
    pub(crate) clients: usize,
    pub(crate) pipeline: usize,
    pub(crate) limit: Duration,
}

/// Runs the `SET`, `GET` and `INCR` tests in turn against `port` and returns one line per
/// test in `redis-benchmark -q`'s form, such as `SET: 41237.11 requests per second`.
/// Panics, saying what went wrong, on any failed connection, unexpected reply or overrun.
pub(crate) fn run(port: u16, load: Load) -> Vec<String> {
    assert!(load.clients > 0 && load.pipeline > 0, "{load:?}");
    let deadline = Instant::now() + load.limit;
    let mut lines = Vec::new();
    for name in ["SET", "GET", "INCR"] {
        let before = match name {
            "INCR" => counter(port, load.limit),
            _ => 0,
        };
        let started = Instant::now();
        let mut replies = run_test(port, name, load, deadline);
        let elapsed = started.elapsed();
        if name == "INCR" {
            // Atomic increments: each of the next `requests` values was handed out once.
            replies.sort_unstable();
            let expected: Vec<i64> = (1..=load.requests as i64).map(|n| before + n).collect();
            assert!(
                replies == expected,
                "INCR replies are not {}..={}",
                before + 1,
                before + load.requests as i64
            );
            assert_eq!(counter(port, load.limit), before + load.requests as i64);
        }
        let per_second = load.requests as f64 / elapsed.as_secs_f64().max(1e-9);
        lines.push(format!("{name}: {per_second:.2} requests per second"));
    }
    lines
}

/// The counter's value, 0 while it does not exist.
fn counter(port: u16, limit: Duration) -> i64 {
    match resp::command(port, &["GET", COUNTER], limit).expect("GET the counter") {
        Reply::Bulk(None) => 0,
        Reply::Bulk(Some(digits)) => String::from_utf8_lossy(&digits).parse().expect("a number"),
        other => panic!("GET {COUNTER}: {other:?}"),
    }
}

/// Runs one test over all the clients; returns the `INCR` replies (empty for the others).
fn run_test(port: u16, name: &str, load: Load, deadline: Instant) -> Vec<i64> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..load.clients)
            .map(|client| {
                // The first `requests % clients` clients send one more.
                let share = load.requests / load.clients
                    + usize::from(client < load.requests % load.clients);
                scope.spawn(move || one_client(port, name, share, load, deadline))
            })
            .collect();
        let mut integers = Vec::with_capacity(load.requests);
        for (client, worker) in workers.into_iter().enumerate() {
            match worker.join().expect("a load client panicked") {
                Ok(mut replies) => integers.append(&mut replies),
                Err(error) => panic!("{name}, client {client}: {error}"),
            }
        }
        integers
    })
}

/// One connection sending `share` commands, `pipeline` at a time.
fn one_client(
    port: u16,
    name: &str,
    share: usize,
    load: Load,
    deadline: Instant,
) -> Result<Vec<i64>, String> {
    let args: &[&str] = match name {
        "SET" => &["SET", KEY, VALUE],
        "GET" => &["GET", KEY],
        _ => &["INCR", COUNTER],
    };
    let stream = resp::connect(port, load.limit).map_err(|e| format!("connect: {e}"))?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut integers = Vec::new();
    let mut batch = Vec::new();
    let mut left = share;
    while left > 0 {
        if Instant::now() > deadline {
            return Err(format!("not done within {:?}", load.limit));
        }
        let count = left.min(load.pipeline);
        batch.clear();
        for _ in 0..count {
            resp::encode_command(&mut batch, args);
        }
        writer.write_all(&batch).map_err(|e| format!("send: {e}"))?;
        for _ in 0..count {
            let reply = resp::read_reply(&mut reader).map_err(|e| format!("reply: {e}"))?;
            match (name, reply) {
                ("SET", Reply::Simple(ok)) if ok == "OK" => {}
                ("GET", Reply::Bulk(Some(value))) if value == VALUE.as_bytes() => {}
                ("INCR", Reply::Integer(n)) => integers.push(n),
                (_, other) => return Err(format!("unexpected reply {other:?}")),
            }
        }
        left -= count;
    }
    Ok(integers)
}
