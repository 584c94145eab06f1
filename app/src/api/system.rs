//! Server functions of the System menu: SRST references, enterprise parameters, the other
//! clusters sharing TFTP, servers, CallManager groups, device pools, regions, and the security
//! dashboard.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::dashboard::Dashboard;
use crate::domain::pools::{GroupFields, PoolFields, RegionFields};
use crate::domain::servers::ServerFields;
use crate::domain::srst::SrstFields;
use crate::domain::tftp_share::TftpCluster;
use crate::error::AppError;
use crate::model::system::{
    EnterpriseParameters, GroupDetail, GroupSaved, ParameterSaved, PoolChoices, PoolDetail,
    PoolSaved, RegionDetail, ServerDetail, ServerSaved, SrstInfo, SrstSaved,
};

#[cfg(feature = "ssr")]
use super::ctx;

#[cfg(feature = "ssr")]
async fn reads() -> Result<
    (
        crate::service::AppState,
        crate::service::authz::Grant<
            crate::service::authz::area::System,
            crate::service::authz::Reads,
        >,
    ),
    AppError,
> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant()?;
    Ok((state, grant))
}

#[cfg(feature = "ssr")]
async fn writes() -> Result<
    (
        crate::service::AppState,
        crate::service::authz::Grant<
            crate::service::authz::area::System,
            crate::service::authz::Writes,
        >,
    ),
    AppError,
> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant()?;
    Ok((state, grant))
}

/// Every SRST reference; `missing_certificate` keeps the secure ones without a valid certificate.
#[server(prefix = "/fn", endpoint = "list_srst")]
pub async fn list_srst(missing_certificate: bool) -> Result<Vec<SrstInfo>, AppError> {
    let (state, grant) = reads().await?;
    crate::service::srst::list(&state, &grant, missing_certificate).await
}

/// One SRST reference.
#[server(prefix = "/fn", endpoint = "get_srst")]
pub async fn get_srst(name: String) -> Result<SrstInfo, AppError> {
    let (state, grant) = reads().await?;
    crate::service::srst::get(&state, &grant, &name).await
}

/// Inserts an SRST reference (`original` empty) or updates the one named `original` read at
/// `version`.
#[server(prefix = "/fn", endpoint = "save_srst", input = Json)]
pub async fn save_srst(
    original: Option<String>,
    fields: SrstFields,
    version: i32,
) -> Result<SrstSaved, AppError> {
    let (state, grant) = writes().await?;
    match original {
        Some(name) => crate::service::srst::update(&state, &grant, &name, fields, version).await,
        None => crate::service::srst::create(&state, &grant, fields).await,
    }
}

/// Fetches an SRST reference's certificate again.
#[server(prefix = "/fn", endpoint = "update_srst_certificate")]
pub async fn update_srst_certificate(name: String) -> Result<SrstSaved, AppError> {
    let (state, grant) = writes().await?;
    crate::service::srst::update_certificate(&state, &grant, &name).await
}

/// Deletes an SRST reference read at `version`.
#[server(prefix = "/fn", endpoint = "delete_srst")]
pub async fn delete_srst(name: String, version: i32) -> Result<(), AppError> {
    let (state, grant) = writes().await?;
    crate::service::srst::delete(&state, &grant, &name, Some(version)).await?;
    leptos_axum::redirect("/srst");
    Ok(())
}

/// Everything the Enterprise Parameters page shows.
#[server(prefix = "/fn", endpoint = "enterprise_parameters")]
pub async fn get_enterprise_parameters() -> Result<EnterpriseParameters, AppError> {
    let (state, grant) = reads().await?;
    crate::service::parameters::page(&state, &grant).await
}

/// Sets the changed enterprise parameters of the page, each `(name, value, version read)`, in one
/// transaction.
#[server(prefix = "/fn", endpoint = "set_enterprise_parameters", input = Json)]
pub async fn set_enterprise_parameters(
    changes: Vec<(String, String, i32)>,
) -> Result<ParameterSaved, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::parameters::set_many(&state, &privileges, changes).await
}

/// "Set to Default" for one parameter, or for the page (`name` empty).
#[server(prefix = "/fn", endpoint = "enterprise_parameter_default")]
pub async fn set_enterprise_default(name: Option<String>) -> Result<ParameterSaved, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::parameters::set_to_default(&state, &privileges, name.as_deref()).await
}

/// Adds or updates another cluster sharing the TFTP servers; returns the R3 warnings.
#[server(prefix = "/fn", endpoint = "save_tftp_cluster", input = Json)]
pub async fn save_tftp_cluster(
    original: Option<String>,
    cluster: TftpCluster,
    version: Option<i32>,
) -> Result<Vec<String>, AppError> {
    let (state, grant) = writes().await?;
    crate::service::parameters::save_tftp_cluster(
        &state,
        &grant,
        original.as_deref(),
        cluster,
        version,
    )
    .await
}

/// Removes another cluster from the TFTP sharing list.
#[server(prefix = "/fn", endpoint = "delete_tftp_cluster")]
pub async fn delete_tftp_cluster(name: String, version: i32) -> Result<(), AppError> {
    let (state, grant) = writes().await?;
    crate::service::parameters::delete_tftp_cluster(&state, &grant, &name, Some(version)).await
}

/// Every server with its registered devices.
#[server(prefix = "/fn", endpoint = "list_servers")]
pub async fn list_servers() -> Result<Vec<ServerDetail>, AppError> {
    let (state, grant) = reads().await?;
    crate::service::servers::list(&state, &grant).await
}

/// One server.
#[server(prefix = "/fn", endpoint = "get_server")]
pub async fn get_server(name: String) -> Result<ServerDetail, AppError> {
    let (state, grant) = reads().await?;
    crate::service::servers::get(&state, &grant, &name).await
}

/// Adds a server (`original` empty) or updates the one named `original` read at `version`.
#[server(prefix = "/fn", endpoint = "save_server", input = Json)]
pub async fn save_server(
    original: Option<String>,
    fields: ServerFields,
    version: i32,
) -> Result<ServerSaved, AppError> {
    let (state, grant) = writes().await?;
    match original {
        Some(name) => crate::service::servers::update(&state, &grant, &name, fields, version).await,
        None => crate::service::servers::create(&state, &grant, fields).await,
    }
}

/// Deletes a server read at `version`.
#[server(prefix = "/fn", endpoint = "delete_server")]
pub async fn delete_server(name: String, version: i32) -> Result<(), AppError> {
    let (state, grant) = writes().await?;
    crate::service::servers::delete(&state, &grant, &name, Some(version)).await?;
    leptos_axum::redirect("/servers");
    Ok(())
}

/// Every CallManager group with the device pools that use it.
#[server(prefix = "/fn", endpoint = "list_groups")]
pub async fn list_groups() -> Result<Vec<GroupDetail>, AppError> {
    let (state, grant) = reads().await?;
    crate::service::callmanager_groups::list(&state, &grant).await
}

/// One CallManager group.
#[server(prefix = "/fn", endpoint = "get_group")]
pub async fn get_group(name: String) -> Result<GroupDetail, AppError> {
    let (state, grant) = reads().await?;
    crate::service::callmanager_groups::get(&state, &grant, &name).await
}

/// Adds a CallManager group (`original` empty) or updates the one named `original` read at
/// `version`.
#[server(prefix = "/fn", endpoint = "save_group", input = Json)]
pub async fn save_group(
    original: Option<String>,
    fields: GroupFields,
    version: i32,
) -> Result<GroupSaved, AppError> {
    let (state, grant) = writes().await?;
    match original {
        Some(name) => {
            crate::service::callmanager_groups::update(&state, &grant, &name, fields, version).await
        }
        None => crate::service::callmanager_groups::create(&state, &grant, fields).await,
    }
}

/// Deletes a CallManager group read at `version` (refused while device pools use it).
#[server(prefix = "/fn", endpoint = "delete_group")]
pub async fn delete_group(name: String, version: i32) -> Result<(), AppError> {
    let (state, grant) = writes().await?;
    crate::service::callmanager_groups::delete(&state, &grant, &name, Some(version)).await?;
    leptos_axum::redirect("/callmanager-groups");
    Ok(())
}

/// Every device pool with the count of its devices.
#[server(prefix = "/fn", endpoint = "list_pools")]
pub async fn list_pools() -> Result<Vec<PoolDetail>, AppError> {
    let (state, grant) = reads().await?;
    crate::service::device_pools::list(&state, &grant).await
}

/// One device pool.
#[server(prefix = "/fn", endpoint = "get_pool")]
pub async fn get_pool(name: String) -> Result<PoolDetail, AppError> {
    let (state, grant) = reads().await?;
    crate::service::device_pools::get(&state, &grant, &name).await
}

/// Adds a device pool (`original` empty) or updates the one named `original` read at `version`.
#[server(prefix = "/fn", endpoint = "save_pool", input = Json)]
pub async fn save_pool(
    original: Option<String>,
    fields: PoolFields,
    version: i32,
) -> Result<PoolSaved, AppError> {
    let (state, grant) = writes().await?;
    match original {
        Some(name) => {
            crate::service::device_pools::update(&state, &grant, &name, fields, version).await
        }
        None => crate::service::device_pools::create(&state, &grant, fields).await,
    }
}

/// Deletes a device pool read at `version` (refused while devices use it).
#[server(prefix = "/fn", endpoint = "delete_pool")]
pub async fn delete_pool(name: String, version: i32) -> Result<(), AppError> {
    let (state, grant) = writes().await?;
    crate::service::device_pools::delete(&state, &grant, &name, Some(version)).await?;
    leptos_axum::redirect("/device-pools");
    Ok(())
}

/// The servers, groups, regions and SRST references the group and pool forms offer.
#[server(prefix = "/fn", endpoint = "pool_form_choices")]
pub async fn pool_form_choices() -> Result<PoolChoices, AppError> {
    let (state, grant) = reads().await?;
    crate::service::device_pools::choices(&state, &grant).await
}

/// Every region with the device pools in it.
#[server(prefix = "/fn", endpoint = "list_regions")]
pub async fn list_regions() -> Result<Vec<RegionDetail>, AppError> {
    let (state, grant) = reads().await?;
    crate::service::regions::list(&state, &grant).await
}

/// One region.
#[server(prefix = "/fn", endpoint = "get_region")]
pub async fn get_region(name: String) -> Result<RegionDetail, AppError> {
    let (state, grant) = reads().await?;
    crate::service::regions::get(&state, &grant, &name).await
}

/// Adds a region (`original` empty) or updates the one named `original` read at `version`.
#[server(prefix = "/fn", endpoint = "save_region", input = Json)]
pub async fn save_region(
    original: Option<String>,
    fields: RegionFields,
    version: i32,
) -> Result<RegionDetail, AppError> {
    let (state, grant) = writes().await?;
    match original {
        Some(name) => crate::service::regions::update(&state, &grant, &name, fields, version).await,
        None => crate::service::regions::create(&state, &grant, fields).await,
    }
}

/// Deletes a region read at `version` (refused while device pools use it).
#[server(prefix = "/fn", endpoint = "delete_region")]
pub async fn delete_region(name: String, version: i32) -> Result<(), AppError> {
    let (state, grant) = writes().await?;
    crate::service::regions::delete(&state, &grant, &name, Some(version)).await?;
    leptos_axum::redirect("/regions");
    Ok(())
}

/// The security dashboard.
#[server(prefix = "/fn", endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    let (state, grant) = reads().await?;
    crate::service::dashboard::dashboard(&state, &grant).await
}
