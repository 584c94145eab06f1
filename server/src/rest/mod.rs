//! The JSON API under `/api/v1` (the automation interface) and `/healthz`. Every route is in
//! [`endpoints`], and every route's rule is in `app::service::authz::RULES`, which the permission
//! middleware applies before a handler runs.

mod access;
mod audit;
pub mod error;
mod imports;
pub mod json;
mod parameters;
mod phones;
mod recovery;
mod resets;
mod security;
mod services;
mod session;
mod system;
mod tokens;
mod users;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use serde_json::json;

use app::service::home::VERSION;
use app::service::AppState;

/// The query of a delete: the version the caller read (a stale one is refused with 409).
#[derive(Debug, serde::Deserialize)]
pub struct VersionQuery {
    /// The version read; absent deletes whatever the version.
    #[serde(default)]
    pub version: Option<i32>,
}

/// Where the JSON API is mounted.
pub const PREFIX: &str = "/api/v1";

/// One route of the JSON API.
pub struct Endpoint {
    /// Its method.
    pub method: Method,
    /// Its path below [`PREFIX`], with `{param}` segments.
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn ep(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Endpoint {
    Endpoint {
        method,
        path,
        handler,
    }
}

/// Every route of the JSON API.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::POST, "/login", post(session::login)),
        ep(Method::POST, "/logout", post(session::logout)),
        ep(Method::GET, "/me", get(session::me)),
        ep(Method::GET, "/users", get(users::list)),
        ep(Method::POST, "/users", post(users::create)),
        ep(Method::GET, "/users/{name}", get(users::get_one)),
        ep(Method::PUT, "/users/{name}", put(users::update)),
        ep(Method::DELETE, "/users/{name}", delete(users::remove)),
        ep(
            Method::GET,
            "/users/{name}/privileges",
            get(access::privileges_of_user),
        ),
        ep(Method::GET, "/user-groups", get(access::list_groups)),
        ep(Method::POST, "/user-groups", post(access::create_group)),
        ep(Method::GET, "/user-groups/{name}", get(access::get_group)),
        ep(
            Method::PUT,
            "/user-groups/{name}",
            put(access::update_group),
        ),
        ep(
            Method::DELETE,
            "/user-groups/{name}",
            delete(access::delete_group),
        ),
        ep(
            Method::GET,
            "/functional-groups",
            get(access::functional_groups),
        ),
        ep(Method::GET, "/audit", get(audit::list)),
        ep(Method::GET, "/tokens", get(tokens::list)),
        ep(Method::POST, "/tokens", post(tokens::create)),
        ep(Method::DELETE, "/tokens/{id}", delete(tokens::revoke)),
        ep(Method::GET, "/phones", get(phones::list)),
        ep(Method::POST, "/phones", post(phones::create)),
        ep(Method::POST, "/phones/bulk", post(phones::bulk)),
        ep(Method::POST, "/phones/reset", post(resets::reset_phones)),
        ep(Method::GET, "/jobs", get(resets::list)),
        ep(Method::GET, "/jobs/{id}", get(resets::job)),
        ep(
            Method::POST,
            "/jobs/{id}/{control}",
            post(resets::control_job),
        ),
        ep(Method::PUT, "/jobs/{id}/rate", put(resets::job_rate)),
        ep(Method::GET, "/pending-actions", get(resets::pending)),
        ep(
            Method::POST,
            "/phones/{name}/reset",
            post(resets::reset_phone),
        ),
        ep(Method::GET, "/phones/{name}/contact", get(resets::contact)),
        ep(
            Method::PUT,
            "/phones/{name}/contact",
            put(resets::set_contact),
        ),
        ep(
            Method::POST,
            "/servers/{name}/reset-devices",
            post(resets::reset_server_devices),
        ),
        ep(Method::POST, "/registrations", post(resets::register)),
        ep(Method::GET, "/control-center", get(resets::control_center)),
        ep(
            Method::POST,
            "/servers/{server}/services/{service}/{op}",
            post(resets::operate),
        ),
        ep(Method::GET, "/phones/{name}", get(phones::get_one)),
        ep(Method::PUT, "/phones/{name}", put(phones::update)),
        ep(Method::DELETE, "/phones/{name}", delete(phones::remove)),
        ep(Method::GET, "/phone-models", get(phones::models)),
        ep(Method::GET, "/device-pools", get(phones::pools)),
        ep(Method::GET, "/device-pools.csv", get(imports::pools_csv)),
        ep(
            Method::GET,
            "/callmanager-groups.csv",
            get(imports::groups_csv),
        ),
        ep(Method::GET, "/phones.csv", get(imports::phones_csv)),
        ep(
            Method::POST,
            "/bulk/phones/validate",
            post(imports::validate).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        ep(
            Method::POST,
            "/bulk/phones/import",
            post(imports::import).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        ep(Method::GET, "/enterprise-parameters", get(parameters::list)),
        ep(
            Method::PUT,
            "/enterprise-parameters/{name}",
            put(parameters::set),
        ),
        ep(
            Method::POST,
            "/enterprise-parameters/{name}/default",
            post(parameters::set_default),
        ),
        ep(
            Method::POST,
            "/enterprise-parameters/defaults",
            post(parameters::set_all_defaults),
        ),
        ep(
            Method::GET,
            "/tftp-clusters",
            get(parameters::tftp_clusters),
        ),
        ep(
            Method::POST,
            "/tftp-clusters",
            post(parameters::create_tftp_cluster),
        ),
        ep(
            Method::PUT,
            "/tftp-clusters/{name}",
            put(parameters::update_tftp_cluster),
        ),
        ep(
            Method::DELETE,
            "/tftp-clusters/{name}",
            delete(parameters::delete_tftp_cluster),
        ),
        ep(Method::GET, "/srst-references", get(system::list_srst)),
        ep(Method::POST, "/srst-references", post(system::create_srst)),
        ep(
            Method::GET,
            "/srst-references/{name}",
            get(system::get_srst),
        ),
        ep(
            Method::PUT,
            "/srst-references/{name}",
            put(system::update_srst),
        ),
        ep(
            Method::DELETE,
            "/srst-references/{name}",
            delete(system::delete_srst),
        ),
        ep(
            Method::POST,
            "/srst-references/{name}/certificate",
            post(system::update_certificate),
        ),
        ep(Method::GET, "/servers", get(system::list_servers)),
        ep(Method::POST, "/servers", post(system::create_server)),
        ep(Method::GET, "/servers/{name}", get(system::get_server)),
        ep(Method::PUT, "/servers/{name}", put(system::update_server)),
        ep(
            Method::DELETE,
            "/servers/{name}",
            delete(system::delete_server),
        ),
        ep(Method::GET, "/dashboard", get(system::dashboard)),
        ep(Method::GET, "/callmanager-groups", get(system::list_groups)),
        ep(
            Method::POST,
            "/callmanager-groups",
            post(system::create_group),
        ),
        ep(
            Method::GET,
            "/callmanager-groups/{name}",
            get(system::get_group),
        ),
        ep(
            Method::PUT,
            "/callmanager-groups/{name}",
            put(system::update_group),
        ),
        ep(
            Method::DELETE,
            "/callmanager-groups/{name}",
            delete(system::delete_group),
        ),
        ep(Method::POST, "/device-pools", post(system::create_pool)),
        ep(Method::GET, "/device-pools/{name}", get(system::get_pool)),
        ep(
            Method::PUT,
            "/device-pools/{name}",
            put(system::update_pool),
        ),
        ep(
            Method::DELETE,
            "/device-pools/{name}",
            delete(system::delete_pool),
        ),
        ep(Method::GET, "/regions", get(system::list_regions)),
        ep(Method::POST, "/regions", post(system::create_region)),
        ep(Method::GET, "/regions/{name}", get(system::get_region)),
        ep(Method::PUT, "/regions/{name}", put(system::update_region)),
        ep(
            Method::DELETE,
            "/regions/{name}",
            delete(system::delete_region),
        ),
        ep(
            Method::GET,
            "/service-parameters",
            get(services::parameters),
        ),
        ep(
            Method::PUT,
            "/service-parameters/{server}/{service}/{name}",
            put(services::set_parameter),
        ),
        ep(
            Method::GET,
            "/certificates",
            get(security::list_certificates),
        ),
        ep(
            Method::GET,
            "/certificates/{id}/der",
            get(security::certificate_der),
        ),
        ep(
            Method::GET,
            "/certificates/{id}/pem",
            get(security::certificate_pem),
        ),
        ep(
            Method::POST,
            "/certificates/{id}/regenerate",
            post(security::regenerate),
        ),
        ep(
            Method::POST,
            "/certificates/{id}/export",
            post(security::export_token),
        ),
        ep(
            Method::POST,
            "/certificates/{id}/offline",
            post(security::take_token_offline),
        ),
        ep(
            Method::GET,
            "/manufacturer-cas",
            get(security::list_manufacturer_cas),
        ),
        ep(
            Method::POST,
            "/manufacturer-cas",
            post(security::add_manufacturer_ca),
        ),
        ep(
            Method::DELETE,
            "/manufacturer-cas/{id}",
            delete(security::remove_manufacturer_ca),
        ),
        ep(Method::GET, "/ctl", get(security::ctl_status)),
        ep(Method::POST, "/ctl", post(security::run_ctl)),
        ep(Method::GET, "/tftp-files", get(security::tftp_status)),
        ep(Method::GET, "/tftp-files/{name}", get(security::tftp_file)),
        ep(Method::GET, "/backups", get(recovery::list)),
        ep(Method::POST, "/backups/upload", post(recovery::upload)),
        ep(
            Method::POST,
            "/backups/{name}/restore",
            post(recovery::restore),
        ),
        ep(Method::POST, "/backups", post(recovery::take)),
        ep(Method::GET, "/backups/{name}", get(recovery::download)),
        ep(Method::POST, "/backups/{name}/check", post(recovery::check)),
        ep(Method::PUT, "/backup-schedule", put(recovery::set_schedule)),
        ep(Method::GET, "/services", get(services::activations)),
        ep(
            Method::PUT,
            "/servers/{server}/services/{service}",
            put(services::set_activation),
        ),
    ]
}

/// The `/api/v1` router.
pub fn routes() -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.handler))
        .fallback(not_found)
}

/// `GET /healthz`: the console and its store answer. No login needed.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let db_ok = state
        .db
        .execute_unprepared("SELECT 1")
        .await
        .map_err(|e| tracing::warn!("health check: store unreachable: {e}"))
        .is_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if db_ok { "ok" } else { "degraded" },
        "db": if db_ok { "ok" } else { "unreachable" },
        "version": VERSION,
    });
    (status, Json(body))
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "No API route has this path."})),
    )
}
