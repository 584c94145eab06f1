//! The reset-job worker: takes the oldest running reset or restart job, reaches its devices at
//! the job's rate — a SIP NOTIFY to each registered contact ([`sender`]), "not registered" for
//! the others — records every device's status in batches, and closes the job when every device
//! has a final status. It works only while Cisco CallManager is started on this node, and picks
//! up where it was after a restart of the console (devices sent but not answered are sent again).
//! With several nodes, one works a job at a time: it claims the job in the store and renews the
//! claim while it works; a claim not renewed for [`STALE`] passes to another node.

pub mod sender;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use app::domain::jobs::{DeviceStatus, JobStatus};
use app::domain::services::Service;
use app::domain::sip::{self, DeviceAction, Notify};
use app::error::AppError;
use app::service::authz::Internal;
use app::service::errors::internal;
use app::service::resets::{self, RESET_KIND, RESTART_KIND};
use app::service::{control, AppState};
use app::store::jobs;

use sender::{Outcome, Sender, Transaction};

/// Devices taken per step when a job is unthrottled.
const UNTHROTTLED_BATCH: u64 = 1_000;
/// How often answers are written to the store.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How long a node's claim on a job lasts without renewal.
pub const STALE: Duration = Duration::from_secs(10);
/// What a job says while it waits for Cisco CallManager.
const WAITING: &str = "Waiting: Cisco CallManager is not started on this node";

/// Runs the worker for ever as node `me` (its name among the nodes sharing the store).
pub async fn run(
    state: AppState,
    me: String,
    sender: Sender,
    mut outcomes: mpsc::UnboundedReceiver<Outcome>,
) {
    if let Err(e) = recover(&state, &me).await {
        tracing::error!("cannot recover the reset jobs: {e}");
    }
    let mut worker = Worker {
        state,
        internal: Internal::at_start("reset-job worker"),
        me,
        sender,
        answers: Vec::new(),
        in_flight: HashMap::new(),
        pending_ids: HashMap::new(),
        last_flush: Instant::now(),
    };
    loop {
        if let Err(e) = worker.step(&mut outcomes).await {
            tracing::error!("reset job worker: {e}");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Devices this node sent before it stopped, with no answer yet, are sent again.
async fn recover(state: &AppState, me: &str) -> Result<(), AppError> {
    let open = jobs::open_of(&state.db, &[RESET_KIND, RESTART_KIND], me).await?;
    Ok(jobs::resend_unanswered(&state.db, open).await?)
}

struct Worker {
    state: AppState,
    /// The worker's capability: it works the jobs administrators started.
    internal: Internal,
    /// This node's name in job claims.
    me: String,
    sender: Sender,
    answers: Vec<Outcome>,
    /// Devices sent and not answered yet, per job.
    in_flight: HashMap<i32, usize>,
    /// The job of each device sent and not answered yet.
    pending_ids: HashMap<i64, i32>,
    last_flush: Instant,
}

impl Worker {
    /// Claims older than this passed to any node.
    fn stale_before(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock.now()
            - chrono::Duration::from_std(STALE).unwrap_or(chrono::Duration::seconds(10))
    }

    /// Claims job `job` for this node (renewing the claim when it holds it); false when another
    /// node holds it. Taking over a stale claim sends that node's unanswered devices again.
    async fn claim(&self, job: &jobs::Job) -> Result<bool, AppError> {
        let now = self.state.clock.now();
        let claimed =
            jobs::claim(&self.state.db, job.id, &self.me, now, self.stale_before()).await?;
        if claimed && job.worker.as_deref().is_some_and(|w| w != self.me) {
            tracing::info!(
                "reset job {} taken over from {}",
                job.id,
                job.worker.as_deref().unwrap_or_default()
            );
            jobs::resend_unanswered(&self.state.db, vec![job.id]).await?;
        }
        Ok(claimed)
    }

    async fn step(
        &mut self,
        outcomes: &mut mpsc::UnboundedReceiver<Outcome>,
    ) -> Result<(), AppError> {
        self.flush().await?;
        let job = jobs::next_running(
            &self.state.db,
            &[RESET_KIND, RESTART_KIND],
            &self.me,
            self.stale_before(),
        )
        .await?;
        let Some(job) = job else {
            self.wait(outcomes, Duration::from_secs(1)).await;
            return Ok(());
        };
        if !control::runs_here(&self.state, &self.internal, Service::CallManager).await? {
            self.set_message(job.id, WAITING).await?;
            self.wait(outcomes, Duration::from_secs(1)).await;
            return Ok(());
        }
        if !self.claim(&job).await? {
            return Ok(());
        }
        if job.message == WAITING {
            self.set_message(job.id, "").await?;
        }
        self.work(job, outcomes).await
    }

    async fn set_message(&self, id: i32, message: &str) -> Result<(), AppError> {
        Ok(jobs::set_message(&self.state.db, id, message).await?)
    }

    /// Reaches the devices of `job` until it ends, is paused or cancelled, or CallManager stops.
    async fn work(
        &mut self,
        job: jobs::Job,
        outcomes: &mut mpsc::UnboundedReceiver<Outcome>,
    ) -> Result<(), AppError> {
        let Some(action) = resets::action_of_kind(&job.kind) else {
            return Ok(());
        };
        let mut rate = job.rate;
        let mut started = Instant::now();
        let mut sent_since: u64 = 0;
        let mut checked = Instant::now();
        loop {
            if checked.elapsed() >= Duration::from_millis(250) {
                checked = Instant::now();
                let now = jobs::find(&self.state.db, job.id).await?;
                let Some(now) = now else { return Ok(()) };
                if now.status != JobStatus::Running
                    || !control::runs_here(&self.state, &self.internal, Service::CallManager)
                        .await?
                    || !self.claim(&now).await?
                {
                    return Ok(());
                }
                if now.rate != rate {
                    rate = now.rate;
                    started = Instant::now();
                    sent_since = 0;
                }
            }
            let want = match rate.and_then(|r| u64::try_from(r).ok()).filter(|r| *r > 0) {
                None => UNTHROTTLED_BATCH,
                Some(r) => {
                    let allowed = (started.elapsed().as_secs_f64() * r as f64) as u64 + 1;
                    allowed.saturating_sub(sent_since).min(UNTHROTTLED_BATCH)
                }
            };
            let taken = if want > 0 {
                self.reach(job.id, action, want).await?
            } else {
                0
            };
            sent_since += taken;
            if taken == 0 && want > 0 && self.in_flight.get(&job.id).copied().unwrap_or(0) == 0 {
                self.flush_now().await?;
                let pending = jobs::unfinished_devices(&self.state.db, job.id).await?;
                if pending == 0 {
                    let completed =
                        resets::finish(&self.state, &self.internal, job.id, action).await?;
                    tracing::info!(
                        "reset job {} done; {completed} pending actions completed",
                        job.id
                    );
                    return Ok(());
                }
            }
            let pause = match rate.filter(|r| *r > 0) {
                Some(r) => Duration::from_secs_f64((1.0 / f64::from(r)).max(0.005)),
                None if taken > 0 => Duration::ZERO,
                None => Duration::from_millis(20),
            };
            self.wait(outcomes, pause).await;
            self.flush().await?;
        }
    }

    /// Takes up to `n` pending devices of job `id`: a NOTIFY to each one with a contact, "not
    /// registered" for the others. Returns how many were taken.
    async fn reach(&mut self, id: i32, action: DeviceAction, n: u64) -> Result<u64, AppError> {
        let rows = jobs::take_pending(&self.state.db, id, n).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // A stored contact this node may not send to (stored before the rule, or by a node
        // with another policy) counts as none: nobody aims the NOTIFYs through the store.
        let policy = &self.state.contact_policy;
        let contacts: HashMap<i32, SocketAddr> =
            jobs::contacts_of(&self.state.db, rows.iter().map(|r| r.device_id))
                .await?
                .into_iter()
                .filter_map(|c| {
                    let ip: Ipv4Addr = c.address.parse().ok()?;
                    if let Some(reason) = policy.refusal(ip) {
                        tracing::warn!("device {}: contact not used: {reason}", c.device_id);
                        return None;
                    }
                    let port = u16::try_from(c.port).ok().filter(|p| *p != 0)?;
                    Some((c.device_id, SocketAddr::new(IpAddr::V4(ip), port)))
                })
                .collect();
        let now = self.state.clock.now();
        let stamp = format!("{:x}", now.timestamp());
        let mut sent: HashMap<SocketAddr, Vec<i64>> = HashMap::new();
        let mut missing = Vec::new();
        for row in &rows {
            let Some(to) = contacts.get(&row.device_id).copied() else {
                missing.push(row.id);
                continue;
            };
            // Random per transaction: a response must echo what only the device saw.
            let (Some(branch), Some(nonce)) = (sender::new_branch(), sender::random_hex(8)) else {
                return Err(internal("the random generator failed"));
            };
            let call_id = format!("{id}.{}.{nonce}@ccmadmin", row.id);
            let register = format!("{}-{}", id, row.device_id);
            let bytes = sip::notify(&Notify {
                device: &row.device_name,
                contact: to,
                local: self.sender.local,
                branch: &branch,
                call_id: &call_id,
                from_tag: &format!("{id}"),
                cseq: 1,
                action,
                register_call_id: &register,
                config_version_stamp: &stamp,
            })
            .into_bytes();
            sent.entry(to).or_default().push(row.id);
            *self.in_flight.entry(id).or_default() += 1;
            self.pending_ids.insert(row.id, id);
            if !self.sender.send(Transaction {
                id: row.id,
                to,
                branch,
                call_id,
                bytes,
            }) {
                return Err(internal("the SIP sender stopped"));
            }
        }
        for (to, ids) in sent {
            jobs::mark_sent(&self.state.db, ids, &to.to_string(), now).await?;
        }
        if !missing.is_empty() {
            jobs::mark_not_registered(
                &self.state.db,
                missing,
                "no contact is known for the device",
                now,
            )
            .await?;
        }
        Ok(rows.len() as u64)
    }

    async fn wait(&mut self, outcomes: &mut mpsc::UnboundedReceiver<Outcome>, pause: Duration) {
        let deadline = tokio::time::sleep(pause);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                got = outcomes.recv() => match got {
                    Some(o) => {
                        self.answered(o);
                        while let Ok(o) = outcomes.try_recv() {
                            self.answered(o);
                        }
                        if pause.is_zero() { return; }
                    }
                    None => { (&mut deadline).await; return; }
                },
                () = &mut deadline => return,
                () = self.state.jobs_changed.notified() => return,
            }
        }
    }

    fn answered(&mut self, o: Outcome) {
        if let Some(job) = self.pending_ids.remove(&o.id) {
            if let Some(n) = self.in_flight.get_mut(&job) {
                *n = n.saturating_sub(1);
            }
        }
        self.answers.push(o);
    }

    async fn flush(&mut self) -> Result<(), AppError> {
        if self.answers.len() >= 1_000
            || (!self.answers.is_empty() && self.last_flush.elapsed() >= FLUSH_EVERY)
        {
            self.flush_now().await?;
        }
        Ok(())
    }

    /// Writes the answers received so far, grouped by what they say.
    async fn flush_now(&mut self) -> Result<(), AppError> {
        self.last_flush = Instant::now();
        if self.answers.is_empty() {
            return Ok(());
        }
        let now = self.state.clock.now();
        let mut groups: HashMap<(DeviceStatus, i32, String), Vec<i64>> = HashMap::new();
        for o in self.answers.drain(..) {
            groups
                .entry((o.status, o.attempts, o.detail))
                .or_default()
                .push(o.id);
        }
        for ((status, attempts, detail), ids) in groups {
            for chunk in ids.chunks(2_000) {
                jobs::record_outcomes(
                    &self.state.db,
                    chunk.to_vec(),
                    status,
                    attempts,
                    &detail,
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }
}
