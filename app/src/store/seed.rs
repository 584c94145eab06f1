//! Rows every store starts with: the standard user groups and the enterprise parameters' defaults.
//! Seeding adds what is missing and never changes what administrators changed.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::{user_group_privileges, user_groups};
use super::parameters;
use crate::domain::access::STANDARD_GROUPS;

/// Creates the standard user groups that do not exist yet, with their privileges, and the
/// enterprise parameters that have no value yet.
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
    parameters::seed_defaults(db, Utc::now()).await
}
