//! The first start of an empty store: this node becomes the publisher, with its services as a
//! fresh CallManager install activates them (a missing activation row is the service's default),
//! in the CallManager group `Default`, which the device pool `Default` uses — so the first phone
//! can be added at once. A store that has a server is left as it is.

use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set, TransactionTrait};

use super::state::internal;
use super::AppState;
use crate::domain::pools::DEFAULT_NAME;
use crate::domain::servers::{validate_server, ServerFields};
use crate::domain::services::ServerRole;
use crate::error::AppError;
use crate::store::entities::{callmanager_groups, device_pools, servers};
use crate::store::{locks, topology};

/// The longest server name a host name is cut to.
const MAX_SERVER_NAME: usize = 64;

/// A server name made of `host`: the characters a server name may hold, at most 64 of them
/// (`ccmadmin` when none is left).
pub fn server_name_of(host: &str) -> String {
    let name: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(MAX_SERVER_NAME)
        .collect();
    let name = name.trim_matches('.').to_owned();
    if name.is_empty() {
        "ccmadmin".to_owned()
    } else {
        name
    }
}

/// What the first start created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The publisher's name.
    pub publisher: String,
    /// Its address.
    pub address: String,
}

/// When the store has no server: creates the publisher `name` at `address`, the group `Default`
/// holding it, and the pool `Default` on that group (region `Default`, SRST disabled). Returns
/// what it created, or `None` for a store that has a server. Two nodes starting at once on one
/// store create them once.
pub async fn ensure_publisher(
    state: &AppState,
    name: &str,
    address: &str,
) -> Result<Option<Created>, AppError> {
    let mut fields = ServerFields::new(name, address);
    fields.role = ServerRole::Publisher;
    fields.description = "Publisher (created at first start)".to_owned();
    validate_server(&fields)?;
    let txn = state.db.begin().await.map_err(internal)?;
    locks::topology(&txn).await.map_err(internal)?;
    if servers::Entity::find()
        .count(&txn)
        .await
        .map_err(internal)?
        > 0
    {
        return Ok(None);
    }
    let port = |v: i64| i32::try_from(v).unwrap_or_default();
    let server = servers::ActiveModel {
        name: Set(fields.name.clone()),
        description: Set(fields.description.clone()),
        address: Set(fields.address.clone()),
        role: Set(ServerRole::Publisher.key().to_owned()),
        guid: Set(super::servers::new_guid()),
        ethernet_phone_port: Set(port(fields.ethernet_phone_port)),
        mgcp_listen_port: Set(port(fields.mgcp_listen_port)),
        mgcp_keep_alive_port: Set(port(fields.mgcp_keep_alive_port)),
        auto_registration: Set(false),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    let group = match topology::group(&txn, DEFAULT_NAME)
        .await
        .map_err(internal)?
    {
        Some(group) => group,
        None => callmanager_groups::ActiveModel {
            name: Set(DEFAULT_NAME.to_owned()),
            auto_registration: Set(false),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?,
    };
    topology::set_members(&txn, group.id, &[server.id])
        .await
        .map_err(internal)?;
    if topology::pool(&txn, DEFAULT_NAME)
        .await
        .map_err(internal)?
        .is_none()
    {
        let region = topology::region(&txn, DEFAULT_NAME)
            .await
            .map_err(internal)?
            .map_or(1, |r| r.id);
        device_pools::ActiveModel {
            name: Set(DEFAULT_NAME.to_owned()),
            callmanager_group_id: Set(group.id),
            srst_option: Set("disable".to_owned()),
            srst_reference_id: Set(None),
            region_id: Set(region),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
    }
    txn.commit().await.map_err(internal)?;
    state.reference.invalidate();
    Ok(Some(Created {
        publisher: fields.name,
        address: fields.address,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_name_becomes_a_valid_server_name() {
        assert_eq!(server_name_of("cm-pub.example.com"), "cm-pub.example.com");
        assert_eq!(server_name_of("héllo wörld"), "hllowrld");
        assert_eq!(server_name_of("!!!"), "ccmadmin");
        assert_eq!(server_name_of(&"a".repeat(100)).len(), 64);
    }
}
