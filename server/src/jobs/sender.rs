//! The SIP side of device resets: NOTIFYs over one UDP socket as non-INVITE client transactions
//! (RFC 3261 §17.1.2.2) — retransmitted on Timer E (T1 doubling up to T2) until a final response
//! or Timer F (64·T1) — each ending in an [`Outcome`].
//!
//! A response ends a transaction only when it comes from the address and port the NOTIFY went
//! to and carries the transaction's branch and Call-ID; the branch is 128 bits from the
//! operating system's random generator ([`new_branch`]), so nobody who did not see the NOTIFY
//! can answer it for the device.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use app::domain::jobs::DeviceStatus;
use app::domain::sip::{parse_response, Timers};

/// A NOTIFY to send: the job device it is for, where, and its bytes.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// The `job_devices` row.
    pub id: i64,
    /// The device's contact.
    pub to: SocketAddr,
    /// The Via branch the response carries back.
    pub branch: String,
    /// The Call-ID the response carries back.
    pub call_id: String,
    /// The request.
    pub bytes: Vec<u8>,
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The `job_devices` row.
    pub id: i64,
    /// Acknowledged (2xx), rejected (3xx–6xx) or timed out.
    pub status: DeviceStatus,
    /// NOTIFYs sent.
    pub attempts: i32,
    /// What happened, in words.
    pub detail: String,
}

/// How long the receiving side pauses after a receive error.
const RECEIVE_ERROR_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// The random generator of branches: the operating system's, through ring.
static RANDOM: LazyLock<&'static dyn rustls::crypto::SecureRandom> =
    LazyLock::new(|| rustls::crypto::ring::default_provider().secure_random);

/// `n` random bytes in lowercase hex, from the operating system's generator; None when it fails.
pub fn random_hex(n: usize) -> Option<String> {
    use std::fmt::Write;
    let mut bytes = vec![0u8; n];
    rustls::crypto::SecureRandom::fill(*RANDOM, &mut bytes).ok()?;
    let mut out = String::with_capacity(2 * n);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Some(out)
}

/// A Via branch nobody can guess: the RFC 3261 magic cookie `z9hG4bK` and 16 random bytes in
/// hex. None when the random generator fails.
pub fn new_branch() -> Option<String> {
    random_hex(16).map(|hex| format!("z9hG4bK{hex}"))
}

/// Whether a datagram from `from` comes from `to`: same port, same address (an IPv4-mapped
/// IPv6 address as its IPv4 address).
fn same_peer(from: SocketAddr, to: SocketAddr) -> bool {
    from.port() == to.port() && from.ip().to_canonical() == to.ip().to_canonical()
}

struct Open {
    tx: Transaction,
    attempts: u32,
    deadline: Instant,
}

/// Hands transactions to the sending task.
#[derive(Debug, Clone)]
pub struct Sender {
    submit: mpsc::UnboundedSender<Transaction>,
    /// The console's SIP address (Via, From, Contact).
    pub local: SocketAddr,
    /// The SIP socket, for the registrar's answers.
    pub socket: Arc<UdpSocket>,
}

/// The REGISTERs the SIP socket receives, for the registrar: the datagram and who sent it.
pub type Registers = mpsc::Sender<(Vec<u8>, SocketAddr)>;

impl Sender {
    /// Starts the sending task on `socket`; outcomes arrive on the returned receiver, and the
    /// REGISTER requests the socket receives go to `registers` (dropped while it is full).
    pub fn start(
        socket: UdpSocket,
        timers: Timers,
        registers: Option<Registers>,
    ) -> std::io::Result<(Self, mpsc::UnboundedReceiver<Outcome>)> {
        let local = socket.local_addr()?;
        let socket = Arc::new(socket);
        let (submit, queue) = mpsc::unbounded_channel();
        let (done, outcomes) = mpsc::unbounded_channel();
        tokio::spawn(run(socket.clone(), timers, queue, done, registers));
        Ok((
            Self {
                submit,
                local,
                socket,
            },
            outcomes,
        ))
    }

    /// Queues a transaction; false when the sending task has stopped.
    pub fn send(&self, tx: Transaction) -> bool {
        self.submit.send(tx).is_ok()
    }
}

async fn run(
    socket: Arc<UdpSocket>,
    timers: Timers,
    mut queue: mpsc::UnboundedReceiver<Transaction>,
    done: mpsc::UnboundedSender<Outcome>,
    registers: Option<Registers>,
) {
    let mut open: HashMap<String, Open> = HashMap::new();
    let mut due: BinaryHeap<Reverse<(Instant, String)>> = BinaryHeap::new();
    let mut buf = vec![0u8; 65_535];
    let finish = |open: &mut HashMap<String, Open>, branch: &str, status, detail: String| {
        if let Some(o) = open.remove(branch) {
            let _ = done.send(Outcome {
                id: o.tx.id,
                status,
                attempts: i32::try_from(o.attempts).unwrap_or(i32::MAX),
                detail,
            });
        }
    };
    loop {
        let next = due.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let (n, from) = match received {
                    Ok(x) => x,
                    Err(e) => {
                        // Pause instead of spinning on an error that repeats.
                        tracing::debug!("SIP: receive failed: {e}");
                        tokio::time::sleep(RECEIVE_ERROR_PAUSE).await;
                        continue;
                    }
                };
                let Some(response) = parse_response(&buf[..n]) else {
                    if let Some(to) = registers.as_ref().filter(|_| buf[..n].starts_with(b"REGISTER ")) {
                        let _ = to.try_send((buf[..n].to_vec(), from));
                    }
                    continue;
                };
                if response.method != "NOTIFY" || response.code < 200 {
                    continue;
                }
                // Only the device, answering the NOTIFY it received, ends the transaction.
                let genuine = open.get(&response.branch).is_some_and(|o| {
                    same_peer(from, o.tx.to) && response.call_id == o.tx.call_id
                });
                if !genuine {
                    tracing::debug!("SIP: a response from {from} matches no NOTIFY sent there");
                    continue;
                }
                let (status, detail) = if response.code < 300 {
                    (DeviceStatus::Acknowledged, format!("{} from the device", response.code))
                } else {
                    (DeviceStatus::Rejected, format!("the device answered {}", response.code))
                };
                finish(&mut open, &response.branch, status, detail);
            }
            queued = queue.recv() => {
                let Some(tx) = queued else { return };
                let now = Instant::now();
                if let Err(e) = socket.send_to(&tx.bytes, tx.to).await {
                    let _ = done.send(Outcome {
                        id: tx.id,
                        status: DeviceStatus::Rejected,
                        attempts: 0,
                        detail: format!("cannot send to {}: {e}", tx.to),
                    });
                    continue;
                }
                due.push(Reverse((now + timers.retransmit_after(0), tx.branch.clone())));
                open.insert(tx.branch.clone(), Open { tx, attempts: 1, deadline: now + timers.timeout() });
            }
            () = sleep_until(next) => {
                let now = Instant::now();
                while let Some(Reverse((at, _))) = due.peek() {
                    if *at > now {
                        break;
                    }
                    let Some(Reverse((_, branch))) = due.pop() else { break };
                    let Some(o) = open.get_mut(&branch) else { continue };
                    if now >= o.deadline {
                        let detail = format!("no answer from {} within {:?} (Timer F)", o.tx.to, timers.timeout());
                        finish(&mut open, &branch, DeviceStatus::TimedOut, detail);
                        continue;
                    }
                    // A failed retransmission is retried on the next timer, like a lost datagram.
                    let _ = socket.send_to(&o.tx.bytes, o.tx.to).await;
                    let retry = (now + timers.retransmit_after(o.attempts)).min(o.deadline);
                    o.attempts += 1;
                    due.push(Reverse((retry, branch)));
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashSet;

    #[test]
    fn notify_branches_are_unpredictable() {
        let branches: Vec<String> = (0..1_000).map(|_| new_branch().unwrap()).collect();
        let distinct: HashSet<&String> = branches.iter().collect();
        assert_eq!(distinct.len(), branches.len(), "no branch repeats");
        for b in &branches {
            let hex = b
                .strip_prefix("z9hG4bK")
                .expect("the RFC 3261 magic cookie");
            assert_eq!(hex.len(), 32, "{b}: 128 bits");
            assert!(
                hex.bytes()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{b}"
            );
        }
        // Every bit position takes both values: no fixed part (a counter, a time) in the bits.
        let bits = |b: &String| u128::from_str_radix(&b[7..], 16).unwrap();
        let ones = branches.iter().fold(0u128, |acc, b| acc | bits(b));
        let zeros = branches.iter().fold(0u128, |acc, b| acc | !bits(b));
        assert_eq!((ones, zeros), (u128::MAX, u128::MAX));
        // Consecutive branches share no long prefix beyond the cookie.
        for pair in branches.windows(2) {
            let common = pair[0]
                .bytes()
                .zip(pair[1].bytes())
                .take_while(|(a, b)| a == b)
                .count();
            assert!(common < 7 + 8, "{} / {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn a_response_counts_only_from_the_address_and_port_the_notify_went_to() {
        let to: SocketAddr = "10.1.2.3:5060".parse().unwrap();
        assert!(same_peer(to, to));
        assert!(same_peer("[::ffff:10.1.2.3]:5060".parse().unwrap(), to));
        assert!(!same_peer("10.1.2.3:5061".parse().unwrap(), to));
        assert!(!same_peer("10.1.2.4:5060".parse().unwrap(), to));
    }
}
