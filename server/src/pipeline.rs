//! The file pipeline, run by this node's Cisco TFTP service beside the supervisor: the TFTP
//! folder follows the store. It reacts to changes (the audit rows of
//! the objects that shape the files, and a wake-up from this node), rebuilds every file in memory
//! (cheap), and signs and writes only the files whose bytes changed (R12), atomically
//! ([`app::tftp::folder`]): a crash at any moment leaves each file old or new. The store tracks the
//! change the files reflect; a start that finds them behind (or a build interrupted) builds again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use app::domain::builds::BuildStatus;
use app::domain::device::{AuthenticationMode, CertificateOperation, Protocol};
use app::domain::security::{
    effective_mode, ClusterSecurityMode, ConfiguredMode, DeviceClass, Hardening, SecurityMode,
};
use app::domain::srst::secure_srst;
use app::domain::stored::{known, UnknownValue};
use app::error::AppError;
use app::service::certificates::{self, CertRole};
use app::service::errors::internal;
use app::service::reference::Reference;
use app::service::AppState;
use app::store::cluster;
use app::store::entities::{device_pools, devices, phone_models};
use app::store::files::{self, BuildStep};
use app::tftp::cnf::{self, CallManagerEntry, DeviceConfig, SrstEntry};
use app::tftp::folder::{Folder, FolderError};
use app::tftp::keys::SigningIdentity;
use app::tftp::sgn::{self, HashAlgorithm, HeaderKind};
use app::tftp::{static_files, TftpDirs, CTL_FILE};

/// Files per batch: written, synced and put in place together (each unnamed file is an open
/// descriptor until then).
const BATCH: usize = 500;

/// What one build did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Files the store describes (plain files).
    pub total: u64,
    /// Files written because their bytes changed (plain and signed).
    pub written: u64,
    /// Files signed.
    pub signed: u64,
    /// Stale files removed.
    pub removed: u64,
    /// Devices whose file was not rebuilt (a stored value is not a known one), in words; their
    /// previous files stay in the folder.
    pub errors: Vec<String>,
}

/// Runs for ever: builds at start when the files are behind the store (or a build was cut
/// short), then whenever a relevant change appears — checked every second, or at once when this
/// node signals one.
pub async fn run(state: AppState) {
    loop {
        match build_if_behind(&state).await {
            Ok(_) => {}
            Err(e) => tracing::error!("TFTP file build failed: {e}"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), state.changed.notified()).await;
    }
}

/// Builds when the files are behind the store; returns the report of the build it ran.
pub async fn build_if_behind(state: &AppState) -> Result<Option<BuildReport>, AppError> {
    let row = files::state_row(&state.db).await?;
    let latest = files::latest_change(&state.db).await?;
    if row.status != BuildStatus::Running && row.built_change >= latest && row.built_change >= 0 {
        return Ok(None);
    }
    build(state, latest).await.map(Some)
}

/// Builds every file for the store as of change `target`, records progress, and marks the
/// files as reflecting `target` when done.
pub async fn build(state: &AppState, target: i64) -> Result<BuildReport, AppError> {
    let dirs = state
        .files
        .as_deref()
        .ok_or_else(|| internal("the TFTP folders are not configured"))?
        .clone();
    dirs.create().map_err(internal)?;
    let started = state.clock.now();
    progress(
        state,
        BuildStep::Started {
            target,
            at: started,
        },
    )
    .await?;
    match build_files(state, &dirs).await {
        Ok(report) => {
            let finished = state.clock.now();
            let summary = error_summary(&report.errors);
            if let Some(summary) = &summary {
                tracing::error!("TFTP file build: {summary}");
            }
            let step = BuildStep::Finished {
                target,
                at: finished,
                removed: report.removed,
                errors: report.errors.len() as u64,
                summary,
            };
            progress(state, step).await?;
            Ok(report)
        }
        Err(e) => {
            progress(state, BuildStep::Failed(e.to_string())).await?;
            Err(e)
        }
    }
}

/// The most device errors the state row spells out.
const ERRORS_LISTED: usize = 20;

/// The devices whose file was not rebuilt, one per line, for Security > TFTP Files.
fn error_summary(errors: &[String]) -> Option<String> {
    match errors {
        [] => None,
        [one] => Some(one.clone()),
        all => {
            let mut text = format!("{} devices' files were not rebuilt:", all.len());
            for e in all.iter().take(ERRORS_LISTED) {
                text.push('\n');
                text.push_str(e);
            }
            if all.len() > ERRORS_LISTED {
                text.push_str(&format!("\n… and {} more", all.len() - ERRORS_LISTED));
            }
            Some(text)
        }
    }
}

/// Records a step of the build on the pipeline's state row.
async fn progress(state: &AppState, step: BuildStep) -> Result<(), AppError> {
    Ok(files::record_step(&state.db, step, state.clock.now()).await?)
}

/// The CAPF authentication mode's code in the file (the protocol's AuthType numbers): 0 while
/// no operation is pending, so the phone contacts CAPF only when one is.
fn capf_auth_code(operation: CertificateOperation, mode: AuthenticationMode) -> u8 {
    if operation == CertificateOperation::NoPendingOperation {
        return 0;
    }
    match mode {
        AuthenticationMode::ByAuthenticationString => 1,
        AuthenticationMode::ByNullString => 2,
        AuthenticationMode::ByExistingCertificateLsc => 3,
        AuthenticationMode::ByExistingCertificateMic => 4,
    }
}

/// The stored values a phone's file depends on, read strictly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DeviceValues {
    configured: ConfiguredMode,
    capf: AuthenticationMode,
    operation: CertificateOperation,
    protocol: Protocol,
}

/// A device's values for its file: `None` when its model is not a phone (no file); an error
/// when a stored value is not a known one, so that its file is not rebuilt from a guess.
fn device_values(
    model: &str,
    device_class: &str,
    security_mode: &str,
    authentication_mode: &str,
    certificate_operation: &str,
    protocol: &str,
) -> Result<Option<DeviceValues>, UnknownValue> {
    let class = known(
        format!("Device Class of model {model}"),
        device_class,
        DeviceClass::from_key,
    )?;
    if class != DeviceClass::Phone {
        return Ok(None);
    }
    Ok(Some(DeviceValues {
        configured: known("Device Security Mode", security_mode, ConfiguredMode::parse)?,
        capf: known(
            "Authentication Mode",
            authentication_mode,
            AuthenticationMode::parse,
        )?,
        operation: known(
            "Certificate Operation",
            certificate_operation,
            CertificateOperation::parse,
        )?,
        protocol: known("Device Protocol", protocol, Protocol::parse)?,
    }))
}

/// A cluster-wide stored value that is not a known one: no file is rebuilt.
fn cluster_wide(e: &UnknownValue) -> AppError {
    AppError::Conflict(format!("{e}; no file was rebuilt"))
}

/// Every file the store describes, by name, what it is built for, and the devices whose files
/// are left as they are.
#[derive(Debug, Clone)]
pub struct Described {
    /// The cluster's security mode.
    pub mode: ClusterSecurityMode,
    /// The hash of the signatures.
    pub hash: HashAlgorithm,
    /// The files, by name.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Plain files not rebuilt (a stored value of the device is not a known one): they and
    /// their signed files stay in the folder as they are.
    pub kept: Vec<String>,
    /// Why each of those was not rebuilt.
    pub errors: Vec<String>,
}

/// Every file the store describes, by name, and the mode it is built for: from the reference
/// data and the phones that have a file. A stored value that is not a known one is never read as
/// a weaker setting: cluster-wide, no file is built (an error); on a device, that device's file
/// is not rebuilt (see [`Described::errors`]).
pub fn describe(
    reference: &Reference,
    devices: &[devices::Model],
    now: DateTime<Utc>,
) -> Result<Described, AppError> {
    if let Some(e) = reference.unknown.first() {
        return Err(cluster_wide(e));
    }
    let mode = reference.cluster_mode;
    let by_id: HashMap<i32, &CallManagerEntry> =
        reference.servers.iter().map(|s| (s.id, &s.entry)).collect();
    let capf_node = reference
        .servers
        .iter()
        .find(|s| s.is_publisher)
        .or(reference.servers.first())
        .map(|s| s.entry.address.clone())
        .unwrap_or_default();
    let groups: HashMap<i32, (&str, Vec<CallManagerEntry>)> = reference
        .groups
        .iter()
        .map(|g| {
            let members = g
                .members
                .iter()
                .filter_map(|id| by_id.get(id).map(|e| (*e).clone()))
                .collect();
            (g.id, (g.name.as_str(), members))
        })
        .collect();
    let pools: HashMap<i32, &device_pools::Model> =
        reference.pools.iter().map(|p| (p.id, p)).collect();
    let models: HashMap<i32, &phone_models::Model> =
        reference.models.iter().map(|m| (m.id, m)).collect();

    let mut files = BTreeMap::new();
    for (name, bytes) in static_files::FILES {
        files.insert((*name).to_owned(), bytes.to_vec());
    }
    let defaults: Vec<CallManagerEntry> = reference
        .servers
        .iter()
        .take(3)
        .map(|s| s.entry.clone())
        .collect();
    files.insert(
        "XMLDefault.cnf.xml".to_owned(),
        cnf::default_file(&defaults, SecurityMode::NonSecure),
    );
    let mut kept = Vec::new();
    let mut errors = Vec::new();
    for d in devices {
        let Some(model) = models.get(&d.model_id) else {
            continue;
        };
        let values = match device_values(
            &model.name,
            &model.device_class,
            &d.security_mode,
            &d.authentication_mode,
            &d.certificate_operation,
            &d.protocol,
        ) {
            Ok(Some(values)) => values,
            Ok(None) => continue,
            Err(e) => {
                kept.push(format!("{}.cnf.xml", d.name));
                errors.push(format!("{}: {e}; its file was not rebuilt", d.name));
                continue;
            }
        };
        let caps = cluster::capabilities(model);
        // R8: the file carries the effective mode — Non Secure whenever the cluster is.
        let effective =
            effective_mode(values.configured, reference.system_default, mode, &caps).mode;
        let pool = pools.get(&d.device_pool_id).copied();
        let srst = pool.map_or_else(
            || disabled_srst("Disable"),
            |p| srst_entry(p, reference, effective, now),
        );
        let group = pool.and_then(|p| groups.get(&p.callmanager_group_id));
        let config = DeviceConfig {
            name: d.name.clone(),
            description: d.description.clone(),
            protocol: values.protocol.label(),
            pool: pool.map(|p| p.name.clone()).unwrap_or_default(),
            group: group
                .map(|(name, _)| (*name).to_owned())
                .unwrap_or_default(),
            members: group
                .map(|(_, members)| members.clone())
                .unwrap_or_default(),
            srst,
            hardening: Hardening {
                gratuitous_arp: d.gratuitous_arp,
                web_access: d.web_access,
                pc_voice_vlan_access: d.pc_voice_vlan_access,
                settings_access: d.settings_access,
                pc_port: d.pc_port,
            },
            mode: effective,
            capf_auth_mode: capf_auth_code(values.operation, values.capf),
            capf_port: reference.capf_port,
            capf_node: capf_node.clone(),
        };
        files.insert(format!("{}.cnf.xml", d.name), cnf::device_file(&config));
    }
    Ok(Described {
        mode,
        hash: reference.signature_hash,
        files,
        kept,
        errors,
    })
}

fn disabled_srst(option: &'static str) -> SrstEntry {
    SrstEntry {
        name: option.to_owned(),
        option,
        address: None,
        sip_address: None,
        is_secure: false,
        certificate: None,
    }
}

/// The SRST section of a device in pool `p`: R9 decides `isSecure` and the certificate, judged
/// by the same facts as the pages.
fn srst_entry(
    p: &device_pools::Model,
    reference: &Reference,
    effective: SecurityMode,
    now: DateTime<Utc>,
) -> SrstEntry {
    match p.srst_option.as_str() {
        "default_gateway" => disabled_srst("Use Default Gateway"),
        "reference" => {
            let Some(r) = reference.srst_of_pool(p.id) else {
                return disabled_srst("Disable");
            };
            let secure =
                secure_srst(reference.cluster_mode, effective, Some(&r.status(now))).secure;
            SrstEntry {
                name: r.name.clone(),
                option: "User Specific",
                address: Some(r.address.clone()),
                sip_address: r.sip_address.clone(),
                is_secure: secure,
                certificate: if secure { r.certificate.clone() } else { None },
            }
        }
        _ => disabled_srst("Disable"),
    }
}

/// Builds the folder: describe every file, then sign and write the ones that changed, then
/// remove what the store no longer describes.
async fn build_files(state: &AppState, dirs: &TftpDirs) -> Result<BuildReport, AppError> {
    let now = state.clock.now();
    let Described {
        mode,
        hash,
        files,
        kept,
        errors,
    } = {
        let reference = state.reference.fresh(&state.db).await?;
        let devices = files::phones_with_files(&state.db).await?;
        describe(&reference, &devices, now)?
    };
    let signer = if mode == ClusterSecurityMode::Mixed {
        certificates::ensure(state).await?;
        Some((
            certificates::identity(&state.db, dirs, CertRole::Tftp, "TFTP").await?,
            hash,
        ))
    } else {
        None
    };
    let total = files.len() as u64;
    progress(state, BuildStep::Total(total)).await?;
    let work = Work {
        files: files.into_iter().collect(),
        kept,
        signer,
        timestamp: u32::try_from(now.timestamp()).unwrap_or(0),
        done: Counters::default(),
        stop: AtomicBool::new(false),
    };
    let work = Arc::new(work);
    // Dropped with this future (the TFTP service stopped): the threads stop claiming files and
    // the writer puts in place what it holds; the next start builds again.
    let _stop = StopWhenDropped(Arc::clone(&work));
    let folder = dirs.files.clone();
    let mut running = tokio::task::spawn_blocking({
        let work = Arc::clone(&work);
        move || work.run(&folder)
    });
    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    let removed = loop {
        tokio::select! {
            finished = &mut running => break finished.map_err(internal)?.map_err(internal)?,
            _ = ticker.tick() => {
                if let Err(e) = record(state, &work.done).await {
                    tracing::warn!("TFTP build progress not recorded: {e}");
                }
            }
        }
    };
    let (written, signed) = record(state, &work.done).await?;
    Ok(BuildReport {
        total,
        written,
        signed,
        removed,
        errors,
    })
}

/// Records the files written and signed so far; returns them.
async fn record(state: &AppState, done: &Counters) -> Result<(u64, u64), AppError> {
    let (written, signed) = done.read();
    progress(state, BuildStep::Counted { written, signed }).await?;
    Ok((written, signed))
}

/// How often a running build records its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Files claimed by a signing thread at a time.
const CLAIM: usize = 16;

/// Files written, signed: counted as batches land.
#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    signed: AtomicU64,
}

impl Counters {
    fn read(&self) -> (u64, u64) {
        (
            self.written.load(Ordering::Relaxed),
            self.signed.load(Ordering::Relaxed),
        )
    }
}

/// One build's files and how to sign them.
struct Work {
    files: Vec<(String, Vec<u8>)>,
    /// Plain files left as they are (with their signed files): never removed as stale.
    kept: Vec<String>,
    signer: Option<(Arc<SigningIdentity>, HashAlgorithm)>,
    timestamp: u32,
    done: Counters,
    /// Set when the build must end early: an error, or nobody waiting for it.
    stop: AtomicBool,
}

/// Stops a build's threads when the build's future is dropped.
struct StopWhenDropped(Arc<Work>);

impl Drop for StopWhenDropped {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
    }
}

/// A file to write, and whether it is a signed file.
type Output = ((String, Vec<u8>), bool);

impl Work {
    /// Signs and writes the changed files with every core — one signing thread per core
    /// claiming files as it goes, this thread writing what they send by batches of [`BATCH`] —
    /// then removes the stale files; returns how many it removed.
    fn run(&self, path: &Path) -> Result<u64, PipelineError> {
        let folder = Folder::open(path)?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let next = AtomicUsize::new(0);
        let (send, receive) = std::sync::mpsc::sync_channel::<Output>(BATCH * 2);
        std::thread::scope(|scope| {
            let mut signers = Vec::with_capacity(threads);
            for _ in 0..threads {
                let send = send.clone();
                let (folder, next) = (&folder, &next);
                let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                    let signed = self.sign_changed(folder, next, &send);
                    if signed.is_err() {
                        self.stop.store(true, Ordering::Relaxed);
                    }
                    signed
                });
                match spawned {
                    Ok(handle) => signers.push(handle),
                    Err(_) => self.stop.store(true, Ordering::Relaxed),
                }
            }
            let started = signers.len();
            drop(send);
            let written = self.write(&folder, receive);
            if written.is_err() {
                self.stop.store(true, Ordering::Relaxed);
            }
            let signed = signers
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(PipelineError::Thread)))
                .collect::<Result<Vec<()>, _>>();
            if started < threads {
                return Err(PipelineError::Thread);
            }
            written.and(signed.map(|_| ()))
        })?;
        if self.stop.load(Ordering::Relaxed) {
            return Err(PipelineError::Stopped);
        }
        let mut expected: HashSet<String> = HashSet::with_capacity(self.files.len() * 2);
        for (name, _) in &self.files {
            if let Some((_, hash)) = &self.signer {
                expected.insert(hash.signed_name(name));
            }
            expected.insert(name.clone());
        }
        for name in &self.kept {
            for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha512] {
                expected.insert(hash.signed_name(name));
            }
            expected.insert(name.clone());
        }
        Ok(folder.remove(|name| {
            let generated = name.ends_with(".cnf.xml")
                || name.ends_with(".sgn")
                || static_files::FILES.iter().any(|(n, _)| *n == name);
            generated && name != CTL_FILE && !expected.contains(name)
        })?)
    }

    /// One signing thread: claims files, and sends each changed file and each signed file that
    /// is missing or stale (R12) to the writer.
    fn sign_changed(
        &self,
        folder: &Folder,
        next: &AtomicUsize,
        send: &SyncSender<Output>,
    ) -> Result<(), PipelineError> {
        let mut signer = match &self.signer {
            Some((identity, hash)) => Some((
                identity,
                *hash,
                identity
                    .signer(*hash)
                    .map_err(|e| PipelineError::Sign("TFTP".to_owned(), e.to_string()))?,
            )),
            None => None,
        };
        while !self.stop.load(Ordering::Relaxed) {
            let from = next.fetch_add(CLAIM, Ordering::Relaxed);
            let Some(claimed) = self.files.get(from..(from + CLAIM).min(self.files.len())) else {
                break;
            };
            for (name, bytes) in claimed {
                let changed = folder.read(name).as_deref() != Some(bytes.as_slice());
                if changed && send.send(((name.clone(), bytes.clone()), false)).is_err() {
                    return Ok(());
                }
                let Some((identity, hash, file_signer)) = signer.as_mut() else {
                    continue;
                };
                let signed_name = hash.signed_name(name);
                let fresh = folder
                    .read(&signed_name)
                    .is_some_and(|c| signed_copy_of(&c, bytes, identity, *hash));
                if changed || !fresh {
                    let signed = sgn::build(
                        HeaderKind::Signed,
                        bytes,
                        name,
                        self.timestamp,
                        *hash,
                        &identity.info,
                        |data| file_signer.sign(data),
                    )
                    .map_err(|e| PipelineError::Sign(name.clone(), e.to_string()))?;
                    if send.send(((signed_name, signed), true)).is_err() {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// The writer: writes what the signing threads send, by batches, and counts it.
    fn write(&self, folder: &Folder, receive: Receiver<Output>) -> Result<(), PipelineError> {
        let mut batch = Vec::with_capacity(BATCH);
        let mut signed = 0;
        let flush = |batch: &mut Vec<(String, Vec<u8>)>, signed: &mut u64| {
            folder.write_batch(batch)?;
            self.done
                .written
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            self.done.signed.fetch_add(*signed, Ordering::Relaxed);
            batch.clear();
            *signed = 0;
            Ok::<(), PipelineError>(())
        };
        for (file, is_signed) in receive {
            batch.push(file);
            signed += u64::from(is_signed);
            if batch.len() == BATCH {
                flush(&mut batch, &mut signed)?;
            }
        }
        flush(&mut batch, &mut signed)
    }
}

/// Whether `existing` is a signed copy of `content` by `identity` with `hash`.
fn signed_copy_of(
    existing: &[u8],
    content: &[u8],
    identity: &SigningIdentity,
    hash: HashAlgorithm,
) -> bool {
    sgn::parse(existing).is_ok_and(|p| {
        p.content == content && p.header.serial == identity.info.serial && p.header.hash == hash
    })
}

/// Why the pipeline could not write a file.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A file could not be written, synced, renamed or removed.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// A file could not be signed.
    #[error("{0} could not be signed: {1}")]
    Sign(String, String),
    /// A signing thread could not start or stopped.
    #[error("a signing thread could not start or stopped")]
    Thread,
    /// The build was stopped before it finished (its files are each old or new).
    #[error("the build was stopped before it finished")]
    Stopped,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_stored_value_is_an_error_never_a_weaker_setting() {
        let phone = |mode: &str, capf: &str, protocol: &str| {
            device_values(
                "Cisco 7970",
                "phone",
                mode,
                capf,
                "Install/Upgrade",
                protocol,
            )
        };
        assert_eq!(
            phone("encrypted", "By Authentication String", "SIP"),
            Ok(Some(DeviceValues {
                configured: ConfiguredMode::Explicit(SecurityMode::Encrypted),
                capf: AuthenticationMode::ByAuthenticationString,
                operation: CertificateOperation::InstallUpgrade,
                protocol: Protocol::Sip,
            }))
        );
        assert!(phone("encrypted", "By Null String", "SIP").is_ok());
        let err = device_values(
            "Cisco 7970",
            "phone",
            "encrypted",
            "By Null String",
            "Later",
            "SIP",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "stored Certificate Operation 'Later' is not a known value"
        );
        // The file names the CAPF mode only while an operation is pending.
        assert_eq!(
            capf_auth_code(
                CertificateOperation::NoPendingOperation,
                AuthenticationMode::ByNullString
            ),
            0
        );
        assert_eq!(
            capf_auth_code(
                CertificateOperation::Troubleshoot,
                AuthenticationMode::ByExistingCertificateMic
            ),
            4
        );
        // Not Use System Default, nor By Null String, nor SCCP: an error naming the value.
        let err = phone("xyz", "By Authentication String", "SIP").unwrap_err();
        assert_eq!(
            err.to_string(),
            "stored Device Security Mode 'xyz' is not a known value"
        );
        let err = phone("encrypted", "garbage", "SIP").unwrap_err();
        assert_eq!(
            err.to_string(),
            "stored Authentication Mode 'garbage' is not a known value"
        );
        assert!(phone("encrypted", "By Null String", "H.323").is_err());
        let err = device_values(
            "Cisco 7970",
            "gadget",
            "encrypted",
            "By Null String",
            "Delete",
            "SIP",
        )
        .unwrap_err();
        assert!(err.to_string().contains("model Cisco 7970"), "{err}");
        // A model that is not a phone has no file, whatever its devices store.
        assert_eq!(
            device_values("CTI Port", "cti_port", "garbage", "garbage", "garbage", "garbage"),
            Ok(None)
        );
        let long = "x".repeat(500);
        assert_eq!(
            phone(long.as_str(), "By Null String", "SIP")
                .unwrap_err()
                .value
                .len(),
            64
        );
    }

    #[test]
    fn device_errors_are_listed_one_per_line() {
        assert_eq!(error_summary(&[]), None);
        assert_eq!(error_summary(&["a".to_owned()]).as_deref(), Some("a"));
        let many: Vec<String> = (0..25).map(|i| format!("SEP{i:012}: bad")).collect();
        let text = error_summary(&many).unwrap();
        assert!(text.starts_with("25 devices' files were not rebuilt:\nSEP000000000000: bad"));
        assert!(text.ends_with("\n… and 5 more"), "{text}");
        assert_eq!(text.lines().count(), 1 + ERRORS_LISTED + 1);
    }
}
