//! Server functions of Device > Phone.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::device::PhoneFields;
use crate::error::AppError;
use crate::model::{
    BulkPreview, BulkRequest, JobInfo, Page, PhoneContext, PhoneDetail, PhoneFilter, PhoneRow,
    PhoneSaved,
};

#[cfg(feature = "ssr")]
use super::ctx;

/// What the phone page needs to apply the rules while the admin edits.
#[server(prefix = "/fn", endpoint = "phone_context")]
pub async fn get_phone_context() -> Result<PhoneContext, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Reads>()?;
    crate::service::phones::context(&state, &grant).await
}

/// One page of phones.
#[server(prefix = "/fn", endpoint = "list_phones", input = Json)]
pub async fn list_phones(filter: PhoneFilter) -> Result<Page<PhoneRow>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Reads>()?;
    crate::service::phones::list(&state, &grant, &filter).await
}

/// One phone.
#[server(prefix = "/fn", endpoint = "get_phone")]
pub async fn get_phone(name: String) -> Result<PhoneDetail, AppError> {
    use crate::service::authz::{area, Reads, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Reads>()?;
    let reveal = privileges.grant::<area::Phone, Writes>().ok();
    crate::service::phones::get(&state, &grant, reveal.as_ref(), &name).await
}

/// Inserts a phone.
#[server(prefix = "/fn", endpoint = "create_phone", input = Json)]
pub async fn create_phone(fields: PhoneFields) -> Result<PhoneSaved, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::phones::create(&state, &grant, fields).await
}

/// Updates a phone read at `version`.
#[server(prefix = "/fn", endpoint = "update_phone", input = Json)]
pub async fn update_phone(
    name: String,
    fields: PhoneFields,
    version: i32,
) -> Result<PhoneSaved, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::phones::update(&state, &grant, &name, fields, version).await
}

/// Deletes a phone read at `version`.
#[server(prefix = "/fn", endpoint = "delete_phone")]
pub async fn delete_phone(name: String, version: i32) -> Result<(), AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::phones::delete(&state, &grant, &name, Some(version)).await?;
    leptos_axum::redirect("/phones");
    Ok(())
}

/// What a bulk change would do.
#[server(prefix = "/fn", endpoint = "preview_bulk", input = Json)]
pub async fn preview_bulk(request: BulkRequest) -> Result<BulkPreview, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::bulk::preview(&state, &grant, &request).await
}

/// Starts a bulk change as a job; returns the job at once.
#[server(prefix = "/fn", endpoint = "start_bulk", input = Json)]
pub async fn start_bulk(request: BulkRequest) -> Result<JobInfo, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    crate::service::bulk::start(&state, &grant, request).await
}

/// A job's progress.
#[server(prefix = "/fn", endpoint = "get_job")]
pub async fn get_job(id: i32) -> Result<JobInfo, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Reads>()?;
    crate::service::bulk::job(&state, &grant, id).await
}
