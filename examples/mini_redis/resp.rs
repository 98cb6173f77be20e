//! RESP2 framing: reading commands (arrays of bulk strings, or inline lines) and replies, and
//! encoding replies.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use anyio::net::TcpStream;
use anyio::streams::{BufferedByteReceiveStream, StreamError};

/// Longest line (inline command, or a `*`/`$` header) accepted, as Redis does.
pub(crate) const MAX_LINE: usize = 64 * 1024;
/// Largest bulk string accepted (Redis' `proto-max-bulk-len` default).
pub(crate) const MAX_BULK: usize = 512 * 1024 * 1024;
/// Most arguments in one command.
pub(crate) const MAX_ARGS: usize = 1024 * 1024;

pub(crate) type Reader = BufferedByteReceiveStream<TcpStream>;

/// Why reading a frame failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer sent bytes that are not RESP; the reply says what was wrong.
    Protocol(String),
    /// The connection failed or ended in the middle of a frame.
    Stream(StreamError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(message) => write!(f, "Protocol error: {message}"),
            Self::Stream(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ReadError {}

fn protocol(message: impl Into<String>) -> ReadError {
    ReadError::Protocol(message.into())
}

/// Reads one CRLF-terminated line; `Ok(None)` when the peer closed cleanly before it.
async fn read_line(reader: &Reader) -> Result<Option<Vec<u8>>, ReadError> {
    match reader.receive_until(b"\r\n", MAX_LINE).await {
        Ok(line) => Ok(Some(line.to_vec())),
        Err(StreamError::EndOfStream) | Err(StreamError::IncompleteRead { received: 0, .. }) => {
            Ok(None)
        }
        Err(StreamError::DelimiterNotFound { .. }) => Err(protocol("too big request line")),
        Err(error) => Err(ReadError::Stream(error)),
    }
}

/// A line that must be present: the frame has started.
async fn require_line(reader: &Reader) -> Result<Vec<u8>, ReadError> {
    read_line(reader)
        .await?
        .ok_or(ReadError::Stream(StreamError::EndOfStream))
}

fn parse_length(digits: &[u8], what: &str, max: usize) -> Result<Option<usize>, ReadError> {
    let text = std::str::from_utf8(digits).map_err(|_| protocol(format!("invalid {what}")))?;
    let value: i64 = text
        .parse()
        .map_err(|_| protocol(format!("invalid {what}")))?;
    if value < 0 {
        return Ok(None);
    }
    match usize::try_from(value) {
        Ok(value) if value <= max => Ok(Some(value)),
        _ => Err(protocol(format!("invalid {what}"))),
    }
}

/// Reads `len` bytes followed by CRLF.
async fn read_bulk_body(reader: &Reader, len: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = reader
        .receive_exactly(len + 2)
        .await
        .map_err(ReadError::Stream)?
        .to_vec();
    if !body.ends_with(b"\r\n") {
        return Err(protocol("bulk string not terminated by CRLF"));
    }
    body.truncate(len);
    Ok(body)
}

/// Reads the next command's arguments; `Ok(None)` once the peer has closed the connection.
///
/// Empty inline lines and empty arrays are skipped, as Redis does.
pub(crate) async fn read_command(reader: &Reader) -> Result<Option<Vec<Vec<u8>>>, ReadError> {
    loop {
        let Some(line) = read_line(reader).await? else {
            return Ok(None);
        };
        let Some(count) = line.strip_prefix(b"*") else {
            let args: Vec<Vec<u8>> = line
                .split(|b| b.is_ascii_whitespace())
                .filter(|word| !word.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            if args.is_empty() {
                continue;
            }
            return Ok(Some(args));
        };
        let count = match parse_length(count, "multibulk length", MAX_ARGS)? {
            Some(0) | None => continue,
            Some(count) => count,
        };
        let mut args = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            let header = require_line(reader).await?;
            let Some(len) = header.strip_prefix(b"$") else {
                let got = header.first().map_or(String::from("end of line"), |b| {
                    format!("'{}'", char::from(*b))
                });
                return Err(protocol(format!("expected '$', got {got}")));
            };
            let len = parse_length(len, "bulk length", MAX_BULK)?
                .ok_or_else(|| protocol("invalid bulk length"))?;
            args.push(read_bulk_body(reader, len).await?);
        }
        return Ok(Some(args));
    }
}

/// Whether `buf` starts with a whole command, so that [`read_command`] returns it without
/// waiting for more input. Anything it cannot be sure of (a partial frame, or bytes that
/// are not RESP) counts as incomplete: the caller then sends what it owes before reading.
pub(crate) fn holds_complete_command(mut buf: &[u8]) -> bool {
    fn line<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
        let end = buf.windows(2).position(|pair| pair == b"\r\n")?;
        let line = &buf[..end];
        *buf = &buf[end + 2..];
        Some(line)
    }
    fn number(digits: &[u8]) -> Option<i64> {
        std::str::from_utf8(digits).ok()?.parse().ok()
    }
    loop {
        let Some(first) = line(&mut buf) else {
            return false;
        };
        let Some(count) = first.strip_prefix(b"*") else {
            if first
                .split(|b| b.is_ascii_whitespace())
                .any(|w| !w.is_empty())
            {
                return true;
            }
            continue;
        };
        let Some(count) = number(count) else {
            return false;
        };
        for _ in 0..count.max(0) {
            let len = line(&mut buf)
                .and_then(|header| header.strip_prefix(b"$"))
                .and_then(number)
                .and_then(|len| usize::try_from(len).ok());
            match len {
                Some(len) if buf.len() >= len.saturating_add(2) => buf = &buf[len + 2..],
                _ => return false,
            }
        }
        if count > 0 {
            return true;
        }
    }
}

/// A reply, as the client subcommand reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// Writes the reply the way `redis-cli` shows it on a terminal.
    pub(crate) fn render(&self, indent: usize, out: &mut String) {
        match self {
            Reply::Simple(text) => out.push_str(text),
            Reply::Error(text) => out.push_str(&format!("(error) {text}")),
            Reply::Integer(n) => out.push_str(&format!("(integer) {n}")),
            Reply::Bulk(None) | Reply::Array(None) => out.push_str("(nil)"),
            Reply::Bulk(Some(bytes)) => {
                out.push_str(&format!("{:?}", String::from_utf8_lossy(bytes)))
            }
            Reply::Array(Some(items)) if items.is_empty() => out.push_str("(empty array)"),
            Reply::Array(Some(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent));
                    }
                    let label = format!("{}) ", i + 1);
                    out.push_str(&label);
                    item.render(indent + label.len(), out);
                }
            }
        }
    }
}

/// Reads one reply, arrays included.
pub(crate) fn read_reply(
    reader: &Reader,
) -> Pin<Box<dyn Future<Output = Result<Reply, ReadError>> + Send + '_>> {
    Box::pin(async move {
        let line = require_line(reader).await?;
        let (kind, rest) = line
            .split_first()
            .ok_or_else(|| protocol("empty reply line"))?;
        let text = String::from_utf8_lossy(rest).into_owned();
        Ok(match kind {
            b'+' => Reply::Simple(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Integer(
                text.parse()
                    .map_err(|_| protocol("invalid integer reply"))?,
            ),
            b'$' => match parse_length(rest, "bulk length", MAX_BULK)? {
                None => Reply::Bulk(None),
                Some(len) => Reply::Bulk(Some(read_bulk_body(reader, len).await?)),
            },
            b'*' => match parse_length(rest, "multibulk length", MAX_ARGS)? {
                None => Reply::Array(None),
                Some(count) => {
                    let mut items = Vec::with_capacity(count.min(64));
                    for _ in 0..count {
                        items.push(read_reply(reader).await?);
                    }
                    Reply::Array(Some(items))
                }
            },
            other => {
                return Err(protocol(format!(
                    "unexpected reply type '{}'",
                    char::from(*other)
                )))
            }
        })
    })
}

/// Appends replies to an output buffer in RESP2.
pub(crate) mod encode {
    pub(crate) fn simple(out: &mut Vec<u8>, text: &str) {
        out.extend_from_slice(format!("+{text}\r\n").as_bytes());
    }

    pub(crate) fn error(out: &mut Vec<u8>, text: &str) {
        // A line break inside would end the reply early.
        let text = text.replace(['\r', '\n'], " ");
        out.extend_from_slice(format!("-{text}\r\n").as_bytes());
    }

    pub(crate) fn integer(out: &mut Vec<u8>, n: i64) {
        out.extend_from_slice(format!(":{n}\r\n").as_bytes());
    }

    pub(crate) fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }

    pub(crate) fn null(out: &mut Vec<u8>) {
        out.extend_from_slice(b"$-1\r\n");
    }

    pub(crate) fn array_header(out: &mut Vec<u8>, len: usize) {
        out.extend_from_slice(format!("*{len}\r\n").as_bytes());
    }

    /// A command as a client sends it: an array of bulk strings.
    pub(crate) fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
        array_header(out, args.len());
        for arg in args {
            bulk(out, arg.as_ref());
        }
    }
}
