//! The keyspace: values with optional deadlines, expired lazily when touched.

use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// Every operation is short and never waits, so the server keeps the store behind a plain
/// `std::sync::Mutex` that is never held across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct Store {
    entries: HashMap<Vec<u8>, Entry>,
}

/// Why `INCR` refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotAnInteger;

impl Store {
    /// The live entry for `key`, dropping it first if it has expired.
    fn live(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let now = Instant::now();
        if self
            .entries
            .get(key)
            .is_some_and(|entry| !entry.is_live(now))
        {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    pub(crate) fn get(&mut self, key: &[u8]) -> Option<&[u8]> {
        self.live(key).map(|entry| entry.value.as_slice())
    }

    pub(crate) fn contains(&mut self, key: &[u8]) -> bool {
        self.live(key).is_some()
    }

    pub(crate) fn set(&mut self, key: Vec<u8>, value: Vec<u8>, expires_at: Option<Instant>) {
        self.entries.insert(key, Entry { value, expires_at });
    }

    pub(crate) fn remove(&mut self, key: &[u8]) -> bool {
        self.live(key).is_some() && self.entries.remove(key).is_some()
    }

    /// Adds one to the integer stored at `key` (0 when absent), keeping its deadline.
    pub(crate) fn incr(&mut self, key: &[u8]) -> Result<i64, NotAnInteger> {
        let Some(entry) = self.live(key) else {
            self.set(key.to_vec(), b"1".to_vec(), None);
            return Ok(1);
        };
        let current: i64 = std::str::from_utf8(&entry.value)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or(NotAnInteger)?;
        let next = current.checked_add(1).ok_or(NotAnInteger)?;
        entry.value = next.to_string().into_bytes();
        Ok(next)
    }

    /// Live keys matching a glob pattern; expired entries met on the way are dropped.
    pub(crate) fn keys(&mut self, pattern: &[u8]) -> Vec<Vec<u8>> {
        let now = Instant::now();
        self.entries.retain(|_, entry| entry.is_live(now));
        let mut keys: Vec<Vec<u8>> = self
            .entries
            .keys()
            .filter(|key| glob_match(pattern, key))
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// `*` matches any run of bytes and `?` any one byte; everything else matches itself.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was and how much text it has swallowed so far, for backtracking.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}
