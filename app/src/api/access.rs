//! Server functions of User > Access Rights.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{FunctionalGroupInfo, PrivilegeReport, UserGroupChange, UserGroupInfo};

#[cfg(feature = "ssr")]
use super::ctx;

/// Every functional group and what it covers.
#[server(prefix = "/fn", endpoint = "list_functional_groups")]
pub async fn list_functional_groups() -> Result<Vec<FunctionalGroupInfo>, AppError> {
    use crate::service::authz::{area, Reads};
    let (_, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    Ok(crate::service::groups::functional_groups(&grant))
}

/// Every user group.
#[server(prefix = "/fn", endpoint = "list_user_groups")]
pub async fn list_user_groups() -> Result<Vec<UserGroupInfo>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    crate::service::groups::list(&state, &grant).await
}

/// One user group.
#[server(prefix = "/fn", endpoint = "get_user_group")]
pub async fn get_user_group(name: String) -> Result<UserGroupInfo, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    crate::service::groups::get(&state, &grant, &name).await
}

/// Creates a user group (`existing` empty) or changes one.
#[server(prefix = "/fn", endpoint = "save_user_group", input = Json)]
pub async fn save_user_group(
    existing: Option<String>,
    change: UserGroupChange,
) -> Result<UserGroupInfo, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
    crate::service::groups::save(&state, &grant, existing.as_deref(), change).await
}

/// Deletes a user group.
#[server(prefix = "/fn", endpoint = "delete_user_group")]
pub async fn delete_user_group(name: String) -> Result<(), AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
    crate::service::groups::delete(&state, &grant, &name).await?;
    leptos_axum::redirect("/access-rights/user-groups");
    Ok(())
}

/// A user's effective access per functional group, and why.
#[server(prefix = "/fn", endpoint = "privilege_report")]
pub async fn get_privilege_report(user: String) -> Result<PrivilegeReport, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    crate::service::groups::privilege_report(&state, &grant, &user).await
}
