//! `GET /api/v1/audit`.

use axum::extract::{Query, State};
use axum::{Extension, Json};

use super::error::ApiError;
use app::model::{AuditEntry, AuditFilter, Page};
use app::service::authz::{area, Privileges, Reads};
use app::service::{audit, AppState};

/// One page of the audit log; the query takes the filters of the Audit Log page.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(filter): Query<AuditFilter>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    Ok(Json(audit::list(&state, &grant, &filter).await?))
}
