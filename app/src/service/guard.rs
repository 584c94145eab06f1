//! The check that keeps the console administrable: CCMAdministrator keeps Full Access to
//! UserPrivilegeManagement and stays enabled, so nobody can lock every administrator out.

use sea_orm::ConnectionTrait;

use super::authz::{effective_on, group_levels};
use super::state::internal;
use crate::domain::access::{AccessLevel, FunctionalGroup};
use crate::domain::account::BOOTSTRAP_USER;
use crate::error::AppError;
use crate::store::{parameters, users};

/// Checks, inside the transaction of a change, that the change leaves CCMAdministrator enabled
/// with Full Access to UserPrivilegeManagement; `field` names what the refusal is about.
pub async fn super_user_keeps_control<C: ConnectionTrait>(
    txn: &C,
    field: &str,
) -> Result<(), AppError> {
    let Some(admin) = users::find_by_name(txn, BOOTSTRAP_USER)
        .await
        .map_err(internal)?
    else {
        return Err(AppError::invalid(
            field,
            format!("{BOOTSTRAP_USER} cannot be deleted"),
        ));
    };
    if admin.disabled {
        return Err(AppError::invalid(
            field,
            format!("{BOOTSTRAP_USER} cannot be disabled"),
        ));
    }
    let levels = group_levels(txn, admin.id).await?;
    let policy = parameters::overlap_policy(txn).await.map_err(internal)?;
    let level = effective_on(&levels, FunctionalGroup::UserPrivilegeManagement, policy).level;
    if level != AccessLevel::FullAccess {
        return Err(AppError::invalid(
            field,
            format!(
                "this change would leave {BOOTSTRAP_USER} without Full Access to \
                 UserPrivilegeManagement, and nobody could grant access again"
            ),
        ));
    }
    Ok(())
}
