//! Server functions of Device > Phone.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::device::PhoneFields;
use crate::error::AppError;
use crate::model::{Page, PhoneContext, PhoneDetail, PhoneFilter, PhoneRow, PhoneSaved};

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
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Phone, Reads>()?;
    crate::service::phones::get(&state, &grant, &name).await
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
