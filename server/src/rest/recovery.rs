//! `/api/v1/backups` (Serviceability > Disaster Recovery): the backups of this node. Each route
//! needs Full Access to System, Serviceability and UserPrivilegeManagement together
//! (`Rule::ClusterKeys`): a backup holds the cluster's private keys.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use tower::ServiceExt;

use super::error::ApiError;
use super::json::ApiJson;
use app::model::recovery::{
    BackupCheck, BackupInfo, BackupSchedule, RecoveryPage, RestoreStarted, ScheduleChange,
};
use app::service::authz::Privileges;
use app::service::errors::internal;
use app::service::{backups, restores, AppState};

/// Body of `POST /backups` and `POST /backups/{name}/check` (no `Debug`: it holds a
/// passphrase).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passphrase {
    passphrase: String,
}

/// `GET /backups`: the backups this node keeps, newest first.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<RecoveryPage>, ApiError> {
    let grant = privileges.cluster_keys()?;
    Ok(Json(backups::page(&state, &grant).await?))
}

/// `POST /backups` `{"passphrase"}`: takes a backup now.
pub async fn take(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(body): ApiJson<Passphrase>,
) -> Result<Json<BackupInfo>, ApiError> {
    let grant = privileges.cluster_keys()?;
    Ok(Json(backups::take(&state, &grant, &body.passphrase).await?))
}

/// `POST /backups/{name}/check` `{"passphrase"}`: decrypts and checks it, restores nothing.
pub async fn check(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Passphrase>,
) -> Result<Json<BackupCheck>, ApiError> {
    let grant = privileges.cluster_keys()?;
    Ok(Json(
        backups::check(&state, &grant, &name, &body.passphrase).await?,
    ))
}

/// `GET /backups/{name}`: the encrypted file, streamed.
pub async fn download(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let grant = privileges.cluster_keys()?;
    let path = backups::download(&state, &grant, &name).await?;
    let served = tower_http::services::ServeFile::new(path)
        .oneshot(Request::new(Body::empty()))
        .await
        .map_err(internal)?;
    let mut response = served.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `PUT /backup-schedule` `{"enabled","frequency","weekday","time","keep","passphrase","version"}`.
pub async fn set_schedule(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(change): ApiJson<ScheduleChange>,
) -> Result<Json<BackupSchedule>, ApiError> {
    let grant = privileges.cluster_keys()?;
    Ok(Json(backups::set_schedule(&state, &grant, change).await?))
}

/// `POST /backups/upload` with the archive as the body (`application/octet-stream`): stored in
/// this node's backups folder as `ccmadmin-uploaded-…age`, to be checked and restored.
pub async fn upload(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<(axum::http::StatusCode, Json<BackupInfo>), ApiError> {
    use futures_util::StreamExt;
    let grant = privileges.cluster_keys()?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut upload = restores::begin_upload(&state, &grant, declared)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            app::error::AppError::invalid("Backup", format!("the upload was cut: {e}"))
        })?;
        upload.write(&chunk)?;
    }
    Ok((
        axum::http::StatusCode::CREATED,
        Json(upload.finish(&state).await?),
    ))
}

/// Body of `POST /backups/{name}/restore` (no `Debug`: it holds a passphrase).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    passphrase: String,
    #[serde(default)]
    data_only: bool,
}

/// `POST /backups/{name}/restore` `{"passphrase", "data_only"}`: checks the backup whole, then
/// stages it while the console answers 503, and restarts into it (202).
pub async fn restore(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RestoreBody>,
) -> Result<(axum::http::StatusCode, Json<RestoreStarted>), ApiError> {
    let grant = privileges.cluster_keys()?;
    let started =
        restores::restore(&state, &grant, &name, &body.passphrase, body.data_only).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(started)))
}
