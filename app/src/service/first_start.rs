//! The first start of an empty store: this node becomes the publisher, with its services as a
//! fresh CallManager install activates them (a missing activation row is the service's default),
//! in the CallManager group `Default`, which the device pool `Default` uses — so the first phone
//! can be added at once. A store that has a server is left as it is.

use sea_orm::TransactionTrait;

use super::authz::Internal;
use super::AppState;
use crate::domain::pools::DEFAULT_NAME;
use crate::domain::servers::{validate_server, ServerFields};
use crate::domain::services::ServerRole;
use crate::error::AppError;
use crate::store::{locks, seed, servers, topology};

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
    _internal: &Internal,
    name: &str,
    address: &str,
) -> Result<Option<Created>, AppError> {
    let mut fields = ServerFields::new(name, address);
    fields.role = ServerRole::Publisher;
    fields.description = "Publisher (created at first start)".to_owned();
    validate_server(&fields)?;
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    if servers::count(&txn).await? > 0 {
        return Ok(None);
    }
    let server = servers::insert(&txn, &fields, super::servers::new_guid()).await?;
    let group = match topology::group(&txn, DEFAULT_NAME).await? {
        Some(group) => group,
        None => seed::insert_group(&txn, DEFAULT_NAME).await?,
    };
    topology::set_members(&txn, group.id, &[server.id]).await?;
    if topology::pool(&txn, DEFAULT_NAME).await?.is_none() {
        let region = topology::region(&txn, DEFAULT_NAME)
            .await?
            .map_or(1, |r| r.id);
        seed::insert_pool(&txn, DEFAULT_NAME, group.id, None, region).await?;
    }
    txn.commit().await?;
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
