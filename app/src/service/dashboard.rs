//! The security dashboard: one grouped count of the devices by the facts the rules read, then the
//! rules applied per group (`domain::dashboard`), so it costs the same whatever the phone count.

use super::authz::{area, Grant, Reads};
use super::parameters::tftp_sharing;
use super::AppState;
use crate::domain::dashboard::{summarize, ClusterFacts, Dashboard, DeviceGroup};
use crate::domain::security::{BuiltInBridge, ConfiguredMode};
use crate::domain::tftp_share::{r3_warnings, TftpCluster};
use crate::error::AppError;
use crate::store::actions;
use crate::store::{cluster, phones};

/// The dashboard's figures now.
pub async fn dashboard(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Dashboard, AppError> {
    let reference = state.reference.get(&state.db).await?;
    let now = state.clock.now();
    let counts = phones::fact_counts(&state.db).await?;
    let groups: Vec<DeviceGroup> = counts
        .into_iter()
        .filter_map(|(mode, model_id, bridge, pool_id, n)| {
            let model = reference.models.iter().find(|m| m.id == model_id)?;
            Some(DeviceGroup {
                configured: ConfiguredMode::parse(&mode)
                    .unwrap_or(ConfiguredMode::UseSystemDefault),
                caps: cluster::capabilities(model),
                bridge: BuiltInBridge::parse(&bridge).unwrap_or(BuiltInBridge::Default),
                srst: reference.srst_of_pool(pool_id).map(|r| r.status(now)),
                count: u64::try_from(n).unwrap_or(0),
            })
        })
        .collect();
    let references: Vec<_> = reference.srst.iter().map(|r| r.status(now)).collect();
    let (this, others) = tftp_sharing(&state.db).await?;
    let peers: Vec<TftpCluster> = others.into_iter().map(|o| o.cluster).collect();
    let facts = ClusterFacts {
        cluster: reference.cluster_mode,
        system_default: reference.system_default,
        bridge_default_on: reference.bridge_default_on,
    };
    let pending = actions::pending_count(&state.db).await?;
    let mut dashboard = summarize(
        &facts,
        &groups,
        &references,
        r3_warnings(&this, &peers).len(),
        pending,
    );
    dashboard.backup_failure =
        crate::store::backup_schedule::last_failure(&state.db, state.clock.now()).await?;
    let counts = phones::lsc_counts(&state.db, now).await?;
    dashboard.lsc = crate::domain::capf::LscFilter::ALL
        .into_iter()
        .map(|f| {
            let n = counts.iter().find(|(c, _)| *c == f).map_or(0, |(_, n)| *n);
            (f, n)
        })
        .collect();
    Ok(dashboard)
}
