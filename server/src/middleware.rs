//! Request middleware: cross-site refusal for every state-changing request, and the login guard
//! of the pages.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::error::AppError;
use app::service::{auth, AppState};

/// Refuses a non-GET request sent from another site: `Sec-Fetch-Site`, when the browser sends it,
/// must be `same-origin`, and `Origin`, when sent, must be this console's own.
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or_default());
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return forbidden("cross-site request refused");
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        let own = host.map(|h| format!("https://{h}"));
        if origin.to_str().ok() != own.as_deref() {
            return forbidden("request from another origin refused");
        }
    }
    next.run(req).await
}

fn forbidden(message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// Paths that are not pages: the APIs, server functions and static files.
fn is_page(path: &str) -> bool {
    const NOT_PAGES: [&str; 4] = ["/api/", "/fn/", "/pkg/", "/healthz"];
    !NOT_PAGES.iter().any(|prefix| path.starts_with(prefix)) && path != "/favicon.ico"
}

/// Sends page requests without a valid session to the login page, a user who must change their
/// password to that page, and a logged-in user away from the login page.
pub async fn page_guard(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    if req.method() != Method::GET || !is_page(&path) {
        return next.run(req).await;
    }
    match auth::current(&state, &session).await {
        Ok(p) if p.must_change_password && path != "/change-password" => {
            Redirect::to("/change-password").into_response()
        }
        Ok(_) if path == "/login" => Redirect::to("/").into_response(),
        Ok(_) => next.run(req).await,
        Err(AppError::Unauthenticated) if path == "/login" => next.run(req).await,
        Err(AppError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(err) => (
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            err.to_string(),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_page;

    #[test]
    fn static_files_and_apis_are_not_pages() {
        for path in [
            "/pkg/ccmadmin.js",
            "/api/v1/me",
            "/fn/login",
            "/healthz",
            "/favicon.ico",
        ] {
            assert!(!is_page(path), "{path}");
        }
        for path in ["/", "/login", "/change-password", "/no-such-page"] {
            assert!(is_page(path), "{path}");
        }
    }
}
