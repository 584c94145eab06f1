//! Enterprise parameters in the store.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::entities::enterprise_parameters;
use crate::domain::access::{OverlapPolicy, OVERLAP_POLICY_PARAMETER};
use crate::domain::parameters::{DEVICE_SECURITY_MODE, ENTERPRISE};
use crate::domain::security::SecurityMode;

/// The enterprise parameter Device Security Mode in force.
pub async fn device_security_mode<C: ConnectionTrait>(
    db: &C,
) -> Result<SecurityMode, sea_orm::DbErr> {
    Ok(find(db, DEVICE_SECURITY_MODE)
        .await?
        .and_then(|p| SecurityMode::parse(&p.value))
        .unwrap_or(SecurityMode::NonSecure))
}

/// The parameter named `name`, if set.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<enterprise_parameters::Model>, sea_orm::DbErr> {
    enterprise_parameters::Entity::find_by_id(name.to_owned())
        .one(db)
        .await
}

/// Every parameter.
pub async fn all<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<enterprise_parameters::Model>, sea_orm::DbErr> {
    enterprise_parameters::Entity::find().all(db).await
}

/// The "Effective Access Privileges For Overlapping User Groups" in force.
pub async fn overlap_policy<C: ConnectionTrait>(db: &C) -> Result<OverlapPolicy, sea_orm::DbErr> {
    Ok(find(db, OVERLAP_POLICY_PARAMETER)
        .await?
        .and_then(|p| OverlapPolicy::from_name(&p.value))
        .unwrap_or(OverlapPolicy::Maximum))
}

/// Inserts every parameter that has no row yet, with its default.
pub async fn seed_defaults<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    for def in ENTERPRISE {
        enterprise_parameters::Entity::insert(enterprise_parameters::ActiveModel {
            name: Set(def.name.to_owned()),
            value: Set(def.default.to_owned()),
            version: Set(1),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(enterprise_parameters::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
