//! Reference data that changes rarely and that almost every request reads — phone models, device
//! pools, SRST references, the cluster's security mode and the parameters the rules use — read
//! from the store at most once per [`TTL`] on each node. A change made through this node drops
//! the copy at once; a change made on another node is seen within [`TTL`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};

use super::state::internal;
use crate::domain::access::OverlapPolicy;
use crate::domain::security::{ClusterSecurityMode, SecurityMode};
use crate::domain::srst::SrstStatus;
use crate::error::AppError;
use crate::store::entities::{
    device_pools, phone_models, servers, srst_certificates, srst_references,
};
use crate::store::{cluster, parameters, service_settings};

/// How long a copy serves.
pub const TTL: Duration = Duration::from_secs(2);

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
    pub validity: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl SrstFacts {
    /// What R9 reads, judged at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> SrstStatus {
        SrstStatus {
            name: self.name.clone(),
            is_secure: self.is_secure,
            certificate_valid: self
                .validity
                .is_some_and(|(from, until)| from <= now && now <= until),
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
    /// The enterprise parameter Effective Access Privileges For Overlapping User Groups.
    pub overlap_policy: OverlapPolicy,
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
        let certificates = srst_certificates::Entity::find()
            .all(db)
            .await
            .map_err(internal)?;
        let srst = srst_references::Entity::find()
            .all(db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|r| SrstFacts {
                validity: certificates
                    .iter()
                    .find(|c| c.srst_reference_id == r.id && c.der.is_some())
                    .and_then(|c| Some((c.not_before?, c.not_after?))),
                id: r.id,
                name: r.name,
                is_secure: r.is_secure,
            })
            .collect();
        let mut by_server = super::servers::pools_by_primary_server(db).await?;
        let server_pools = servers::Entity::find()
            .all(db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|s| (s.name, by_server.remove(&s.id).unwrap_or_default()))
            .collect();
        let fresh = Arc::new(Reference {
            server_pools,
            models: cluster::model_rows(db).await.map_err(internal)?,
            pools: cluster::pool_rows(db).await.map_err(internal)?,
            srst,
            cluster_mode: cluster::security_mode(db).await.map_err(internal)?,
            system_default: parameters::device_security_mode(db)
                .await
                .map_err(internal)?,
            bridge_default_on: service_settings::built_in_bridge_enable(db)
                .await
                .map_err(internal)?,
            overlap_policy: parameters::overlap_policy(db).await.map_err(internal)?,
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
