//! Reference data that changes rarely and that almost every request reads — phone models, device
//! pools, SRST references, the cluster's security mode and the parameters the rules use — read
//! from the store at most once per [`TTL`] on each node. A change made through this node drops
//! the copy at once; a change made on another node is seen within [`TTL`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::security::{ClusterSecurityMode, SecurityMode};
use crate::domain::srst::SrstStatus;
use crate::error::AppError;
use crate::store::entities::{device_pools, phone_models};
use crate::store::{cluster, parameters, service_settings};

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

/// One consistent copy of the reference data.
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
}

/// The node's copy of the reference data.
#[derive(Debug, Default)]
pub struct ReferenceCache(Mutex<Option<(Instant, Arc<Reference>)>>);

impl ReferenceCache {
    /// The current copy, read from the store when there is none or it is older than [`TTL`].
    pub async fn get(&self, db: &DatabaseConnection) -> Result<Arc<Reference>, AppError> {
        if let Some((at, copy)) = self.lock().as_ref() {
            if at.elapsed() < TTL {
                return Ok(copy.clone());
            }
        }
        let srst = crate::store::srst::all(db)
            .await?
            .into_iter()
            .map(|(r, certificate)| SrstFacts {
                validity: certificate
                    .filter(|c| c.der.is_some())
                    .map(|c| (c.not_before, c.not_after)),
                id: r.id,
                name: r.name,
                is_secure: r.is_secure,
            })
            .collect();
        let mut by_server = crate::store::topology::pools_by_primary_server(db).await?;
        let server_pools = crate::store::servers::all_by_id(db)
            .await?
            .into_iter()
            .map(|s| (s.name, by_server.remove(&s.id).unwrap_or_default()))
            .collect();
        let fresh = Arc::new(Reference {
            server_pools,
            models: cluster::model_rows(db).await?,
            pools: cluster::pool_rows(db).await?,
            srst,
            cluster_mode: cluster::security_mode(db).await?,
            system_default: parameters::device_security_mode(db).await?,
            bridge_default_on: service_settings::built_in_bridge_enable(db).await?,
        });
        *self.lock() = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Drops the copy; the next reader reads the store.
    pub fn invalidate(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<Reference>)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
