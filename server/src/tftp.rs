//! The TFTP server (RFC 1350 read requests, octet mode, with the blksize and tsize options of
//! RFC 2347/2348/2349) serving the built files of the TFTP folder. Each transfer runs on its own
//! socket (its transfer id); write requests, unknown files and names that would leave the folder
//! get an error packet; a malformed packet never stops the server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
/// How long to wait for an acknowledgement before sending again.
const RETRANSMIT: Duration = Duration::from_secs(1);
/// How many times to send a packet before giving up.
const ATTEMPTS: u32 = 5;

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
                    if size >= BLOCK_RANGE.0 {
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

/// Serves `folder` on `socket` until the task is dropped.
pub async fn serve(socket: UdpSocket, folder: PathBuf) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("TFTP: receive failed: {e}");
                continue;
            }
        };
        let packet = buf[..n].to_vec();
        let folder = folder.clone();
        tokio::spawn(async move {
            if let Err(e) = transfer(&packet, peer, &folder).await {
                tracing::debug!("TFTP transfer to {peer} ended: {e}");
            }
        });
    }
}

/// One transfer, on a new socket (its transfer id).
async fn transfer(packet: &[u8], peer: SocketAddr, folder: &Path) -> std::io::Result<()> {
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
        if !send_until_acked(&socket, &oack, 0).await? {
            return Ok(());
        }
    }
    let mut block: u16 = 1;
    let mut offset = 0;
    loop {
        let end = (offset + request.block).min(data.len());
        let mut packet = Vec::with_capacity(4 + end - offset);
        packet.extend_from_slice(&DATA.to_be_bytes());
        packet.extend_from_slice(&block.to_be_bytes());
        packet.extend_from_slice(&data[offset..end]);
        if !send_until_acked(&socket, &packet, block).await? {
            return Ok(());
        }
        if end - offset < request.block {
            return Ok(());
        }
        offset = end;
        block = block.wrapping_add(1);
    }
}

/// Sends `packet` until the peer acknowledges `block`; false when it never does or sends an error.
async fn send_until_acked(socket: &UdpSocket, packet: &[u8], block: u16) -> std::io::Result<bool> {
    let mut buf = [0u8; 516];
    for _ in 0..ATTEMPTS {
        socket.send(packet).await?;
        let deadline = tokio::time::Instant::now() + RETRANSMIT;
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
