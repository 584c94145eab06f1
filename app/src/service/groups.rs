//! User > Access Rights: functional groups, user groups, privileges and the privilege report.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, effective_on, group_levels, Grant, Reads, Writes};
use super::errors::internal;
use super::{guard, AppState};
use crate::domain::access::{AccessLevel, FunctionalGroup};
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::model::{
    FunctionalGroupInfo, PrivilegeReport, PrivilegeRow, UserGroupChange, UserGroupInfo,
};
use crate::store::entities::user_groups;
use crate::store::groups::{self, GroupRow};
use crate::store::{locks, parameters, users};

/// The longest user group name.
pub const NAME_MAX_CHARS: usize = 64;
/// The longest description.
pub const DESCRIPTION_MAX_CHARS: usize = 256;

/// Every functional group and what it covers.
pub fn functional_groups(
    _grant: &Grant<area::UserPrivilegeManagement, Reads>,
) -> Vec<FunctionalGroupInfo> {
    FunctionalGroup::ALL
        .into_iter()
        .map(|group| FunctionalGroupInfo {
            group,
            name: group.name().to_owned(),
            covers: group.covers().to_owned(),
        })
        .collect()
}

fn to_info(row: GroupRow) -> UserGroupInfo {
    UserGroupInfo {
        name: row.group.name,
        description: row.group.description,
        built_in: row.group.built_in,
        members: row.members,
        privileges: FunctionalGroup::ALL
            .into_iter()
            .map(|g| {
                (
                    g,
                    row.privileges
                        .get(&g)
                        .copied()
                        .unwrap_or(AccessLevel::NoAccess),
                )
            })
            .collect(),
        version: row.group.version,
    }
}

fn snapshot(group: &UserGroupInfo) -> serde_json::Value {
    let privileges: BTreeMap<&str, &str> = group
        .privileges
        .iter()
        .map(|(g, l)| (g.name(), l.label()))
        .collect();
    json!({
        "name": group.name,
        "description": group.description,
        "members": group.members,
        "privileges": privileges,
    })
}

/// Every user group with members and privileges.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::UserPrivilegeManagement, Reads>,
) -> Result<Vec<UserGroupInfo>, AppError> {
    Ok(groups::all(&state.db)
        .await?
        .into_iter()
        .map(to_info)
        .collect())
}

async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<user_groups::Model, AppError> {
    groups::find(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("User group {name}")))
}

/// One user group.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::UserPrivilegeManagement, Reads>,
    name: &str,
) -> Result<UserGroupInfo, AppError> {
    let group = find(&state.db, name).await?;
    Ok(to_info(groups::details(&state.db, group).await?))
}

fn validate_name(name: &str) -> Result<(), AppError> {
    if name.is_empty() {
        return Err(AppError::invalid("Name", "is required"));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(AppError::invalid(
            "Name",
            format!("must be at most {NAME_MAX_CHARS} characters"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.')))
    {
        return Err(AppError::invalid(
            "Name",
            format!("may not contain {bad:?}; use letters, digits, spaces and . _ -"),
        ));
    }
    Ok(())
}

fn parse_privileges(
    pairs: &[(String, String)],
) -> Result<BTreeMap<FunctionalGroup, AccessLevel>, AppError> {
    let mut levels = BTreeMap::new();
    for (group, level) in pairs {
        let g = FunctionalGroup::from_name(group).ok_or_else(|| {
            AppError::invalid(
                "Functional Group",
                format!("{group:?} is not a functional group"),
            )
        })?;
        let l = AccessLevel::from_label(level).ok_or_else(|| {
            AppError::invalid(
                g.name(),
                format!("{level:?} is not an access level (No Access, Read Only, Full Access)"),
            )
        })?;
        levels.insert(g, l);
    }
    Ok(levels)
}

async fn member_ids<C: ConnectionTrait>(db: &C, names: &[String]) -> Result<Vec<i32>, AppError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let user = users::find_by_name(db, name)
            .await?
            .ok_or_else(|| AppError::invalid("Members", format!("{name:?} is not a user")))?;
        if !ids.contains(&user.id) {
            ids.push(user.id);
        }
    }
    Ok(ids)
}

/// Creates a user group (`existing` is `None`) or changes one: name, description, members and
/// privileges, each only when given.
pub async fn save(
    state: &AppState,
    grant: &Grant<area::UserPrivilegeManagement, Writes>,
    existing: Option<&str>,
    change: UserGroupChange,
) -> Result<UserGroupInfo, AppError> {
    let new_name = change.name.as_deref().map(str::trim);
    if let Some(name) = new_name {
        validate_name(name)?;
    } else if existing.is_none() {
        return Err(AppError::invalid("Name", "is required"));
    }
    if let Some(description) = &change.description {
        if description.chars().count() > DESCRIPTION_MAX_CHARS {
            return Err(AppError::invalid(
                "Description",
                format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
            ));
        }
    }
    let privileges = change
        .privileges
        .as_deref()
        .map(parse_privileges)
        .transpose()?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // First, so that every change to who holds what is serialised in one order.
    locks::access_rights(&txn).await?;
    let (group, before) = match existing {
        Some(name) => {
            let group = find(&txn, name).await?;
            if change.version.is_some_and(|v| v != group.version) {
                return Err(audit::conflict(&txn, object::USER_GROUP, name).await);
            }
            let before = to_info(groups::details(&txn, group.clone()).await?);
            (group, Some(before))
        }
        None => {
            let group = groups::create(
                &txn,
                new_name.unwrap_or_default(),
                change.description.as_deref().unwrap_or_default(),
            )
            .await
            .map_err(|e| name_taken(e, new_name))?;
            (group, None)
        }
    };
    if let Some(name) = new_name {
        if Some(name) != existing && existing.is_some() {
            if group.built_in {
                return Err(AppError::invalid(
                    "Name",
                    "a standard group cannot be renamed",
                ));
            }
            if groups::find(&txn, name).await?.is_some() {
                return Err(AppError::invalid("Name", format!("{name} already exists")));
            }
        }
    }
    let group_id = group.id;
    // A group read before the change is saved only at the version read; one just made as it is.
    let read = existing.map(|_| group.version);
    let saved = groups::update(&txn, group, new_name, change.description.as_deref(), read).await?;
    let Some(group) = saved else {
        let name = existing.unwrap_or_default();
        return Err(audit::conflict(&txn, object::USER_GROUP, name).await);
    };
    if let Some(members) = &change.members {
        let ids = member_ids(&txn, members).await?;
        groups::set_members(&txn, group_id, &ids).await?;
    }
    if let Some(levels) = &privileges {
        groups::set_privileges(&txn, group_id, levels).await?;
    }
    guard::super_user_keeps_control(
        &txn,
        if privileges.is_some() {
            "Privileges"
        } else {
            "Members"
        },
    )
    .await?;
    let after = to_info(groups::details(&txn, group).await?);
    let name = after.name.clone();
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
            object_type: object::USER_GROUP,
            object_name: existing.unwrap_or(&name),
            before: before.as_ref().map(snapshot),
            after: Some(snapshot(&after)),
            detail: format!(
                "User group {name} {}",
                if before.is_some() {
                    "changed"
                } else {
                    "created"
                }
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

fn name_taken(err: sea_orm::DbErr, name: Option<&str>) -> AppError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::invalid(
            "Name",
            format!("{} already exists", name.unwrap_or_default()),
        ),
        _ => internal(err),
    }
}

/// Deletes a user group that is not a standard one.
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::UserPrivilegeManagement, Writes>,
    name: &str,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // First, so that every change to who holds what is serialised in one order.
    locks::access_rights(&txn).await?;
    let group = find(&txn, name).await?;
    if group.built_in {
        return Err(AppError::invalid(
            "Name",
            format!("{name} is a standard group and cannot be deleted"),
        ));
    }
    let before = to_info(groups::details(&txn, group.clone()).await?);
    groups::delete(&txn, group.id).await?;
    guard::super_user_keeps_control(&txn, "Name").await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::USER_GROUP,
            object_name: name,
            before: Some(snapshot(&before)),
            after: None,
            detail: format!("User group {name} deleted"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}

/// A user's effective access on every functional group, why, and what the other value of the
/// overlapping-groups parameter would give.
pub async fn privilege_report(
    state: &AppState,
    _grant: &Grant<area::UserPrivilegeManagement, Reads>,
    user_name: &str,
) -> Result<PrivilegeReport, AppError> {
    let user = users::find_by_name(&state.db, user_name)
        .await?
        .ok_or_else(|| AppError::invalid("User", format!("{user_name:?} is not a user")))?;
    let levels = group_levels(&state.db, user.id).await?;
    let policy = parameters::overlap_policy(&state.db).await?;
    let rows = FunctionalGroup::ALL
        .into_iter()
        .map(|group| PrivilegeRow {
            group,
            effective: effective_on(&levels, group, policy),
            under_other_policy: effective_on(&levels, group, policy.other()),
        })
        .collect();
    Ok(PrivilegeReport {
        user: user.name,
        groups: levels.into_iter().map(|(name, _)| name).collect(),
        policy,
        rows,
    })
}
