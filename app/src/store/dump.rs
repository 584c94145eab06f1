//! A copy of the whole store that does not depend on its engine, for backups: each table as
//! JSON lines of its rows, parents before children, so that a SQLite store restores into
//! PostgreSQL and back. It is the one reader and writer of every table at once; it runs only in
//! a backup's read transaction and a restore's load of a freshly migrated store.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel, Iterable,
    PaginatorTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryOrder,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::entities::*;

/// Rows read or inserted at a time (well under SQLite's limit of bound values per statement).
const BATCH: usize = 200;

/// Why a table could not be copied out or loaded.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The store refused a statement.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A row could not be written or read as JSON.
    #[error("table {table}, row {row}: {source}")]
    Row {
        /// The table.
        table: &'static str,
        /// The row's line, from 1.
        row: usize,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The copy has no rows for a table this store has, or has a table it does not know.
    #[error("the copy's tables are not this store's: {0}")]
    Tables(String),
}

/// A table's rows, one JSON object a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// The table.
    pub table: String,
    /// Its rows, each a JSON object and a newline.
    pub rows: Vec<u8>,
}

macro_rules! tables {
    ($($table:ident),* $(,)?) => {
        /// The tables a copy holds, parents before children. Sessions, login throttling and the
        /// file pipeline's state are left out: a restored console starts with no session and no
        /// throttle, and builds its files again.
        pub const TABLES: &[&str] = &[$(stringify!($table)),*];

        async fn dump_one<C: ConnectionTrait>(db: &C, table: &str) -> Result<Vec<u8>, DumpError> {
            match table {
                $(stringify!($table) => dump_table::<$table::Entity, C>(db, stringify!($table)).await,)*
                other => Err(DumpError::Tables(format!("unknown table {other}"))),
            }
        }

        async fn load_one<C: ConnectionTrait>(db: &C, table: &str, rows: &[u8], shape: Shape) -> Result<u64, DumpError> {
            match table {
                $(stringify!($table) => load_table::<$table::Entity, C>(db, stringify!($table), rows, shape).await,)*
                other => Err(DumpError::Tables(format!("unknown table {other}"))),
            }
        }

        async fn clear_one<C: ConnectionTrait>(db: &C, table: &str) -> Result<(), DumpError> {
            match table {
                $(stringify!($table) => { $table::Entity::delete_many().exec(db).await?; Ok(()) })*
                other => Err(DumpError::Tables(format!("unknown table {other}"))),
            }
        }

        fn serial_of(table: &str) -> Option<String> {
            match table {
                $(stringify!($table) => serial_column::<$table::Entity>(),)*
                _ => None,
            }
        }
    };
}

tables!(
    cluster,
    users,
    user_groups,
    user_group_members,
    user_group_privileges,
    enterprise_parameters,
    audit_log,
    api_tokens,
    servers,
    callmanager_groups,
    callmanager_group_members,
    regions,
    srst_references,
    srst_certificates,
    device_pools,
    phone_models,
    phone_templates,
    devices,
    device_contacts,
    service_parameters,
    service_activations,
    tftp_clusters,
    required_actions,
    certificates,
    manufacturer_cas,
    jobs,
    job_devices,
    device_resets,
    backup_schedule,
);

/// The tables a copy leaves out, each for its reason (see [`TABLES`]).
pub const LEFT_OUT: &[&str] = &["sessions", "login_throttle", "tftp_state"];

/// Every table of [`TABLES`], read inside `db` (a read transaction, for one consistent copy).
pub async fn dump<C: ConnectionTrait>(db: &C) -> Result<Vec<TableRows>, DumpError> {
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        out.push(TableRows {
            table: (*table).to_owned(),
            rows: dump_one(db, table).await?,
        });
    }
    Ok(out)
}

/// One table's rows (a table of [`TABLES`]).
pub async fn table<C: ConnectionTrait>(db: &C, table: &str) -> Result<Vec<u8>, DumpError> {
    dump_one(db, table).await
}

/// Replaces every row of a store with `copy` inside `db` (one transaction): what migrations
/// seeded goes first, then each table is loaded, parents first. The copy must hold exactly the
/// tables of [`TABLES`]. Returns the rows loaded.
pub async fn load<C: ConnectionTrait>(db: &C, copy: &[TableRows]) -> Result<u64, DumpError> {
    let names: Vec<&str> = copy.iter().map(|t| t.table.as_str()).collect();
    if names != TABLES {
        return Err(DumpError::Tables(format!(
            "expected {}, found {}",
            TABLES.join(", "),
            names.join(", ")
        )));
    }
    load_tables(db, copy, Shape::Current).await
}

/// Loads `copy`, taken from a store of an older schema, into `db` migrated to that same schema
/// and not seeded: the copy holds the tables of [`TABLES`] that schema had, in that order, and
/// each row is inserted with exactly the columns it has (the columns later migrations add are
/// theirs to make). The migrations after it then take `db` to this console's schema.
pub async fn load_older<C: ConnectionTrait>(db: &C, copy: &[TableRows]) -> Result<u64, DumpError> {
    let mut known = TABLES.iter();
    for t in copy {
        if !known.any(|name| *name == t.table) {
            return Err(DumpError::Tables(format!(
                "{} is not a table of this store, or is out of order",
                t.table
            )));
        }
    }
    load_tables(db, copy, Shape::Older).await
}

/// Whether rows have this console's columns or an older schema's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Current,
    Older,
}

async fn load_tables<C: ConnectionTrait>(
    db: &C,
    copy: &[TableRows],
    shape: Shape,
) -> Result<u64, DumpError> {
    for t in copy.iter().rev() {
        clear_one(db, &t.table).await?;
    }
    let mut loaded = 0;
    for t in copy {
        loaded += load_one(db, &t.table, &t.rows, shape).await?;
    }
    if db.get_database_backend() == DbBackend::Postgres {
        for table in copy.iter().map(|t| t.table.as_str()) {
            if let Some(column) = serial_of(table) {
                // The next id follows the largest loaded one.
                db.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), \
                     COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false)"
                ))
                .await?;
            }
        }
    }
    Ok(loaded)
}

/// The row `line` of an older schema as an active model that sets exactly its columns: each
/// column it lacks is given a placeholder of its type so that the model reads, then left unset.
fn older_row<E>(line: &[u8]) -> Result<E::ActiveModel, serde_json::Error>
where
    E: EntityTrait,
    E::Model: DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    use sea_orm::{ColumnTrait, ColumnType, IdenStatic};
    let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line)?;
    let mut missing = Vec::new();
    for column in E::Column::iter() {
        let name = column.as_str();
        if object.contains_key(name) {
            continue;
        }
        let placeholder = match column.def().get_column_type() {
            ColumnType::Boolean => serde_json::json!(false),
            ColumnType::TinyInteger
            | ColumnType::SmallInteger
            | ColumnType::Integer
            | ColumnType::BigInteger
            | ColumnType::TinyUnsigned
            | ColumnType::SmallUnsigned
            | ColumnType::Unsigned
            | ColumnType::BigUnsigned => serde_json::json!(0),
            ColumnType::Float | ColumnType::Double | ColumnType::Decimal(_) => {
                serde_json::json!(0.0)
            }
            ColumnType::Timestamp | ColumnType::TimestampWithTimeZone | ColumnType::DateTime => {
                serde_json::json!("1970-01-01T00:00:00Z")
            }
            ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob => {
                serde_json::json!([])
            }
            ColumnType::Json | ColumnType::JsonBinary => serde_json::Value::Null,
            _ => serde_json::json!(""),
        };
        object.insert(name.to_owned(), placeholder);
        missing.push(column);
    }
    let model: E::Model = serde_json::from_value(serde_json::Value::Object(object))?;
    let mut active = model.into_active_model().reset_all();
    for column in missing {
        active.not_set(column);
    }
    Ok(active)
}

/// The single auto-increment key column of `E`, if it has one.
fn serial_column<E: EntityTrait>() -> Option<String> {
    let mut keys = E::PrimaryKey::iter();
    let key = keys.next()?;
    if keys.next().is_some() || !<E::PrimaryKey as PrimaryKeyTrait>::auto_increment() {
        return None;
    }
    Some(sea_orm::IdenStatic::as_str(&key.into_column()).to_owned())
}

async fn dump_table<E, C>(db: &C, table: &'static str) -> Result<Vec<u8>, DumpError>
where
    E: EntityTrait,
    E::Model: Serialize + Sync,
    C: ConnectionTrait,
{
    let mut select = E::find();
    for key in E::PrimaryKey::iter() {
        select = select.order_by_asc(key.into_column());
    }
    let mut pages = select.paginate(db, BATCH as u64);
    let mut out = Vec::new();
    let mut row = 0;
    while let Some(models) = pages.fetch_and_next().await? {
        for model in models {
            row += 1;
            serde_json::to_writer(&mut out, &model).map_err(|source| DumpError::Row {
                table,
                row,
                source,
            })?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

async fn load_table<E, C>(
    db: &C,
    table: &'static str,
    rows: &[u8],
    shape: Shape,
) -> Result<u64, DumpError>
where
    E: EntityTrait,
    E::Model: DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let mut batch = Vec::with_capacity(BATCH);
    let mut loaded = 0;
    for (i, line) in rows.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let row = |source| DumpError::Row {
            table,
            row: i + 1,
            source,
        };
        let active = match shape {
            Shape::Current => {
                let model: E::Model = serde_json::from_slice(line).map_err(row)?;
                model.into_active_model().reset_all()
            }
            Shape::Older => older_row::<E>(line).map_err(row)?,
        };
        batch.push(active);
        if batch.len() == BATCH {
            loaded += insert::<E, C>(db, std::mem::take(&mut batch)).await?;
        }
    }
    Ok(loaded + insert::<E, C>(db, batch).await?)
}

async fn insert<E, C>(db: &C, batch: Vec<E::ActiveModel>) -> Result<u64, DumpError>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let n = batch.len() as u64;
    if n > 0 {
        E::insert_many(batch).exec_without_returning(db).await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_copied_or_left_out_on_purpose() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/entities");
        let mut tables: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "mod.rs")
            .map(|n| n.trim_end_matches(".rs").to_owned())
            .collect();
        tables.sort();
        let mut listed: Vec<String> = TABLES
            .iter()
            .chain(LEFT_OUT)
            .map(|t| (*t).to_owned())
            .collect();
        listed.sort();
        assert_eq!(tables, listed);
    }
}
