//! tower-sessions' `SessionStore` on the `sessions` table, through sea-orm, so that sessions live in
//! the same database as everything else (SQLite or PostgreSQL) and survive a restart. The table
//! keeps the SHA-256 of each session id, never the id itself, so a copy of the database cannot be
//! replayed as cookies; and saving a session only updates a row that still exists, so a request
//! still in flight when its session is ended cannot bring it back.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::entities::sessions;
use crate::domain::session_policy::LoginStamp;

/// The session key under which the login stamp is kept.
pub const LOGIN_KEY: &str = "login";

/// Sessions in the store. Expiry is judged by wall-clock time, as tower-sessions computes it.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    read: DatabaseConnection,
}

impl DbSessionStore {
    /// A store on `db`, loading sessions through `read` (`store::connect_reader`).
    pub fn new(db: DatabaseConnection, read: DatabaseConnection) -> Self {
        Self { db, read }
    }

    /// Deletes every session whose expiry has passed; returns how many.
    pub async fn delete_expired(&self) -> Result<u64, sea_orm::DbErr> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let res = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}

/// The key a session is stored under: the SHA-256 (hex) of its id as the cookie carries it.
pub fn stored_id(cookie_id: &str) -> String {
    Sha256::digest(cookie_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn backend(err: sea_orm::DbErr) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn row_of(record: &Record) -> session_store::Result<sessions::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(LOGIN_KEY)
        .and_then(|v| serde_json::from_value::<LoginStamp>(v.clone()).ok())
        .map(|stamp| stamp.user_id);
    Ok(sessions::ActiveModel {
        id: Set(stored_id(&record.id.to_string())),
        user_id: Set(user_id),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let row = row_of(record)?;
            let inserted = sessions::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(sessions::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // An update, never an insert: a session ended meanwhile (logout, password change, "end
        // sessions", user deleted) stays ended.
        let row = row_of(record)?;
        sessions::Entity::update_many()
            .set(sessions::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                ..row
            })
            .filter(sessions::Column::Id.eq(stored_id(&record.id.to_string())))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(row) = sessions::Entity::find_by_id(stored_id(&id.to_string()))
            .filter(sessions::Column::ExpiresAt.gt(now))
            .one(&self.read)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sessions::Entity::delete_by_id(stored_id(&id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
