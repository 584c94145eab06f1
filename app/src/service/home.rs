//! The home page's facts.

use super::authz::Privileges;
use super::errors::internal;
use super::AppState;
use crate::error::AppError;
use crate::model::HomeInfo;
use crate::store::cluster;
use crate::store::phones::{self, PhoneQuery};

/// The console's version, from the build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the home page shows to the holder of `privileges`.
pub async fn home_info(state: &AppState, privileges: &Privileges) -> Result<HomeInfo, AppError> {
    let cluster = cluster::row(&state.db)
        .await?
        .ok_or_else(|| internal("the cluster row is missing"))?;
    let cluster_security_mode = match cluster.security_mode.as_str() {
        "mixed" => "Mixed",
        _ => "Non Secure",
    };
    Ok(HomeInfo {
        user: privileges.describe(state).await?,
        version: VERSION.to_owned(),
        cluster_name: cluster.name,
        cluster_security_mode: cluster_security_mode.to_owned(),
        devices: phones::count(&state.read, &PhoneQuery::default()).await?,
    })
}
