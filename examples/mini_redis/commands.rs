//! Command dispatch: arguments in, RESP reply appended to the output buffer.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::resp::encode;
use crate::store::Store;

/// What the connection does after replying.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    Close,
}

fn wrong_arity(out: &mut Vec<u8>, name: &str) {
    encode::error(
        out,
        &format!("ERR wrong number of arguments for '{name}' command"),
    );
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic elsewhere cannot leave a half-applied command: every update is one insert.
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs one command against the store.
pub(crate) fn execute(store: &Mutex<Store>, args: &[Vec<u8>], out: &mut Vec<u8>) -> Next {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let rest = &args[1..];
    match (name.as_str(), rest) {
        ("ping", []) => encode::simple(out, "PONG"),
        ("ping", [message]) => encode::bulk(out, message),
        ("echo", [message]) => encode::bulk(out, message),
        ("get", [key]) => match lock(store).get(key) {
            Some(value) => encode::bulk(out, value),
            None => encode::null(out),
        },
        ("set", [key, value, options @ ..]) => set(store, key, value, options, out),
        ("del", keys) if !keys.is_empty() => {
            let mut store = lock(store);
            let removed = keys.iter().filter(|key| store.remove(key)).count();
            encode::integer(out, removed as i64);
        }
        ("exists", keys) if !keys.is_empty() => {
            let mut store = lock(store);
            let found = keys.iter().filter(|key| store.contains(key)).count();
            encode::integer(out, found as i64);
        }
        ("incr", [key]) => match lock(store).incr(key) {
            Ok(n) => encode::integer(out, n),
            Err(_) => encode::error(out, "ERR value is not an integer or out of range"),
        },
        ("keys", [pattern]) => {
            let keys = lock(store).keys(pattern);
            encode::array_header(out, keys.len());
            for key in keys {
                encode::bulk(out, &key);
            }
        }
        ("flushdb" | "flushall", []) => {
            lock(store).clear();
            encode::simple(out, "OK");
        }
        // Clients ask for command docs at start-up; an empty answer is valid.
        ("command", _) => encode::array_header(out, 0),
        ("config", [sub, parameter]) if sub.eq_ignore_ascii_case(b"get") => {
            config_get(parameter, out)
        }
        ("quit", []) => {
            encode::simple(out, "OK");
            return Next::Close;
        }
        (
            "ping" | "echo" | "get" | "set" | "del" | "exists" | "incr" | "keys" | "flushdb"
            | "flushall" | "config" | "quit",
            _,
        ) => wrong_arity(out, &name),
        _ => unknown(&args[0], rest, out),
    }
    Next::Continue
}

fn unknown(name: &[u8], rest: &[Vec<u8>], out: &mut Vec<u8>) {
    let mut message = format!(
        "ERR unknown command '{}', with args beginning with: ",
        String::from_utf8_lossy(name)
    );
    for arg in rest.iter().take(8) {
        message.push_str(&format!("'{}' ", String::from_utf8_lossy(arg)));
    }
    encode::error(out, &message);
}

/// Plausible answers for what `redis-benchmark` asks before it starts.
fn config_get(parameter: &[u8], out: &mut Vec<u8>) {
    let value: Option<&[u8]> = match parameter.to_ascii_lowercase().as_slice() {
        b"save" => Some(b""),
        b"appendonly" => Some(b"no"),
        _ => None,
    };
    match value {
        Some(value) => {
            encode::array_header(out, 2);
            encode::bulk(out, parameter);
            encode::bulk(out, value);
        }
        None => encode::array_header(out, 0),
    }
}

/// `SET key value [NX|XX] [EX seconds|PX milliseconds]`.
fn set(store: &Mutex<Store>, key: &[u8], value: &[u8], options: &[Vec<u8>], out: &mut Vec<u8>) {
    let mut ttl: Option<Duration> = None;
    let (mut nx, mut xx) = (false, false);
    let mut options = options.iter();
    while let Some(option) = options.next() {
        let option = option.to_ascii_uppercase();
        match option.as_slice() {
            b"NX" if !xx => nx = true,
            b"XX" if !nx => xx = true,
            b"EX" | b"PX" if ttl.is_none() => {
                let Some(amount) = options.next() else {
                    return encode::error(out, "ERR syntax error");
                };
                let amount: Option<u64> = std::str::from_utf8(amount)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .filter(|&n| n > 0);
                let Some(amount) = amount else {
                    return encode::error(out, "ERR invalid expire time in 'set' command");
                };
                ttl = Some(if option == b"EX" {
                    Duration::from_secs(amount)
                } else {
                    Duration::from_millis(amount)
                });
            }
            _ => return encode::error(out, "ERR syntax error"),
        }
    }
    let expires_at = match ttl.map(|ttl| Instant::now().checked_add(ttl)) {
        Some(None) => return encode::error(out, "ERR invalid expire time in 'set' command"),
        Some(at) => at,
        None => None,
    };
    let mut store = lock(store);
    let exists = store.contains(key);
    if (nx && exists) || (xx && !exists) {
        return encode::null(out);
    }
    store.set(key.to_vec(), value.to_vec(), expires_at);
    encode::simple(out, "OK");
}
