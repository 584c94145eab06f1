//! Request middleware: cross-site refusal for every state-changing request, the one permission
//! check (deny by default) for pages, server functions and the JSON API, the status of a server
//! function's refusal, and the security headers of every response.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::domain::audit::{object, AuditAction};
use app::error::AppError;
use app::service::audit::{self, Event};
use app::service::auth;
use app::service::authz::{self, ClientAddress, DeviceIdentity, Privileges, Rule};
use app::service::principal::Actor;
use app::service::{registrations, tokens, AppState};

/// The largest error body of a server function read to find its status.
const SERVER_FN_ERROR_MAX: usize = 64 * 1024;

/// A server function that returns an error is answered 500 by Leptos whatever the error; this
/// gives it the status the error stands for (422 for a refused field, 403, 404, 409…), as the
/// JSON API answers. The body, the error as the page decodes it, is unchanged.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/fn/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, SERVER_FN_ERROR_MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Refuses a non-GET request sent from another site: `Sec-Fetch-Site`, when the browser sends it,
/// must be `same-origin`, and `Origin`, when sent, must be this console's own. It fails closed: a
/// request that carries a cookie (so a browser may have sent it on a session's behalf) and
/// neither header is refused too. A bearer-token request without cookies needs neither.
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or_default());
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return json_refusal(StatusCode::FORBIDDEN, "cross-site request refused");
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .or_else(|| req.uri().authority().map(|a| a.as_str()));
            let own = host.map(|h| format!("https://{h}"));
            if origin.to_str().ok() != own.as_deref() {
                return json_refusal(StatusCode::FORBIDDEN, "request from another origin refused");
            }
        }
        None if fetch_site.is_none() && headers.contains_key(header::COOKIE) => {
            return json_refusal(
                StatusCode::FORBIDDEN,
                "a request with a cookie must say where it comes from (Sec-Fetch-Site or Origin)",
            );
        }
        None => {}
    }
    next.run(req).await
}

fn json_refusal(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// What a request addresses, which decides how a refusal looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Built files: no check.
    Static,
    /// The JSON API: refusals are JSON, bearer tokens are accepted.
    Api,
    /// Server functions: refusals are the encoded `AppError`.
    ServerFn,
    /// Pages: refusals redirect or show a page.
    Page,
}

impl Kind {
    /// The kind of a request path.
    pub fn of(path: &str) -> Self {
        if path.starts_with("/pkg/") || path == "/favicon.ico" {
            Kind::Static
        } else if path.starts_with("/api/") || path == "/healthz" {
            Kind::Api
        } else if path.starts_with("/fn/") {
            Kind::ServerFn
        } else {
            Kind::Page
        }
    }
}

/// What the permission middleware needs: the state and the pages the application registers.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Shared state.
    pub app: AppState,
    /// Path patterns of the registered pages (axum syntax).
    pub pages: Arc<Vec<String>>,
}

/// The answer to every request but `/healthz` while a restore from the page runs: 503, a page
/// that reloads itself for a browser, `{"error"}` for the API and server functions.
fn maintenance(kind: Kind) -> Response {
    const SAID: &str = "The console is restoring a backup and restarts when it is done.";
    let retry = [(header::RETRY_AFTER, "10")];
    if kind == Kind::Page {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"10\">\
             <title>Restoring — CCM Admin</title></head><body>\
             <main><h1>Restoring a backup</h1><p>{SAID} This page reloads by itself; then log \
             in again.</p></main></body></html>"
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            retry,
            axum::response::Html(page),
        )
            .into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        retry,
        axum::Json(serde_json::json!({ "error": SAID })),
    )
        .into_response()
}

/// The one permission check. Finds the route's rule (a route without one is refused), resolves
/// the caller (session, or bearer token on the JSON API), and lets the request through only when
/// the caller's effective level allows the rule; the checked [`Privileges`] go into the request's
/// extensions for the handler. Refusals of logged-in users are audited. While a restore runs,
/// every request but `/healthz` gets the maintenance answer instead.
pub async fn authorize(
    State(gate): State<Gate>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let kind = Kind::of(&path);
    if gate.app.maintenance.is_on() && path != "/healthz" {
        return maintenance(kind);
    }
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    req.extensions_mut().insert(ClientAddress(address.clone()));
    if kind == Kind::Static {
        // Only a built file's own spelling skips the check: `/pkg/../users` is no file.
        if canonical_page_path(&path) != Canonical::Same {
            return refusal(Kind::Page, AppError::NotFound("The file".to_owned()));
        }
        return next.run(req).await;
    }
    let method = if req.method() == Method::HEAD {
        "GET".to_owned()
    } else {
        req.method().as_str().to_owned()
    };
    if kind == Kind::Page {
        match canonical_page_path(&path) {
            Canonical::Same => {}
            Canonical::Moved(to) => {
                let to = match req.uri().query() {
                    Some(query) => format!("{to}?{query}"),
                    None => to,
                };
                return Redirect::permanent(&to).into_response();
            }
            Canonical::Never => return refusal(kind, AppError::NotFound("The page".to_owned())),
        }
    }
    let rule = match authz::rule_for(&method, &path) {
        Some(rule) => rule,
        // An address that names no page: logged-in users see the 404 page.
        None if kind == Kind::Page && !gate.pages.iter().any(|p| authz::path_matches(p, &path)) => {
            Rule::Authenticated
        }
        None => {
            tracing::warn!("refused {method} {path}: the route has no access rule");
            return refusal(kind, AppError::Forbidden);
        }
    };
    let state = &gate.app;
    if rule == Rule::Device {
        return match device_of(state, &req) {
            Ok(device) => {
                req.extensions_mut().insert(DeviceIdentity(device));
                next.run(req).await
            }
            Err(err) => refusal(kind, err),
        };
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned());
    let privileges = match resolve(state, &session, bearer.as_deref(), kind, address).await {
        Ok(privileges) => Some(privileges),
        Err(AppError::Unauthenticated) => None,
        Err(err) => return refusal(kind, err),
    };
    let Some(privileges) = privileges else {
        return match rule {
            Rule::Public => next.run(req).await,
            _ => refusal(kind, AppError::Unauthenticated),
        };
    };
    if rule == Rule::Public {
        if kind == Kind::Page && path == "/login" {
            return Redirect::to("/").into_response();
        }
        return next.run(req).await;
    }
    if kind == Kind::Page && privileges.principal.must_change_password && path != "/change-password"
    {
        return Redirect::to("/change-password").into_response();
    }
    if let Err(err) = privileges.check(rule) {
        if err == AppError::Forbidden {
            record_refusal(state, &privileges.actor(), &method, &path).await;
        }
        return refusal(kind, err);
    }
    req.extensions_mut().insert(privileges);
    next.run(req).await
}

/// The device a [`Rule::Device`] request comes from: its bearer registration credential.
fn device_of(state: &AppState, req: &Request) -> Result<String, AppError> {
    let key = state
        .registration_key
        .as_ref()
        .ok_or(AppError::Unavailable(
            "this node does not take device registrations".to_owned(),
        ))?;
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthenticated)?;
    registrations::authenticate(key, presented.trim())
}

/// What a page address is, against its one canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canonical {
    /// It is canonical: its rule is looked up as it is.
    Same,
    /// Another spelling of a canonical address (a trailing or doubled slash, an unreserved
    /// character percent-encoded): redirect there, where its own rule applies.
    Moved(String),
    /// A spelling no page has (a dot segment, an encoded slash or backslash): not found.
    Never,
}

/// Page addresses have one spelling, so a rule looked up by address is the rule of the page the
/// router renders: `/users/`, `//users` and `/%75sers` are all `/users`.
pub fn canonical_page_path(path: &str) -> Canonical {
    let mut segments = Vec::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let mut out = String::with_capacity(segment.len());
        let bytes = segment.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let code = segment
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match code {
                    Some(c) if c.is_ascii_alphanumeric() || b"-._~".contains(&c) => {
                        out.push(char::from(c));
                    }
                    Some(b'/' | b'\\') | None => return Canonical::Never,
                    Some(_) => out.push_str(&segment[i..i + 3].to_ascii_uppercase()),
                }
                i += 3;
            } else {
                let rest = &segment[i..];
                let next = rest.find('%').unwrap_or(rest.len());
                out.push_str(&rest[..next]);
                i += next;
            }
        }
        if out == "." || out == ".." || out.contains('\\') {
            return Canonical::Never;
        }
        segments.push(out);
    }
    let canonical = format!("/{}", segments.join("/"));
    if canonical == path {
        Canonical::Same
    } else {
        Canonical::Moved(canonical)
    }
}

/// The caller's checked privileges: by bearer token on the JSON API, otherwise by session.
async fn resolve(
    state: &AppState,
    session: &Session,
    bearer: Option<&str>,
    kind: Kind,
    address: Option<String>,
) -> Result<Privileges, AppError> {
    match bearer {
        Some(secret) if kind == Kind::Api => {
            let principal = tokens::principal(state, secret).await?;
            Privileges::load(state, principal, address).await
        }
        Some(_) => Err(AppError::Unauthenticated),
        None => auth::current_privileges(state, session, address).await,
    }
}

async fn record_refusal(state: &AppState, actor: &Actor, method: &str, path: &str) {
    let route = format!("{method} {path}");
    let event = Event {
        action: AuditAction::AccessDenied,
        object_type: object::ROUTE,
        object_name: &route,
        before: None,
        after: None,
        detail: "refused: the user's access level does not allow this".to_owned(),
    };
    if let Err(err) = audit::record(&state.db, state.clock.now(), actor, event).await {
        tracing::error!("cannot audit a refused request: {err}");
    }
}

/// How a refusal is answered for each kind of request.
fn refusal(kind: Kind, err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::FORBIDDEN);
    match kind {
        Kind::Page => match err {
            AppError::Unauthenticated => Redirect::to("/login").into_response(),
            AppError::PasswordChangeRequired => Redirect::to("/change-password").into_response(),
            other => (status, Html(refusal_page(&other))).into_response(),
        },
        Kind::ServerFn => {
            let body = serde_json::to_string(&err).unwrap_or_default();
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                Body::from(body),
            )
                .into_response()
        }
        Kind::Api | Kind::Static => json_refusal(status, &err.to_string()),
    }
}

fn refusal_page(err: &AppError) -> String {
    let (title, advice) = match err {
        AppError::NotFound(_) => ("Page Not Found", "No page has this address."),
        _ => (
            "Access Denied",
            "Your user groups do not grant access to this page. Ask an administrator with \
             Full Access to UserPrivilegeManagement.",
        ),
    };
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — CCM Admin</title>\
         <link rel=\"stylesheet\" href=\"/pkg/ccmadmin.css\"></head>\
         <body><main class=\"not-found\"><h1>{title}</h1><p>{err}</p>\
         <p>{advice}</p><p><a href=\"/\">Go to the home page</a></p>\
         </main></body></html>"
    )
}

/// The Content-Security-Policy of a page; `nonce` allows the page's own inline scripts.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self'"
    )
}

/// Adds the security headers to every response: HSTS, nosniff, the referrer policy, and a
/// Content-Security-Policy unless the page set its own (with its nonce); and `Cache-Control:
/// no-store` on every page and API response (they may carry secrets: a token shown once, a
/// private download), so no cache keeps them. Only the built files may be cached.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let cacheable = Kind::of(req.uri().path()) == Kind::Static;
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(value) = HeaderValue::from_str(&content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_paths() {
        assert_eq!(Kind::of("/pkg/ccmadmin.js"), Kind::Static);
        assert_eq!(Kind::of("/favicon.ico"), Kind::Static);
        assert_eq!(Kind::of("/api/v1/me"), Kind::Api);
        assert_eq!(Kind::of("/healthz"), Kind::Api);
        assert_eq!(Kind::of("/fn/login"), Kind::ServerFn);
        assert_eq!(Kind::of("/users"), Kind::Page);
    }

    #[test]
    fn page_addresses_have_one_spelling() {
        assert_eq!(canonical_page_path("/users"), Canonical::Same);
        assert_eq!(canonical_page_path("/"), Canonical::Same);
        assert_eq!(canonical_page_path("/users/John%20Doe"), Canonical::Same);
        for other in ["/users/", "//users", "/users//", "/%75sers", "/%75SERS/"] {
            let expected = if other.contains("SERS") {
                "/uSERS"
            } else {
                "/users"
            };
            assert_eq!(
                canonical_page_path(other),
                Canonical::Moved(expected.to_owned()),
                "{other}"
            );
        }
        assert_eq!(
            canonical_page_path("/users/a%2fb"),
            Canonical::Never,
            "an encoded slash"
        );
        assert_eq!(canonical_page_path("/users/../phones"), Canonical::Never);
        assert_eq!(canonical_page_path("/users/%2e%2e"), Canonical::Never);
        assert_eq!(canonical_page_path("/users/%zz"), Canonical::Never);
        assert_eq!(canonical_page_path("/users/a%5cb"), Canonical::Never);
        assert_eq!(
            canonical_page_path("/users/a%2cb"),
            Canonical::Moved("/users/a%2Cb".to_owned())
        );
    }

    #[test]
    fn csp_allows_wasm_and_the_nonce_only() {
        let csp = content_security_policy(Some("abc"));
        for part in [
            "'nonce-abc'",
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{part} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
    }
}
