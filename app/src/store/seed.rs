//! Rows every store starts with: the standard user groups, the standard phone models and the
//! enterprise parameters' defaults.
//! Seeding adds what is missing and never changes what administrators changed.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::{phone_models, user_group_privileges, user_groups};
use super::parameters;
use crate::domain::access::STANDARD_GROUPS;
use crate::domain::security::STANDARD_MODELS;

/// Creates the standard user groups that do not exist yet, with their privileges, the standard
/// phone models, and the enterprise parameters that have no value yet.
pub async fn seed<C: ConnectionTrait>(db: &C) -> Result<(), sea_orm::DbErr> {
    for standard in STANDARD_GROUPS {
        let exists = user_groups::Entity::find()
            .filter(user_groups::Column::Name.eq(standard.name))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let group = user_groups::ActiveModel {
            name: Set(standard.name.to_owned()),
            description: Set(standard.description.to_owned()),
            built_in: Set(true),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await?;
        for (functional_group, level) in standard.levels {
            user_group_privileges::ActiveModel {
                group_id: Set(group.id),
                functional_group: Set(functional_group.name().to_owned()),
                access_level: Set(level.key().to_owned()),
            }
            .insert(db)
            .await?;
        }
    }
    for model in STANDARD_MODELS {
        let exists = phone_models::Entity::find()
            .filter(phone_models::Column::Name.eq(model.name))
            .one(db)
            .await?
            .is_some();
        if !exists {
            phone_models::ActiveModel {
                name: Set(model.name.to_owned()),
                device_class: Set(model.caps.class.key().to_owned()),
                supports_sccp: Set(model.sccp),
                supports_sip: Set(model.sip),
                supports_authentication: Set(model.caps.authentication),
                supports_encryption: Set(model.caps.encryption),
                has_mic: Set(model.caps.mic),
                has_built_in_bridge: Set(model.caps.built_in_bridge),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    parameters::seed_defaults(db, Utc::now()).await
}
