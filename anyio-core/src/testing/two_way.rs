//! The properties of a two-way byte stream: Trio's `check_two_way_stream`, a superset of the
//! one-way properties (checked in both directions).

use std::sync::Arc;

use futures_util::future::{join, join4};

use super::check::{Flipped, Runner, StreamMaker};
use super::failure::Property;
use super::one_way;
use super::probe::{check_chunk, end_of_stream, expect_error, Ctx, Step};
use super::random::Rng;
use crate::backend::Runtime;
use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream};
use crate::task::task_group;

/// How many bytes go each way in the full-duplex transfer (Trio's figure).
const DUPLEX_BYTES: usize = 1 << 20;
/// The largest chunk a send or receive of the transfer uses; each is a random size up to it.
const CHUNK_MAX: usize = 1 << 14;

pub(super) async fn check<R, M, C>(runner: &mut Runner<R>, maker: &M, clogged: Option<&C>)
where
    R: Runtime,
    M: StreamMaker,
    C: StreamMaker<First = M::First, Second = M::Second>,
    M::First: ByteSendStream + ByteReceiveStream + AsyncClose,
    M::Second: ByteSendStream + ByteReceiveStream + AsyncClose,
{
    one_way::check(runner, maker, clogged, Some("first end to second")).await;
    let flipped_clogged = clogged.map(Flipped);
    let second_first = Some("second end to first");
    one_way::check(
        runner,
        &Flipped(maker),
        flipped_clogged.as_ref(),
        second_first,
    )
    .await;
    let duplex = runner.ctx_for(Property::FullDuplex);
    runner
        .run(Property::FullDuplex, None, maker, |a, b| {
            full_duplex(duplex, a, b)
        })
        .await;
    let ctx = runner.ctx();
    runner
        .run(Property::CloseEndsPeer, None, maker, |a, b| {
            close_ends_peer(ctx, a, b)
        })
        .await;
}

async fn full_duplex<R, A, B>(ctx: Ctx<R>, a: Arc<A>, b: Arc<B>) -> Step
where
    R: Runtime,
    A: ByteSendStream + ByteReceiveStream + 'static,
    B: ByteSendStream + ByteReceiveStream + 'static,
{
    let forward = Arc::new(Rng::new(0).bytes(DUPLEX_BYTES));
    let backward: Arc<Vec<u8>> = Arc::new(forward.iter().rev().copied().collect());
    let what = format!("sending {DUPLEX_BYTES} bytes each way at once, a task for each direction");
    let transfers = task_group::<R, String, _, _, _>(|tg| {
        let (a, b, forward, backward) = (a.clone(), b.clone(), forward.clone(), backward.clone());
        async move {
            let spawn_error = |error: crate::error::SpawnError| error.to_string();
            tg.spawn(send_all(a.clone(), forward.clone(), 1, "first"))
                .map_err(spawn_error)?;
            tg.spawn(send_all(b.clone(), backward.clone(), 2, "second"))
                .map_err(spawn_error)?;
            tg.spawn(receive_all(a, backward, 3, "first"))
                .map_err(spawn_error)?;
            tg.spawn(receive_all(b, forward, 4, "second"))
                .map_err(spawn_error)?;
            Ok(())
        }
    });
    ctx.within(&what, transfers)
        .await?
        .map_err(|error| error.into_first().unwrap_or_else(|| "cancelled".into()))
        .map_err(|error| format!("with a task for each direction: {error}"))?;

    // The same once more on the same pair, all four in one task: another interleaving.
    let what = format!("sending {DUPLEX_BYTES} bytes each way again, all in one task");
    let transfers = join4(
        send_all(a.clone(), forward.clone(), 5, "first"),
        send_all(b.clone(), backward.clone(), 6, "second"),
        receive_all(a, backward, 7, "first"),
        receive_all(b, forward, 8, "second"),
    );
    let outcomes = ctx.within(&what, transfers).await?;
    let one_task = |error: String| format!("then all in one task: {error}");
    outcomes.0.map_err(one_task)?;
    outcomes.1.map_err(one_task)?;
    outcomes.2.map_err(one_task)?;
    outcomes.3.map_err(one_task)
}

/// Sends all of `data` in chunks of random sizes.
async fn send_all<S: ByteSendStream>(
    stream: Arc<S>,
    data: Arc<Vec<u8>>,
    seed: u64,
    end: &'static str,
) -> Step {
    let mut rng = Rng::new(seed);
    let mut sent = 0;
    while sent < data.len() {
        let chunk = rng.size(CHUNK_MAX).min(data.len() - sent);
        stream
            .send(&data[sent..sent + chunk])
            .await
            .map_err(|error| {
                format!("the {end} end's send failed with {error:?} after {sent} bytes")
            })?;
        sent += chunk;
    }
    Ok(())
}

/// Receives exactly `expected`, asking for random sizes, and finds the first wrong byte.
async fn receive_all<S: ByteReceiveStream>(
    stream: Arc<S>,
    expected: Arc<Vec<u8>>,
    seed: u64,
    end: &'static str,
) -> Step {
    let mut rng = Rng::new(seed);
    let mut got = Vec::with_capacity(expected.len());
    while got.len() < expected.len() {
        let want = rng.size(CHUNK_MAX);
        let chunk = stream.receive(want).await.map_err(|error| {
            format!(
                "the {end} end's receive failed with {error:?} after {} of {} bytes",
                got.len(),
                expected.len()
            )
        })?;
        check_chunk(&chunk, want).map_err(|error| format!("at the {end} end, {error}"))?;
        got.extend_from_slice(&chunk);
    }
    if let Some(at) = got.iter().zip(expected.iter()).position(|(g, e)| g != e) {
        return Err(format!(
            "the {end} end received a wrong byte at offset {at} of {}: bytes were lost, \
             duplicated or reordered",
            expected.len()
        ));
    }
    if got.len() > expected.len() {
        return Err(format!(
            "the {end} end received {} bytes, more than the {} sent",
            got.len(),
            expected.len()
        ));
    }
    Ok(())
}

async fn close_ends_peer<R, A, B>(ctx: Ctx<R>, a: Arc<A>, b: Arc<B>) -> Step
where
    R: Runtime,
    A: AsyncClose,
    B: ByteReceiveStream + AsyncClose,
{
    let what = "closing the first end while the second receives";
    let ((), received) = ctx.within(what, join(a.close(), b.receive(10))).await?;
    expect_error(
        received,
        end_of_stream,
        "EndOfStream",
        "after the first end closed, the second end's receive",
    )?;
    ctx.within("closing the second end", b.close()).await
}
