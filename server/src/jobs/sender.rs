//! The SIP side of device resets: NOTIFYs over one UDP socket as non-INVITE client transactions
//! (RFC 3261 §17.1.2.2) — retransmitted on Timer E (T1 doubling up to T2) until a final response
//! or Timer F (64·T1) — each ending in an [`Outcome`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

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
}

impl Sender {
    /// Starts the sending task on `socket`; outcomes arrive on the returned receiver.
    pub fn start(
        socket: UdpSocket,
        timers: Timers,
    ) -> std::io::Result<(Self, mpsc::UnboundedReceiver<Outcome>)> {
        let local = socket.local_addr()?;
        let (submit, queue) = mpsc::unbounded_channel();
        let (done, outcomes) = mpsc::unbounded_channel();
        tokio::spawn(run(Arc::new(socket), timers, queue, done));
        Ok((Self { submit, local }, outcomes))
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
                let Ok((n, _from)) = received else { continue };
                let Some(response) = parse_response(&buf[..n]) else { continue };
                if response.method != "NOTIFY" || response.code < 200 {
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
