//! A small blocking RESP2 client on a std socket, for the `mini_redis` tests where
//! `redis-cli` is not installed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// Longest reply line accepted.
const MAX_LINE: u64 = 64 * 1024;
/// Largest bulk string accepted.
const MAX_BULK: usize = 16 * 1024 * 1024;

/// A reply, as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The reply as `redis-cli` prints it when its output is not a terminal, without the
    /// final newline: bare text, numbers and error messages, nil as nothing, and one line per
    /// array element.
    pub(crate) fn cli_text(&self) -> String {
        match self {
            Reply::Simple(text) | Reply::Error(text) => text.clone(),
            Reply::Integer(n) => n.to_string(),
            Reply::Bulk(None) | Reply::Array(None) => String::new(),
            Reply::Bulk(Some(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            Reply::Array(Some(items)) => items
                .iter()
                .map(Reply::cli_text)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Appends `args` as a client sends a command: an array of bulk strings.
pub(crate) fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// One CRLF-terminated line, without the CRLF.
fn read_line(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut line)?;
    match line.strip_suffix(b"\r\n") {
        Some(text) => Ok(text.to_vec()),
        None if line.is_empty() => Err(io::ErrorKind::UnexpectedEof.into()),
        None => Err(invalid(format!("reply line {line:?} does not end in CRLF"))),
    }
}

fn number(digits: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| invalid(format!("{digits:?} is not a number")))
}

/// A length that may be -1 for nil.
fn length(digits: &[u8], max: usize) -> io::Result<Option<usize>> {
    match number(digits)? {
        -1 => Ok(None),
        n => usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .map(Some)
            .ok_or_else(|| invalid(format!("length {n} out of range"))),
    }
}

/// Reads one reply, arrays included.
pub(crate) fn read_reply(reader: &mut impl BufRead) -> io::Result<Reply> {
    let line = read_line(reader)?;
    let Some((&kind, rest)) = line.split_first() else {
        return Err(invalid(String::from("empty reply line")));
    };
    let text = || String::from_utf8_lossy(rest).into_owned();
    Ok(match kind {
        b'+' => Reply::Simple(text()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Integer(number(rest)?),
        b'$' => match length(rest, MAX_BULK)? {
            None => Reply::Bulk(None),
            Some(len) => {
                let mut body = vec![0; len + 2];
                reader.read_exact(&mut body)?;
                if !body.ends_with(b"\r\n") {
                    return Err(invalid(String::from("bulk string not followed by CRLF")));
                }
                body.truncate(len);
                Reply::Bulk(Some(body))
            }
        },
        b'*' => match length(rest, 1024 * 1024)? {
            None => Reply::Array(None),
            Some(count) => {
                let items = (0..count).map(|_| read_reply(reader));
                Reply::Array(Some(items.collect::<io::Result<_>>()?))
            }
        },
        other => {
            return Err(invalid(format!(
                "unknown reply type {:?}",
                char::from(other)
            )))
        }
    })
}

/// Connects to the server on the loopback interface, with `limit` on every read and write.
pub(crate) fn connect(port: u16, limit: Duration) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(limit))?;
    stream.set_write_timeout(Some(limit))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sends one command on a fresh connection, as `redis-cli` does, and returns the reply; the
/// server must send exactly one reply and then close the connection.
pub(crate) fn command(port: u16, args: &[&str], limit: Duration) -> io::Result<Reply> {
    let mut stream = connect(port, limit)?;
    let mut request = Vec::new();
    encode_command(&mut request, args);
    stream.write_all(&request)?;
    stream.shutdown(Shutdown::Write)?;
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader)?;
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(invalid(format!(
            "{:?} after the reply",
            String::from_utf8_lossy(&rest)
        )));
    }
    Ok(reply)
}
