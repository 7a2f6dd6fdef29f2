//! A TCP stream that keeps the first bytes the server sent. A TLS
//! handshake that fails on a record it cannot parse says only "corrupt
//! message"; what the port actually answered (plain HTTP, or bytes that are
//! neither TLS nor HTTP) is in those first bytes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Bytes kept: enough for a status line's start or a preview.
pub const KEPT: usize = 64;

pub struct FirstBytes {
    inner: TcpStream,
    kept: Arc<Mutex<Vec<u8>>>,
}

impl FirstBytes {
    /// The stream, and where its first `KEPT` bytes read will be.
    pub fn new(inner: TcpStream) -> (FirstBytes, Arc<Mutex<Vec<u8>>>) {
        let kept = Arc::new(Mutex::new(Vec::new()));
        (
            FirstBytes {
                inner,
                kept: kept.clone(),
            },
            kept,
        )
    }
}

/// What a peer that failed a TLS handshake sent instead: `None` when it
/// sent nothing or started like a TLS record (content types 20–24, major
/// version 3), so the TLS error itself is the better description.
pub fn not_tls(kept: &Mutex<Vec<u8>>) -> Option<Vec<u8>> {
    let bytes = kept.lock().map(|k| k.clone()).unwrap_or_default();
    let looks_tls = matches!(bytes.as_slice(), [20..=24, 3, ..] | [20..=24]);
    (!bytes.is_empty() && !looks_tls).then_some(bytes)
}

impl AsyncRead for FirstBytes {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let new = &buf.filled()[before..];
            if let Ok(mut kept) = self.kept.lock() {
                let room = KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&new[..new.len().min(room)]);
            }
        }
        polled
    }
}

impl AsyncWrite for FirstBytes {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_records_are_not_named_and_anything_else_is() {
        let kept = |b: &[u8]| Mutex::new(b.to_vec());
        assert_eq!(not_tls(&kept(b"")), None);
        assert_eq!(not_tls(&kept(&[22, 3, 3, 0, 10])), None);
        assert_eq!(not_tls(&kept(&[21, 3, 1, 0, 2])), None);
        assert!(not_tls(&kept(b"HTTP/1.1 400 Bad Request")).is_some());
        assert!(not_tls(&kept(&[0x9c, 0x01, 0xff])).is_some());
    }
}
