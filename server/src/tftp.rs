//! The TFTP server (RFC 1350 read requests, octet mode, with the blksize and tsize options of
//! RFC 2347/2348/2349) serving the built files of the TFTP folder. Each transfer runs on its own
//! socket (its transfer id); write requests, unknown files and names that would leave the folder
//! get an error packet; a malformed packet never stops the server.
//!
//! UDP lets anyone name any source address, so the server bounds what a request can make it do
//! ([`Limits`]): at most [`MAX_TRANSFERS`] transfers at once, [`MAX_PER_SOURCE`] per source
//! address (an IPv6 source counts by its /64), one per source address and port; a request beyond
//! those is dropped without an answer, no task or socket made for it. The first packet of a
//! transfer, sent before the peer has shown it asked, goes out at most [`FIRST_ATTEMPTS`] times;
//! later packets at most [`ATTEMPTS`] times. A transfer that ends, answered or not, frees its slot.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::UdpSocket;

/// Read request.
pub(crate) const RRQ: u16 = 1;
/// Write request.
const WRQ: u16 = 2;
/// Data.
pub(crate) const DATA: u16 = 3;
/// Acknowledgement.
pub(crate) const ACK: u16 = 4;
/// Error.
pub(crate) const ERROR: u16 = 5;
/// Option acknowledgement.
pub(crate) const OACK: u16 = 6;

/// RFC 1350's block size.
pub const DEFAULT_BLOCK: usize = 512;
/// RFC 2348's limits on `blksize`.
pub const BLOCK_RANGE: (usize, usize) = (8, 65_464);
/// The smallest `blksize` honoured: a smaller one is ignored (blocks of 512 bytes are sent), so
/// that no peer can stretch a transfer, and hold its slot, over thousands of tiny blocks.
pub const MIN_BLOCK: usize = 512;
/// The longest a transfer may run, whatever its peer does; then it ends and frees its slot.
pub const TRANSFER_DEADLINE: Duration = Duration::from_secs(60);
/// How long to wait for an acknowledgement before sending again.
pub const RETRANSMIT: Duration = Duration::from_secs(1);
/// How many times a packet is sent before the transfer gives up, once the peer has acknowledged
/// a packet of the transfer.
pub const ATTEMPTS: u32 = 5;
/// How many times the first packet of a transfer (the OACK, or DATA block 1 of a request without
/// options) is sent before the transfer gives up: the peer has not shown yet that it asked, so a
/// request with a forged source makes the server send at most this many packets to that source.
pub const FIRST_ATTEMPTS: u32 = 3;
/// How many transfers run at once, in all.
pub const MAX_TRANSFERS: usize = 256;
/// How many transfers run at once for one source address (an IPv6 source counts by its /64).
pub const MAX_PER_SOURCE: usize = 8;
/// How long the receive loop pauses after a receive error before receiving again.
pub const RECEIVE_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The bounds of the TFTP server (see the module documentation); [`Limits::DEFAULT`] holds the
/// constants above, tests use smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Transfers running at once, in all.
    pub total: usize,
    /// Transfers running at once for one source address.
    pub per_source: usize,
    /// Sends of a transfer's first packet.
    pub first_attempts: u32,
    /// Sends of every later packet.
    pub attempts: u32,
    /// Wait for an acknowledgement before sending again.
    pub retransmit: Duration,
    /// Pause after a receive error.
    pub error_pause: Duration,
    /// The longest a transfer runs.
    pub deadline: Duration,
}

impl Limits {
    /// The limits the console runs with.
    pub const DEFAULT: Limits = Limits {
        total: MAX_TRANSFERS,
        per_source: MAX_PER_SOURCE,
        first_attempts: FIRST_ATTEMPTS,
        attempts: ATTEMPTS,
        retransmit: RETRANSMIT,
        error_pause: RECEIVE_ERROR_PAUSE,
        deadline: TRANSFER_DEADLINE,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// TFTP error codes (RFC 1350, 2347).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Not defined, see message.
    Undefined = 0,
    /// File not found.
    NotFound = 1,
    /// Access violation.
    AccessViolation = 2,
    /// Illegal TFTP operation.
    IllegalOperation = 4,
    /// Option negotiation refused.
    BadOption = 8,
}

/// An error packet.
pub fn error_packet(code: ErrorCode, message: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(5 + message.len());
    p.extend_from_slice(&ERROR.to_be_bytes());
    p.extend_from_slice(&(code as u16).to_be_bytes());
    p.extend_from_slice(message.as_bytes());
    p.push(0);
    p
}

/// A parsed read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    /// The file name asked for.
    pub filename: String,
    /// Block size (negotiated or 512).
    pub block: usize,
    /// Whether the client asked for the transfer size.
    pub tsize: bool,
    /// Whether any option is acknowledged (then an OACK comes first).
    pub options: bool,
}

/// What a request packet is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A read request.
    Read(ReadRequest),
    /// Anything else: answer with this error.
    Refuse(ErrorCode, String),
}

fn strings(bytes: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = bytes
        .split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    if bytes.last() == Some(&0) {
        out.pop();
    }
    out
}

/// Reads a request packet.
pub fn parse_request(packet: &[u8]) -> Request {
    if packet.len() < 4 {
        return Request::Refuse(ErrorCode::IllegalOperation, "Malformed packet".to_owned());
    }
    let opcode = u16::from_be_bytes([packet[0], packet[1]]);
    match opcode {
        WRQ => {
            return Request::Refuse(
                ErrorCode::AccessViolation,
                "Write requests are refused".to_owned(),
            )
        }
        RRQ => {}
        _ => {
            return Request::Refuse(
                ErrorCode::IllegalOperation,
                "Only read requests are served".to_owned(),
            )
        }
    }
    if packet.last() != Some(&0) {
        return Request::Refuse(ErrorCode::IllegalOperation, "Malformed request".to_owned());
    }
    let fields = strings(&packet[2..]);
    let (Some(filename), Some(mode)) = (fields.first(), fields.get(1)) else {
        return Request::Refuse(ErrorCode::IllegalOperation, "Malformed request".to_owned());
    };
    if !mode.eq_ignore_ascii_case("octet") {
        return Request::Refuse(ErrorCode::Undefined, "Only octet mode is served".to_owned());
    }
    let mut request = ReadRequest {
        filename: filename.clone(),
        block: DEFAULT_BLOCK,
        tsize: false,
        options: false,
    };
    for pair in fields[2..].chunks(2) {
        let [name, value] = pair else { break };
        match name.to_ascii_lowercase().as_str() {
            "blksize" => {
                if let Ok(size) = value.parse::<usize>() {
                    if size >= MIN_BLOCK.max(BLOCK_RANGE.0) {
                        request.block = size.min(BLOCK_RANGE.1);
                        request.options = true;
                    }
                }
            }
            "tsize" => {
                request.tsize = true;
                request.options = true;
            }
            _ => {}
        }
    }
    Request::Read(request)
}

/// The file `name` in `folder`, or the error to answer: names that are empty, hidden, or that
/// would leave the folder are refused.
pub fn resolve(folder: &Path, name: &str) -> Result<PathBuf, (ErrorCode, String)> {
    let name = name.trim_start_matches('/');
    if !app::tftp::is_served_name(name) {
        return Err((ErrorCode::AccessViolation, "Access violation".to_owned()));
    }
    let path = folder.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err((ErrorCode::NotFound, "File not found".to_owned()))
    }
}

/// Serves `folder` on `socket` with [`Limits::DEFAULT`] until the task is dropped.
pub async fn serve(socket: UdpSocket, folder: PathBuf) {
    serve_with(socket, folder, Limits::DEFAULT).await;
}

/// Serves `folder` on `socket` within `limits` until the task is dropped. A request that finds
/// no free slot is dropped unanswered; after a receive error the loop pauses
/// [`Limits::error_pause`] (logged once per run of errors) instead of spinning.
pub async fn serve_with(socket: UdpSocket, folder: PathBuf, limits: Limits) {
    let running: Arc<Mutex<Running>> = Arc::default();
    let mut buf = vec![0u8; 2048];
    let mut failing = false;
    let mut dropped: u64 = 0;
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => {
                if failing {
                    tracing::info!("TFTP: receiving again");
                    failing = false;
                }
                x
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(
                        "TFTP: receive failed: {e}; pausing {:?} after each failure",
                        limits.error_pause
                    );
                    failing = true;
                }
                tokio::time::sleep(limits.error_pause).await;
                continue;
            }
        };
        let Some(slot) = Slot::take(&running, peer, &limits) else {
            dropped = dropped.wrapping_add(1);
            if dropped.is_power_of_two() {
                tracing::warn!(
                    "TFTP: {dropped} requests dropped beyond the limits (last from {peer})"
                );
            }
            continue;
        };
        let packet = buf.get(..n).unwrap_or_default().to_vec();
        let folder = folder.clone();
        tokio::spawn(async move {
            // Held for the whole transfer; dropping it (end, error or panic) frees the slot.
            let _slot = slot;
            match tokio::time::timeout(limits.deadline, transfer(&packet, peer, &folder, &limits))
                .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!("TFTP transfer to {peer} ended: {e}"),
                Err(_) => tracing::debug!("TFTP transfer to {peer} stopped at its deadline"),
            }
        });
    }
}

/// The transfers running, counted in all and per source.
#[derive(Debug, Default)]
struct Running {
    total: usize,
    /// Transfers per source (see [`source_of`]); a source with none has no entry.
    per_source: HashMap<IpAddr, usize>,
    /// The peers (address and port) a transfer runs for.
    peers: HashSet<SocketAddr>,
}

/// What a source address counts as: the address itself (IPv4-mapped IPv6 as IPv4), an IPv6
/// address by its /64, which one host usually holds whole.
fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// A transfer's place among the running ones, released on drop.
#[derive(Debug)]
struct Slot {
    running: Arc<Mutex<Running>>,
    peer: SocketAddr,
}

impl Slot {
    /// A slot for a request from `peer`, or None when the total, the source's share or a transfer
    /// already running for that peer leaves none.
    fn take(running: &Arc<Mutex<Running>>, peer: SocketAddr, limits: &Limits) -> Option<Self> {
        let mut r = running.lock().unwrap_or_else(PoisonError::into_inner);
        let source = source_of(peer.ip());
        let of_source = r.per_source.get(&source).copied().unwrap_or(0);
        if r.total >= limits.total || of_source >= limits.per_source || r.peers.contains(&peer) {
            return None;
        }
        r.total += 1;
        r.per_source.insert(source, of_source + 1);
        r.peers.insert(peer);
        Some(Self {
            running: Arc::clone(running),
            peer,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut r = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        r.total = r.total.saturating_sub(1);
        r.peers.remove(&self.peer);
        let source = source_of(self.peer.ip());
        let left = r.per_source.get_mut(&source).map(|n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == Some(0) {
            r.per_source.remove(&source);
        }
    }
}

/// One transfer, on a new socket (its transfer id).
async fn transfer(
    packet: &[u8],
    peer: SocketAddr,
    folder: &Path,
    limits: &Limits,
) -> std::io::Result<()> {
    let local = if peer.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(peer).await?;
    let request = match parse_request(packet) {
        Request::Read(r) => r,
        Request::Refuse(code, message) => {
            socket.send(&error_packet(code, &message)).await?;
            return Ok(());
        }
    };
    let path = match resolve(folder, &request.filename) {
        Ok(p) => p,
        Err((code, message)) => {
            socket.send(&error_packet(code, &message)).await?;
            return Ok(());
        }
    };
    let data =
        match tokio::task::spawn_blocking(move || app::tftp::folder::read_served(&path)).await {
            Ok(Ok(d)) => d,
            _ => {
                socket
                    .send(&error_packet(ErrorCode::NotFound, "File not found"))
                    .await?;
                return Ok(());
            }
        };
    // Until the peer acknowledges a packet, it may not be the one who asked.
    let mut attempts = limits.first_attempts;
    if request.options {
        let mut oack = OACK.to_be_bytes().to_vec();
        if request.block != DEFAULT_BLOCK {
            oack.extend_from_slice(b"blksize\0");
            oack.extend_from_slice(request.block.to_string().as_bytes());
            oack.push(0);
        }
        if request.tsize {
            oack.extend_from_slice(b"tsize\0");
            oack.extend_from_slice(data.len().to_string().as_bytes());
            oack.push(0);
        }
        if !send_until_acked(&socket, &oack, 0, attempts, limits.retransmit).await? {
            return Ok(());
        }
        attempts = limits.attempts;
    }
    let mut block: u16 = 1;
    let mut offset = 0;
    loop {
        let end = (offset + request.block).min(data.len());
        let mut packet = Vec::with_capacity(4 + end - offset);
        packet.extend_from_slice(&DATA.to_be_bytes());
        packet.extend_from_slice(&block.to_be_bytes());
        packet.extend_from_slice(&data[offset..end]);
        if !send_until_acked(&socket, &packet, block, attempts, limits.retransmit).await? {
            return Ok(());
        }
        attempts = limits.attempts;
        if end - offset < request.block {
            return Ok(());
        }
        offset = end;
        block = block.wrapping_add(1);
    }
}

/// Sends `packet` up to `attempts` times, `retransmit` apart, until the peer acknowledges
/// `block`; false when it never does or sends an error.
async fn send_until_acked(
    socket: &UdpSocket,
    packet: &[u8],
    block: u16,
    attempts: u32,
    retransmit: Duration,
) -> std::io::Result<bool> {
    let mut buf = [0u8; 516];
    for _ in 0..attempts.max(1) {
        socket.send(packet).await?;
        let deadline = tokio::time::Instant::now() + retransmit;
        loop {
            match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                Err(_) => break,
                Ok(Err(e)) => return Err(e),
                Ok(Ok(n)) if n >= 4 => {
                    let opcode = u16::from_be_bytes([buf[0], buf[1]]);
                    let number = u16::from_be_bytes([buf[2], buf[3]]);
                    if opcode == ACK && number == block {
                        return Ok(true);
                    }
                    if opcode == ERROR {
                        return Ok(false);
                    }
                }
                Ok(Ok(_)) => {}
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rrq(name: &str, options: &[(&str, &str)]) -> Vec<u8> {
        let mut p = RRQ.to_be_bytes().to_vec();
        for s in [name, "octet"] {
            p.extend_from_slice(s.as_bytes());
            p.push(0);
        }
        for (k, v) in options {
            p.extend_from_slice(k.as_bytes());
            p.push(0);
            p.extend_from_slice(v.as_bytes());
            p.push(0);
        }
        p
    }

    #[test]
    fn requests_and_options_are_read() {
        let Request::Read(r) = parse_request(&rrq(
            "SEP001122334455.cnf.xml.sgn",
            &[("blksize", "1428"), ("tsize", "0")],
        )) else {
            panic!("not a read request");
        };
        assert_eq!(r.block, 1428);
        assert!(r.tsize && r.options);
        let Request::Read(tiny) = parse_request(&rrq("a", &[("blksize", "8")])) else {
            panic!("a read request");
        };
        assert_eq!(
            (tiny.block, tiny.options),
            (DEFAULT_BLOCK, false),
            "a block size below {MIN_BLOCK} is ignored"
        );
        let Request::Read(r) = parse_request(&rrq("a", &[("blksize", "100000")])) else {
            panic!("not a read request");
        };
        assert_eq!(r.block, BLOCK_RANGE.1);
        assert!(matches!(
            parse_request(&[0, 2, b'a', 0, b'o', 0]),
            Request::Refuse(ErrorCode::AccessViolation, _)
        ));
        assert!(matches!(
            parse_request(&[0]),
            Request::Refuse(ErrorCode::IllegalOperation, _)
        ));
        assert!(matches!(
            parse_request(&[0, 1, b'a', 0, b'n', b'e', b't', 0]),
            Request::Refuse(ErrorCode::Undefined, _)
        ));
        assert!(matches!(
            parse_request(&[0, 1, b'a', b'b']),
            Request::Refuse(ErrorCode::IllegalOperation, _)
        ));
    }

    #[test]
    fn slots_are_bounded_in_all_per_source_and_per_peer_and_freed_on_drop() {
        let running: Arc<Mutex<Running>> = Arc::default();
        let limits = Limits {
            total: 3,
            per_source: 2,
            ..Limits::DEFAULT
        };
        let take = |p: &str| Slot::take(&running, p.parse().unwrap(), &limits);
        let a1 = take("10.0.0.1:1000").unwrap();
        assert!(take("10.0.0.1:1000").is_none(), "one transfer per peer");
        let a2 = take("10.0.0.1:1001").unwrap();
        assert!(take("10.0.0.1:1002").is_none(), "the source's share");
        assert!(
            take("[::ffff:10.0.0.1]:1003").is_none(),
            "an IPv4-mapped address is the same source"
        );
        let b = take("[2001:db8::1]:1").unwrap();
        assert!(take("10.0.0.2:1").is_none(), "the total");
        drop(a1);
        let c = take("10.0.0.2:1").unwrap();
        drop(a2);
        drop(b);
        drop(c);
        let r = running.lock().unwrap();
        assert_eq!((r.total, r.per_source.len(), r.peers.len()), (0, 0, 0));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            source_of(ip("2001:db8::1")),
            source_of(ip("2001:db8::ffff:1"))
        );
        assert_ne!(
            source_of(ip("2001:db8::1")),
            source_of(ip("2001:db8:0:1::1"))
        );
        assert_eq!(source_of(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn names_cannot_leave_the_folder() {
        let dir = std::env::temp_dir();
        for bad in ["../etc/passwd", "a/b", "..", ".hidden", "", "x\\y"] {
            assert_eq!(
                resolve(&dir, bad).unwrap_err().0,
                ErrorCode::AccessViolation,
                "{bad}"
            );
        }
        assert_eq!(
            resolve(&dir, "no-such-file-here.cnf.xml").unwrap_err().0,
            ErrorCode::NotFound
        );
    }
}
