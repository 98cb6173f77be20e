//! Just enough HTTP/1.1 for this example: one request per connection, `Content-Length`
//! bodies, `Connection: close`.

use anyio::net::TcpStream;
use anyio::streams::{BufferedByteReceiveStream, StreamError};
use anyio::BoxError;

pub(crate) type Reader = BufferedByteReceiveStream<TcpStream>;

/// Longest request, status or header line accepted.
const MAX_LINE: usize = 8 * 1024;
/// Most header lines accepted in one message.
const MAX_HEADERS: usize = 100;
/// Largest response body the client accepts.
pub(crate) const MAX_BODY: usize = 64 * 1024 * 1024;

/// The parts of a request the server looks at.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
}

async fn line(reader: &Reader) -> Result<String, BoxError> {
    let line = reader.receive_until(b"\r\n", MAX_LINE).await?;
    Ok(String::from_utf8(line.to_vec()).map_err(|_| "a header line is not UTF-8")?)
}

/// Reads header lines up to the blank one; returns `Content-Length` if present.
async fn headers(reader: &Reader) -> Result<Option<usize>, BoxError> {
    let mut content_length = None;
    for _ in 0..MAX_HEADERS {
        let header = line(reader).await?;
        if header.is_empty() {
            return Ok(content_length);
        }
        let (name, value) = header.split_once(':').ok_or("a header line has no ':'")?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            let length = value.trim().parse().map_err(|_| "invalid Content-Length")?;
            content_length = Some(length);
        }
    }
    Err(format!("more than {MAX_HEADERS} header lines").into())
}

/// Reads a request head; the example's requests have no body.
pub(crate) async fn read_request(reader: &Reader) -> Result<Request, BoxError> {
    let request_line = line(reader).await?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("malformed request line {request_line:?}").into());
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("unsupported version {version:?}").into());
    }
    headers(reader).await?;
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
    })
}

/// A complete response with a body and `Connection: close`.
pub(crate) fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Sends `GET path` and returns the status code and body.
pub(crate) async fn get(stream: TcpStream, path: &str) -> Result<(u16, Vec<u8>), BoxError> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.send(request.as_bytes()).await?;
    let reader = BufferedByteReceiveStream::new(stream);
    let status_line = line(&reader).await?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("malformed status line {status_line:?}"))?;
    let length = headers(&reader)
        .await?
        .ok_or("the response has no Content-Length")?;
    if length > MAX_BODY {
        return Err(format!("a {length}-byte body is over the {MAX_BODY}-byte limit").into());
    }
    let body = reader
        .receive_exactly(length)
        .await
        .map_err(|error| match error {
            StreamError::IncompleteRead { expected, received } => {
                format!("the body ended after {received} of {expected} bytes")
            }
            other => other.to_string(),
        })?;
    reader.get_ref().close().await;
    Ok((status, body.to_vec()))
}
