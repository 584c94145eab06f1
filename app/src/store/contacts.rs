//! Queries on device contacts (`device_contacts`: where a device can be reached, and what it
//! last reported), owned by the service `registrations`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::device_contacts;
use super::versioned;
use crate::domain::security::SecurityMode;

/// What a device reports with its registration after fetching its files.
#[derive(Debug, Clone, Copy)]
pub struct Reported<'a> {
    /// The security mode it runs with.
    pub running_mode: SecurityMode,
    /// The file it fetched.
    pub config_file: &'a str,
    /// `valid`, `invalid` or `unsigned`.
    pub signature: &'a str,
}

/// The contact of the device `device_id`, if it has one.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    device_id: i32,
) -> Result<Option<device_contacts::Model>, DbErr> {
    device_contacts::Entity::find_by_id(device_id).one(db).await
}

/// A new contact (version 1, nothing reported yet) of the device `device_id` at `address:port`
/// over UDP, entered by `source` at `now`.
fn new_row(
    device_id: i32,
    address: &str,
    port: u16,
    source: &str,
    now: DateTime<Utc>,
) -> device_contacts::ActiveModel {
    device_contacts::ActiveModel {
        device_id: Set(device_id),
        address: Set(address.to_owned()),
        port: Set(i32::from(port)),
        transport: Set("udp".to_owned()),
        source: Set(source.to_owned()),
        last_seen: Set(now),
        running_mode: Set(None),
        config_file: Set(None),
        signature: Set(None),
        reported_at: Set(None),
        registration: Set(String::new()),
        refusal: Set(String::new()),
        refused_at: Set(None),
        version: Set(1),
    }
}

/// Records a registration of the device `device_id` in one statement: makes its contact at
/// version 1, or replaces the address, port, transport, source and time of the one it has and
/// bumps its version; with `report`, what the device reported too (else the last report stays).
pub async fn register<C: ConnectionTrait>(
    db: &C,
    device_id: i32,
    address: &str,
    port: u16,
    source: &str,
    now: DateTime<Utc>,
    report: Option<Reported<'_>>,
) -> Result<(), DbErr> {
    let mut row = new_row(device_id, address, port, source, now);
    let mut update = vec![
        device_contacts::Column::Address,
        device_contacts::Column::Port,
        device_contacts::Column::Transport,
        device_contacts::Column::Source,
        device_contacts::Column::LastSeen,
    ];
    if let Some(r) = report {
        row.running_mode = Set(Some(r.running_mode.label().to_owned()));
        row.config_file = Set(Some(r.config_file.to_owned()));
        row.signature = Set(Some(r.signature.to_owned()));
        row.reported_at = Set(Some(now));
        update.extend([
            device_contacts::Column::RunningMode,
            device_contacts::Column::ConfigFile,
            device_contacts::Column::Signature,
            device_contacts::Column::ReportedAt,
        ]);
    }
    device_contacts::Entity::insert(row)
        .on_conflict(
            OnConflict::column(device_contacts::Column::DeviceId)
                .update_columns(update)
                .value(
                    device_contacts::Column::Version,
                    Expr::col((device_contacts::Entity, device_contacts::Column::Version)).add(1),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Makes the contact of the device `device_id`, entered by `source` at `now` (version 1): false
/// when a concurrent change made one first (a unique-key violation).
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    device_id: i32,
    address: &str,
    port: u16,
    source: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    versioned::insert_new(db, new_row(device_id, address, port, source, now)).await
}

/// Replaces the address and port of the contact `row`, entered by `source` at `now`, only while
/// it still has the version it was read at: `None` when another change came first.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    row: device_contacts::Model,
    address: &str,
    port: u16,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Option<device_contacts::Model>, DbErr> {
    let read = row.version;
    let mut active: device_contacts::ActiveModel = row.into();
    active.address = Set(address.to_owned());
    active.port = Set(i32::from(port));
    active.transport = Set("udp".to_owned());
    active.source = Set(source.to_owned());
    active.last_seen = Set(now);
    versioned::update(db, active, read).await
}

/// Removes the contact of the device `device_id`, only while it still has the version `read`:
/// false when another change came first.
pub async fn delete<C: ConnectionTrait>(db: &C, device_id: i32, read: i32) -> Result<bool, DbErr> {
    versioned::delete::<device_contacts::Entity, _>(
        db,
        device_contacts::Column::DeviceId.eq(device_id),
        Some(read),
    )
    .await
}

/// Records a registration through the SIP registrar in one statement: the contact (made at
/// version 1, or replaced and its version bumped), its `transport` (`udp`, `tls`) and how it
/// registered; a refusal recorded before is cleared.
pub async fn register_sip<C: ConnectionTrait>(
    db: &C,
    device_id: i32,
    address: &str,
    port: u16,
    transport: &str,
    registration: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut row = new_row(device_id, address, port, "device", now);
    row.transport = Set(transport.to_owned());
    row.registration = Set(registration.to_owned());
    device_contacts::Entity::insert(row)
        .on_conflict(
            OnConflict::column(device_contacts::Column::DeviceId)
                .update_columns([
                    device_contacts::Column::Address,
                    device_contacts::Column::Port,
                    device_contacts::Column::Transport,
                    device_contacts::Column::Source,
                    device_contacts::Column::LastSeen,
                    device_contacts::Column::Registration,
                    device_contacts::Column::Refusal,
                    device_contacts::Column::RefusedAt,
                ])
                .value(
                    device_contacts::Column::Version,
                    Expr::col((device_contacts::Entity, device_contacts::Column::Version)).add(1),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records why a registration of the device `device_id` was refused at `now`, on the contact it
/// has (its address and port stay); false when it has none.
pub async fn refuse<C: ConnectionTrait>(
    db: &C,
    device_id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(device_contacts::Entity::update_many()
        .col_expr(device_contacts::Column::Refusal, Expr::value(reason))
        .col_expr(device_contacts::Column::RefusedAt, Expr::value(Some(now)))
        .col_expr(
            device_contacts::Column::Version,
            Expr::col(device_contacts::Column::Version).add(1),
        )
        .filter(device_contacts::Column::DeviceId.eq(device_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
