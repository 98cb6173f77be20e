//! Races between a group's cancellation and a child entering a nested task group, run many
//! times: the nested group's children, waiting on a channel, an event or a sleep, must all be
//! woken and cancelled. This was a lost wake-up (the tree hung until an unrelated wake-up
//! came), found by the random soak.

mod common;

use std::time::Duration;

use anyio::{create_memory_object_stream, task_group, BoxError, Event, TaskGroup};
use common::{Counter, Watchdog};

const ROUNDS: usize = 300;

/// How the outer group gets cancelled while its child enters the nested group.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    BodyFails,
    GroupCancel,
    SiblingFails,
}

/// A child that opens a nested group whose children block until cancelled.
async fn enter_nested(entered: Counter, dropped: Counter) -> Result<(), BoxError> {
    task_group(|inner: TaskGroup<BoxError>| async move {
        entered.bump();
        let (tx, rx) = create_memory_object_stream::<u8>(0);
        let d = dropped.clone();
        inner.spawn(async move {
            let _guard = d.on_drop();
            let _keep = tx;
            anyio::sleep_forever().await;
            Ok(())
        })?;
        let d = dropped.clone();
        inner.spawn(async move {
            let _guard = d.on_drop();
            let _ = rx.receive().await;
            Ok(())
        })?;
        let d = dropped.clone();
        inner.spawn(async move {
            let _guard = d.on_drop();
            Event::new().wait().await;
            Ok(())
        })?;
        let d = dropped;
        inner.spawn(async move {
            let _guard = d.on_drop();
            anyio::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })?;
        Ok(())
    })
    .await?;
    Ok(())
}

async fn race(trigger: Trigger, spin: u32) {
    let entered = Counter::new();
    let dropped = Counter::new();
    let (e, d) = (entered.clone(), dropped.clone());
    let outcome = task_group(|tg: TaskGroup<BoxError>| async move {
        tg.spawn(enter_nested(e, d))?;
        // Lands anywhere from before the child first runs to after its group is built.
        for _ in 0..spin {
            std::hint::spin_loop();
        }
        match trigger {
            Trigger::BodyFails => return Err("body failed".into()),
            Trigger::GroupCancel => tg.cancel(),
            Trigger::SiblingFails => {
                tg.spawn(async { Err::<(), BoxError>("sibling failed".into()) })?;
            }
        }
        Ok(())
    })
    .await;
    let error = outcome.expect_err("the outer group was cancelled or failed");
    assert_eq!(
        error.is_cancelled(),
        matches!(trigger, Trigger::GroupCancel)
    );
    // Every nested child that was spawned has ended.
    assert_eq!(dropped.get(), 4 * entered.get(), "{trigger:?}");
}

#[anyio::test]
async fn cancelling_a_group_while_a_child_enters_a_nested_group_wakes_every_grandchild() {
    let _watchdog = Watchdog::new("nested-group cancellation race", Duration::from_secs(60));
    for round in 0..ROUNDS {
        for trigger in [
            Trigger::BodyFails,
            Trigger::GroupCancel,
            Trigger::SiblingFails,
        ] {
            race(trigger, (round as u32 * 37) % 2000).await;
        }
    }
}
