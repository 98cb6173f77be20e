//! A two-way in-memory byte stream written here against the public traits, correct by
//! default, with one fault switched on at a time: what the checkers must catch.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use anyio::lowlevel::{checkpoint_if_cancelled, has_pending_cancellation};
use anyio::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};

/// One way a stream can break the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// None: the stream keeps the contract.
    None,
    /// Sends of more than 100 bytes lose their last byte.
    DropsBytes,
    /// A send completes in a cancelled scope.
    SendIgnoresCancel,
    /// A receive with data ready completes in a cancelled scope.
    ReceiveIgnoresCancel,
    /// A second receive waits behind the first instead of failing with `Busy`.
    NoBusy,
    /// Closing does not wake a receive waiting on the closed end.
    CloseDoesNotWake,
    /// A close in a cancelled scope does nothing (it waits for a checkpoint first).
    CancelledCloseDoesNothing,
    /// A receive into an empty buffer waits for data instead of failing.
    AcceptsEmptyBuffer,
    /// `send_eof` does nothing.
    SendEofDoesNothing,
    /// `send_eof` stops sending, then reaches a checkpoint, then tells the peer: in a
    /// cancelled scope it is left half done.
    SendEofHalfDone,
}

#[derive(Debug, Default)]
struct Pipe {
    state: Mutex<PipeState>,
}

#[derive(Debug, Default)]
struct PipeState {
    data: VecDeque<u8>,
    /// The sending end finished (send_eof or close).
    ended: bool,
    /// The receiving end was closed.
    closed: bool,
    receivers: Vec<Waker>,
    receiving: bool,
}

impl Pipe {
    fn wake_receivers(&self) {
        let wakers = std::mem::take(&mut self.state.lock().unwrap().receivers);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// One end of a [`pair`].
#[derive(Debug)]
pub(crate) struct FaultyStream {
    outgoing: Arc<Pipe>,
    incoming: Arc<Pipe>,
    eof_sent: Mutex<bool>,
    closed: Mutex<bool>,
    fault: Fault,
}

/// A connected pair with `fault`.
pub(crate) fn pair(fault: Fault) -> (FaultyStream, FaultyStream) {
    let (there, back) = (Arc::new(Pipe::default()), Arc::new(Pipe::default()));
    let end = |outgoing: &Arc<Pipe>, incoming: &Arc<Pipe>| FaultyStream {
        outgoing: outgoing.clone(),
        incoming: incoming.clone(),
        eof_sent: Mutex::new(false),
        closed: Mutex::new(false),
        fault,
    };
    (end(&there, &back), end(&back, &there))
}

impl FaultyStream {
    fn is_closed(&self) -> bool {
        *self.closed.lock().unwrap()
    }

    fn end_outgoing(&self) {
        self.outgoing.state.lock().unwrap().ended = true;
        self.outgoing.wake_receivers();
    }
}

/// Releases the receiving claim when a receive ends.
struct Receiving<'a>(&'a Pipe);

impl Drop for Receiving<'_> {
    fn drop(&mut self) {
        self.0.state.lock().unwrap().receiving = false;
        self.0.wake_receivers();
    }
}

impl ByteSendStream for FaultyStream {
    async fn send<'a>(&'a self, data: &'a [u8]) -> Result<(), StreamError> {
        if self.fault != Fault::SendIgnoresCancel {
            checkpoint_if_cancelled().await;
        }
        if self.is_closed() || *self.eof_sent.lock().unwrap() {
            return Err(StreamError::Closed);
        }
        let data = match self.fault {
            Fault::DropsBytes if data.len() > 100 => &data[..data.len() - 1],
            _ => data,
        };
        {
            let mut state = self.outgoing.state.lock().unwrap();
            if state.closed {
                let gone = io::Error::new(io::ErrorKind::BrokenPipe, "the peer closed");
                return Err(StreamError::Broken(gone));
            }
            state.data.extend(data);
        }
        self.outgoing.wake_receivers();
        Ok(())
    }
}

impl ByteReceiveStream for FaultyStream {
    async fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> Result<usize, StreamError> {
        let honours_cancel = self.fault != Fault::ReceiveIgnoresCancel;
        if honours_cancel {
            checkpoint_if_cancelled().await;
        }
        if buf.is_empty() && self.fault != Fault::AcceptsEmptyBuffer {
            return Err(StreamError::invalid_argument(
                "pass a buffer of at least 1 byte",
            ));
        }
        let pipe = &*self.incoming;
        let mut claim = None;
        poll_fn(|cx| {
            if honours_cancel && has_pending_cancellation() {
                return Poll::Pending;
            }
            let mut state = pipe.state.lock().unwrap();
            if claim.is_none() {
                if state.receiving {
                    if self.fault != Fault::NoBusy {
                        return Poll::Ready(Err(StreamError::Busy));
                    }
                    state.receivers.push(cx.waker().clone());
                    return Poll::Pending;
                }
                state.receiving = true;
                claim = Some(Receiving(pipe));
            }
            if state.closed {
                return Poll::Ready(Err(StreamError::Closed));
            }
            if !state.data.is_empty() && !buf.is_empty() {
                let n = buf.len().min(state.data.len());
                for (slot, byte) in buf.iter_mut().zip(state.data.drain(..n)) {
                    *slot = byte;
                }
                return Poll::Ready(Ok(n));
            }
            if state.ended {
                return Poll::Ready(Err(StreamError::EndOfStream));
            }
            state.receivers.push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

impl ByteStream for FaultyStream {
    async fn send_eof(&self) -> Result<(), StreamError> {
        match self.fault {
            Fault::SendEofDoesNothing => return Ok(()),
            Fault::SendEofHalfDone => {
                *self.eof_sent.lock().unwrap() = true;
                anyio::checkpoint().await;
            }
            _ => {
                checkpoint_if_cancelled().await;
                *self.eof_sent.lock().unwrap() = true;
            }
        }
        self.end_outgoing();
        Ok(())
    }
}

impl AsyncClose for FaultyStream {
    async fn close(&self) {
        if self.fault == Fault::CancelledCloseDoesNothing {
            anyio::checkpoint().await;
        }
        *self.closed.lock().unwrap() = true;
        {
            let mut state = self.incoming.state.lock().unwrap();
            state.closed = true;
            state.data.clear();
        }
        if self.fault != Fault::CloseDoesNotWake {
            self.incoming.wake_receivers();
        }
        self.end_outgoing();
    }
}
