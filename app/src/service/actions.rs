//! Required actions (R10, R17) as the Pending Actions page and its banner show them, for the
//! users who may act on them. The queries are in [`crate::store::actions`], which the services
//! whose changes require actions call inside their transactions.

use super::authz::{area, Grant, Privileges, Reads};
use super::AppState;
use crate::domain::access::FunctionalGroup;
use crate::domain::actions::PendingGroup;
use crate::error::AppError;
use crate::store::actions;

/// The lines of the Pending Actions page (R10).
pub async fn lines(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
) -> Result<Vec<PendingGroup>, AppError> {
    Ok(actions::pending_groups(&state.db).await?)
}

/// The Pending Actions page, with whether the user may reset devices and restart services.
pub async fn page(
    state: &AppState,
    grant: &Grant<area::Phone, Reads>,
    privileges: &Privileges,
) -> Result<crate::model::jobs::PendingActions, AppError> {
    Ok(crate::model::jobs::PendingActions {
        groups: lines(state, grant).await?,
        can_reset: privileges.may_write(FunctionalGroup::Phone),
        can_restart: privileges.may_write(FunctionalGroup::ServiceManagement),
    })
}

/// How many merged actions are pending, for a user who may act on them (a device reset or a
/// service restart); `None` for the others, who see no banner. Read on the read connections:
/// every page asks it.
pub async fn banner_count(
    state: &AppState,
    privileges: &Privileges,
) -> Result<Option<usize>, AppError> {
    if !privileges.may_write(FunctionalGroup::Phone)
        && !privileges.may_write(FunctionalGroup::ServiceManagement)
    {
        return Ok(None);
    }
    Ok(Some(actions::pending_groups(&state.read).await?.len()))
}
