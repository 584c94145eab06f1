//! The check that keeps the console administrable: CCMAdministrator stays enabled with Full Access
//! to UserPrivilegeManagement (on a store without it, some enabled user keeps that access), so no
//! change can lock every administrator out.

use sea_orm::ConnectionTrait;

use super::authz::{effective_on, group_levels};
use crate::domain::access::{AccessLevel, FunctionalGroup, OverlapPolicy};
use crate::domain::account::BOOTSTRAP_USER;
use crate::error::AppError;
use crate::store::entities::users as user_rows;
use crate::store::{locks, parameters, users};

async fn has_full_control<C: ConnectionTrait>(
    txn: &C,
    user: &user_rows::Model,
    policy: OverlapPolicy,
) -> Result<bool, AppError> {
    let levels = group_levels(txn, user.id).await?;
    let level = effective_on(&levels, FunctionalGroup::UserPrivilegeManagement, policy).level;
    Ok(!user.disabled && level == AccessLevel::FullAccess)
}

/// Checks, inside the transaction of a change, that the change leaves the console administrable;
/// `field` names what a refusal is about. It first takes the access-rights lock, held until the
/// transaction ends, so two concurrent changes that each remove a different path to Full Access
/// are checked one after the other, the second seeing the first.
pub async fn super_user_keeps_control<C: ConnectionTrait>(
    txn: &C,
    field: &str,
) -> Result<(), AppError> {
    locks::access_rights(txn).await?;
    let policy = parameters::overlap_policy(txn).await?;
    match users::find_by_name(txn, BOOTSTRAP_USER).await? {
        Some(admin) if admin.disabled => Err(AppError::invalid(
            field,
            format!("{BOOTSTRAP_USER} cannot be disabled"),
        )),
        Some(admin) => {
            if has_full_control(txn, &admin, policy).await? {
                Ok(())
            } else {
                Err(AppError::invalid(
                    field,
                    format!(
                        "this change would leave {BOOTSTRAP_USER} without Full Access to \
                         UserPrivilegeManagement, and nobody could grant access again"
                    ),
                ))
            }
        }
        None => {
            for user in users::all(txn).await? {
                if has_full_control(txn, &user, policy).await? {
                    return Ok(());
                }
            }
            Err(AppError::invalid(
                field,
                "this change would leave no enabled user with Full Access to \
                 UserPrivilegeManagement",
            ))
        }
    }
}
