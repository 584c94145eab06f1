//! The HTTP application: pages, server functions, the JSON API, static files, and the middleware
//! around them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use leptos::nonce::use_nonce;
use leptos::prelude::{provide_context, use_context, LeptosOptions};
use leptos_axum::{generate_route_list_with_exclusions, LeptosRoutes, ResponseOptions};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::domain::session_policy::IDLE_TIMEOUT;
use app::service::AppState;
use app::store::session_store::DbSessionStore;
use app::{shell, App};

use crate::{limits, middleware, rest};

/// The session cookie's name; `__Host-` makes browsers demand Secure, Path=/ and no Domain.
pub const SESSION_COOKIE: &str = "__Host-ccmadmin_session";

/// State of the axum router: the application state and Leptos' site options.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// Shared by services.
    pub app: AppState,
    /// Where the built browser files are.
    pub leptos: LeptosOptions,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}

/// The server functions whose body is a whole CSV file (Bulk Administration's import).
const LARGE_BODY_FNS: [&str; 2] = ["/fn/validate_phone_import", "/fn/start_phone_import"];

/// Builds the whole router, with the default per-request timeout ([`limits::REQUEST_TIMEOUT`]).
pub fn build(app_state: AppState, leptos: LeptosOptions) -> Router {
    build_with_timeout(app_state, leptos, limits::REQUEST_TIMEOUT)
}

/// Builds the whole router: a request not answered within `request_timeout` (reading its body
/// included) gets 503, and a request body is read up to [`limits::BODY_LIMIT`].
pub fn build_with_timeout(
    app_state: AppState,
    leptos: LeptosOptions,
    request_timeout: Duration,
) -> Router {
    let sessions = SessionManagerLayer::new(DbSessionStore::new(
        app_state.db.clone(),
        app_state.read.clone(),
    ))
    .with_name(SESSION_COOKIE)
    .with_secure(true)
    .with_http_only(true)
    .with_same_site(SameSite::Strict)
    .with_path("/")
    .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
        IDLE_TIMEOUT.num_seconds(),
    )));
    let context = {
        let app_state = app_state.clone();
        move || {
            provide_context(app_state.clone());
            // A rendered page allows its own inline scripts by the nonce Leptos gives them.
            if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
                if let Ok(value) =
                    HeaderValue::from_str(&middleware::content_security_policy(Some(&nonce)))
                {
                    response.insert_header(header::CONTENT_SECURITY_POLICY, value);
                }
            }
        }
    };
    let state = ServerState {
        app: app_state.clone(),
        leptos,
    };
    // The server functions that take a whole CSV file are routed here, with the import limit
    // instead of the body limit of every other request.
    let pages = generate_route_list_with_exclusions(
        App,
        Some(LARGE_BODY_FNS.iter().map(|p| (*p).to_owned()).collect()),
    );
    let gate = middleware::Gate {
        app: app_state.clone(),
        pages: Arc::new(
            pages
                .iter()
                .map(|p| p.path().to_owned())
                .filter(|p| !LARGE_BODY_FNS.contains(&p.as_str()))
                .collect(),
        ),
    };
    let large_body = limits::import_body_limit(app_state.import_limits.max_bytes);
    let mut router = Router::new();
    for path in LARGE_BODY_FNS {
        let context = context.clone();
        let state = state.clone();
        let handler = move |req: axum::extract::Request| {
            let context = context.clone();
            let state = state.clone();
            async move {
                leptos_axum::handle_server_fns_with_context(
                    move || {
                        provide_context(state.clone());
                        context();
                    },
                    req,
                )
                .await
            }
        };
        router = router.route(path, post(handler).layer(DefaultBodyLimit::max(large_body)));
    }
    router
        .nest("/api/v1", rest::routes().with_state(app_state.clone()))
        .route("/healthz", get(rest::healthz))
        .leptos_routes_with_context(&state, pages, context.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn(middleware::server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            gate,
            middleware::authorize,
        ))
        .layer(axum::middleware::from_fn(middleware::same_origin_only))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(limits::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            limits::RequestTimeout(request_timeout),
            limits::request_timeout,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}
