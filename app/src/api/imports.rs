//! Server functions of Device > Bulk Administration: validate and import a CSV file of phones,
//! and the phone templates an import row can name.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::imports::{ImportReport, ImportRequest, TemplateFields, TemplateInfo};
use crate::model::JobInfo;

#[cfg(feature = "ssr")]
use super::ctx;

/// What importing the file would do, row by row; changes nothing.
#[server(prefix = "/fn", endpoint = "validate_phone_import", input = Json)]
pub async fn validate_phone_import(request: ImportRequest) -> Result<ImportReport, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::imports::validate(&state, &grant, &request).await
}

/// Starts importing the file as a job; returns the job at once. In All-or-nothing mode a file
/// with any refused row is refused as a whole.
#[server(prefix = "/fn", endpoint = "start_phone_import", input = Json)]
pub async fn start_phone_import(request: ImportRequest) -> Result<JobInfo, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::imports::start(&state, &grant, request).await
}

/// Every phone template.
#[server(prefix = "/fn", endpoint = "list_templates")]
pub async fn list_templates() -> Result<Vec<TemplateInfo>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Reads>()?;
    crate::service::templates::list(&state, &grant).await
}

/// Adds a template (`original` empty) or updates the one named `original` read at `version`.
#[server(prefix = "/fn", endpoint = "save_template", input = Json)]
pub async fn save_template(
    original: Option<String>,
    fields: TemplateFields,
    version: i32,
) -> Result<TemplateInfo, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    match original {
        Some(name) => {
            crate::service::templates::update(&state, &grant, &name, fields, version).await
        }
        None => crate::service::templates::create(&state, &grant, fields).await,
    }
}

/// Deletes the template `name` read at `version`.
#[server(prefix = "/fn", endpoint = "delete_template")]
pub async fn delete_template(name: String, version: i32) -> Result<(), AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::templates::delete(&state, &grant, &name, Some(version)).await
}
