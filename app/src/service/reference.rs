//! Reference data that changes rarely and that almost every request reads — phone models, device
//! pools, the cluster's security mode and the enterprise parameters the rules use — read from the
//! store at most once per [`TTL`] on each node. A change made through this node drops the copy at
//! once; a change made on another node is seen within [`TTL`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use super::state::internal;
use crate::domain::access::OverlapPolicy;
use crate::domain::security::{ClusterSecurityMode, SecurityMode};
use crate::error::AppError;
use crate::store::entities::{device_pools, phone_models};
use crate::store::{cluster, parameters};

/// How long a copy serves.
pub const TTL: Duration = Duration::from_secs(2);

/// One consistent copy of the reference data.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Every phone model, by name.
    pub models: Vec<phone_models::Model>,
    /// Every device pool, by name.
    pub pools: Vec<device_pools::Model>,
    /// The cluster's security mode.
    pub cluster_mode: ClusterSecurityMode,
    /// The enterprise parameter Device Security Mode.
    pub system_default: SecurityMode,
    /// The enterprise parameter Effective Access Privileges For Overlapping User Groups.
    pub overlap_policy: OverlapPolicy,
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
        let fresh = Arc::new(Reference {
            models: cluster::model_rows(db).await.map_err(internal)?,
            pools: cluster::pool_rows(db).await.map_err(internal)?,
            cluster_mode: cluster::security_mode(db).await.map_err(internal)?,
            system_default: parameters::device_security_mode(db)
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
