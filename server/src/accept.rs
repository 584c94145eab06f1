//! The accept loop of the node's TCP listeners (Cisco CTL Provider, CAPF, the SIP registrar over
//! TLS): at most a fixed number of connections at once (the next one waits in the listen
//! backlog), at most a share of them from one source address (one more is closed at once), and
//! a pause that doubles from [`limits::ACCEPT_BACKOFF_MIN`] to [`limits::ACCEPT_BACKOFF_MAX`]
//! when accepting fails (out of file descriptors, say) instead of spinning. The connections'
//! tasks belong to the loop: aborting it (stopping the service) ends them too.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::limits;

/// How many connections a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// At once in all.
    pub max: usize,
    /// At once from one source address.
    pub per_source: usize,
}

/// Accepts connections on `listener` within `bounds` and runs `serve` for each, until the
/// task running this is aborted; `what` names the listener in the log.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    bounds: Bounds,
    what: &'static str,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(bounds.max));
    let shares = limits::SourceShares::new(bounds.per_source);
    let mut running = JoinSet::new();
    let mut backoff = limits::ACCEPT_BACKOFF_MIN;
    loop {
        while running.try_join_next().is_some() {}
        // The semaphore is never closed.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((tcp, peer)) => {
                backoff = limits::ACCEPT_BACKOFF_MIN;
                let Some(share) = shares.take(peer.ip()) else {
                    continue;
                };
                let connection = serve(tcp, peer);
                running.spawn(async move {
                    let (_permit, _share) = (permit, share);
                    connection.await;
                });
            }
            Err(e) => {
                tracing::warn!(
                    "{what}: cannot accept a connection ({e}); trying again in {} ms",
                    backoff.as_millis()
                );
                tokio::time::sleep(backoff).await;
                backoff = limits::next_backoff(backoff);
            }
        }
    }
}
