//! Service parameters and service activation per server (`service_parameters`,
//! `service_activations`). A missing row means the default of the parameter or service
//! (`domain::parameters`, `domain::services`). The service `service_settings` owns both tables;
//! `control` records the services' states in the activation rows.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::{service_activations, service_parameters};
use super::versioned;
use crate::domain::parameters::BUILT_IN_BRIDGE_ENABLE;
use crate::domain::services::{Service, ServiceState};

/// The stored parameters of `service` on server `server_id`.
pub async fn parameters_of<C: ConnectionTrait>(
    db: &C,
    server_id: i32,
    service: Service,
) -> Result<Vec<service_parameters::Model>, sea_orm::DbErr> {
    service_parameters::Entity::find()
        .filter(service_parameters::Column::ServerId.eq(server_id))
        .filter(service_parameters::Column::Service.eq(service.key()))
        .all(db)
        .await
}

/// The stored value of `name` of `service` on every server that has one, by server id.
pub async fn parameter_everywhere<C: ConnectionTrait>(
    db: &C,
    service: Service,
    name: &str,
) -> Result<Vec<service_parameters::Model>, sea_orm::DbErr> {
    service_parameters::Entity::find()
        .filter(service_parameters::Column::Service.eq(service.key()))
        .filter(service_parameters::Column::Name.eq(name))
        .order_by_asc(service_parameters::Column::ServerId)
        .all(db)
        .await
}

/// The cluster-wide service parameter Built In Bridge Enable (default Off).
pub async fn built_in_bridge_enable<C: ConnectionTrait>(db: &C) -> Result<bool, sea_orm::DbErr> {
    Ok(
        parameter_everywhere(db, Service::CallManager, BUILT_IN_BRIDGE_ENABLE)
            .await?
            .first()
            .is_some_and(|p| p.value == "On"),
    )
}

/// Every stored activation row.
pub async fn activations<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<service_activations::Model>, sea_orm::DbErr> {
    service_activations::Entity::find().all(db).await
}

/// Sets the stored parameter `row` to `value`, changed at `now` by `actor`, only while it is still
/// at version `read`: false when another change came first (`versioned::update`).
pub async fn update_parameter<C: ConnectionTrait>(
    db: &C,
    row: service_parameters::Model,
    value: &str,
    now: DateTime<Utc>,
    actor: &str,
    read: i32,
) -> Result<bool, DbErr> {
    let mut active: service_parameters::ActiveModel = row.into();
    active.value = Set(value.to_owned());
    active.updated_at = Set(now);
    active.updated_by = Set(actor.to_owned());
    Ok(versioned::update(db, active, read).await?.is_some())
}

/// Stores the first value of parameter `name` of `service` on server `server_id` (it had its
/// default until now), set at `now` by `actor`: false when a concurrent change stored one first
/// (`versioned::insert_new`).
pub async fn insert_parameter<C: ConnectionTrait>(
    db: &C,
    server_id: i32,
    service: Service,
    name: &str,
    value: &str,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<bool, DbErr> {
    versioned::insert_new(
        db,
        service_parameters::ActiveModel {
            server_id: Set(server_id),
            service: Set(service.key().to_owned()),
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
            version: Set(1),
            updated_at: Set(now),
            updated_by: Set(actor.to_owned()),
        },
    )
    .await
}

/// Activates or deactivates the service of the stored activation `row`, at `now` by `actor`,
/// only while the row is still at the version read: false when another change came first
/// (`versioned::update`).
pub async fn update_activation<C: ConnectionTrait>(
    db: &C,
    row: service_activations::Model,
    activated: bool,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<bool, DbErr> {
    let read = row.version;
    let mut active: service_activations::ActiveModel = row.into();
    active.activated = Set(activated);
    active.updated_at = Set(now);
    active.updated_by = Set(actor.to_owned());
    Ok(versioned::update(db, active, read).await?.is_some())
}

/// Stores the first activation row of `service` on server `server_id` (it had its default until
/// now), set at `now` by `actor`, its state Started: false when a concurrent change stored one
/// first (`versioned::insert_new`).
pub async fn insert_activation<C: ConnectionTrait>(
    db: &C,
    server_id: i32,
    service: Service,
    activated: bool,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<bool, DbErr> {
    versioned::insert_new(
        db,
        service_activations::ActiveModel {
            server_id: Set(server_id),
            service: Set(service.key().to_owned()),
            activated: Set(activated),
            version: Set(1),
            updated_at: Set(now),
            updated_by: Set(actor.to_owned()),
            state: Set(ServiceState::Started),
            detail: Set(String::new()),
            restarted_at: Set(None),
        },
    )
    .await
}

/// The stored activation row of `service` on server `server_id`, if one is stored.
pub async fn activation<C: ConnectionTrait>(
    db: &C,
    server_id: i32,
    service: Service,
) -> Result<Option<service_activations::Model>, DbErr> {
    service_activations::Entity::find_by_id((server_id, service.key().to_owned()))
        .one(db)
        .await
}

/// A service's run state as its node records it.
#[derive(Debug, Clone, Copy)]
pub struct RunState<'a> {
    /// Stopped, starting or started.
    pub state: ServiceState,
    /// Why, in words (an error when it could not start).
    pub detail: &'a str,
    /// When it was last (re)started.
    pub restarted_at: Option<DateTime<Utc>>,
}

/// Records `run` on the stored activation `row`, at `now` by `who`, only while the row is still
/// at version `read`: false when another change came first (`versioned::update`).
pub async fn set_run_state<C: ConnectionTrait>(
    db: &C,
    row: service_activations::Model,
    read: i32,
    run: RunState<'_>,
    now: DateTime<Utc>,
    who: &str,
) -> Result<bool, DbErr> {
    let mut active: service_activations::ActiveModel = row.into();
    active.state = Set(run.state);
    active.detail = Set(run.detail.to_owned());
    active.restarted_at = Set(run.restarted_at);
    active.updated_at = Set(now);
    active.updated_by = Set(who.to_owned());
    Ok(versioned::update(db, active, read).await?.is_some())
}

/// Stores the first activation row of `service` on server `server_id` with its default
/// activation and the run state `run`, at `now` by `who`.
pub async fn insert_run_state<C: ConnectionTrait>(
    db: &C,
    server_id: i32,
    service: Service,
    run: RunState<'_>,
    now: DateTime<Utc>,
    who: &str,
) -> Result<(), DbErr> {
    service_activations::ActiveModel {
        server_id: Set(server_id),
        service: Set(service.key().to_owned()),
        activated: Set(service.activated_by_default()),
        version: Set(1),
        updated_at: Set(now),
        updated_by: Set(who.to_owned()),
        state: Set(run.state),
        detail: Set(run.detail.to_owned()),
        restarted_at: Set(run.restarted_at),
    }
    .insert(db)
    .await?;
    Ok(())
}
