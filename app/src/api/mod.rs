//! Server functions: each reads the request's checked privileges (put there by the server's
//! permission middleware), calls one service operation and returns its `AppError`. They are POST
//! endpoints under `/fn/`; the middleware refuses cross-site requests and applies the route's rule.

// `#[server]` turns each function's arguments into the fields of a generated struct, and Rust
// takes no doc comments on arguments: the function's own doc comment documents them.
#![allow(missing_docs)]

pub mod access;
pub mod audit;
pub mod imports;
pub mod jobs;
pub mod phones;
pub mod recovery;
pub mod security;
pub mod services;
pub mod system;
pub mod tokens;
pub mod users;

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{CurrentUser, HomeInfo};

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use axum::Extension;
    use tower_sessions::Session;

    use crate::error::AppError;
    use crate::service::authz::{ClientAddress, Privileges};
    use crate::service::errors::internal;
    use crate::service::AppState;

    /// The state, session and client address of the request being served.
    pub async fn request() -> Result<(AppState, Session, Option<String>), AppError> {
        let state = AppState::from_context()?;
        let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
        let address = leptos_axum::extract::<Extension<ClientAddress>>()
            .await
            .ok()
            .and_then(|Extension(ClientAddress(a))| a);
        Ok((state, session, address))
    }

    /// The state and the checked privileges of the request being served.
    pub async fn privileges() -> Result<(AppState, Privileges), AppError> {
        let state = AppState::from_context()?;
        let Extension(privileges) = leptos_axum::extract::<Extension<Privileges>>()
            .await
            .map_err(|_| AppError::Unauthenticated)?;
        Ok((state, privileges))
    }
}

/// Logs in; on success the browser goes to the home page, or to the password change when one is
/// required.
#[server(prefix = "/fn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    let (state, session, address) = ctx::request().await?;
    let principal =
        crate::service::auth::login(&state, &session, &username, &password, address.as_deref())
            .await?;
    leptos_axum::redirect(if principal.must_change_password {
        "/change-password"
    } else {
        "/"
    });
    Ok(())
}

/// Logs out and returns to the login page.
#[server(prefix = "/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let (_, session, _) = ctx::request().await?;
    crate::service::auth::logout(&state, &session, &privileges.actor()).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The logged-in user with their effective privileges.
#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn get_current_user() -> Result<CurrentUser, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    privileges.describe(&state).await
}

/// The home page's facts.
#[server(prefix = "/fn", endpoint = "home_info")]
pub async fn get_home_info() -> Result<HomeInfo, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::home::home_info(&state, &privileges).await
}

/// Changes the logged-in user's own password.
#[server(prefix = "/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let (_, session, _) = ctx::request().await?;
    crate::service::auth::change_password(
        &state,
        &session,
        &privileges.principal,
        &current_password,
        &new_password,
        &confirm_password,
    )
    .await?;
    leptos_axum::redirect("/");
    Ok(())
}
