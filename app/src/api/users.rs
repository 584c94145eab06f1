//! Server functions of User > Users.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{NewUser, Page, UserChange, UserInfo};

#[cfg(feature = "ssr")]
use super::ctx;

/// Rows per page of the user list.
pub const PER_PAGE: u64 = 25;

/// One page of users whose ID contains `search`.
#[server(prefix = "/fn", endpoint = "list_users")]
pub async fn list_users(search: String, page: u64) -> Result<Page<UserInfo>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserManagement, Reads>()?;
    crate::service::users::list(&state, &grant, &search, page, PER_PAGE).await
}

/// One user.
#[server(prefix = "/fn", endpoint = "get_user")]
pub async fn get_user(name: String) -> Result<UserInfo, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::UserManagement, Reads>()?;
    crate::service::users::get(&state, &grant, &name).await
}

/// Creates a user; `confirm` must repeat the password.
#[server(prefix = "/fn", endpoint = "create_user", input = Json)]
pub async fn create_user(user: NewUser, confirm: String) -> Result<UserInfo, AppError> {
    if user.password != confirm {
        return Err(AppError::invalid(
            "Confirm Password",
            "does not match the password",
        ));
    }
    let (state, privileges) = ctx::privileges().await?;
    crate::service::users::create(&state, &privileges, user).await
}

/// Changes a user; `confirm` must repeat a new password.
#[server(prefix = "/fn", endpoint = "update_user", input = Json)]
pub async fn update_user(
    name: String,
    change: UserChange,
    confirm: Option<String>,
) -> Result<UserInfo, AppError> {
    if change.password.is_some() && change.password != confirm {
        return Err(AppError::invalid(
            "Confirm Password",
            "does not match the password",
        ));
    }
    let (state, privileges) = ctx::privileges().await?;
    crate::service::users::update(&state, &privileges, &name, change).await
}

/// Deletes a user.
#[server(prefix = "/fn", endpoint = "delete_user")]
pub async fn delete_user(name: String, version: i32) -> Result<(), AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::users::delete(&state, &privileges, &name, Some(version)).await?;
    leptos_axum::redirect("/users");
    Ok(())
}

/// Ends every session of a user; returns how many.
#[server(prefix = "/fn", endpoint = "end_user_sessions")]
pub async fn end_user_sessions(name: String) -> Result<u64, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::users::end_sessions(&state, &privileges, &name).await
}
