//! Recording events in the audit log, and reading it.

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::ConnectionTrait;

use super::authz::{area, Grant, Reads};
use super::errors::internal;
use super::principal::Actor;
use super::AppState;
use crate::domain::audit::AuditAction;
use crate::error::AppError;
use crate::model::{AuditEntry, AuditFilter, Page};
use crate::store::audit::{self, AuditQuery, AuditRecord};

/// An event about an object, before it is written.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// What happened.
    pub action: AuditAction,
    /// The kind of object.
    pub object_type: &'a str,
    /// The object.
    pub object_name: &'a str,
    /// The object before, as JSON.
    pub before: Option<serde_json::Value>,
    /// The object after, as JSON.
    pub after: Option<serde_json::Value>,
    /// A sentence about it.
    pub detail: String,
}

/// The most characters of a name (actor, object) an audit row keeps.
pub const NAME_MAX_CHARS: usize = 256;
/// The most characters of an audit row's sentence.
pub const DETAIL_MAX_CHARS: usize = 1024;

/// `text` cut to `max` characters, marked with "…" when cut: a value an attacker made long (a
/// route, a typed user ID) is never written whole.
pub fn clipped(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

/// Writes `event` by `actor` at `at` (in the caller's transaction when `db` is one); names and
/// the sentence are clipped to [`NAME_MAX_CHARS`] and [`DETAIL_MAX_CHARS`].
pub async fn record<C: ConnectionTrait>(
    db: &C,
    at: DateTime<Utc>,
    actor: &Actor,
    event: Event<'_>,
) -> Result<i64, AppError> {
    let actor_name = actor.name.as_deref().map(|n| clipped(n, NAME_MAX_CHARS));
    audit::record(
        db,
        AuditRecord {
            at,
            actor: actor_name.as_deref(),
            address: actor.address.as_deref(),
            action: event.action,
            object_type: event.object_type,
            object_name: &clipped(event.object_name, NAME_MAX_CHARS),
            before: event.before,
            after: event.after,
            detail: clipped(&event.detail, DETAIL_MAX_CHARS).into_owned(),
        },
    )
    .await
    .map_err(internal)
}

/// The largest page the audit log serves.
pub const MAX_PER_PAGE: u64 = 200;

fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| {
            AppError::invalid(
                field,
                "must be a UTC date and time such as 2026-11-26T09:00",
            )
        })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// One page of the audit log matching `filter`, newest first.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::UserPrivilegeManagement, Reads>,
    filter: &AuditFilter,
) -> Result<Page<AuditEntry>, AppError> {
    let action = match non_empty(&filter.action) {
        Some(key) => Some(
            AuditAction::from_key(key)
                .ok_or_else(|| AppError::invalid("Action", format!("{key:?} is not an action")))?,
        ),
        None => None,
    };
    let from = non_empty(&filter.from)
        .map(|t| parse_instant("From", t))
        .transpose()?;
    let to = non_empty(&filter.to)
        .map(|t| parse_instant("To", t))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(AppError::invalid("To", "must be after From"));
        }
    }
    let per_page = filter.per_page.unwrap_or(50);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::invalid(
            "Rows per page",
            format!("must be 1 to {MAX_PER_PAGE}"),
        ));
    }
    let page = filter.page.unwrap_or(1).max(1);
    let query = AuditQuery {
        actor: non_empty(&filter.user).map(str::to_owned),
        object_type: non_empty(&filter.object_type).map(str::to_owned),
        action,
        from,
        to,
    };
    let (rows, total) = audit::page(&state.db, &query, page, per_page).await?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                address: r.address,
                action: r.action,
                object_type: r.object_type,
                object_name: r.object_name,
                before: r.before,
                after: r.after,
                detail: r.detail,
            })
            .collect(),
        total,
        page,
        per_page,
    })
}

/// The refusal of a stale update: says who changed the object last, and when.
pub async fn conflict<C: ConnectionTrait>(
    db: &C,
    object_type: &str,
    object_name: &str,
) -> AppError {
    let last = audit::last_about(db, object_type, object_name)
        .await
        .ok()
        .flatten();
    let by = match last {
        Some(row) => format!(
            " by {} at {} UTC",
            row.actor.as_deref().unwrap_or("the system"),
            row.at.format("%Y-%m-%d %H:%M:%S")
        ),
        None => String::new(),
    };
    AppError::Conflict(format!(
        "{object_type} {object_name} was changed{by} after you opened it. Reload to see the \
         current values, then make your change again."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_clipped_on_a_character_boundary() {
        assert_eq!(clipped("short", 10), "short");
        assert_eq!(clipped("ééééé", 3), "ééé…");
        assert_eq!(
            clipped(&"x".repeat(5000), NAME_MAX_CHARS).chars().count(),
            257
        );
    }
}
