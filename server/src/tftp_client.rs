//! A TFTP read client (RFC 1350, octet mode, with the blksize and tsize options of RFC 2347,
//! 2348 and 2349): what the `phone-sim` tool fetches the CTL and the config files with. One
//! transfer at a time per call, lock-step: every packet is answered or sent again after a
//! timeout. Whatever the network sends, the client answers with an error, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::tftp::{ErrorCode, ACK, BLOCK_RANGE, DATA, DEFAULT_BLOCK, ERROR, OACK, RRQ};

/// How many times the last packet is sent again before giving up.
const RETRIES: u32 = 3;
/// The largest file read: a guard against a server that never stops sending.
const MAX_FILE: usize = 64 << 20;
/// The longest wait honoured for one step (a larger one could overflow the clock).
const LONGEST_WAIT: Duration = Duration::from_secs(86_400);

/// Why a TFTP read failed.
#[derive(Debug, thiserror::Error)]
pub enum TftpClientError {
    /// The server answered with an error packet.
    #[error("the TFTP server answered error {code}: {message}")]
    Remote {
        /// The TFTP error code (1 is "File not found").
        code: u16,
        /// The server's message.
        message: String,
    },
    /// The server stopped answering.
    #[error("the TFTP server did not answer in time")]
    Timeout,
    /// The socket failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// The server broke the protocol (or the request could not be made).
    #[error("TFTP protocol: {0}")]
    Protocol(String),
}

impl TftpClientError {
    /// Whether the server said the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TftpClientError::Remote { code, .. } if *code == ErrorCode::NotFound as u16)
    }
}

/// Reads `name` from `server` in octet mode; `blksize` None = 512-byte blocks and no options.
/// Each step waits up to `timeout`, retransmits the last packet up to 3 times, then fails with
/// Timeout.
pub async fn get(
    server: SocketAddr,
    name: &str,
    blksize: Option<u16>,
    timeout: Duration,
) -> Result<Vec<u8>, TftpClientError> {
    let asked = asked_block(blksize)?;
    let request = read_request(name, asked)?;
    let socket = UdpSocket::bind(local_for(server)).await?;
    let mut transfer = Transfer::new(socket, server, timeout);
    transfer.send(request).await?;
    let mut reading = Reading::new(asked);
    // One byte beyond the largest block tells an oversized packet from a full one.
    let mut buf = vec![0u8; asked.unwrap_or(DEFAULT_BLOCK).max(DEFAULT_BLOCK) + 5];
    loop {
        let n = transfer.receive(&mut buf).await?;
        let packet = buf.get(..n).unwrap_or_default();
        match reading.step(packet)? {
            Step::Send(ack) => transfer.send(ack).await?,
            Step::Repeat => transfer.repeat().await?,
            Step::Ignore => {}
            Step::Finish(ack) => {
                transfer.send(ack).await?;
                return reading.finish();
            }
        }
    }
}

/// The block size to ask for, checked against RFC 2348's range.
fn asked_block(blksize: Option<u16>) -> Result<Option<usize>, TftpClientError> {
    match blksize.map(usize::from) {
        Some(size) if !(BLOCK_RANGE.0..=BLOCK_RANGE.1).contains(&size) => {
            Err(TftpClientError::Protocol(format!(
                "a block size of {size} is outside {}..={}",
                BLOCK_RANGE.0, BLOCK_RANGE.1
            )))
        }
        other => Ok(other),
    }
}

/// The read request: octet mode, and blksize and tsize when a block size is asked for.
fn read_request(name: &str, asked: Option<usize>) -> Result<Vec<u8>, TftpClientError> {
    if name.is_empty() || name.contains('\0') {
        return Err(TftpClientError::Protocol(format!(
            "{name:?} cannot be asked for"
        )));
    }
    let mut packet = RRQ.to_be_bytes().to_vec();
    packet.extend_from_slice(name.as_bytes());
    packet.extend_from_slice(b"\0octet\0");
    if let Some(size) = asked {
        packet.extend_from_slice(b"blksize\0");
        packet.extend_from_slice(size.to_string().as_bytes());
        // tsize 0 asks the server for the file's size (RFC 2349).
        packet.extend_from_slice(b"\0tsize\0");
        packet.extend_from_slice(b"0\0");
    }
    Ok(packet)
}

/// The local address to send from: loopback for a loopback server, any address otherwise, in
/// the server's family.
fn local_for(server: SocketAddr) -> SocketAddr {
    let ip: IpAddr = match (server.is_ipv4(), server.ip().is_loopback()) {
        (true, true) => Ipv4Addr::LOCALHOST.into(),
        (true, false) => Ipv4Addr::UNSPECIFIED.into(),
        (false, true) => Ipv6Addr::LOCALHOST.into(),
        (false, false) => Ipv6Addr::UNSPECIFIED.into(),
    };
    SocketAddr::new(ip, 0)
}

fn ack(block: u16) -> Vec<u8> {
    let mut packet = ACK.to_be_bytes().to_vec();
    packet.extend_from_slice(&block.to_be_bytes());
    packet
}

/// The socket side of a transfer: whom to talk to, and what to send again on timeout.
struct Transfer {
    socket: UdpSocket,
    server: SocketAddr,
    /// The server's transfer id: the address its first reply came from.
    peer: Option<SocketAddr>,
    /// The last packet sent.
    last: Vec<u8>,
    timeout: Duration,
    deadline: Instant,
    retries_left: u32,
}

impl Transfer {
    fn new(socket: UdpSocket, server: SocketAddr, timeout: Duration) -> Self {
        let timeout = timeout.min(LONGEST_WAIT);
        Self {
            socket,
            server,
            peer: None,
            last: Vec::new(),
            timeout,
            deadline: Instant::now() + timeout,
            retries_left: RETRIES,
        }
    }

    /// Sends a new packet: a new step, with a fresh timeout and fresh retries.
    async fn send(&mut self, packet: Vec<u8>) -> std::io::Result<()> {
        self.last = packet;
        self.retries_left = RETRIES;
        self.transmit().await
    }

    /// Sends the last packet again and restarts the wait.
    async fn transmit(&mut self) -> std::io::Result<()> {
        self.repeat().await?;
        self.deadline = Instant::now() + self.timeout;
        Ok(())
    }

    /// Sends the last packet again (answering a duplicate) without restarting the wait, so a
    /// server repeating itself forever still ends in a timeout.
    async fn repeat(&self) -> std::io::Result<()> {
        let to = self.peer.unwrap_or(self.server);
        self.socket.send_to(&self.last, to).await.map(|_| ())
    }

    /// Whether a packet from `from` belongs to this transfer; the first reply from the server's
    /// host fixes the transfer id. Strays are dropped without an answer (RFC 1350 suggests an
    /// error packet; silence keeps a stray sender from steering the client).
    fn accepts(&mut self, from: SocketAddr) -> bool {
        match self.peer {
            Some(peer) => peer == from,
            None if from.ip() == self.server.ip() || self.server.ip().is_unspecified() => {
                self.peer = Some(from);
                true
            }
            None => false,
        }
    }

    /// Waits for the next packet of the transfer, sending the last packet again on timeout;
    /// returns its length in `buf`.
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, TftpClientError> {
        loop {
            match tokio::time::timeout_at(self.deadline, self.socket.recv_from(buf)).await {
                Err(_) if self.retries_left == 0 => return Err(TftpClientError::Timeout),
                Err(_) => {
                    self.retries_left -= 1;
                    self.transmit().await?;
                }
                Ok(Err(e)) => return Err(e.into()),
                Ok(Ok((n, from))) => {
                    if self.accepts(from) {
                        return Ok(n);
                    }
                }
            }
        }
    }
}

/// What to do after a packet.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Send this acknowledgement: the transfer goes on.
    Send(Vec<u8>),
    /// The server repeated itself: acknowledge again.
    Repeat,
    /// Not for now (a block out of order): wait on.
    Ignore,
    /// Send this last acknowledgement: the file is complete.
    Finish(Vec<u8>),
}

/// Where a read stands; knows nothing of sockets.
#[derive(Debug)]
struct Reading {
    /// The block size asked for; None when no option was sent.
    asked: Option<usize>,
    /// The block size in effect.
    block: usize,
    /// The next data block wanted.
    expected: u16,
    /// The last data block acknowledged.
    last_acked: Option<u16>,
    /// Whether an option acknowledgement was acknowledged.
    oack: bool,
    /// The size the server announced.
    tsize: Option<usize>,
    data: Vec<u8>,
}

impl Reading {
    fn new(asked: Option<usize>) -> Self {
        Self {
            asked,
            block: DEFAULT_BLOCK,
            expected: 1,
            last_acked: None,
            oack: false,
            tsize: None,
            data: Vec::new(),
        }
    }

    /// Takes one packet from the server.
    fn step(&mut self, packet: &[u8]) -> Result<Step, TftpClientError> {
        let (opcode, rest) = match packet {
            [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
            _ => return Err(protocol("a packet shorter than its opcode")),
        };
        match opcode {
            ERROR => Err(remote_error(rest)),
            OACK => self.on_oack(rest),
            DATA => self.on_data(rest),
            other => Err(protocol(&format!("unexpected opcode {other}"))),
        }
    }

    fn on_oack(&mut self, options: &[u8]) -> Result<Step, TftpClientError> {
        let Some(asked) = self.asked.filter(|_| self.last_acked.is_none()) else {
            return Err(protocol("an option acknowledgement that was not asked for"));
        };
        if self.oack {
            return Ok(Step::Repeat);
        }
        let fields: Vec<String> = options
            .split(|b| *b == 0)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        for pair in fields.chunks_exact(2) {
            let [name, value] = pair else { continue };
            match name.to_ascii_lowercase().as_str() {
                "blksize" => self.block = agreed_block(value, asked)?,
                "tsize" => self.tsize = Some(announced_size(value)?),
                other => return Err(protocol(&format!("option {other} was not asked for"))),
            }
        }
        self.oack = true;
        Ok(Step::Send(ack(0)))
    }

    fn on_data(&mut self, rest: &[u8]) -> Result<Step, TftpClientError> {
        let (block, payload) = match rest {
            [a, b, payload @ ..] => (u16::from_be_bytes([*a, *b]), payload),
            _ => return Err(protocol("a data packet without a block number")),
        };
        if self.last_acked == Some(block) {
            return Ok(Step::Repeat);
        }
        if block != self.expected {
            return Ok(Step::Ignore);
        }
        if payload.len() > self.block {
            return Err(protocol(&format!(
                "a {}-byte block, larger than the agreed {}",
                payload.len(),
                self.block
            )));
        }
        if self.data.len() + payload.len() > MAX_FILE {
            return Err(protocol(&format!("the file exceeds {MAX_FILE} bytes")));
        }
        self.data.extend_from_slice(payload);
        self.last_acked = Some(block);
        self.expected = block.wrapping_add(1);
        if payload.len() < self.block {
            Ok(Step::Finish(ack(block)))
        } else {
            Ok(Step::Send(ack(block)))
        }
    }

    /// The file, checked against the announced size.
    fn finish(self) -> Result<Vec<u8>, TftpClientError> {
        match self.tsize {
            Some(size) if size != self.data.len() => Err(protocol(&format!(
                "{} bytes arrived, the server announced {size}",
                self.data.len()
            ))),
            _ => Ok(self.data),
        }
    }
}

fn protocol(what: &str) -> TftpClientError {
    TftpClientError::Protocol(what.to_owned())
}

/// The error an error packet carries (`rest` is what follows the opcode).
fn remote_error(rest: &[u8]) -> TftpClientError {
    let [a, b, message @ ..] = rest else {
        return protocol("an error packet without an error code");
    };
    let text = message.split(|c| *c == 0).next().unwrap_or_default();
    TftpClientError::Remote {
        code: u16::from_be_bytes([*a, *b]),
        message: String::from_utf8_lossy(text).into_owned(),
    }
}

/// The block size of an option acknowledgement: at least RFC 2348's minimum, at most what was
/// asked for.
fn agreed_block(value: &str, asked: usize) -> Result<usize, TftpClientError> {
    match value.trim().parse::<usize>() {
        Ok(size) if (BLOCK_RANGE.0..=asked).contains(&size) => Ok(size),
        _ => Err(protocol(&format!(
            "the server offered blksize {value:?}, {asked} was asked for"
        ))),
    }
}

/// The transfer size of an option acknowledgement.
fn announced_size(value: &str) -> Result<usize, TftpClientError> {
    match value.trim().parse::<usize>() {
        Ok(size) if size <= MAX_FILE => Ok(size),
        _ => Err(protocol(&format!(
            "the server announced tsize {value:?} (at most {MAX_FILE} is read)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_millis(50);

    fn data(block: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = DATA.to_be_bytes().to_vec();
        p.extend_from_slice(&block.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    async fn real_server(files: &[(&str, Vec<u8>)]) -> (SocketAddr, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(crate::tftp::serve(socket, dir.path().to_path_buf()));
        (addr, dir)
    }

    #[tokio::test]
    async fn files_arrive_whole_with_and_without_options() {
        let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let exact = vec![3u8; 1024];
        let (server, _dir) = real_server(&[
            ("big.bin", big.clone()),
            ("exact.bin", exact.clone()),
            ("empty.bin", Vec::new()),
        ])
        .await;
        let timeout = Duration::from_secs(2);
        for blksize in [None, Some(1428), Some(512), Some(8)] {
            assert_eq!(get(server, "big.bin", blksize, timeout).await.unwrap(), big);
            assert_eq!(
                get(server, "exact.bin", blksize, timeout).await.unwrap(),
                exact
            );
            assert!(get(server, "empty.bin", blksize, timeout)
                .await
                .unwrap()
                .is_empty());
        }
    }

    #[tokio::test]
    async fn a_missing_file_is_a_remote_not_found() {
        let (server, _dir) = real_server(&[]).await;
        let err = get(
            server,
            "nothing.cnf.xml",
            Some(1428),
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        let err = get(server, "../x", None, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(
            matches!(err, TftpClientError::Remote { code: 2, .. }),
            "{err}"
        );
        assert!(!err.is_not_found());
    }

    #[tokio::test]
    async fn duplicates_are_acknowledged_again_and_strays_ignored() {
        let listener = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let fake = tokio::spawn(async move {
            let mut buf = [0u8; 600];
            let (_, client) = listener.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..2], &RRQ.to_be_bytes());
            // Answers from a new port, ignoring the options: 512-byte blocks.
            let transfer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let first = data(1, &[7u8; 512]);
            transfer.send_to(&first, client).await.unwrap();
            let mut acks = Vec::new();
            let (n, _) = transfer.recv_from(&mut buf).await.unwrap();
            acks.push(buf[..n].to_vec());
            // A stray from the old port, then a duplicate from the transfer's port.
            listener
                .send_to(&data(2, &[9u8; 10]), client)
                .await
                .unwrap();
            transfer.send_to(&first, client).await.unwrap();
            let (n, _) = transfer.recv_from(&mut buf).await.unwrap();
            acks.push(buf[..n].to_vec());
            transfer
                .send_to(&data(2, &[8u8; 10]), client)
                .await
                .unwrap();
            let (n, _) = transfer.recv_from(&mut buf).await.unwrap();
            acks.push(buf[..n].to_vec());
            acks
        });
        let got = get(server, "f", Some(1428), Duration::from_secs(2))
            .await
            .unwrap();
        let mut want = vec![7u8; 512];
        want.extend_from_slice(&[8u8; 10]);
        assert_eq!(got, want);
        assert_eq!(fake.await.unwrap(), vec![ack(1), ack(1), ack(2)]);
    }

    #[tokio::test]
    async fn a_silent_server_gets_three_retransmissions_then_a_timeout() {
        let listener = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let err = get(server, "f", None, SHORT).await.unwrap_err();
        assert!(matches!(err, TftpClientError::Timeout), "{err}");
        let mut buf = [0u8; 100];
        let mut requests = 0;
        while let Ok(Ok(_)) =
            tokio::time::timeout(Duration::from_millis(200), listener.recv_from(&mut buf)).await
        {
            requests += 1;
        }
        assert_eq!(requests, 1 + RETRIES);
    }

    #[test]
    fn option_acknowledgements_are_checked() {
        let mut r = Reading::new(Some(1428));
        assert_eq!(
            r.step(b"\0\x06blksize\x001024\0tsize\x0010\0").unwrap(),
            Step::Send(ack(0))
        );
        assert_eq!(r.block, 1024);
        assert_eq!(r.step(b"\0\x06blksize\x001024\0").unwrap(), Step::Repeat);
        assert_eq!(r.step(&data(1, &[1; 10])).unwrap(), Step::Finish(ack(1)));
        assert_eq!(r.finish().unwrap(), vec![1; 10]);

        let mut r = Reading::new(Some(1428));
        assert!(r.step(b"\0\x06blksize\x002000\0").is_err());
        let mut r = Reading::new(Some(1428));
        assert!(r.step(b"\0\x06windowsize\x004\0").is_err());
        let mut r = Reading::new(None);
        assert!(r.step(b"\0\x06blksize\x00512\0").is_err());

        let mut r = Reading::new(Some(1428));
        r.step(b"\0\x06tsize\x005\0").unwrap();
        r.step(&data(1, &[1; 3])).unwrap();
        assert!(r.finish().is_err());
    }

    #[test]
    fn malformed_packets_are_errors_not_panics() {
        let packets: [&[u8]; 6] = [b"", b"\0", b"\0\x03", b"\0\x05", b"\0\x04\0\x01", b"\0\x09"];
        for packet in packets {
            assert!(Reading::new(None).step(packet).is_err(), "{packet:?}");
        }
        let mut r = Reading::new(None);
        assert!(r.step(&data(1, &[0; 600])).is_err());
        let err = Reading::new(None)
            .step(b"\0\x05\0\x01File not found\0")
            .unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(
            Reading::new(None).step(&data(5, b"x")).unwrap(),
            Step::Ignore
        );
    }

    #[test]
    fn requests_are_checked_before_sending() {
        assert!(asked_block(Some(4)).is_err());
        assert_eq!(asked_block(Some(1428)).unwrap(), Some(1428));
        assert!(read_request("a\0b", None).is_err());
        assert!(read_request("", None).is_err());
        assert_eq!(
            read_request("a", None).unwrap(),
            b"\0\x01a\0octet\0".to_vec()
        );
        assert_eq!(
            read_request("a", Some(1428)).unwrap(),
            b"\0\x01a\0octet\0blksize\x001428\0tsize\x000\0".to_vec()
        );
    }
}
