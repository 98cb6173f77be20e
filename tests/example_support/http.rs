//! A small blocking HTTP/1.1 client on a std socket, for the `fetch_many` tests where `curl`
//! is not installed: one request per connection, `Content-Length` bodies.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Longest status or header line accepted.
const MAX_LINE: u64 = 8 * 1024;
/// Most header lines accepted.
const MAX_HEADERS: usize = 100;
/// Largest body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// What the server answered.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut line)?;
    let text = line
        .strip_suffix(b"\r\n")
        .ok_or_else(|| invalid(format!("line {line:?} does not end in CRLF")))?;
    String::from_utf8(text.to_vec()).map_err(|_| invalid(String::from("a line is not UTF-8")))
}

/// Reads header lines up to the blank one; returns `Content-Length`, which must be there.
fn content_length(reader: &mut impl BufRead) -> io::Result<usize> {
    let mut length = None;
    for _ in 0..MAX_HEADERS {
        let header = read_line(reader)?;
        if header.is_empty() {
            return length.ok_or_else(|| invalid(String::from("no Content-Length")));
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| invalid(format!("header {header:?} has no ':'")))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            let parsed = value.trim().parse().ok().filter(|&n| n <= MAX_BODY);
            length = Some(parsed.ok_or_else(|| invalid(format!("bad {header:?}")))?);
        }
    }
    Err(invalid(format!("more than {MAX_HEADERS} header lines")))
}

/// Sends `METHOD path` (no body) to the loopback interface, as `curl` would, and reads the
/// response: status line, headers, exactly `Content-Length` bytes of body and then the end
/// of the connection, with `limit` on every read and write.
pub(crate) fn request(
    port: u16,
    method: &str,
    path: &str,
    limit: Duration,
) -> io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(limit))?;
    stream.set_write_timeout(Some(limit))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: anyio-tests\r\n\
         Accept: */*\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut reader = BufReader::new(stream);

    let status_line = read_line(&mut reader)?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("malformed status line {status_line:?}")))?;
    let length = content_length(&mut reader)?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    // One request per connection: the server closes it after the body, and sends no more.
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(invalid(format!(
            "{} bytes after the {length}-byte body",
            rest.len()
        )));
    }
    Ok(Response { status, body })
}
