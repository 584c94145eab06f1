//! The audit log no longer keeps CAPF authentication strings: a phone's snapshot records only
//! that one is set (`********`). This migration masks the strings that phone changes recorded
//! before; it is the one change ever made to audit rows, and it removes a secret only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

/// Masks `fields.authentication_string` in the phone snapshots of the audit log.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_mask_capf_strings"
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Before,
    After,
}

/// How a set string shows in the audit log.
const MASK: &str = "********";

/// `snapshot` with its authentication string masked, or `None` when it holds none.
fn masked(snapshot: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(snapshot).ok()?;
    let secret = value.get_mut("fields")?.get_mut("authentication_string")?;
    match secret.as_str() {
        Some(text) if !text.is_empty() && text != MASK => {
            *secret = serde_json::Value::String(MASK.to_owned());
            Some(value.to_string())
        }
        _ => None,
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all(Statement::from_string(
                backend,
                "SELECT id, before, after FROM audit_log WHERE object_type = 'Phone' \
                 AND (before LIKE '%authentication_string%' OR after LIKE '%authentication_string%')",
            ))
            .await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let before: Option<String> = row.try_get("", "before")?;
            let after: Option<String> = row.try_get("", "after")?;
            let new_before = before.as_deref().and_then(masked);
            let new_after = after.as_deref().and_then(masked);
            if new_before.is_none() && new_after.is_none() {
                continue;
            }
            let mut update = Query::update();
            update
                .table(AuditLog::Table)
                .and_where(Expr::col(AuditLog::Id).eq(id));
            if let Some(text) = new_before {
                update.value(AuditLog::Before, text);
            }
            if let Some(text) = new_after {
                update.value(AuditLog::After, text);
            }
            manager.exec_stmt(update).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // A masked secret cannot be brought back.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_set_string_is_masked() {
        let set = r#"{"fields":{"name":"SEP1","authentication_string":"73519"},"effective":"x"}"#;
        let out = masked(set).unwrap();
        assert!(out.contains(MASK) && !out.contains("73519"), "{out}");
        assert_eq!(masked(r#"{"fields":{"authentication_string":""}}"#), None);
        assert_eq!(
            masked(r#"{"fields":{"authentication_string":"********"}}"#),
            None
        );
        assert_eq!(masked("not json"), None);
    }
}
