//! System > Enterprise Parameters: reading and setting the parameters of
//! `domain::parameters::ENTERPRISE` (typed, with ranges, "Set to Default" per parameter and for
//! the page, the R5 message, R10's required actions), and the list of the other clusters that share
//! the TFTP servers (R3).

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Privileges, Reads, Writes};
use super::errors::internal;
use super::{guard, AppState};
use crate::domain::access::OVERLAP_POLICY_PARAMETER;
use crate::domain::audit::{object, AuditAction};
use crate::domain::parameters::{
    enterprise, enterprise_change_requires, r5_on_enterprise_update, ParameterDef, ParameterValue,
    ALTERNATE_TFTP_PATH, ENTERPRISE, TFTP_PATH,
};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::tftp_share::{r3_warnings, validate_tftp_cluster, TftpCluster};
use crate::error::AppError;
use crate::model::system::{EnterpriseParameters, ParameterSaved, TftpClusterInfo};
use crate::store::entities::{cluster, enterprise_parameters};
use crate::store::{actions, locks, parameters, servers};

/// A change of one parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterChange {
    /// The new value.
    pub value: String,
    /// The version read; a stale one is refused.
    #[serde(default)]
    pub version: Option<i32>,
}

/// The name of the read-only enterprise parameter Cluster Security Mode.
pub const CLUSTER_SECURITY_MODE: &str = "ClusterSecurityMode";

fn value_of(def: &ParameterDef, row: Option<&enterprise_parameters::Model>) -> ParameterValue {
    ParameterValue {
        name: def.name.to_owned(),
        label: def.label.to_owned(),
        section: def.section.to_owned(),
        value: row.map_or(def.default, |r| r.value.as_str()).to_owned(),
        default: def.default.to_owned(),
        version: row.map_or(0, |r| r.version),
    }
}

async fn values<C: ConnectionTrait>(db: &C) -> Result<Vec<ParameterValue>, AppError> {
    let rows = parameters::all(db).await?;
    Ok(ENTERPRISE
        .iter()
        .map(|def| value_of(def, rows.iter().find(|r| r.name == def.name)))
        .collect())
}

/// Every enterprise parameter with its value and default.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<ParameterValue>, AppError> {
    values(&state.db).await
}

async fn cluster_row<C: ConnectionTrait>(db: &C) -> Result<cluster::Model, AppError> {
    crate::store::cluster::row(db)
        .await?
        .ok_or_else(|| internal("the cluster row is missing"))
}

async fn tftp_rows<C: ConnectionTrait>(db: &C) -> Result<Vec<TftpClusterInfo>, AppError> {
    Ok(parameters::tftp_clusters(db)
        .await?
        .into_iter()
        .map(|r| TftpClusterInfo {
            cluster: TftpCluster {
                name: r.name,
                tftp_path: r.tftp_path,
                alternate_tftp_path: r.alternate_tftp_path,
                security_mode: ClusterSecurityMode::from_key(&r.security_mode),
            },
            version: r.version,
        })
        .collect())
}

/// This cluster as R3 compares it, and the others that share its TFTP servers.
pub async fn tftp_sharing<C: ConnectionTrait>(
    db: &C,
) -> Result<(TftpCluster, Vec<TftpClusterInfo>), AppError> {
    let cluster = cluster_row(db).await?;
    let values = values(db).await?;
    let value = |name: &str| {
        values
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.clone())
            .unwrap_or_default()
    };
    let this = TftpCluster {
        name: cluster.name,
        tftp_path: value(TFTP_PATH),
        alternate_tftp_path: value(ALTERNATE_TFTP_PATH),
        security_mode: ClusterSecurityMode::from_key(&cluster.security_mode),
    };
    Ok((this, tftp_rows(db).await?))
}

/// Everything the Enterprise Parameters page shows.
pub async fn page(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<EnterpriseParameters, AppError> {
    let (this, others) = tftp_sharing(&state.db).await?;
    let peers: Vec<TftpCluster> = others.iter().map(|o| o.cluster.clone()).collect();
    let auto_registration_on = servers::all(&state.db)
        .await?
        .into_iter()
        .filter(|s| s.auto_registration)
        .map(|s| s.name)
        .collect();
    Ok(EnterpriseParameters {
        r3_warnings: r3_warnings(&this, &peers),
        cluster_mode: this.security_mode,
        cluster_name: this.name,
        auto_registration_on,
        parameters: values(&state.db).await?,
        tftp_clusters: others,
    })
}

fn definition(name: &str) -> Result<&'static ParameterDef, AppError> {
    if name == CLUSTER_SECURITY_MODE {
        return Err(AppError::invalid(
            "Cluster Security Mode",
            "is read-only here: it is changed by the CTL operation (Security > CTL)",
        ));
    }
    enterprise(name).ok_or_else(|| AppError::NotFound(format!("Enterprise parameter {name}")))
}

/// Sets one parameter.
pub async fn set(
    state: &AppState,
    privileges: &Privileges,
    name: &str,
    change: ParameterChange,
) -> Result<ParameterSaved, AppError> {
    let def = definition(name)?;
    let value = def
        .check(&change.value)
        .map_err(|reason| AppError::invalid(def.label, reason))?;
    apply(state, privileges, vec![(def, value, change.version)]).await
}

/// Sets several parameters in one transaction (the page's Update): each `(name, value, version)`.
pub async fn set_many(
    state: &AppState,
    privileges: &Privileges,
    changes: Vec<(String, String, i32)>,
) -> Result<ParameterSaved, AppError> {
    let mut checked = Vec::new();
    for (name, value, version) in changes {
        let def = definition(&name)?;
        let value = def
            .check(&value)
            .map_err(|reason| AppError::invalid(def.label, reason))?;
        checked.push((def, value, Some(version)));
    }
    apply(state, privileges, checked).await
}

/// "Set to Default": one parameter, or every parameter of the page (`None`).
pub async fn set_to_default(
    state: &AppState,
    privileges: &Privileges,
    name: Option<&str>,
) -> Result<ParameterSaved, AppError> {
    let defs: Vec<&'static ParameterDef> = match name {
        Some(name) => vec![definition(name)?],
        None => ENTERPRISE.iter().collect(),
    };
    apply(
        state,
        privileges,
        defs.into_iter()
            .map(|d| (d, d.default.to_owned(), None))
            .collect(),
    )
    .await
}

/// Writes `changes` in one transaction: each with its audit row, its R5 message and its R10
/// actions; a parameter whose value does not change writes nothing. Every change needs Full
/// Access to System; the overlapping-groups policy, which changes everyone's effective levels,
/// also needs Full Access to UserPrivilegeManagement.
async fn apply(
    state: &AppState,
    privileges: &Privileges,
    changes: Vec<(&'static ParameterDef, String, Option<i32>)>,
) -> Result<ParameterSaved, AppError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // First, so that every change to who holds what is serialised in one order.
    locks::access_rights(&txn).await?;
    let mut warnings = Vec::new();
    let mut required_actions = Vec::new();
    for (def, value, version) in changes {
        let row = parameters::find(&txn, def.name).await?;
        if version.is_some_and(|v| v != row.as_ref().map_or(0, |r| r.version)) {
            return Err(audit::conflict(&txn, object::ENTERPRISE_PARAMETER, def.name).await);
        }
        let before = row
            .as_ref()
            .map_or(def.default, |r| r.value.as_str())
            .to_owned();
        if before == value {
            continue;
        }
        if def.name == OVERLAP_POLICY_PARAMETER {
            privileges
                .grant::<area::UserPrivilegeManagement, Writes>()
                .map_err(|_| {
                    AppError::Denied(format!(
                        "{}: changes every user's effective access, so it needs Full Access to \
                         UserPrivilegeManagement",
                        def.label
                    ))
                })?;
        }
        let saved = match row {
            Some(row) => parameters::update(&txn, row, &value, now).await?,
            None => parameters::insert(&txn, def.name, &value, now).await?,
        };
        if !saved {
            return Err(audit::conflict(&txn, object::ENTERPRISE_PARAMETER, def.name).await);
        }
        guard::super_user_keeps_control(&txn, def.name).await?;
        let audit_id = audit::record(
            &txn,
            now,
            &grant.actor,
            Event {
                action: AuditAction::Update,
                object_type: object::ENTERPRISE_PARAMETER,
                object_name: def.name,
                before: Some(json!({ "value": before })),
                after: Some(json!({ "value": value })),
                detail: format!("{} set to {}", def.label, def.label_of(&value)),
            },
        )
        .await?;
        warnings.extend(r5_on_enterprise_update(def.name).map(str::to_owned));
        required_actions.extend(
            actions::record(
                &txn,
                now,
                &enterprise_change_requires(def.name),
                &format!("Enterprise parameter {} changed", def.label),
                audit_id,
            )
            .await?,
        );
    }
    let parameters = values(&txn).await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(ParameterSaved {
        parameters,
        warnings,
        required_actions,
    })
}

/// Adds (`original` empty) or updates another cluster sharing the TFTP servers; answers with the
/// R3 warnings that now hold.
pub async fn save_tftp_cluster(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    original: Option<&str>,
    cluster: TftpCluster,
    version: Option<i32>,
) -> Result<Vec<String>, AppError> {
    validate_tftp_cluster(&cluster)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (this, others) = tftp_sharing(&txn).await?;
    if cluster.name == this.name {
        return Err(AppError::invalid(
            "Cluster Name",
            format!("{} is this cluster", this.name),
        ));
    }
    let existing = |name: &str| others.iter().find(|o| o.cluster.name == name).cloned();
    if original != Some(cluster.name.as_str()) && existing(&cluster.name).is_some() {
        return Err(AppError::invalid(
            "Cluster Name",
            format!("{} already exists", cluster.name),
        ));
    }
    let before = match original {
        Some(name) => {
            let row =
                existing(name).ok_or_else(|| AppError::NotFound(format!("Cluster {name}")))?;
            if version.is_some_and(|v| v != row.version) {
                return Err(audit::conflict(&txn, object::TFTP_CLUSTER, name).await);
            }
            Some(row)
        }
        None => None,
    };
    let row = match original {
        Some(name) => parameters::tftp_cluster(&txn, name).await?,
        None => None,
    };
    let saved = match row {
        Some(r) => {
            let read = version.unwrap_or(r.version);
            parameters::update_tftp_cluster(&txn, r, &cluster, read).await?
        }
        None => parameters::insert_tftp_cluster(&txn, &cluster).await?,
    };
    if !saved {
        return Err(audit::conflict(&txn, object::TFTP_CLUSTER, &cluster.name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: if before.is_some() {
                AuditAction::Update
            } else {
                AuditAction::Create
            },
            object_type: object::TFTP_CLUSTER,
            object_name: &cluster.name,
            before: before.map(|b| json!(b.cluster)),
            after: Some(json!(cluster)),
            detail: format!("Cluster {} sharing the TFTP servers saved", cluster.name),
        },
    )
    .await?;
    let (this, others) = tftp_sharing(&txn).await?;
    txn.commit().await?;
    let peers: Vec<TftpCluster> = others.into_iter().map(|o| o.cluster).collect();
    Ok(r3_warnings(&this, &peers))
}

/// Removes another cluster from the TFTP sharing list.
pub async fn delete_tftp_cluster(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let row = parameters::tftp_cluster(&txn, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Cluster {name}")))?;
    if version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&txn, object::TFTP_CLUSTER, name).await);
    }
    parameters::delete_tftp_cluster(&txn, row.id).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::TFTP_CLUSTER,
            object_name: name,
            before: Some(json!({ "tftp_path": row.tftp_path })),
            after: None,
            detail: format!("Cluster {name} removed from the TFTP sharing list"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}
