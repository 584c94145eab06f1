//! `/api/v1/certificates`, `/api/v1/manufacturer-cas`, `/api/v1/ctl` and `/api/v1/tftp-files`
//! (functional group System).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use app::model::security::{
    CertificateInfo, CtlRequest, CtlResult, CtlStatus, ManufacturerCa, Regenerated, TftpStatus,
    TokenUpload,
};
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::errors::internal;
use app::service::{capf, certificates, ctl, offline_tokens, tftp_files, AppState};
use app::tftp::keys;

/// `GET /certificates`.
pub async fn list_certificates(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<CertificateInfo>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(certificates::list(&state, &grant).await?))
}

/// `GET /manufacturer-cas`: the CAs trusted for the phones' MICs.
pub async fn list_manufacturer_cas(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ManufacturerCa>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(capf::manufacturer_cas(&state, &grant).await?))
}

/// Body of `POST /manufacturer-cas`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManufacturerCaBody {
    pem: String,
}

/// `POST /manufacturer-cas` `{"pem": …}`: trusts a manufacturer CA for MICs.
pub async fn add_manufacturer_ca(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(body): ApiJson<ManufacturerCaBody>,
) -> Result<Json<ManufacturerCa>, ApiError> {
    let grant = privileges.cluster_keys()?;
    Ok(Json(
        capf::add_manufacturer_ca(&state, &grant, &body.pem).await?,
    ))
}

/// `DELETE /manufacturer-cas/{id}`: stops trusting a manufacturer CA.
pub async fn remove_manufacturer_ca(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.cluster_keys()?;
    capf::remove_manufacturer_ca(&state, &grant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn attachment(name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /certificates/{id}/der`: the certificate (never its key).
pub async fn certificate_der(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let (name, der) = certificates::download(&state, &grant, id).await?;
    Ok(attachment(
        &format!("{name}.der"),
        "application/pkix-cert",
        der,
    ))
}

/// `GET /certificates/{id}/pem`.
pub async fn certificate_pem(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let (name, der) = certificates::download(&state, &grant, id).await?;
    let pem = keys::pem(&der).map_err(internal)?;
    Ok(attachment(
        &format!("{name}.pem"),
        "application/x-pem-file",
        pem.into_bytes(),
    ))
}

/// Body of `POST /certificates/{id}/regenerate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegenerateBody {
    #[serde(default)]
    version: Option<i32>,
}

/// `POST /certificates/{id}/regenerate`: a new key and certificate, and the required actions.
pub async fn regenerate(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<RegenerateBody>,
) -> Result<Json<Regenerated>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    let (certificate, required_actions) =
        certificates::regenerate(&state, &grant, id, body.version).await?;
    state.changed.notify_one();
    Ok(Json(Regenerated {
        certificate,
        required_actions,
    }))
}

/// Body of `POST /certificates/{id}/export`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    passphrase: String,
}

/// `POST /certificates/{id}/export` `{"passphrase": …}`: the security token as a token file
/// (ASCII-armoured age, encrypted with that passphrase).
pub async fn export_token(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<ExportBody>,
) -> Result<Response, ApiError> {
    let grant = privileges.cluster_keys()?;
    let export = offline_tokens::export(&state, &grant, id, &body.passphrase).await?;
    Ok(attachment(
        &export.file_name,
        "application/octet-stream",
        export.file.into_bytes(),
    ))
}

/// Body of `POST /certificates/{id}/offline`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineBody {
    version: i32,
    token: TokenUpload,
}

/// `POST /certificates/{id}/offline` `{"version": …, "token": {"file": …, "passphrase": …}}`:
/// removes the token's key from the server once the token file is shown to open.
pub async fn take_token_offline(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<OfflineBody>,
) -> Result<Json<CertificateInfo>, ApiError> {
    let grant = privileges.cluster_keys()?;
    Ok(Json(
        offline_tokens::take_offline(&state, &grant, id, body.version, &body.token).await?,
    ))
}

/// `GET /ctl`.
pub async fn ctl_status(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<CtlStatus>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(ctl::status(&state, &grant).await?))
}

/// `POST /ctl` `{"mode": "Mixed"|"NonSecure", "tokens": ["SAST1", "SAST2"]}`.
pub async fn run_ctl(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(request): ApiJson<CtlRequest>,
) -> Result<Json<CtlResult>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(ctl::apply(&state, &grant, request).await?))
}

/// Query of `GET /tftp-files`.
#[derive(Debug, Deserialize)]
pub struct FilesQuery {
    #[serde(default)]
    name: String,
}

/// `GET /tftp-files?name=`: the pipeline's state and the matching files.
pub async fn tftp_status(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(q): Query<FilesQuery>,
) -> Result<Json<TftpStatus>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(tftp_files::status(&state, &grant, &q.name).await?))
}

/// `GET /tftp-files/{name}`: a built file, downloaded over HTTPS.
pub async fn tftp_file(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let bytes = tftp_files::read(&state, &grant, &name).await?;
    Ok(attachment(&name, "application/octet-stream", bytes))
}
