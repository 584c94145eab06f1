//! Limits on connections and requests: how long a client may take to send a request head or a
//! request, how many HTTPS connections are open at once, how large a request body may be, and
//! the same bounds for the Cisco CTL Provider's TLS port. README's *Limits* paragraph states
//! these numbers.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default time a client has to send a whole request head, and on a new connection (once the
/// TLS handshake is done) its first request, before it is disconnected
/// (`CCMADMIN_HEADER_TIMEOUT_SECS`). An HTTP/1 connection idle between requests is closed after
/// it too.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time a client has to complete the TLS handshake of the HTTPS listener.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time a page, server function or API call has from its head being read to its
/// response head, reading of the request body included (`CCMADMIN_REQUEST_TIMEOUT_SECS`); past
/// it the answer is 503 with a JSON error. A response body streamed after its head is not
/// bounded by it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest request body read by a page's server function or an API route: 2 MiB (axum's
/// default, stated here); a larger one is refused with 413.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The body limit of the server functions that carry a CSV file of at most `max_file_bytes`:
/// the file as a JSON string (escaping can double it) and the request around it.
pub fn import_body_limit(max_file_bytes: usize) -> usize {
    max_file_bytes.saturating_mul(2).saturating_add(64 * 1024)
}

/// Default bound on HTTPS connections open at once (`CCMADMIN_MAX_CONNECTIONS`); a connection
/// beyond it is closed at once, before its TLS handshake.
pub const MAX_CONNECTIONS: usize = 512;

/// HTTPS connections one source address (an IPv6 one by its /64) may hold open at once, so that
/// one host cannot take every connection of the bound; one more from it is closed at once.
pub const MAX_CONNECTIONS_PER_SOURCE: usize = 64;

/// HTTP/2 streams (requests) one connection may have open at once.
pub const HTTP2_MAX_CONCURRENT_STREAMS: u32 = 32;

/// Interval of the HTTP/2 pings that find a peer gone without closing its connection.
pub const HTTP2_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// How long an HTTP/2 ping may go unanswered before the connection is closed.
pub const HTTP2_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bound on the Cisco CTL Provider's connections served at once; further ones wait in the
/// listen backlog until one ends.
pub const CTL_PROVIDER_MAX_CONNECTIONS: usize = 64;

/// CTL Provider connections one source address may hold at once; one more is closed at once.
pub const CTL_PROVIDER_MAX_PER_SOURCE: usize = 8;

/// Time a CTL Provider connection has for its TLS handshake and the sending of the CTL file,
/// together.
pub const CTL_PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Bound on the CAPF listener's connections, those in a session and those queued for one;
/// further ones wait in the listen backlog.
pub const CAPF_MAX_CONNECTIONS: usize = 256;

/// CAPF connections one source address may hold at once; one more is closed at once.
pub const CAPF_MAX_PER_SOURCE: usize = 8;

/// Time a CAPF connection has for its TLS handshake.
pub const CAPF_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Time CAPF waits for each message of a phone (its key generation has its own, longer time).
pub const CAPF_STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Time a phone waits for a free CAPF session (R19) before it is told to retry later.
pub const CAPF_QUEUE_WAIT: Duration = Duration::from_secs(30);

/// First pause of an accept loop after the listener fails (for example out of file
/// descriptors); it doubles on each failure in a row.
pub const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(50);

/// Longest pause of an accept loop after the listener fails.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The pause after `previous` when accepting fails again.
pub fn next_backoff(previous: Duration) -> Duration {
    previous.saturating_mul(2).min(ACCEPT_BACKOFF_MAX)
}

/// The HTTPS listener's TCP acceptor: admits at most a fixed number of connections at once and
/// sets `TCP_NODELAY` on each one it admits (without it a streamed page waits for the client's
/// delayed ACK, about 40 ms on Linux, between its chunks).
///
/// A connection beyond the bound is closed at once rather than kept waiting: axum-server accepts
/// every connection and gives it a task before the acceptor runs, so waiting here would still
/// hold a task and a file descriptor per waiting connection, without bound. Each admitted
/// connection holds its permit until it is dropped.
#[derive(Debug, Clone)]
pub struct ConnectionLimit {
    permits: Arc<Semaphore>,
    max: usize,
    refused: Arc<AtomicU64>,
    per_source: SourceShares,
}

/// Connections per source address, each at most a fixed share, so that one host cannot take
/// every connection of a listener.
#[derive(Debug, Clone)]
pub struct SourceShares {
    max: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl SourceShares {
    /// At most `max` connections per source.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            counts: Arc::default(),
        }
    }

    /// A share for a connection from `peer`, given back when dropped; `None` when its source
    /// holds its whole share already.
    pub fn take(&self, peer: IpAddr) -> Option<SourceShare> {
        let source = source_of(peer);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(source).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(SourceShare {
            per_source: self.counts.clone(),
            source,
        })
    }
}

/// What a source address counts as: the address, an IPv6 one by its /64.
fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// One connection counted against its source, given back when dropped.
#[derive(Debug)]
pub struct SourceShare {
    per_source: Arc<Mutex<HashMap<IpAddr, usize>>>,
    source: IpAddr,
}

impl Drop for SourceShare {
    fn drop(&mut self) {
        let mut counts = self
            .per_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.source);
            }
        }
    }
}

impl ConnectionLimit {
    /// Admits at most `max` connections at once (at least one).
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            refused: Arc::new(AtomicU64::new(0)),
            per_source: SourceShares::new(MAX_CONNECTIONS_PER_SOURCE),
        }
    }

    /// How many more connections would be admitted now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    fn admit(&self, stream: TcpStream) -> io::Result<Limited<TcpStream>> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            // Dropping the stream closes the connection.
            drop(stream);
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            // Logged at the 1st, 2nd, 4th, 8th… refusal: a flood does not flood the log.
            if refused.is_power_of_two() {
                tracing::warn!(
                    "{refused} HTTPS connections refused so far: {} are open, the bound \
                     (CCMADMIN_MAX_CONNECTIONS)",
                    self.max
                );
            }
            return Err(io::Error::other("too many connections"));
        };
        let share = match stream.peer_addr() {
            Ok(peer) => self.per_source.take(peer.ip()),
            Err(e) => return Err(e),
        };
        let Some(share) = share else {
            drop(stream);
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    "{refused} HTTPS connections refused so far: a source holds \
                     {MAX_CONNECTIONS_PER_SOURCE} already"
                );
            }
            return Err(io::Error::other("too many connections from one source"));
        };
        stream.set_nodelay(true)?;
        Ok(Limited {
            inner: stream,
            _permit: permit,
            _share: share,
        })
    }
}

impl<S> Accept<TcpStream, S> for ConnectionLimit {
    type Stream = Limited<TcpStream>;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(self.admit(stream).map(|stream| (stream, service)))
    }
}

/// A connection admitted by [`ConnectionLimit`]: the stream, and the permit it gives back when
/// dropped.
#[derive(Debug)]
pub struct Limited<S> {
    inner: S,
    _permit: OwnedSemaphorePermit,
    _share: SourceShare,
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
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

/// The route a backup is uploaded by, whose request may take [`UPLOAD_TIMEOUT`].
pub const UPLOAD_PATH: &str = "/api/v1/backups/upload";

/// How long a backup's upload may take.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

/// The per-request timeout, as the layer of [`request_timeout`] takes it.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(
    /// How long a request may take.
    pub Duration,
);

/// Answers 503 with `{"error": …}` when a request is not answered within its timeout: the
/// handler (and its reading of the request body) is dropped, which rolls back an open
/// transaction. Applied with `axum::middleware::from_fn_with_state`.
pub async fn request_timeout(
    axum::extract::State(RequestTimeout(limit)): axum::extract::State<RequestTimeout>,
    req: Request,
    next: Next,
) -> Response {
    let what = format!("{} {}", req.method(), req.uri().path());
    // A backup's upload reads up to gigabytes: it has an hour.
    let limit = if req.uri().path() == UPLOAD_PATH {
        UPLOAD_TIMEOUT.max(limit)
    } else {
        limit
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("{what}: no answer within {} s", limit.as_secs_f64());
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({
                    "error": format!(
                        "the request was not answered within {} s",
                        limit.as_secs_f64()
                    )
                })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_source_cannot_take_every_connection() {
        let limit = ConnectionLimit::new(1000);
        let host: IpAddr = "192.0.2.5".parse().unwrap();
        let mut held: Vec<_> = (0..MAX_CONNECTIONS_PER_SOURCE)
            .map(|_| limit.per_source.take(host).unwrap())
            .collect();
        assert!(limit.per_source.take(host).is_none(), "its share is taken");
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2::ffff".parse().unwrap();
        assert!(limit
            .per_source
            .take("192.0.2.6".parse().unwrap())
            .is_some());
        let v6: Vec<_> = (0..MAX_CONNECTIONS_PER_SOURCE)
            .map(|_| limit.per_source.take(v6a).unwrap())
            .collect();
        assert!(
            limit.per_source.take(v6b).is_none(),
            "one /64 is one source"
        );
        drop(v6);
        held.pop();
        assert!(
            limit.per_source.take(host).is_some(),
            "a closed connection frees its share"
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let mut pause = ACCEPT_BACKOFF_MIN;
        let mut seen = vec![pause];
        for _ in 0..10 {
            pause = next_backoff(pause);
            seen.push(pause);
        }
        assert_eq!(seen[1], Duration::from_millis(100));
        assert_eq!(seen[2], Duration::from_millis(200));
        assert_eq!(*seen.last().unwrap_or(&Duration::ZERO), ACCEPT_BACKOFF_MAX);
        assert!(seen.iter().all(|p| *p <= ACCEPT_BACKOFF_MAX));
    }

    #[tokio::test]
    async fn a_connection_beyond_the_bound_is_closed_and_a_closed_one_frees_its_place() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limit = ConnectionLimit::new(2);
        let mut clients = Vec::new();
        let mut admitted = Vec::new();
        for _ in 0..2 {
            clients.push(TcpStream::connect(addr).await.unwrap());
            let (tcp, _) = listener.accept().await.unwrap();
            let (stream, ()) = limit.accept(tcp, ()).await.unwrap();
            assert!(stream.inner.nodelay().unwrap());
            admitted.push(stream);
        }
        assert_eq!(limit.available(), 0);

        let mut third = TcpStream::connect(addr).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        assert!(limit.accept(tcp, ()).await.is_err());
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buf))
            .await
            .unwrap();
        assert!(matches!(read, Ok(0) | Err(_)), "the refused one is closed");

        drop(admitted.pop());
        assert_eq!(limit.available(), 1);
        let _fourth = TcpStream::connect(addr).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        assert!(limit.accept(tcp, ()).await.is_ok());
    }
}
