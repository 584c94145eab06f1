//! Reference data that changes rarely and that almost every request reads — phone models, device
//! pools, servers and groups, SRST references, the cluster's security mode and the parameters the
//! rules and the TFTP files use — read from the store at most once per [`TTL`] on each node. A
//! change made through this node drops the copy at once; a change made on another node is seen
//! within [`TTL`]. The TFTP pipeline builds every file from a [`ReferenceCache::fresh`] copy plus
//! one query of the devices.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::parameters::{CAPF_PHONE_PORT, DEVICE_SECURITY_MODE, TFTP_SIGNATURE_ALGORITHM};
use crate::domain::security::{ClusterSecurityMode, SecurityMode};
use crate::domain::services::Service;
use crate::domain::srst::SrstStatus;
use crate::domain::stored::{known, UnknownValue};
use crate::error::AppError;
use crate::store::entities::{device_pools, phone_models, service_parameters};
use crate::store::{cluster, files, parameters, servers, service_settings, srst, topology};
use crate::tftp::cnf::CallManagerEntry;
use crate::tftp::sgn::HashAlgorithm;

/// How long a copy serves.
pub const TTL: Duration = Duration::from_secs(2);

/// When a stored certificate is valid: not before, not after (either may be unknown).
pub type Validity = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// An SRST reference as the rules read it (R9).
#[derive(Debug, Clone)]
pub struct SrstFacts {
    /// Its id.
    pub id: i32,
    /// Its name.
    pub name: String,
    /// Is SRST Secure?
    pub is_secure: bool,
    /// The stored certificate's validity, if one is stored.
    pub validity: Option<Validity>,
    /// The stored certificate (DER), if one is stored.
    pub certificate: Option<Vec<u8>>,
    /// Its SCCP address and port.
    pub address: (String, u16),
    /// Its SIP address and port, if it has one.
    pub sip_address: Option<(String, u16)>,
}

impl SrstFacts {
    /// What R9 reads, judged at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> SrstStatus {
        SrstStatus {
            name: self.name.clone(),
            is_secure: self.is_secure,
            certificate_valid: self.validity.is_some_and(|(from, until)| {
                crate::domain::srst::certificate_valid_at(from, until, now)
            }),
        }
    }
}

/// A server, as the TFTP files name it.
#[derive(Debug, Clone)]
pub struct ServerFacts {
    /// Its id.
    pub id: i32,
    /// Is it the publisher (the CAPF node)?
    pub is_publisher: bool,
    /// Its entry in a device's CallManager list (ports from its service parameters).
    pub entry: CallManagerEntry,
}

/// A CallManager group and its servers.
#[derive(Debug, Clone)]
pub struct GroupFacts {
    /// Its id.
    pub id: i32,
    /// Its name.
    pub name: String,
    /// Its servers' ids, in priority order.
    pub members: Vec<i32>,
}

/// One copy of the reference data.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Every phone model, by name.
    pub models: Vec<phone_models::Model>,
    /// Every device pool, by name.
    pub pools: Vec<device_pools::Model>,
    /// Every SRST reference.
    pub srst: Vec<SrstFacts>,
    /// The cluster's security mode.
    pub cluster_mode: ClusterSecurityMode,
    /// The enterprise parameter Device Security Mode.
    pub system_default: SecurityMode,
    /// The service parameter Built In Bridge Enable.
    pub bridge_default_on: bool,
    /// Each server's name with the device pools whose devices register to it.
    pub server_pools: Vec<(String, Vec<i32>)>,
    /// Every server, by name.
    pub servers: Vec<ServerFacts>,
    /// Every CallManager group, by name.
    pub groups: Vec<GroupFacts>,
    /// The enterprise parameter TFTP File Signature Algorithm.
    pub signature_hash: HashAlgorithm,
    /// The enterprise parameter CAPF Phone Port.
    pub capf_port: u16,
    /// The cluster-wide stored values that are not known values: the fields above show their
    /// defaults (the pages read on), and the TFTP files are not rebuilt from them.
    pub unknown: Vec<UnknownValue>,
}

impl Reference {
    /// The SRST reference the pool `pool_id` names, if it names one.
    pub fn srst_of_pool(&self, pool_id: i32) -> Option<&SrstFacts> {
        let pool = self.pools.iter().find(|p| p.id == pool_id)?;
        if pool.srst_option != "reference" {
            return None;
        }
        self.srst
            .iter()
            .find(|r| Some(r.id) == pool.srst_reference_id)
    }

    /// Reads the store: a few queries, none of them of the devices.
    async fn read(db: &DatabaseConnection) -> Result<Self, AppError> {
        let mut unknown = Vec::new();
        let cluster_mode = strict(
            &mut unknown,
            "cluster security mode",
            cluster::row(db).await?.map(|c| c.security_mode),
            |v| {
                [ClusterSecurityMode::NonSecure, ClusterSecurityMode::Mixed]
                    .into_iter()
                    .find(|m| m.key() == v)
            },
        )
        .unwrap_or(ClusterSecurityMode::NonSecure);
        let system_default = strict(
            &mut unknown,
            "enterprise parameter Device Security Mode",
            parameter(db, DEVICE_SECURITY_MODE).await?,
            SecurityMode::parse,
        )
        .unwrap_or(SecurityMode::NonSecure);
        let signature_hash = strict(
            &mut unknown,
            "enterprise parameter TFTP File Signature Algorithm",
            parameter(db, TFTP_SIGNATURE_ALGORITHM).await?,
            |v| match v {
                "SHA-1" => Some(HashAlgorithm::Sha1),
                "SHA-512" => Some(HashAlgorithm::Sha512),
                _ => None,
            },
        )
        .unwrap_or(HashAlgorithm::Sha1);
        let capf_port = parameter(db, CAPF_PHONE_PORT)
            .await?
            .and_then(|v| v.parse().ok())
            .map_or(3804, |v| port(v, 3804));
        let servers = server_facts(db).await?;
        let mut by_server = topology::pools_by_primary_server(db).await?;
        let mut server_pools: Vec<(i32, String, Vec<i32>)> = servers
            .iter()
            .map(|s| {
                let pools = by_server.remove(&s.id).unwrap_or_default();
                (s.id, s.entry.name.clone(), pools)
            })
            .collect();
        server_pools.sort_by_key(|(id, _, _)| *id);
        Ok(Self {
            server_pools: server_pools
                .into_iter()
                .map(|(_, name, pools)| (name, pools))
                .collect(),
            servers,
            groups: group_facts(db).await?,
            models: cluster::model_rows(db).await?,
            pools: cluster::pool_rows(db).await?,
            srst: srst_facts(db).await?,
            cluster_mode,
            system_default,
            bridge_default_on: service_settings::built_in_bridge_enable(db).await?,
            signature_hash,
            capf_port,
            unknown,
        })
    }
}

/// A stored value read strictly: `None` when none is stored; when it is not a known value, its
/// error is added to `unknown` and it reads as `None` too.
fn strict<T>(
    unknown: &mut Vec<UnknownValue>,
    what: &str,
    value: Option<String>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    match known(what, &value?, parse) {
        Ok(v) => Some(v),
        Err(e) => {
            unknown.push(e);
            None
        }
    }
}

/// A stored port: its default when it is not a port (zero, negative or too large).
pub fn port(v: i64, default: u16) -> u16 {
    u16::try_from(v).ok().filter(|p| *p > 0).unwrap_or(default)
}

async fn parameter(db: &DatabaseConnection, name: &str) -> Result<Option<String>, AppError> {
    Ok(parameters::find(db, name).await?.map(|p| p.value))
}

/// Every server with its SIP ports, by name.
async fn server_facts(db: &DatabaseConnection) -> Result<Vec<ServerFacts>, AppError> {
    let sip = service_settings::parameter_everywhere(db, Service::CallManager, "SipPort").await?;
    let sip_tls =
        service_settings::parameter_everywhere(db, Service::CallManager, "SipTlsPort").await?;
    let of = |rows: &[service_parameters::Model], server: i32, default: u16| {
        rows.iter()
            .find(|r| r.server_id == server)
            .and_then(|r| r.value.parse::<i64>().ok())
            .map_or(default, |v| port(v, default))
    };
    Ok(servers::all(db)
        .await?
        .into_iter()
        .map(|s| ServerFacts {
            id: s.id,
            is_publisher: s.role == "publisher",
            entry: CallManagerEntry {
                sip_port: of(&sip, s.id, 5060),
                secured_sip_port: of(&sip_tls, s.id, 5061),
                ethernet_phone_port: port(s.ethernet_phone_port.into(), 2000),
                mgcp_listen: port(s.mgcp_listen_port.into(), 2427),
                mgcp_keep_alive: port(s.mgcp_keep_alive_port.into(), 2428),
                name: s.name,
                address: s.address,
            },
        })
        .collect())
}

/// Every group with its members in priority order, by name.
async fn group_facts(db: &DatabaseConnection) -> Result<Vec<GroupFacts>, AppError> {
    let mut members: HashMap<i32, Vec<i32>> = HashMap::new();
    for (group, server) in files::group_members(db).await? {
        members.entry(group).or_default().push(server);
    }
    Ok(topology::groups(db)
        .await?
        .into_iter()
        .map(|g| GroupFacts {
            members: members.remove(&g.id).unwrap_or_default(),
            id: g.id,
            name: g.name,
        })
        .collect())
}

/// Every SRST reference with its stored certificate, by name.
async fn srst_facts(db: &DatabaseConnection) -> Result<Vec<SrstFacts>, AppError> {
    Ok(srst::all(db)
        .await?
        .into_iter()
        .map(|(r, certificate)| {
            let certificate = certificate.and_then(|c| Some((c.der?, c.not_before, c.not_after)));
            SrstFacts {
                validity: certificate.as_ref().map(|(_, from, until)| (*from, *until)),
                certificate: certificate.map(|(der, _, _)| der),
                address: (r.ip_address, port(r.port.into(), 2000)),
                sip_address: r.sip_address.map(|a| (a, port(r.sip_port.into(), 5060))),
                id: r.id,
                name: r.name,
                is_secure: r.is_secure,
            }
        })
        .collect())
}

/// The node's copy of the reference data. Each drop starts a new generation: a read begun
/// before a drop never installs its (older) copy after it.
#[derive(Debug, Default)]
pub struct ReferenceCache(Mutex<Slot>);

#[derive(Debug, Default)]
struct Slot {
    generation: u64,
    copy: Option<(Instant, Arc<Reference>)>,
}

impl ReferenceCache {
    /// The current copy, read from the store when there is none or it is older than [`TTL`].
    pub async fn get(&self, db: &DatabaseConnection) -> Result<Arc<Reference>, AppError> {
        let generation = {
            let slot = self.lock();
            if let Some((at, copy)) = slot.copy.as_ref() {
                if at.elapsed() < TTL {
                    return Ok(copy.clone());
                }
            }
            slot.generation
        };
        let started = Instant::now();
        let fresh = Arc::new(Reference::read(db).await?);
        let mut slot = self.lock();
        if slot.generation == generation {
            slot.copy = Some((started, fresh.clone()));
        }
        Ok(fresh)
    }

    /// A copy read after this call began: what the store holds now (for the TFTP files, which
    /// must follow a change made on any node at once).
    pub async fn fresh(&self, db: &DatabaseConnection) -> Result<Arc<Reference>, AppError> {
        self.invalidate();
        self.get(db).await
    }

    /// Drops the copy; the next reader reads the store.
    pub fn invalidate(&self) {
        let mut slot = self.lock();
        slot.generation += 1;
        slot.copy = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
