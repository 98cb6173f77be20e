//! The properties of one direction of a byte stream: Trio's `check_one_way_stream`.
//!
//! Each takes the sending end `s` and the receiving end `r` of a fresh pair.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::{join, select, Either};

use super::check::{Runner, StreamMaker};
use super::failure::Property;
use super::probe::{
    broken, busy, closed, end_of_stream, expect_error, invalid_argument, outcome, show,
    signal_polled, Ctx, Step,
};
use crate::backend::Runtime;
use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, StreamError};
use crate::sync::Event;
use crate::task::task_group;
use crate::time::checkpoint;

/// How many sends of 100 bytes may succeed after the receiving end closed before the check
/// gives up on seeing `Broken`: far more than any socket buffers.
const SENDS_BEFORE_BROKEN: usize = 200_000;

/// What the properties of clogged streams send: much more than a socket takes at once, so
/// that a send waits even when a clogged socket finds some room again.
pub(super) fn clogging_data() -> Vec<u8> {
    vec![b'c'; 1 << 20]
}

/// Checks every one-way property in the direction `direction` names (`None` for a one-way
/// stream), and with `clogged` those that need a send to wait.
pub(super) async fn check<R, M, C>(
    runner: &mut Runner<R>,
    maker: &M,
    clogged: Option<&C>,
    direction: Option<&'static str>,
) where
    R: Runtime,
    M: StreamMaker,
    C: StreamMaker<First = M::First, Second = M::Second>,
    M::First: ByteSendStream + AsyncClose,
    M::Second: ByteReceiveStream + AsyncClose,
{
    let ctx = runner.ctx();
    let d = direction;
    runner
        .run(Property::Transfer, d, maker, |s, r| transfer(ctx, s, r))
        .await;
    runner
        .run(Property::EmptySend, d, maker, |s, r| empty_send(ctx, s, r))
        .await;
    runner
        .run(Property::ReceiveSize, d, maker, |s, r| {
            receive_size(ctx, s, r)
        })
        .await;
    runner
        .run(Property::ZeroMaxBytes, d, maker, |s, r| {
            zero_max_bytes(ctx, s, r)
        })
        .await;
    runner
        .run(Property::SendCheckpoint, d, maker, |s, r| {
            send_checkpoint(ctx, s, r)
        })
        .await;
    runner
        .run(Property::ReceiveCheckpoint, d, maker, |s, r| {
            receive_checkpoint(ctx, s, r)
        })
        .await;
    runner
        .run(Property::ConcurrentReceives, d, maker, |s, r| {
            concurrent_receives(ctx, s, r)
        })
        .await;
    runner
        .run(Property::PeerCloseBreaksSend, d, maker, |s, r| {
            peer_close_breaks_send(ctx, s, r)
        })
        .await;
    runner
        .run(Property::UseAfterClose, d, maker, |s, r| {
            use_after_close(ctx, s, r)
        })
        .await;
    runner
        .run(Property::RepeatedClose, d, maker, |s, r| {
            repeated_close(ctx, s, r)
        })
        .await;
    runner
        .run(Property::SendThenClose, d, maker, |s, r| {
            send_then_close(ctx, s, r)
        })
        .await;
    runner
        .run(Property::PeerCloseEndsReceive, d, maker, |s, r| {
            peer_close_ends_receive(ctx, s, r)
        })
        .await;
    runner
        .run(Property::CancelledClose, d, maker, |s, r| {
            cancelled_close(ctx, s, r)
        })
        .await;
    runner
        .run(Property::CloseAfterCancel, d, maker, |s, r| {
            close_after_cancel(ctx, s, r)
        })
        .await;
    runner
        .run(Property::CloseWakesReceive, d, maker, |_, r| {
            close_wakes_receive(ctx, r)
        })
        .await;
    if let Some(clogged) = clogged {
        runner
            .run(Property::ConcurrentSends, d, clogged, |s, _| {
                concurrent_sends(ctx, s)
            })
            .await;
        runner
            .run(Property::CloseWakesSend, d, clogged, |s, _| {
                close_wakes_send(ctx, s)
            })
            .await;
        runner
            .run(Property::PeerCloseWakesSend, d, clogged, |s, r| {
                peer_close_wakes_send(ctx, s, r)
            })
            .await;
    }
}

/// Sends `data` while receiving it, at most `max_bytes` at a time.
async fn send_and_expect<R: Runtime>(
    ctx: Ctx<R>,
    s: &impl ByteSendStream,
    r: &impl ByteReceiveStream,
    data: &[u8],
    max_bytes: usize,
) -> Step {
    let (sent, received) = join(s.send(data), ctx.expect_bytes(r, data, max_bytes)).await;
    received?;
    sent.map_err(|error| format!("the send of {} failed with {error:?}", show(data)))
}

async fn transfer<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    send_and_expect(ctx, &*s, &*r, b"x", 1).await
}

async fn empty_send<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    let sends = async {
        let empty = ctx.within("an empty send", s.send(b"")).await?;
        empty.map_err(|error| format!("an empty send failed with {error:?}"))?;
        s.send(b"y")
            .await
            .map_err(|error| format!("a send after an empty send failed with {error:?}"))
    };
    let (sent, received) = join(sends, ctx.expect_bytes(&*r, b"y", 1)).await;
    sent?;
    received.map_err(|error| format!("after an empty send then b\"y\": {error}"))
}

async fn receive_size<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    send_and_expect(ctx, &*s, &*r, b"abcdefgh", 3).await
}

async fn zero_max_bytes<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    let at_once = "it should fail with InvalidArgument at once";
    let zero = ctx
        .within(format!("receive(0) ({at_once})"), r.receive(0))
        .await?;
    expect_error(zero, invalid_argument, "InvalidArgument", "receive(0)")?;
    let mut empty = [0u8; 0];
    let into_empty = ctx
        .within(
            format!("receive_into an empty buffer ({at_once})"),
            r.receive_into(&mut empty),
        )
        .await?;
    expect_error(
        into_empty,
        invalid_argument,
        "InvalidArgument",
        "receive_into an empty buffer",
    )?;
    send_and_expect(ctx, &*s, &*r, b"x", 1)
        .await
        .map_err(|error| format!("after the rejected receives: {error}"))
}

async fn send_checkpoint<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    if let Some(result) = ctx.cancelled(s.send(b"z")).await {
        return Err(format!(
            "a send in a cancelled scope completed with {result:?} instead of delivering the \
             cancellation"
        ));
    }
    if let Some(result) = ctx.cancelled(s.send(b"")).await {
        return Err(format!(
            "an empty send in a cancelled scope completed with {result:?} instead of \
             delivering the cancellation"
        ));
    }
    send_and_expect(ctx, &*s, &*r, b"y", 1)
        .await
        .map_err(|error| {
            format!("after a send of b\"z\" in a cancelled scope, a send of b\"y\": {error}")
        })
}

async fn receive_checkpoint<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    let receiver = async {
        ctx.expect_bytes(&*r, b"a", 1).await?;
        // b"b" arrived with b"a": the receive below could complete at once.
        if let Some(result) = ctx.cancelled(r.receive(1)).await {
            return Err(format!(
                "with b\"b\" ready, a receive in a cancelled scope completed with {} instead \
                 of delivering the cancellation",
                outcome(&result)
            ));
        }
        ctx.expect_bytes(&*r, b"b", 1)
            .await
            .map_err(|error| format!("after a receive in a cancelled scope: {error}"))
    };
    let (sent, received) = join(s.send(b"ab"), receiver).await;
    received?;
    sent.map_err(|error| format!("the send of b\"ab\" failed with {error:?}"))
}

async fn concurrent_receives<R: Runtime, S: ByteSendStream, Rx: ByteReceiveStream>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    let both = select(Box::pin(r.receive(1)), Box::pin(r.receive(1)));
    let raced = ctx.limit(both).await;
    let (which, result) = match raced {
        None => {
            return Err(format!(
                "two receives at once on an empty stream both waited for {:?}: the second \
                 should fail with Busy",
                ctx.timeout()
            ))
        }
        Some(Either::Left((result, _second))) => ("first", result),
        Some(Either::Right((result, _first))) => ("second", result),
    };
    expect_error(
        result,
        busy,
        "Busy",
        &format!("of two receives at once on an empty stream, the {which}"),
    )?;
    send_and_expect(ctx, &*s, &*r, b"x", 1)
        .await
        .map_err(|error| format!("after the Busy receive: {error}"))
}

async fn peer_close_breaks_send<
    R: Runtime,
    S: ByteSendStream,
    Rx: ByteReceiveStream + AsyncClose,
>(
    ctx: Ctx<R>,
    s: Arc<S>,
    r: Arc<Rx>,
) -> Step {
    let sends = async {
        for _ in 0..SENDS_BEFORE_BROKEN {
            if let Err(error) = s.send(&[b'x'; 100]).await {
                return Some(error);
            }
            // Yields, so that a stream that never fails still lets the time limit fire.
            checkpoint().await;
        }
        None
    };
    let ((), failed) = ctx
        .within(
            "sending after the receiving end closed",
            join(r.close(), sends),
        )
        .await?;
    match failed {
        Some(StreamError::Broken(_)) => {}
        Some(other) => {
            return Err(format!(
                "after the receiving end closed, a send failed with {other:?} instead of Broken"
            ))
        }
        None => {
            return Err(format!(
                "after the receiving end closed, {SENDS_BEFORE_BROKEN} sends of 100 bytes all \
                 succeeded: they should fail with Broken"
            ))
        }
    }
    let again = ctx
        .within("a send on a broken stream", s.send(&[b'x'; 100]))
        .await?;
    expect_error(again, broken, "Broken", "once broken, another send")?;
    let received = ctx
        .within("a receive on the closed end", r.receive(4096))
        .await?;
    expect_error(received, closed, "Closed", "a receive on the closed end")
}

/// Closes both ends, each within the time limit.
async fn close_both<R: Runtime>(
    ctx: Ctx<R>,
    s: &impl AsyncClose,
    r: &impl AsyncClose,
    what: &str,
) -> Step {
    ctx.within(format!("closing the sending end{what}"), s.close())
        .await?;
    ctx.within(format!("closing the receiving end{what}"), r.close())
        .await
}

/// Sends (a full and an empty one) and a receive all fail with `Closed`; `when` says after
/// what.
async fn expect_closed<R: Runtime>(
    ctx: Ctx<R>,
    s: &impl ByteSendStream,
    r: &impl ByteReceiveStream,
    when: &str,
) -> Step {
    let sent = ctx.within("a send", s.send(&[b'x'; 100])).await?;
    expect_error(sent, closed, "Closed", &format!("{when}, a send"))?;
    let empty = ctx.within("an empty send", s.send(b"")).await?;
    expect_error(empty, closed, "Closed", &format!("{when}, an empty send"))?;
    let received = ctx.within("a receive", r.receive(4096)).await?;
    expect_error(received, closed, "Closed", &format!("{when}, a receive"))
}

async fn use_after_close<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose,
    Rx: ByteReceiveStream + AsyncClose,
{
    close_both(ctx, &*s, &*r, "").await?;
    expect_closed(ctx, &*s, &*r, "after close").await
}

async fn repeated_close<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose,
    Rx: ByteReceiveStream + AsyncClose,
{
    for round in ["", " again", " a third time"] {
        close_both(ctx, &*s, &*r, round).await?;
    }
    expect_closed(ctx, &*s, &*r, "after closing three times").await
}

async fn send_then_close<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose,
    Rx: ByteReceiveStream + AsyncClose,
{
    let sender = async {
        s.send(b"y")
            .await
            .map_err(|error| format!("the send of b\"y\" failed with {error:?}"))?;
        s.close().await;
        Ok(())
    };
    let receiver = async {
        ctx.expect_bytes(&*r, b"y", 1).await?;
        let end = ctx.within("a receive after the data", r.receive(1)).await?;
        expect_error(
            end,
            end_of_stream,
            "EndOfStream",
            "after the sender sent b\"y\" and closed, the receive after b\"y\"",
        )
    };
    let (sent, received): (Step, Step) = join(sender, receiver).await;
    sent?;
    received
}

async fn peer_close_ends_receive<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose,
    Rx: ByteReceiveStream,
{
    ctx.close_forcefully(&*s).await;
    let sent = ctx.within("a send after close", s.send(b"123")).await?;
    expect_error(
        sent,
        closed,
        "Closed",
        "after a close in a cancelled scope, a send",
    )?;
    let what = "a receive after the sending end closed (it should end)";
    match ctx.within(what, r.receive(1)).await? {
        Err(StreamError::EndOfStream | StreamError::Broken(_)) => Ok(()),
        other => Err(format!(
            "after the sending end closed, a receive returned {} instead of EndOfStream or \
             Broken",
            outcome(&other)
        )),
    }
}

async fn cancelled_close<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose,
    Rx: ByteReceiveStream + AsyncClose,
{
    ctx.close_forcefully(&*r).await;
    ctx.close_forcefully(&*s).await;
    let when = "after a close in a cancelled scope (which must still close)";
    let sent = ctx
        .within(format!("{when}, a send"), s.send(b"123"))
        .await?;
    expect_error(sent, closed, "Closed", &format!("{when}, a send"))?;
    let received = ctx
        .within(format!("{when}, a receive"), r.receive(4096))
        .await?;
    expect_error(received, closed, "Closed", &format!("{when}, a receive"))
}

async fn close_after_cancel<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose,
    Rx: ByteReceiveStream + AsyncClose,
{
    // Whatever the cancelled operations did, closing must still work.
    let _ = ctx.cancelled(join(s.send(b"x"), r.receive(1))).await;
    let what = "closing both ends after a cancelled send and receive";
    ctx.within(what, join(s.close(), r.close())).await?;
    expect_closed(
        ctx,
        &*s,
        &*r,
        "after a cancelled send and receive, then close",
    )
    .await
}

async fn close_wakes_receive<R, Rx>(ctx: Ctx<R>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    Rx: ByteReceiveStream + AsyncClose + 'static,
{
    task_group::<R, String, _, _, _>(|tg| async move {
        let polled = Arc::new(Event::new());
        let receiving = tg
            .spawn({
                let (r, polled) = (r.clone(), polled.clone());
                async move { Ok(signal_polled(r.receive(10), &polled).await) }
            })
            .map_err(|error| error.to_string())?;
        ctx.within("the receive in the other task starting", polled.wait())
            .await?;
        ctx.within("the close", r.close()).await?;
        let woken = ctx
            .within(
                "the receive waiting in another task, after the close",
                receiving,
            )
            .await?
            .map_err(|error| format!("the receiving task failed: {error}"))?;
        expect_error(
            woken,
            closed,
            "Closed",
            "closed while it waited, a receive in another task",
        )
    })
    .await
    .map_err(|error| error.into_first().unwrap_or_else(|| "cancelled".into()))
}

async fn concurrent_sends<R: Runtime, S: ByteSendStream>(ctx: Ctx<R>, s: Arc<S>) -> Step {
    let data = clogging_data();
    let both = select(Box::pin(s.send(&data)), Box::pin(s.send(&data)));
    let (which, result) = match ctx.limit(both).await {
        None => {
            return Err(format!(
                "two sends at once on a clogged stream both waited for {:?}: the second should \
                 fail with Busy",
                ctx.timeout()
            ))
        }
        Some(Either::Left((result, _second))) => ("first", result),
        Some(Either::Right((result, _first))) => ("second", result),
    };
    expect_error(
        result,
        busy,
        "Busy",
        &format!("of two sends at once on a clogged stream, the {which}"),
    )
}

async fn peer_close_wakes_send<R, S, Rx>(ctx: Ctx<R>, s: Arc<S>, r: Arc<Rx>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose + 'static,
    Rx: ByteReceiveStream + AsyncClose,
{
    // A peer that gives up closes in a cancelled scope: no goodbye, but it must close.
    let interrupt = || async {
        ctx.close_forcefully(&*r).await;
        Ok(())
    };
    let woken = interrupt_waiting_send(ctx, s, interrupt, "after the receiving end closed").await?;
    expect_error(
        woken,
        |error| matches!(error, StreamError::Broken(_)),
        "Broken",
        "waiting on a clogged stream whose receiving end closed, a send in another task",
    )
}

async fn close_wakes_send<R, S>(ctx: Ctx<R>, s: Arc<S>) -> Step
where
    R: Runtime,
    S: ByteSendStream + AsyncClose + 'static,
{
    let closing = s.clone();
    let interrupt = || ctx.within("the close", closing.close());
    let woken = interrupt_waiting_send(ctx, s, interrupt, "after the close").await?;
    expect_error(
        woken,
        closed,
        "Closed",
        "closed while it waited on a clogged stream, a send in another task",
    )
}

/// Starts a send of clogging data in another task, calls `interrupt` once the send waits
/// (not before: a close acts when called), and returns how the send ended.
async fn interrupt_waiting_send<R, S, F, I>(
    ctx: Ctx<R>,
    s: Arc<S>,
    interrupt: I,
    after: &str,
) -> Result<Result<(), StreamError>, String>
where
    R: Runtime,
    S: ByteSendStream + 'static,
    I: FnOnce() -> F + Send,
    F: Future<Output = Step> + Send,
{
    task_group::<R, String, _, _, _>(|tg| async move {
        let polled = Arc::new(Event::new());
        let sending = tg
            .spawn({
                let (s, polled) = (s.clone(), polled.clone());
                async move { Ok(signal_polled(s.send(&clogging_data()), &polled).await) }
            })
            .map_err(|error| error.to_string())?;
        ctx.within("the send in the other task starting", polled.wait())
            .await?;
        interrupt().await?;
        ctx.within(
            format!("the send waiting in another task, {after}"),
            sending,
        )
        .await?
        .map_err(|error| format!("the sending task failed: {error}"))
    })
    .await
    .map_err(|error| error.into_first().unwrap_or_else(|| "cancelled".into()))
}
