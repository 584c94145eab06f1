//! Server function of the Audit Log page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{AuditEntry, AuditFilter, Page};

#[cfg(feature = "ssr")]
use super::ctx;

/// One page of the audit log matching `filter`.
#[server(prefix = "/fn", endpoint = "list_audit", input = Json)]
pub async fn list_audit(filter: AuditFilter) -> Result<Page<AuditEntry>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    crate::service::audit::list(&state, &grant, &filter).await
}
