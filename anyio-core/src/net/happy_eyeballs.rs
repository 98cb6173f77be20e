//! Happy eyeballs (RFC 8305): staggered connection attempts, first success wins.
//!
//! The race polls its in-flight attempts itself instead of spawning tasks, so an attempt that
//! loses, or a race that is cancelled, is simply dropped — which closes its socket.

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use super::error::ConnectAttempt;

/// Orders `addresses` so the two families alternate, starting with the family the resolver
/// put first; the order within each family is kept.
pub(crate) fn interleave(addresses: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addresses.first() else {
        return addresses;
    };
    let first_is_v6 = first.is_ipv6();
    let (mut leading, mut trailing): (Vec<_>, Vec<_>) = addresses
        .into_iter()
        .partition(|address| address.is_ipv6() == first_is_v6);
    let mut ordered = Vec::with_capacity(leading.len() + trailing.len());
    leading.reverse();
    trailing.reverse();
    loop {
        match (leading.pop(), trailing.pop()) {
            (None, None) => return ordered,
            (a, b) => ordered.extend(a.into_iter().chain(b)),
        }
    }
}

type Attempt<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Races connection attempts to `addresses`, in order: the first starts at once, each next one
/// when the previous fails or `delay` after the latest start, whichever comes first. Resolves
/// to the first success, dropping the other attempts, or to every attempt's error.
///
/// `attempt` starts one connection; `sleep` makes a timer.
pub(crate) async fn race<'a, T, F, S>(
    addresses: Vec<SocketAddr>,
    delay: Duration,
    mut attempt: impl FnMut(SocketAddr) -> F,
    mut sleep: impl FnMut(Duration) -> S,
) -> Result<T, Vec<ConnectAttempt>>
where
    F: Future<Output = io::Result<T>> + Send + 'a,
    S: Future<Output = ()>,
{
    let mut pending = addresses.into_iter();
    let mut in_flight: Vec<(SocketAddr, Attempt<'a, T>)> = Vec::new();
    let mut failed = Vec::new();
    let mut timer: Option<Pin<Box<S>>> = None;
    poll_fn(move |cx| {
        let mut start_next = in_flight.is_empty();
        loop {
            if start_next {
                start_next = false;
                if let Some(address) = pending.next() {
                    in_flight.push((address, Box::pin(attempt(address))));
                    timer = (pending.len() > 0).then(|| Box::pin(sleep(delay)));
                }
            }
            let mut failed_now = false;
            let mut index = 0;
            while index < in_flight.len() {
                match in_flight[index].1.as_mut().poll(cx) {
                    Poll::Pending => index += 1,
                    Poll::Ready(Ok(stream)) => return Poll::Ready(Ok(stream)),
                    Poll::Ready(Err(error)) => {
                        let (address, _) = in_flight.remove(index);
                        failed.push(ConnectAttempt { address, error });
                        failed_now = true;
                    }
                }
            }
            if pending.len() == 0 {
                if in_flight.is_empty() {
                    return Poll::Ready(Err(std::mem::take(&mut failed)));
                }
                return Poll::Pending;
            }
            // A failure starts the next attempt at once, as if the delay had passed.
            start_next = failed_now
                || timer
                    .as_mut()
                    .is_some_and(|timer| timer.as_mut().poll(cx).is_ready());
            if !start_next {
                return Poll::Pending;
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Wake, Waker};
    use std::thread;
    use std::time::Instant;

    use super::*;

    struct Unpark(thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            thread::park();
        }
    }

    /// A timer on its own thread, so the race can run without a runtime.
    async fn thread_sleep(delay: Duration) {
        let deadline = Instant::now() + delay;
        let started = Arc::new(Mutex::new(false));
        poll_fn(|cx| {
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
            let mut started = started.lock().unwrap();
            if !*started {
                *started = true;
                let waker = cx.waker().clone();
                thread::spawn(move || {
                    thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    waker.wake();
                });
            }
            Poll::Pending
        })
        .await;
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    /// An attempt that fails with `outcome` (or succeeds when it is `None`) after `after`.
    async fn fake(after: Duration, outcome: Option<io::ErrorKind>) -> io::Result<SocketAddr> {
        thread_sleep(after).await;
        match outcome {
            None => Ok(addr("0.0.0.0:0")),
            Some(kind) => Err(kind.into()),
        }
    }

    #[test]
    fn families_alternate_starting_with_the_first() {
        let input = ["[::1]:1", "[::2]:1", "[::3]:1", "10.0.0.1:1", "10.0.0.2:1"].map(addr);
        let expected = ["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1", "[::3]:1"].map(addr);
        assert_eq!(interleave(input.to_vec()), expected);
        let input = ["10.0.0.1:1", "[::1]:1", "10.0.0.2:1"].map(addr);
        let expected = ["10.0.0.1:1", "[::1]:1", "10.0.0.2:1"].map(addr);
        assert_eq!(interleave(input.to_vec()), expected);
        assert!(interleave(Vec::new()).is_empty());
    }

    #[test]
    fn a_hanging_attempt_is_overtaken_after_the_delay() {
        let hanging = addr("10.0.0.1:1");
        let live = addr("10.0.0.2:1");
        let started = Mutex::new(Vec::new());
        let begin = Instant::now();
        let result = block_on(race(
            vec![hanging, live],
            Duration::from_millis(50),
            |address| {
                started.lock().unwrap().push((address, begin.elapsed()));
                let after = if address == hanging {
                    Duration::from_secs(3600)
                } else {
                    Duration::ZERO
                };
                fake(after, None).map_ok_address(address)
            },
            thread_sleep,
        ));
        assert_eq!(result.unwrap(), live);
        let started = started.into_inner().unwrap();
        assert_eq!(started.len(), 2);
        assert!(started[1].1 >= Duration::from_millis(50), "{started:?}");
        assert!(begin.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_failure_starts_the_next_attempt_at_once() {
        let refused = addr("10.0.0.1:1");
        let live = addr("10.0.0.2:1");
        let begin = Instant::now();
        let result = block_on(race(
            vec![refused, live],
            Duration::from_secs(3600),
            |address| {
                let outcome = (address == refused).then_some(io::ErrorKind::ConnectionRefused);
                fake(Duration::from_millis(5), outcome).map_ok_address(address)
            },
            thread_sleep,
        ));
        assert_eq!(result.unwrap(), live);
        assert!(begin.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn every_failure_is_reported() {
        let addresses = ["[::1]:1", "127.0.0.1:1", "[::2]:1"].map(addr);
        let result = block_on(race(
            addresses.to_vec(),
            Duration::from_millis(1),
            |address| {
                let after = if address.is_ipv6() { 20 } else { 1 };
                fake(
                    Duration::from_millis(after),
                    Some(io::ErrorKind::ConnectionRefused),
                )
                .map_ok_address(address)
            },
            thread_sleep,
        ));
        let failed = result.unwrap_err();
        assert_eq!(failed.len(), 3);
        let mut reported: Vec<_> = failed.iter().map(|a| a.address).collect();
        reported.sort();
        let mut expected = addresses.to_vec();
        expected.sort();
        assert_eq!(reported, expected);
        assert!(failed
            .iter()
            .all(|a| a.error.kind() == io::ErrorKind::ConnectionRefused));
    }

    /// Counts attempts still alive: an attempt's socket lives exactly as long as its future.
    struct Alive(Arc<Mutex<usize>>);

    impl Alive {
        fn new(count: &Arc<Mutex<usize>>) -> Self {
            *count.lock().unwrap() += 1;
            Self(count.clone())
        }
    }

    impl Drop for Alive {
        fn drop(&mut self) {
            *self.0.lock().unwrap() -= 1;
        }
    }

    #[test]
    fn losers_are_dropped_when_one_wins() {
        let alive = Arc::new(Mutex::new(0));
        let addresses = ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"].map(addr);
        let winner = addresses[2];
        let result = block_on(race(
            addresses.to_vec(),
            Duration::from_millis(10),
            |address| {
                let guard = Alive::new(&alive);
                let after = if address == winner {
                    Duration::ZERO
                } else {
                    Duration::from_secs(3600)
                };
                async move {
                    let _guard = guard;
                    fake(after, None).map_ok_address(address).await
                }
            },
            thread_sleep,
        ));
        assert_eq!(result.unwrap(), winner);
        assert_eq!(*alive.lock().unwrap(), 0);
    }

    #[test]
    fn a_dropped_race_drops_every_attempt() {
        let alive = Arc::new(Mutex::new(0));
        let mut race = Box::pin(race(
            ["10.0.0.1:1", "10.0.0.2:1"].map(addr).to_vec(),
            Duration::ZERO,
            |address| {
                let guard = Alive::new(&alive);
                async move {
                    let _guard = guard;
                    fake(Duration::from_secs(3600), None)
                        .map_ok_address(address)
                        .await
                }
            },
            |_| std::future::ready(()),
        ));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(race.as_mut().poll(&mut cx).is_pending());
        assert_eq!(*alive.lock().unwrap(), 2);
        drop(race);
        assert_eq!(*alive.lock().unwrap(), 0);
    }

    #[test]
    fn no_address_fails_at_once() {
        let result = block_on(race(
            Vec::new(),
            Duration::from_secs(3600),
            |address| fake(Duration::ZERO, None).map_ok_address(address),
            thread_sleep,
        ));
        assert!(result.unwrap_err().is_empty());
    }

    /// Makes a fake attempt yield the address it was for, so the tests see who won.
    trait MapOkAddress: Future<Output = io::Result<SocketAddr>> + Sized + Send {
        fn map_ok_address(
            self,
            address: SocketAddr,
        ) -> impl Future<Output = io::Result<SocketAddr>> + Send {
            async move { self.await.map(|_| address) }
        }
    }

    impl<F: Future<Output = io::Result<SocketAddr>> + Send> MapOkAddress for F {}
}
