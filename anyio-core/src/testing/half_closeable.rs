//! The properties of `send_eof`: Trio's `check_half_closeable_stream`, on top of the two-way
//! properties.

use std::sync::Arc;

use futures_util::future::{join, select, Either};

use super::check::{Runner, StreamMaker};
use super::failure::Property;
use super::one_way::clogging_data;
use super::probe::{busy, closed, end_of_stream, expect_error, outcome, Ctx, Step};
use crate::backend::Runtime;
use crate::streams::{AsyncClose, ByteStream, StreamError};

pub(super) async fn check<R, M, C>(runner: &mut Runner<R>, maker: &M, clogged: Option<&C>)
where
    R: Runtime,
    M: StreamMaker,
    C: StreamMaker<First = M::First, Second = M::Second>,
    M::First: ByteStream + AsyncClose,
    M::Second: ByteStream + AsyncClose,
{
    let ctx = runner.ctx();
    runner
        .run(Property::SendEof, None, maker, |a, b| send_eof(ctx, a, b))
        .await;
    runner
        .run(Property::SendAfterEof, None, maker, |a, _| {
            send_after_eof(ctx, a)
        })
        .await;
    runner
        .run(Property::CancelledSendEof, None, maker, |a, b| {
            cancelled_send_eof(ctx, a, b)
        })
        .await;
    if let Some(clogged) = clogged {
        runner
            .run(Property::SendEofBusy, None, clogged, |a, _| {
                send_eof_busy(ctx, a)
            })
            .await;
    }
}

/// `s` sends b"x" then finishes sending while `r` expects b"x" then the end.
async fn x_then_end<R: Runtime>(ctx: Ctx<R>, s: &impl ByteStream, r: &impl ByteStream) -> Step {
    let sender = async {
        s.send(b"x")
            .await
            .map_err(|error| format!("the send of b\"x\" failed with {error:?}"))?;
        s.send_eof()
            .await
            .map_err(|error| format!("send_eof failed with {error:?}"))
    };
    let receiver = async {
        ctx.expect_bytes(r, b"x", 10).await?;
        let end = ctx
            .within("a receive after send_eof", r.receive(10))
            .await?;
        expect_error(
            end,
            end_of_stream,
            "EndOfStream",
            "after the peer's b\"x\" and send_eof, a receive",
        )
    };
    let (sent, received): (Step, Step) = join(sender, receiver).await;
    sent?;
    received
}

async fn send_eof<R, A, B>(ctx: Ctx<R>, a: Arc<A>, b: Arc<B>) -> Step
where
    R: Runtime,
    A: ByteStream,
    B: ByteStream,
{
    x_then_end(ctx, &*a, &*b).await?;
    x_then_end(ctx, &*b, &*a)
        .await
        .map_err(|error| format!("the other way, after the first end's send_eof: {error}"))
}

async fn send_after_eof<R: Runtime, A: ByteStream>(ctx: Ctx<R>, a: Arc<A>) -> Step {
    let first = ctx.within("send_eof", a.send_eof()).await?;
    first.map_err(|error| format!("send_eof failed with {error:?}"))?;
    let sent = ctx.within("a send after send_eof", a.send(b"y")).await?;
    expect_error(sent, closed, "Closed", "after send_eof, a send")?;
    let again = ctx.within("send_eof again", a.send_eof()).await?;
    again.map_err(|error| format!("send_eof again failed with {error:?}; it should succeed"))
}

async fn cancelled_send_eof<R, A, B>(ctx: Ctx<R>, a: Arc<A>, b: Arc<B>) -> Step
where
    R: Runtime,
    A: ByteStream,
    B: ByteStream,
{
    let finished = ctx.cancelled(a.send_eof()).await;
    let mut sent = None;
    let probe = join(async { sent = Some(a.send(b"x").await) }, b.receive(10));
    let received = ctx.limit(probe).await.map(|((), received)| received);
    let when = "after a send_eof in a cancelled scope";
    match (sent, received) {
        // No effect: sending still works.
        (Some(Ok(())), Some(Ok(data))) if &data[..] == b"x" => {
            if let Some(Ok(())) = finished {
                return Err(format!(
                    "{when} returned Ok(()), sends still succeed: it did not finish the sending \
                     half"
                ));
            }
            Ok(())
        }
        // Finished: the peer sees the end.
        (Some(Err(StreamError::Closed)), Some(Err(StreamError::EndOfStream))) => Ok(()),
        (Some(Err(StreamError::Closed)), None) => Err(format!(
            "{when}, sends fail with Closed but the peer's receive waited {:?} instead of \
             ending: the send_eof was left half done",
            ctx.timeout()
        )),
        (sent, received) => Err(format!(
            "{when}, a send of b\"x\" returned {sent:?} while the peer's receive returned {}",
            received.map_or_else(|| "nothing in time".to_owned(), |r| outcome(&r))
        )),
    }
}

async fn send_eof_busy<R: Runtime, A: ByteStream>(ctx: Ctx<R>, a: Arc<A>) -> Step {
    let data = clogging_data();
    let both = select(Box::pin(a.send(&data)), Box::pin(a.send_eof()));
    let raced = ctx.limit(both).await;
    match raced {
        None => Err(format!(
            "send_eof while a send waited on a clogged stream waited too ({:?}): it should \
             fail with Busy",
            ctx.timeout()
        )),
        Some(Either::Left((sent, _eof))) => Err(format!(
            "a send on a clogged stream completed with {sent:?} while send_eof was called: the \
             send should wait, and send_eof fail with Busy"
        )),
        Some(Either::Right((eof, _send))) => {
            expect_error(eof, busy, "Busy", "send_eof while a send waited")
        }
    }
}
