//! Server functions of the Security menu: certificates, the CTL operation, the TFTP files.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

use crate::model::security::{
    CertificateInfo, CtlRequest, CtlResult, CtlStatus, ManufacturerCa, Regenerated, TftpStatus,
    TokenExport, TokenUpload,
};

#[cfg(feature = "ssr")]
use super::ctx;

/// Every certificate of the cluster.
#[server(prefix = "/fn", endpoint = "list_certificates")]
pub async fn list_certificates() -> Result<Vec<CertificateInfo>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::System, Reads>()?;
    crate::service::certificates::list(&state, &grant).await
}

/// Regenerates certificate `id` read at `version`.
#[server(prefix = "/fn", endpoint = "regenerate_certificate")]
pub async fn regenerate_certificate(id: i32, version: i32) -> Result<Regenerated, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::System, Writes>()?;
    let (certificate, required_actions) =
        crate::service::certificates::regenerate(&state, &grant, id, Some(version)).await?;
    state.changed.notify_one();
    Ok(Regenerated {
        certificate,
        required_actions,
    })
}

/// Exports security token `id` as a token file encrypted with `passphrase`.
#[server(prefix = "/fn", endpoint = "export_token")]
pub async fn export_token(id: i32, passphrase: String) -> Result<TokenExport, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::offline_tokens::export(&state, &grant, id, &passphrase).await
}

/// Removes the key of security token `id` (read at `version`) from the server; `token` is its
/// token file and passphrase, which must open.
#[server(prefix = "/fn", endpoint = "take_token_offline", input = Json)]
pub async fn take_token_offline(
    id: i32,
    version: i32,
    token: TokenUpload,
) -> Result<CertificateInfo, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::offline_tokens::take_offline(&state, &grant, id, version, &token).await
}

/// The manufacturer CAs trusted for the phones' MICs.
#[server(prefix = "/fn", endpoint = "list_manufacturer_cas")]
pub async fn list_manufacturer_cas() -> Result<Vec<ManufacturerCa>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::System, Reads>()?;
    crate::service::capf::manufacturer_cas(&state, &grant).await
}

/// Trusts the manufacturer CA in `pem` for MICs.
#[server(prefix = "/fn", endpoint = "add_manufacturer_ca", input = Json)]
pub async fn add_manufacturer_ca(pem: String) -> Result<ManufacturerCa, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::capf::add_manufacturer_ca(&state, &grant, &pem).await
}

/// Stops trusting manufacturer CA `id`.
#[server(prefix = "/fn", endpoint = "remove_manufacturer_ca")]
pub async fn remove_manufacturer_ca(id: i32) -> Result<(), AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::capf::remove_manufacturer_ca(&state, &grant, id).await
}

/// The CTL page.
#[server(prefix = "/fn", endpoint = "ctl_status")]
pub async fn get_ctl_status() -> Result<CtlStatus, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::System, Reads>()?;
    crate::service::ctl::status(&state, &grant).await
}

/// Runs the CTL operation.
#[server(prefix = "/fn", endpoint = "run_ctl", input = Json)]
pub async fn run_ctl(request: CtlRequest) -> Result<CtlResult, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::System, Writes>()?;
    crate::service::ctl::apply(&state, &grant, request).await
}

/// The TFTP Files page; `filter` keeps the files whose name contains it.
#[server(prefix = "/fn", endpoint = "tftp_status")]
pub async fn get_tftp_status(filter: String) -> Result<TftpStatus, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::System, Reads>()?;
    crate::service::tftp_files::status(&state, &grant, &filter).await
}
