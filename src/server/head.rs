//! The request-head guard: every request head is read and checked here
//! before hyper sees it, so that a head HTTP refuses gets a JSON error with
//! a code like every other refusal (hyper answers its own refusals with an
//! empty body). Limits: [`Limits::max_head_bytes`](super::Limits) of head
//! (431 `header_too_large`), [`MAX_HEADERS`] header lines (431
//! `too_many_headers`), and a head `httparse` (hyper's parser) accepts (400
//! `bad_request`: a NUL or other control byte, a malformed request line or
//! header, a bad `content-length`).
//!
//! The guard sits between the socket and hyper. It passes a checked head on,
//! then exactly the body its framing announces (`content-length` bytes, or
//! chunks up to the last one), then checks the next head. A refused head is
//! replaced by a request of its own (`GET /`, `connection: close`) and the
//! connection's service answers that one with the JSON error, in order after
//! any earlier response on the connection; then hyper closes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most header lines a request may have (hyper's default too).
pub const MAX_HEADERS: usize = 100;

/// What a refused head gets: status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400 or 431
    pub status: StatusCode,
    /// `bad_request`, `header_too_large` or `too_many_headers`
    pub code: &'static str,
    /// what was wrong
    pub message: String,
}

impl Refusal {
    /// The JSON error answer (the connection closes after it).
    pub fn response(&self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut r = super::http::answer(self.status, body, self.code);
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        r
    }
}

/// Where a refusal waits for the connection's service to answer it.
pub type RefusalSlot = Arc<Mutex<Option<Refusal>>>;

/// What the request the guard substitutes for a refused head looks like.
const STAND_IN: &[u8] = b"GET / HTTP/1.1\r\nhost: refused\r\nconnection: close\r\n\r\n";

/// Where the guard is in the byte stream.
#[derive(Debug)]
enum Phase {
    /// reading a head
    Head,
    /// passing `n` more bytes of a checked head or a sized body, then `then`
    Pass(u64, Box<Phase>),
    /// passing a chunked body
    Chunked(ChunkScan),
    /// passing the stand-in request (this far), then nothing
    Refused(usize),
}

/// A socket whose request heads are checked before the reader sees them.
pub struct HeadGuard<T> {
    inner: T,
    phase: Phase,
    buf: Vec<u8>,
    /// how much of `buf` was searched for the end of a head, in vain
    scanned: usize,
    max_head: usize,
    eof: bool,
    slot: RefusalSlot,
}

impl<T> HeadGuard<T> {
    /// Guards `inner`; a refusal is left in `slot` for the service.
    pub fn new(inner: T, max_head: usize, slot: RefusalSlot) -> Self {
        HeadGuard {
            inner,
            phase: Phase::Head,
            buf: Vec::new(),
            scanned: 0,
            max_head,
            eof: false,
            slot,
        }
    }
}

fn refusal(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

/// How a checked head's body is framed, or why the head is refused.
fn check_head(head: &[u8]) -> Result<Phase, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request head is incomplete",
            ))
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(refusal(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "too_many_headers",
                format!("a request has at most {MAX_HEADERS} headers"),
            ))
        }
        Err(e) => {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the request head is not HTTP/1.1: {e}"),
            ))
        }
    }
    body_framing(req.headers)
}

/// The body's framing: chunked, or `content-length` bytes (none without it).
fn body_framing(headers: &[httparse::Header<'_>]) -> Result<Phase, Refusal> {
    let named = |n: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(n))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    if named("transfer-encoding").any(|v| v.contains("chunked")) {
        return Ok(Phase::Chunked(ChunkScan::default()));
    }
    let mut length: Option<u64> = None;
    for v in named("content-length") {
        let n = v
            .parse::<u64>()
            .ok()
            .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
            .filter(|n| length.is_none_or(|l| l == *n))
            .ok_or_else(|| {
                refusal(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "`content-length` is not one whole number",
                )
            })?;
        length = Some(n);
    }
    Ok(Phase::Pass(length.unwrap_or(0), Box::new(Phase::Head)))
}

/// Where the end of a head is in `buf` (just after the empty line), if there.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

impl<T: AsyncRead + Unpin> HeadGuard<T> {
    /// Reads more of the socket into the buffer; `false` at its end.
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.eof {
            return Poll::Ready(Ok(false));
        }
        let mut chunk = [0u8; 8192];
        let mut rb = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.inner).poll_read(cx, &mut rb))?;
        let n = rb.filled().len();
        self.buf.extend_from_slice(rb.filled());
        self.eof = n == 0;
        Poll::Ready(Ok(n > 0))
    }

    /// Moves up to `n` buffered bytes to `out`; how many.
    fn give(&mut self, out: &mut ReadBuf<'_>, n: u64) -> usize {
        let k = self
            .buf
            .len()
            .min(out.remaining())
            .min(usize::try_from(n).unwrap_or(usize::MAX));
        out.put_slice(&self.buf[..k]);
        self.buf.drain(..k);
        k
    }

    /// The head phase: a checked head goes on, a refused one is replaced.
    fn read_head(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        loop {
            // Only bytes not searched yet (and the three before them): a
            // head sent a byte at a time costs no more than one sent whole.
            let limit = self.buf.len().min(self.max_head + 4);
            let from = self.scanned.saturating_sub(3).min(limit);
            let found = head_end(&self.buf[from..limit]).map(|e| from + e);
            self.scanned = limit;
            if let Some(end) = found.filter(|&e| e <= self.max_head) {
                self.scanned = 0;
                self.phase = match check_head(&self.buf[..end]) {
                    Ok(body) => Phase::Pass(end as u64, Box::new(body)),
                    Err(r) => self.refuse(r),
                };
                return Poll::Ready(Ok(true));
            }
            if self.buf.len() > self.max_head {
                let r = refusal(
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "header_too_large",
                    format!("the request head is larger than {} bytes", self.max_head),
                );
                self.phase = self.refuse(r);
                return Poll::Ready(Ok(true));
            }
            if !ready!(self.fill(cx))? {
                return Poll::Ready(Ok(false));
            }
        }
    }

    fn refuse(&mut self, r: Refusal) -> Phase {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some(r);
        }
        self.buf.clear();
        self.scanned = 0;
        Phase::Refused(0)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeadGuard<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        loop {
            match &mut me.phase {
                Phase::Head => {
                    if !ready!(me.read_head(cx))? {
                        // The peer ended: pass on what is left (an incomplete head) and the end.
                        me.give(out, u64::MAX);
                        return Poll::Ready(Ok(()));
                    }
                }
                Phase::Refused(at) => {
                    if *at == STAND_IN.len() {
                        // Nothing more, but no end of stream either: hyper
                        // would drop the answer to a peer that ended. The
                        // stand-in says `connection: close`; hyper closes.
                        return Poll::Pending;
                    }
                    let k = (STAND_IN.len() - *at).min(out.remaining());
                    out.put_slice(&STAND_IN[*at..*at + k]);
                    *at += k;
                    return Poll::Ready(Ok(()));
                }
                Phase::Pass(0, _) => {
                    if let Phase::Pass(_, next) = std::mem::replace(&mut me.phase, Phase::Head) {
                        me.phase = *next;
                    }
                }
                Phase::Pass(n, _) => {
                    let n = *n;
                    if me.buf.is_empty() && !ready!(me.fill(cx))? {
                        return Poll::Ready(Ok(()));
                    }
                    let k = me.give(out, n) as u64;
                    if let Phase::Pass(left, _) = &mut me.phase {
                        *left = n - k;
                    }
                    return Poll::Ready(Ok(()));
                }
                Phase::Chunked(_) => {
                    if me.buf.is_empty() && !ready!(me.fill(cx))? {
                        return Poll::Ready(Ok(()));
                    }
                    let avail = me.buf.len().min(out.remaining());
                    let end = match &mut me.phase {
                        Phase::Chunked(scan) => scan.advance(&me.buf[..avail]),
                        _ => None,
                    };
                    me.give(out, end.unwrap_or(avail) as u64);
                    if end.is_some() {
                        me.phase = Phase::Head;
                    }
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadGuard<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, b)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Finds the end of a chunked body, fed its bytes once each, in order
/// (lenient: a malformed body is hyper's to refuse; this only keeps count).
#[derive(Debug)]
struct ChunkScan {
    state: ChunkState,
}

impl Default for ChunkScan {
    fn default() -> Self {
        ChunkScan {
            state: ChunkState::Size(0, false),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// a chunk-size line: the size so far, and whether past its digits
    Size(u64, bool),
    /// `n` more data bytes
    Data(u64),
    /// the line end after a chunk's data
    DataEnd,
    /// trailer lines after the last chunk: the length of the current one
    Trailer(usize),
}

impl ChunkScan {
    /// Consumes `bytes`; `Some(k)` when the body ended after `k` of them.
    fn advance(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < bytes.len() {
            use ChunkState as S;
            let b = bytes[i];
            match self.state {
                S::Data(n) => {
                    let k = (bytes.len() - i).min(usize::try_from(n).unwrap_or(usize::MAX));
                    i += k;
                    let left = n - k as u64;
                    self.state = if left == 0 { S::DataEnd } else { S::Data(left) };
                    continue;
                }
                S::Size(size, past) => {
                    self.state = match (b, past) {
                        (b'\n', _) if size == 0 => S::Trailer(0),
                        (b'\n', _) => S::Data(size),
                        (_, false) if b.is_ascii_hexdigit() => {
                            let d = u64::from((b as char).to_digit(16).unwrap_or(0));
                            S::Size(size.saturating_mul(16).saturating_add(d), false)
                        }
                        _ => S::Size(size, true),
                    };
                }
                S::DataEnd => {
                    if b == b'\n' {
                        self.state = S::Size(0, false);
                    }
                }
                S::Trailer(len) => {
                    if b == b'\n' {
                        if len == 0 {
                            return Some(i + 1);
                        }
                        self.state = S::Trailer(0);
                    } else if b != b'\r' {
                        self.state = S::Trailer(len + 1);
                    }
                }
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers() {
        let body = b"4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\nx-t: 1\r\n\r\nGET /next";
        for split in 0..body.len() {
            let mut scan = ChunkScan::default();
            let end = match scan.advance(&body[..split]) {
                Some(k) => k,
                None => split + scan.advance(&body[split..]).unwrap(),
            };
            assert_eq!(&body[end..], b"GET /next", "split at {split}");
        }
    }

    #[tokio::test]
    async fn checked_requests_pass_through_unchanged_however_they_are_split() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let input = b"POST /a HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello\
GET /b HTTP/1.1\r\nhost: x\r\n\r\n\
POST /c HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
GET /d HTTP/1.1\r\n\r\n";
        for step in [1, 7, 64, input.len()] {
            let (mut client, server) = tokio::io::duplex(4096);
            let slot = RefusalSlot::default();
            let mut guard = HeadGuard::new(server, 16 * 1024, slot.clone());
            let writer = tokio::spawn(async move {
                for piece in input.chunks(step) {
                    client.write_all(piece).await.unwrap();
                }
            });
            let mut out = Vec::new();
            guard.read_to_end(&mut out).await.unwrap();
            writer.await.unwrap();
            assert_eq!(out, input.to_vec(), "pieces of {step}");
            assert!(slot.lock().unwrap().is_none());
        }
    }

    #[test]
    fn heads_http_refuses_get_their_code() {
        let code = |head: &[u8]| check_head(head).err().map(|r| r.code);
        assert_eq!(code(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n"), None);
        assert_eq!(
            code(b"GET / HTTP/1.1\r\nx: a\0b\r\n\r\n"),
            Some("bad_request")
        );
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x{i}: 1\r\n")).collect();
        let head = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(code(head.as_bytes()), Some("too_many_headers"));
        assert_eq!(
            code(b"POST / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n"),
            Some("bad_request")
        );
    }
}
