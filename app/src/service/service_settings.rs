//! Service > Service Parameters (functional group Service) and Serviceability > Service
//! Activation (functional group Serviceability): per server, the parameters of each service and
//! which services are activated. A missing row means the default.

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::parameters::ParameterChange;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::parameters::{
    of_service, r5_on_service_update, service_change_requires, service_parameter, ParameterValue,
    ServiceParameterDef,
};
use crate::domain::services::{ServerRole, Service};
use crate::error::AppError;
use crate::model::system::{
    ParameterSaved, ServiceActivation, ServiceParameterValue, ServiceParameters,
};
use crate::store::entities::{servers, service_activations, service_parameters};
use crate::store::service_settings as store;
use crate::store::{actions, servers as server_rows};

fn service(key: &str) -> Result<Service, AppError> {
    Service::parse(key).ok_or_else(|| AppError::NotFound(format!("Service {key}")))
}

fn value_of(
    p: &ServiceParameterDef,
    row: Option<&service_parameters::Model>,
) -> ServiceParameterValue {
    ServiceParameterValue {
        parameter: ParameterValue {
            name: p.def.name.to_owned(),
            label: p.def.label.to_owned(),
            section: p.def.section.to_owned(),
            value: row.map_or(p.def.default, |r| r.value.as_str()).to_owned(),
            default: p.def.default.to_owned(),
            version: row.map_or(0, |r| r.version),
        },
        cluster_wide: p.cluster_wide,
    }
}

async fn values<C: ConnectionTrait>(
    db: &C,
    row: &servers::Model,
    service: Service,
) -> Result<ServiceParameters, AppError> {
    let stored = store::parameters_of(db, row.id, service).await?;
    Ok(ServiceParameters {
        server: row.name.clone(),
        service,
        parameters: of_service(service)
            .map(|p| value_of(p, stored.iter().find(|s| s.name == p.def.name)))
            .collect(),
    })
}

/// The parameters of `service_key` on `server_name`.
pub async fn parameters(
    state: &AppState,
    _grant: &Grant<area::Service, Reads>,
    server_name: &str,
    service_key: &str,
) -> Result<ServiceParameters, AppError> {
    let service = service(service_key)?;
    let row = super::servers::find(&state.db, server_name).await?;
    values(&state.db, &row, service).await
}

/// Sets one parameter; a cluster-wide one is set on every server. Updating Built In Bridge
/// Enable shows the R5 message; ports and CAPF parameters record their restarts (R10).
pub async fn set_parameter(
    state: &AppState,
    grant: &Grant<area::Service, Writes>,
    server_name: &str,
    service_key: &str,
    name: &str,
    change: ParameterChange,
) -> Result<ParameterSaved, AppError> {
    let version = change.version;
    set_parameters(
        state,
        grant,
        server_name,
        service_key,
        vec![(name.to_owned(), change.value, version)],
    )
    .await
}

/// Sets several parameters of one service on one server in one transaction (the page's Update):
/// each `(name, value, version read)`.
pub async fn set_parameters(
    state: &AppState,
    grant: &Grant<area::Service, Writes>,
    server_name: &str,
    service_key: &str,
    changes: Vec<(String, String, Option<i32>)>,
) -> Result<ParameterSaved, AppError> {
    let service = service(service_key)?;
    let mut checked = Vec::new();
    for (name, value, version) in changes {
        let def = service_parameter(service, &name).ok_or_else(|| {
            AppError::NotFound(format!("Parameter {name} of {}", service.label()))
        })?;
        let value = def
            .def
            .check(&value)
            .map_err(|reason| AppError::invalid(def.def.label, reason))?;
        checked.push((def, value, version));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let chosen = super::servers::find(&txn, server_name).await?;
    let mut warnings = Vec::new();
    let mut required_actions = Vec::new();
    for (def, value, version) in checked {
        let (warning, required) =
            apply_one(&txn, grant, &chosen, service, def, value, version, now).await?;
        warnings.extend(warning);
        required_actions.extend(required);
    }
    let shown = values(&txn, &chosen, service).await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(ParameterSaved {
        parameters: shown.parameters.into_iter().map(|p| p.parameter).collect(),
        warnings,
        required_actions,
    })
}

/// Writes one checked parameter in `txn`; returns its R5 message and its required actions.
#[allow(clippy::too_many_arguments)]
async fn apply_one<C: ConnectionTrait>(
    txn: &C,
    grant: &Grant<area::Service, Writes>,
    chosen: &servers::Model,
    service: Service,
    def: &ServiceParameterDef,
    value: String,
    version: Option<i32>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Option<String>, Vec<String>), AppError> {
    let server_name = chosen.name.as_str();
    let name = def.def.name;
    let current = store::parameters_of(txn, chosen.id, service)
        .await?
        .into_iter()
        .find(|r| r.name == name);
    let what = format!("{server_name}/{}/{name}", service.key());
    if version.is_some_and(|v| v != current.as_ref().map_or(0, |r| r.version)) {
        return Err(audit::conflict(txn, object::SERVICE_PARAMETER, &what).await);
    }
    let before = current
        .as_ref()
        .map_or(def.def.default, |r| r.value.as_str())
        .to_owned();
    let targets = if def.cluster_wide {
        server_rows::all_by_id(txn).await?
    } else {
        vec![chosen.clone()]
    };
    let actor = grant.actor.name.clone().unwrap_or_default();
    for target in &targets {
        let existing = store::parameters_of(txn, target.id, service)
            .await?
            .into_iter()
            .find(|r| r.name == name);
        let saved = match existing {
            Some(row) => {
                // The chosen server's row must still be the one the admin read.
                let read = match &current {
                    Some(current) if target.id == chosen.id => current.version,
                    _ => row.version,
                };
                store::update_parameter(txn, row, &value, now, &actor, read).await?
            }
            None => {
                store::insert_parameter(txn, target.id, service, name, &value, now, &actor).await?
            }
        };
        if !saved {
            return Err(audit::conflict(txn, object::SERVICE_PARAMETER, &what).await);
        }
    }
    let scope = if def.cluster_wide {
        "every server".to_owned()
    } else {
        server_name.to_owned()
    };
    let audit_id = audit::record(
        txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SERVICE_PARAMETER,
            object_name: &what,
            before: Some(json!({ "value": before })),
            after: Some(json!({ "value": value })),
            detail: format!(
                "{} of {} set to {} on {scope}",
                def.def.label,
                service.label(),
                def.def.label_of(&value)
            ),
        },
    )
    .await?;
    let required = if before == value {
        Vec::new()
    } else {
        actions::record(
            txn,
            now,
            &service_change_requires(server_name, service, name),
            &format!(
                "Service parameter {} of {} changed",
                def.def.label,
                service.label()
            ),
            audit_id,
        )
        .await?
    };
    Ok((
        r5_on_service_update(service, name).map(str::to_owned),
        required,
    ))
}

/// Every service of every server, activated or not, by server name.
pub async fn activations(
    state: &AppState,
    _grant: &Grant<area::Serviceability, Reads>,
) -> Result<Vec<ServiceActivation>, AppError> {
    let rows = store::activations(&state.db).await?;
    let servers = server_rows::all(&state.db).await?;
    Ok(servers
        .iter()
        .flat_map(|s| {
            let rows = &rows;
            Service::ALL
                .into_iter()
                .map(move |service| activation_of(s, service, rows))
        })
        .collect())
}

/// The activation of `service` on server `s`, given the stored rows (a missing row: the
/// service's default).
pub(crate) fn activation_of(
    s: &servers::Model,
    service: Service,
    rows: &[service_activations::Model],
) -> ServiceActivation {
    let role = ServerRole::parse(&s.role).unwrap_or(ServerRole::Subscriber);
    let unavailable = service.refuse_activation(role);
    let row = rows
        .iter()
        .find(|r| r.server_id == s.id && r.service == service.key());
    ServiceActivation {
        server: s.name.clone(),
        service,
        activated: unavailable.is_none()
            && row.map_or(service.activated_by_default(), |r| r.activated),
        unavailable,
        version: row.map_or(0, |r| r.version),
    }
}

/// Activates or deactivates `service_key` on `server_name` (`version`: the one read).
pub async fn set_activation(
    state: &AppState,
    grant: &Grant<area::Serviceability, Writes>,
    server_name: &str,
    service_key: &str,
    activated: bool,
    version: Option<i32>,
) -> Result<ServiceActivation, AppError> {
    let service = service(service_key)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let s = super::servers::find(&txn, server_name).await?;
    let rows = store::activations(&txn).await?;
    let before = activation_of(&s, service, &rows);
    if let (true, Some(reason)) = (activated, &before.unavailable) {
        return Err(AppError::invalid(service.label(), reason.clone()));
    }
    if version.is_some_and(|v| v != before.version) {
        let what = format!("{server_name}/{}", service.key());
        return Err(audit::conflict(&txn, object::SERVICE_ACTIVATION, &what).await);
    }
    let actor = grant.actor.name.clone().unwrap_or_default();
    let existing = rows
        .into_iter()
        .find(|r| r.server_id == s.id && r.service == service.key());
    let saved = match existing {
        Some(row) => store::update_activation(&txn, row, activated, now, &actor).await?,
        None => store::insert_activation(&txn, s.id, service, activated, now, &actor).await?,
    };
    if !saved {
        let what = format!("{server_name}/{}", service.key());
        return Err(audit::conflict(&txn, object::SERVICE_ACTIVATION, &what).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SERVICE_ACTIVATION,
            object_name: &format!("{server_name}/{}", service.key()),
            before: Some(json!({ "activated": before.activated })),
            after: Some(json!({ "activated": activated })),
            detail: format!(
                "{} {} on {server_name}",
                service.label(),
                if activated {
                    "activated"
                } else {
                    "deactivated"
                }
            ),
        },
    )
    .await?;
    let rows = store::activations(&txn).await?;
    let after = activation_of(&s, service, &rows);
    txn.commit().await?;
    // This node's supervisor starts or stops the work behind an activated service.
    state.services_changed.notify_one();
    Ok(after)
}
