//! Server functions of Service > Service Parameters and Serviceability > Service Activation.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::system::{ParameterSaved, ServiceActivation, ServiceParameters};

#[cfg(feature = "ssr")]
use super::ctx;

/// The parameters of `service` on `server`.
#[server(prefix = "/fn", endpoint = "service_parameters")]
pub async fn get_service_parameters(
    server: String,
    service: String,
) -> Result<ServiceParameters, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Service, Reads>()?;
    crate::service::service_settings::parameters(&state, &grant, &server, &service).await
}

/// Sets the changed parameters of `service` on `server`, each `(name, value, version read)`, in
/// one transaction.
#[server(prefix = "/fn", endpoint = "set_service_parameters", input = Json)]
pub async fn set_service_parameters(
    server: String,
    service: String,
    changes: Vec<(String, String, i32)>,
) -> Result<ParameterSaved, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Service, Writes>()?;
    let changes = changes
        .into_iter()
        .map(|(name, value, version)| (name, value, Some(version)))
        .collect();
    crate::service::service_settings::set_parameters(&state, &grant, &server, &service, changes)
        .await
}

/// Every service of every server, activated or not.
#[server(prefix = "/fn", endpoint = "service_activations")]
pub async fn list_service_activations() -> Result<Vec<ServiceActivation>, AppError> {
    use crate::service::authz::{area, Reads};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Serviceability, Reads>()?;
    crate::service::service_settings::activations(&state, &grant).await
}

/// Activates or deactivates a service on a server (`version`: the one read).
#[server(prefix = "/fn", endpoint = "set_service_activation")]
pub async fn set_service_activation(
    server: String,
    service: String,
    activated: bool,
    version: i32,
) -> Result<ServiceActivation, AppError> {
    use crate::service::authz::{area, Writes};
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.grant::<area::Serviceability, Writes>()?;
    crate::service::service_settings::set_activation(
        &state,
        &grant,
        &server,
        &service,
        activated,
        Some(version),
    )
    .await
}
