//! Reach: an outer cancel or deadline reaches every child, whatever the shape of the tree —
//! body still running or returned, child not yet polled or running on another worker thread,
//! grandchildren spawned after the body returned, groups nested in children — and whatever
//! the children are blocked on.
//!
//! Each test runs under a watchdog: the failure these tests guard against is a hang.

mod common;

use std::sync::Arc;
use std::time::Duration;

use anyio::{
    create_memory_object_stream, fail_after, move_on_after, sleep_forever, task_group, BoxError,
    CancelScope, Event, Lock, TaskGroup,
};
use common::{ms, Counter, Watchdog};

const LIMIT: Duration = Duration::from_secs(20);

/// What a child waits on, forever unless cancelled.
#[derive(Debug, Clone, Copy)]
enum Block {
    Sleep,
    Event,
    Receive,
    Lock,
    Socket,
    Spin,
}

const BLOCKS: [Block; 6] = [
    Block::Sleep,
    Block::Event,
    Block::Receive,
    Block::Lock,
    Block::Socket,
    Block::Spin,
];

/// A future that never completes on its own, blocked the way `block` says. `dropped` counts
/// when it is dropped.
async fn blocked(block: Block, dropped: Counter) -> Result<(), BoxError> {
    {
        let _guard = dropped.on_drop();
        match block {
            Block::Sleep => {
                sleep_forever().await;
            }
            Block::Event => Event::new().wait().await,
            Block::Receive => {
                let (_tx, rx) = create_memory_object_stream::<u8>(0);
                let _ = rx.receive().await;
                unreachable!("the sender is alive, nothing is sent");
            }
            Block::Lock => {
                let lock = Arc::new(Lock::new());
                let held = lock.acquire().await;
                let _second = lock.acquire().await;
                drop(held);
                unreachable!("the lock is held");
            }
            Block::Socket => {
                let (client, _server) = common::tcp_pair().await;
                let _ = client.receive(16).await;
                unreachable!("the peer sends nothing");
            }
            Block::Spin => loop {
                // Busy on a worker thread, with checkpoints.
                std::hint::black_box(0u64);
                anyio::checkpoint().await;
            },
        }
        Ok(())
    }
}

/// A group whose body spawns `n` blocked children and returns at once.
async fn group_of_blocked(block: Block, n: usize, dropped: Counter) -> Result<(), BoxError> {
    task_group(|tg| async move {
        for _ in 0..n {
            tg.spawn(blocked(block, dropped.clone()))?;
        }
        Ok::<_, BoxError>(())
    })
    .await?;
    Ok(())
}

#[anyio::test]
async fn move_on_after_reaches_children_after_the_body_returned() {
    let _watchdog = Watchdog::new("move_on_after around a returned group", LIMIT);
    for block in BLOCKS {
        let dropped = Counter::new();
        let outcome = move_on_after(ms(30), group_of_blocked(block, 3, dropped.clone())).await;
        assert!(
            outcome.is_none(),
            "{block:?}: the deadline must stop the group"
        );
        assert_eq!(dropped.get(), 3, "{block:?}: every child ran to its end");
    }
}

#[anyio::test]
async fn the_issue_example_returns() {
    let _watchdog = Watchdog::new("the issue's example", LIMIT);
    let outcome = move_on_after(
        ms(50),
        task_group(|tg| async move {
            tg.spawn(async {
                sleep_forever().await;
                Ok(())
            })?;
            Ok::<_, BoxError>(())
        }),
    )
    .await;
    assert!(outcome.is_none());
}

#[anyio::test]
async fn fail_after_reaches_children_after_the_body_returned() {
    let _watchdog = Watchdog::new("fail_after around a returned group", LIMIT);
    for block in BLOCKS {
        let dropped = Counter::new();
        let outcome = fail_after(ms(30), group_of_blocked(block, 2, dropped.clone())).await;
        assert!(
            outcome.is_err(),
            "{block:?}: the deadline must stop the group"
        );
        assert_eq!(dropped.get(), 2, "{block:?}");
    }
}

#[anyio::test]
async fn cancel_from_another_thread_reaches_children_after_the_body_returned() {
    let _watchdog = Watchdog::new("cancel from a thread", LIMIT);
    for block in BLOCKS {
        let dropped = Counter::new();
        let scope = CancelScope::new();
        let handle = scope.handle();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(ms(20));
            handle.cancel();
        });
        let outcome = scope.run(group_of_blocked(block, 2, dropped.clone())).await;
        canceller.join().unwrap();
        assert!(outcome.is_none(), "{block:?}");
        assert_eq!(dropped.get(), 2, "{block:?}");
    }
}

#[anyio::test]
async fn cancel_from_another_task_reaches_children_after_the_body_returned() {
    let _watchdog = Watchdog::new("cancel from a task", LIMIT);
    let dropped = Counter::new();
    let d = dropped.clone();
    task_group(|tg| async move {
        let scope = CancelScope::new();
        let handle = scope.handle();
        let blocked_group = tg.spawn(async move {
            Ok::<_, BoxError>(scope.run(group_of_blocked(Block::Event, 4, d)).await)
        })?;
        anyio::sleep(ms(10)).await;
        handle.cancel();
        assert!(blocked_group.await?.is_none());
        Ok::<_, BoxError>(())
    })
    .await
    .unwrap();
    assert_eq!(dropped.get(), 4);
}

#[anyio::test]
async fn a_deadline_on_the_groups_own_handle_reaches_children_after_the_body_returned() {
    let _watchdog = Watchdog::new("deadline on the group's handle", LIMIT);
    for block in BLOCKS {
        let dropped = Counter::new();
        let d = dropped.clone();
        let error = task_group(|tg| async move {
            for _ in 0..2 {
                tg.spawn(blocked(block, d.clone()))?;
            }
            tg.cancel_handle()
                .set_deadline(Some(anyio::current_time() + ms(20)));
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        assert!(error.is_cancelled(), "{block:?}");
        assert_eq!(error.cancel_reason(), Some("deadline exceeded"));
        assert_eq!(dropped.get(), 2, "{block:?}");
    }
}

#[anyio::test]
async fn grandchildren_spawned_after_the_body_returned_are_reached() {
    let _watchdog = Watchdog::new("late grandchildren", LIMIT);
    let dropped = Counter::new();
    let d = dropped.clone();
    let outcome = move_on_after(
        ms(40),
        task_group(|tg: TaskGroup<BoxError>| async move {
            let inner = tg.clone();
            tg.spawn(async move {
                // Spawns after the body below has returned.
                anyio::sleep(ms(10)).await;
                for _ in 0..3 {
                    inner.spawn(blocked(Block::Sleep, d.clone()))?;
                }
                Ok(())
            })?;
            Ok(())
        }),
    )
    .await;
    assert!(outcome.is_none());
    assert_eq!(dropped.get(), 3);
}

#[anyio::test]
async fn children_not_yet_polled_are_reached() {
    let _watchdog = Watchdog::new("unpolled children", LIMIT);
    let ran = Counter::new();
    let dropped = Counter::new();
    let (r, d) = (ran.clone(), dropped.clone());
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(task_group(|tg| async move {
            for _ in 0..100 {
                let (r, d) = (r.clone(), d.clone());
                tg.spawn(async move {
                    let _guard = d.on_drop();
                    r.bump();
                    sleep_forever().await;
                    Ok::<_, BoxError>(())
                })?;
            }
            // Cancelled before any child had a chance to run.
            handle.cancel();
            Ok::<_, BoxError>(())
        }))
        .await;
    assert!(outcome.is_none());
    assert_eq!(
        ran.get(),
        100,
        "each child still runs up to its first checkpoint"
    );
    assert_eq!(dropped.get(), 100);
}

#[anyio::test]
async fn groups_nested_in_children_are_reached() {
    let _watchdog = Watchdog::new("nested groups", LIMIT);
    let dropped = Counter::new();
    let d = dropped.clone();
    let outcome = move_on_after(
        ms(30),
        task_group(|tg| async move {
            for _ in 0..3 {
                let d = d.clone();
                tg.spawn(async move {
                    task_group(|inner| async move {
                        for _ in 0..3 {
                            let d = d.clone();
                            inner.spawn(
                                async move { group_of_blocked(Block::Receive, 2, d).await },
                            )?;
                        }
                        Ok::<_, BoxError>(())
                    })
                    .await?;
                    Ok::<_, BoxError>(())
                })?;
            }
            Ok::<_, BoxError>(())
        }),
    )
    .await;
    assert!(outcome.is_none());
    assert_eq!(dropped.get(), 3 * 3 * 2);
}

#[anyio::test]
async fn the_body_still_running_is_reached_too() {
    let _watchdog = Watchdog::new("body still running", LIMIT);
    let dropped = Counter::new();
    let d = dropped.clone();
    let outcome = move_on_after(
        ms(30),
        task_group(|tg| async move {
            tg.spawn(blocked(Block::Lock, d.clone()))?;
            blocked(Block::Event, d).await
        }),
    )
    .await;
    assert!(outcome.is_none());
    assert_eq!(dropped.get(), 2);
}

#[anyio::test]
async fn a_port_scan_against_a_silent_peer_ends_at_its_deadline() {
    // The shape that hung in a real program: fail_after around a group of connects, where
    // the peer accepts nothing (a listener whose backlog is never drained still completes
    // connects, so the children then wait for data that never comes).
    let _watchdog = Watchdog::new("port scan", LIMIT);
    let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    use anyio::net::SocketAttributes as _;
    let port = listener.local_port().unwrap();
    let outcome = fail_after(
        ms(100),
        task_group(|tg| async move {
            for _ in 0..8 {
                tg.spawn(async move {
                    let stream = anyio::net::connect_tcp("127.0.0.1", port).await?;
                    let banner = stream.receive(64).await?;
                    Ok::<_, BoxError>(banner.len())
                })?;
            }
            Ok::<_, BoxError>(())
        }),
    )
    .await;
    assert!(outcome.is_err(), "the scan times out instead of hanging");
    drop(listener);
}
