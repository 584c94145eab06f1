//! Bulk Administration over the API: validate and import a CSV file of phones (the body), and
//! export phones (streamed), device pools and CallManager groups as CSV.

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use app::error::AppError;
use app::model::imports::{ImportAction, ImportMode, ImportReport, ImportRequest};
use app::model::PhoneFilter;
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::{imports, AppState};

/// The query of validate and import: what to do with existing phones and with refused rows.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// `insert_or_update` (default), `insert_only` or `update_only`.
    #[serde(default)]
    action: ImportAction,
    /// `all_or_nothing` (default) or `valid_rows`.
    #[serde(default)]
    mode: Option<ImportMode>,
}

/// The body as the CSV file's text, refused before it is read further once it passes the
/// configured size (by its Content-Length, or while it is read).
async fn csv_body(state: &AppState, req: Request) -> Result<String, AppError> {
    let max = state.import_limits.max_bytes;
    let too_big = |n: &str| {
        AppError::invalid(
            "File",
            format!(
                "is {n} bytes; the limit is {max} bytes ({} MiB)",
                max / (1024 * 1024)
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared.filter(|n| *n > max) {
        return Err(too_big(&n.to_string()));
    }
    let bytes: Bytes = axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|_| too_big("more than that"))?;
    let text =
        app::domain::csv::decode(&bytes).map_err(|e| AppError::invalid("File", e.to_string()))?;
    Ok(text.to_owned())
}

/// `POST /bulk/phones/validate?action=&mode=` with the CSV file as the body: the report.
pub async fn validate(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(q): Query<ImportQuery>,
    req: Request,
) -> Result<Json<ImportReport>, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    let csv = csv_body(&state, req).await?;
    let request = ImportRequest {
        csv,
        action: q.action,
        mode: q.mode.unwrap_or(ImportMode::AllOrNothing),
    };
    Ok(Json(imports::validate(&state, &grant, &request).await?))
}

/// `POST /bulk/phones/import?action=&mode=` with the CSV file as the body: 202 and the job
/// (`GET /jobs/{id}`).
pub async fn import(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(q): Query<ImportQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    let csv = csv_body(&state, req).await?;
    let request = ImportRequest {
        csv,
        action: q.action,
        mode: q.mode.unwrap_or(ImportMode::AllOrNothing),
    };
    let job = imports::start(&state, &grant, request).await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

fn csv_headers(file: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers
}

/// Whether an export writes the CAPF authentication strings as they are.
#[derive(Debug, Deserialize)]
pub struct RevealQuery {
    /// `true`: shown (needs Phone Full Access); otherwise masked.
    #[serde(default)]
    reveal: bool,
}

/// `GET /phones.csv?…&reveal=` (the filters of `GET /phones`): every matching phone, streamed a
/// page at a time; audited. A store error midway ends the file early (the log says why).
pub async fn phones_csv(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(filter): Query<PhoneFilter>,
    Query(shown): Query<RevealQuery>,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::Phone, Reads>()?;
    let reveal = if shown.reveal {
        Some(privileges.grant::<area::Phone, Writes>()?)
    } else {
        None
    };
    let export = imports::export_phones(&state, &grant, reveal.as_ref(), &filter).await?;
    let stream = futures_util::stream::unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), export)),
            Ok(None) => None,
            Err(e) => {
                tracing::error!("phone export ended early: {e}");
                Some((Err(std::io::Error::other(e.to_string())), export))
            }
        }
    });
    Ok((csv_headers("phones.csv"), Body::from_stream(stream)).into_response())
}

/// `GET /device-pools.csv`.
pub async fn pools_csv(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let text = imports::pools_csv(&state, &grant).await?;
    Ok((csv_headers("device-pools.csv"), text).into_response())
}

/// `GET /callmanager-groups.csv`.
pub async fn groups_csv(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Response, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let text = imports::groups_csv(&state, &grant).await?;
    Ok((csv_headers("callmanager-groups.csv"), text).into_response())
}
