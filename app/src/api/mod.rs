//! Server functions: each reads the session, calls one service operation and maps its error.
//! They are POST endpoints under `/fn/`; the server's middleware refuses cross-site requests.

// `#[server]` turns each function's arguments into the fields of a generated struct, and Rust
// takes no doc comments on arguments: the function's own doc comment documents them.
#![allow(missing_docs)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{CurrentUser, HomeInfo};

#[cfg(feature = "ssr")]
mod ctx {
    use tower_sessions::Session;

    use crate::error::AppError;
    use crate::service::auth::{self, Principal};
    use crate::service::state::internal;
    use crate::service::AppState;

    /// The state and session of the request being served.
    pub async fn request() -> Result<(AppState, Session), AppError> {
        let state = AppState::from_context()?;
        let session = leptos_axum::extract::<Session>().await.map_err(internal)?;
        Ok((state, session))
    }

    /// The state, session and checked principal of the request being served.
    pub async fn principal() -> Result<(AppState, Session, Principal), AppError> {
        let (state, session) = request().await?;
        let principal = auth::current(&state, &session).await?;
        Ok((state, session, principal))
    }
}

/// Logs in; on success the browser goes to the home page, or to the password change when one is
/// required.
#[server(prefix = "/fn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    let (state, session) = ctx::request().await?;
    let principal = crate::service::auth::login(&state, &session, &username, &password).await?;
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
    let (_, session) = ctx::request().await?;
    crate::service::auth::logout(&session).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The logged-in user.
#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn get_current_user() -> Result<CurrentUser, AppError> {
    let (state, _, principal) = ctx::principal().await?;
    principal.describe(&state).await
}

/// The home page's facts.
#[server(prefix = "/fn", endpoint = "home_info")]
pub async fn get_home_info() -> Result<HomeInfo, AppError> {
    let (state, _, principal) = ctx::principal().await?;
    crate::service::home::home_info(&state, &principal.active()?).await
}

/// Changes the logged-in user's own password.
#[server(prefix = "/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    let (state, session, principal) = ctx::principal().await?;
    crate::service::auth::change_password(
        &state,
        &session,
        &principal,
        &current_password,
        &new_password,
        &confirm_password,
    )
    .await?;
    leptos_axum::redirect("/");
    Ok(())
}
