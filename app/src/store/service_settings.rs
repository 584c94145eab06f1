//! Service parameters and service activation per server. A missing row means the default of the
//! parameter or service (`domain::parameters`, `domain::services`).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{service_activations, service_parameters};
use crate::domain::parameters::BUILT_IN_BRIDGE_ENABLE;
use crate::domain::services::Service;

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
