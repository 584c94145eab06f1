//! Control Center (Serviceability): the run state of every service of every server, with Start,
//! Stop and Restart. This node runs the services of one server (`CCMADMIN_SERVER`, default the
//! publisher): its supervisor turns the stored state into real work (the TFTP listener and file
//! pipeline, the CTL Provider's TLS port, registrations and resets) and records when it is done.
//! For the other servers the state is kept in the store for the node that runs them.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Internal, Reads, Writes};
use super::service_settings::activation_of;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::services::{ServerRole, Service, ServiceOp, ServiceState};
use crate::error::AppError;
use crate::model::jobs::ServiceStatus;
use crate::store::actions;
use crate::store::entities::{servers, service_activations};
use crate::store::service_settings as store;

/// The server whose services this node runs: the configured one, else the publisher.
pub async fn this_server<C: ConnectionTrait>(
    db: &C,
    node: Option<&str>,
) -> Result<Option<servers::Model>, AppError> {
    let all = crate::store::servers::all_by_id(db).await?;
    Ok(pick(&all, node).cloned())
}

/// The server of `all` that node `node` runs (`None`: the publisher).
fn pick<'a>(all: &'a [servers::Model], node: Option<&str>) -> Option<&'a servers::Model> {
    match node {
        Some(name) => all.iter().find(|s| s.name == name),
        None => all
            .iter()
            .find(|s| ServerRole::parse(&s.role) == Some(ServerRole::Publisher)),
    }
}

/// The run state of `service` on server `s`, given the stored rows (Control Center and the
/// CTL operation's R18 gate read it alike).
pub(crate) fn state_of(
    s: &servers::Model,
    service: Service,
    rows: &[service_activations::Model],
) -> ServiceState {
    let stored = rows
        .iter()
        .find(|r| r.server_id == s.id && r.service == service.key())
        .map(|r| r.state);
    ServiceState::of(activation_of(s, service, rows).activated, stored)
}

fn status_of(
    s: &servers::Model,
    service: Service,
    rows: &[service_activations::Model],
    here: Option<i32>,
) -> ServiceStatus {
    let activation = activation_of(s, service, rows);
    let row = rows
        .iter()
        .find(|r| r.server_id == s.id && r.service == service.key());
    ServiceStatus {
        server: s.name.clone(),
        this_node: here == Some(s.id),
        service,
        state: state_of(s, service, rows),
        detail: row.map(|r| r.detail.clone()).unwrap_or_default(),
        restarted_at: row.and_then(|r| r.restarted_at),
        version: activation.version,
    }
}

async fn statuses<C: ConnectionTrait>(
    db: &C,
    node: Option<&str>,
) -> Result<Vec<ServiceStatus>, AppError> {
    let rows = store::activations(db).await?;
    let servers = crate::store::servers::all(db).await?;
    let here = pick(&servers, node).map(|s| s.id);
    Ok(servers
        .iter()
        .flat_map(|s| {
            let rows = &rows;
            Service::ALL
                .into_iter()
                .map(move |service| status_of(s, service, rows, here))
        })
        .collect())
}

/// Control Center: every service with its state, and whether the user may operate them.
pub async fn page(
    state: &AppState,
    grant: &Grant<area::ServiceManagement, Reads>,
    privileges: &super::authz::Privileges,
) -> Result<crate::model::jobs::ControlCenter, AppError> {
    Ok(crate::model::jobs::ControlCenter {
        services: list(state, grant).await?,
        can_control: privileges
            .may_write(crate::domain::access::FunctionalGroup::ServiceManagement),
    })
}

/// Every service of every server with its state.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::ServiceManagement, Reads>,
) -> Result<Vec<ServiceStatus>, AppError> {
    statuses(&state.db, state.node.as_deref()).await
}

/// The state of `service` on this node's server (`None`: this node runs no server).
pub async fn local(
    state: &AppState,
    _internal: &Internal,
    service: Service,
) -> Result<Option<ServiceStatus>, AppError> {
    let Some(server) = this_server(&state.read, state.node.as_deref()).await? else {
        return Ok(None);
    };
    let rows = store::activations(&state.read).await?;
    Ok(Some(status_of(&server, service, &rows, Some(server.id))))
}

/// Whether `service` is started on this node.
pub async fn runs_here(
    state: &AppState,
    _internal: &Internal,
    service: Service,
) -> Result<bool, AppError> {
    started_here(state, service).await
}

/// Whether `service` is started on this node, for the service operations that depend on it
/// (a device's registration is answered by Cisco CallManager).
pub(crate) async fn started_here(state: &AppState, service: Service) -> Result<bool, AppError> {
    let Some(server) = this_server(&state.read, state.node.as_deref()).await? else {
        return Ok(false);
    };
    let rows = store::activations(&state.read).await?;
    Ok(status_of(&server, service, &rows, Some(server.id)).state == ServiceState::Started)
}

/// A state written for a service: the state, why, when it (re)started, when and by whom, and the
/// version it was decided on (`None`: the state this node's supervisor reached, written whatever
/// the version).
struct StateChange<'a> {
    read: Option<i32>,
    next: ServiceState,
    detail: &'a str,
    restarted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    who: &'a str,
}

async fn write_state<C: ConnectionTrait>(
    db: &C,
    server: &servers::Model,
    service: Service,
    change: StateChange<'_>,
) -> Result<(), AppError> {
    let StateChange {
        read,
        next,
        detail,
        restarted_at,
        now,
        who,
    } = change;
    let existing = store::activation(db, server.id, service).await?;
    match existing {
        Some(row) => {
            let version = read.unwrap_or(row.version);
            let run = store::RunState {
                state: next,
                detail,
                restarted_at: restarted_at.or(row.restarted_at),
            };
            if !store::set_run_state(db, row, version, run, now, who).await? {
                let what = format!("{}/{}", server.name, service.key());
                return Err(audit::conflict(db, object::SERVICE, &what).await);
            }
        }
        None => {
            let run = store::RunState {
                state: next,
                detail,
                restarted_at,
            };
            store::insert_run_state(db, server.id, service, run, now, who).await?;
        }
    }
    Ok(())
}

/// Starts, stops or restarts `service_key` on `server_name` (`version`: the one read). On this
/// node the service moves to Starting and the supervisor finishes the start; on another server
/// the stored state is the state. A start or restart completes the pending restarts it fulfils.
pub async fn operate(
    state: &AppState,
    grant: &Grant<area::ServiceManagement, Writes>,
    server_name: &str,
    service_key: &str,
    op: ServiceOp,
    version: Option<i32>,
) -> Result<ServiceStatus, AppError> {
    let service = Service::parse(service_key)
        .ok_or_else(|| AppError::NotFound(format!("Service {service_key}")))?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let all = statuses(&txn, state.node.as_deref()).await?;
    let before = all
        .iter()
        .find(|s| s.server == server_name && s.service == service)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("Server {server_name}")))?;
    if version.is_some_and(|v| v != before.version) {
        let what = format!("{server_name}/{}", service.key());
        return Err(audit::conflict(&txn, object::SERVICE, &what).await);
    }
    let mut next = op
        .apply(before.state)
        .map_err(|reason| AppError::invalid(service.label(), reason))?;
    if next == ServiceState::Starting && !before.this_node {
        next = ServiceState::Started;
    }
    let started = (next != ServiceState::Stopped).then_some(now);
    let server = super::servers::find(&txn, server_name).await?;
    let who = grant.actor.name.clone().unwrap_or_default();
    let change = StateChange {
        read: Some(before.version),
        next,
        detail: "",
        restarted_at: started,
        now,
        who: &who,
    };
    write_state(&txn, &server, service, change).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SERVICE,
            object_name: &format!("{server_name}/{}", service.key()),
            before: Some(json!({ "state": before.state.key() })),
            after: Some(json!({ "state": next.key() })),
            detail: format!("{} {} on {server_name}", op.label(), service.label()),
        },
    )
    .await?;
    let all = statuses(&txn, state.node.as_deref()).await?;
    if started.is_some() {
        let restarted: Vec<(String, Option<DateTime<Utc>>)> = all
            .iter()
            .filter(|s| s.service == service && s.state != ServiceState::NotActivated)
            .map(|s| (s.server.clone(), s.restarted_at))
            .collect();
        actions::complete_restarts(&txn, now, server_name, service, &restarted).await?;
    }
    let after = all
        .into_iter()
        .find(|s| s.server == server_name && s.service == service)
        .ok_or(AppError::Internal)?;
    txn.commit().await?;
    state.services_changed.notify_one();
    Ok(after)
}

/// The supervisor records the state it reached for `service` on this node (`detail`: why a
/// start failed).
pub async fn mark_local(
    state: &AppState,
    _internal: &Internal,
    service: Service,
    reached: ServiceState,
    detail: &str,
) -> Result<(), AppError> {
    let Some(server) = this_server(&state.db, state.node.as_deref()).await? else {
        return Ok(());
    };
    let change = StateChange {
        read: None,
        next: reached,
        detail,
        restarted_at: None,
        now: state.clock.now(),
        who: "ccmadmin",
    };
    write_state(&state.db, &server, service, change).await
}
