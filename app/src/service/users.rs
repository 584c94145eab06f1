//! User > Users: administrator accounts.

use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, effective_on, group_levels, Grant, Privileges, Reads, Writes};
use super::errors::internal;
use super::principal::Actor;
use super::{guard, password, AppState};
use crate::domain::access::{outranked_on, AccessLevel, FunctionalGroup, SUPER_USER_GROUP};
use crate::domain::account::{validate_new_password, validate_user_id, BOOTSTRAP_USER};
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::model::{NewUser, Page, UserChange, UserInfo};
use crate::store::entities::users as user_rows;
use crate::store::{groups, locks, parameters, tokens, users};

/// The largest page the user list serves.
pub const MAX_PER_PAGE: u64 = 200;

async fn info<C: ConnectionTrait>(db: &C, user: user_rows::Model) -> Result<UserInfo, AppError> {
    Ok(UserInfo {
        groups: users::group_names(db, user.id).await?,
        name: user.name,
        disabled: user.disabled,
        must_change_password: user.must_change_password,
        created_at: user.created_at,
        version: user.version,
    })
}

fn snapshot(user: &UserInfo) -> serde_json::Value {
    json!({
        "name": user.name,
        "groups": user.groups,
        "disabled": user.disabled,
        "must_change_password": user.must_change_password,
    })
}

async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<user_rows::Model, AppError> {
    users::find_by_name(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("User {name}")))
}

/// The ids of the named groups; an unknown name is refused naming the field `Groups`.
async fn group_ids<C: ConnectionTrait>(db: &C, names: &[String]) -> Result<Vec<i32>, AppError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let group = groups::find(db, name)
            .await?
            .ok_or_else(|| AppError::invalid("Groups", format!("{name:?} is not a user group")))?;
        if !ids.contains(&group.id) {
            ids.push(group.id);
        }
    }
    Ok(ids)
}

fn check_password(field: &str, text: &str) -> Result<(), AppError> {
    validate_new_password(field, text)?;
    password::refuse_common(field, text)
}

/// One page of accounts whose user ID contains `search`.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::UserManagement, Reads>,
    search: &str,
    page: u64,
    per_page: u64,
) -> Result<Page<UserInfo>, AppError> {
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::invalid(
            "Rows per page",
            format!("must be 1 to {MAX_PER_PAGE}"),
        ));
    }
    let page = page.max(1);
    let (rows, total) = users::page(&state.db, search.trim(), page, per_page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(info(&state.db, row).await?);
    }
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// One account.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::UserManagement, Reads>,
    name: &str,
) -> Result<UserInfo, AppError> {
    info(&state.db, find(&state.db, name).await?).await
}

/// Creates an account. Putting it in groups also needs Full Access to UserPrivilegeManagement.
pub async fn create(
    state: &AppState,
    privileges: &Privileges,
    input: NewUser,
) -> Result<UserInfo, AppError> {
    let grant = privileges.grant::<area::UserManagement, Writes>()?;
    if !input.groups.is_empty() {
        privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
    }
    let name = input.name.trim();
    validate_user_id("User ID", name)?;
    check_password("Password", &input.password)?;
    if users::find_by_name(&state.db, name).await?.is_some() {
        return Err(AppError::invalid(
            "User ID",
            format!("{name} already exists"),
        ));
    }
    let hash = password::hash(&state.hashing, input.password.clone()).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let ids = group_ids(&txn, &input.groups).await?;
    let user = users::create(&txn, name, hash, input.must_change_password, &[], now).await?;
    groups::set_groups_of_user(&txn, user.id, &ids).await?;
    let created = info(&txn, user).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::USER,
            object_name: name,
            before: None,
            after: Some(snapshot(&created)),
            detail: format!("User {name} created"),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The privilege ceiling (R22): another user's password, disabled flag, forced change, sessions
/// and the account itself may be changed only by an administrator whose effective level is at
/// least theirs on every functional group, and a member of SuperUserGroup only by one with Full
/// Access to UserPrivilegeManagement. Read inside the change's transaction.
async fn may_administer<C: ConnectionTrait>(
    db: &C,
    privileges: &Privileges,
    target: &user_rows::Model,
) -> Result<(), AppError> {
    if target.id == privileges.principal.user_id {
        return Ok(());
    }
    let name = &target.name;
    let per_group = group_levels(db, target.id).await?;
    if per_group.iter().any(|(group, _)| group == SUPER_USER_GROUP)
        && privileges.level(FunctionalGroup::UserPrivilegeManagement) != AccessLevel::FullAccess
    {
        return Err(AppError::Denied(format!(
            "{name} is a member of {SUPER_USER_GROUP}: only an administrator with Full Access \
             to UserPrivilegeManagement may change their account"
        )));
    }
    let policy = parameters::overlap_policy(db).await?;
    let theirs: Vec<_> = FunctionalGroup::ALL
        .into_iter()
        .map(|group| (group, effective_on(&per_group, group, policy).level))
        .collect();
    match outranked_on(&privileges.levels, &theirs) {
        Some((group, level)) => Err(AppError::Denied(format!(
            "{name} has {} on {}, more than you: only an administrator with at least their \
             access may change their password, status or sessions",
            level.label(),
            group.name()
        ))),
        None => Ok(()),
    }
}

/// Answers a change the privilege ceiling refused with `err`, after rolling `txn` back, and
/// records the attempt in the audit log (outside the change's transaction, which wrote nothing):
/// a refused takeover leaves a trace.
async fn refuse_takeover(
    state: &AppState,
    txn: DatabaseTransaction,
    actor: &Actor,
    target: &str,
    err: AppError,
) -> AppError {
    if let Err(e) = txn.rollback().await {
        return internal(e);
    }
    let event = Event {
        action: AuditAction::AccessDenied,
        object_type: object::USER,
        object_name: target,
        before: None,
        after: None,
        detail: format!("refused by the privilege ceiling: {err}"),
    };
    match audit::record(&state.db, state.clock.now(), actor, event).await {
        Ok(_) => err,
        Err(e) => e,
    }
}

/// Ends the account's sessions and revokes its API tokens, in the change's transaction.
async fn end_access<C: ConnectionTrait>(db: &C, user_id: i32) -> Result<u64, AppError> {
    let ended = users::end_sessions(db, user_id, None).await?;
    tokens::revoke_all_of_user(db, user_id).await?;
    Ok(ended)
}

/// Changes an account. Changing its groups also needs Full Access to UserPrivilegeManagement;
/// changing another user's password, status or forced change is bounded by the privilege
/// ceiling ([`may_administer`]). A password set by an administrator must be changed at the
/// user's next login, and it ends the user's sessions and revokes their API tokens, as disabling
/// does; one's own password is changed only by [`super::auth::change_password`].
pub async fn update(
    state: &AppState,
    privileges: &Privileges,
    name: &str,
    change: UserChange,
) -> Result<UserInfo, AppError> {
    let grant = privileges.grant::<area::UserManagement, Writes>()?;
    if change.password.is_some() && name == privileges.principal.name {
        // Whoever holds this session or token must prove they know the current password.
        return Err(AppError::invalid(
            "Password",
            "your own password is changed on Change Password, which asks for the current one",
        ));
    }
    if let Some(new_password) = &change.password {
        check_password("Password", new_password)?;
    }
    let hash = match &change.password {
        Some(p) => Some(password::hash(&state.hashing, p.clone()).await?),
        None => None,
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // First, so that every change to who holds what is serialised in one order.
    locks::access_rights(&txn).await?;
    let user = find(&txn, name).await?;
    if change.version.is_some_and(|v| v != user.version) {
        return Err(audit::conflict(&txn, object::USER, name).await);
    }
    let password_changed = hash.is_some();
    let disabled = change.disabled.unwrap_or(user.disabled);
    // A password set by an administrator is the user's to replace at next login.
    let must_change = password_changed
        || change
            .must_change_password
            .unwrap_or(user.must_change_password);
    if password_changed || disabled != user.disabled || must_change != user.must_change_password {
        if let Err(err) = may_administer(&txn, privileges, &user).await {
            return Err(refuse_takeover(state, txn, &grant.actor, name, err).await);
        }
    }
    let before = info(&txn, user.clone()).await?;
    let user_id = user.id;
    let Some(updated) = users::update(&txn, user, disabled, must_change, hash, now).await? else {
        return Err(audit::conflict(&txn, object::USER, name).await);
    };
    if let Some(new_groups) = &change.groups {
        let mut sorted = new_groups.clone();
        sorted.sort();
        sorted.dedup();
        if sorted != before.groups {
            privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
            let ids = group_ids(&txn, new_groups).await?;
            groups::set_groups_of_user(&txn, user_id, &ids).await?;
        }
    }
    if disabled || password_changed {
        end_access(&txn, user_id).await?;
    }
    let after = info(&txn, updated).await?;
    guard::super_user_keeps_control(&txn, if disabled { "Disabled" } else { "Groups" }).await?;
    let mut detail = format!("User {name} changed");
    if password_changed {
        detail.push_str("; password reset, sessions ended");
    }
    if disabled && !before.disabled {
        detail.push_str("; disabled, sessions ended");
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::USER,
            object_name: name,
            before: Some(snapshot(&before)),
            after: Some(snapshot(&after)),
            detail,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes an account (within the privilege ceiling); its sessions and tokens end with it.
pub async fn delete(
    state: &AppState,
    privileges: &Privileges,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let grant = privileges.grant::<area::UserManagement, Writes>()?;
    if name == BOOTSTRAP_USER {
        return Err(AppError::invalid(
            "User ID",
            format!("{BOOTSTRAP_USER} cannot be deleted"),
        ));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // First, so that every change to who holds what is serialised in one order.
    locks::access_rights(&txn).await?;
    let user = find(&txn, name).await?;
    if version.is_some_and(|v| v != user.version) {
        return Err(audit::conflict(&txn, object::USER, name).await);
    }
    if let Err(err) = may_administer(&txn, privileges, &user).await {
        return Err(refuse_takeover(state, txn, &grant.actor, name, err).await);
    }
    let before = info(&txn, user.clone()).await?;
    end_access(&txn, user.id).await?;
    if !users::delete_at_version(&txn, user.id, user.version).await? {
        return Err(audit::conflict(&txn, object::USER, name).await);
    }
    guard::super_user_keeps_control(&txn, "User ID").await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::USER,
            object_name: name,
            before: Some(snapshot(&before)),
            after: None,
            detail: format!("User {name} deleted"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}

/// Ends every session of the account (within the privilege ceiling); returns how many.
pub async fn end_sessions(
    state: &AppState,
    privileges: &Privileges,
    name: &str,
) -> Result<u64, AppError> {
    let grant = privileges.grant::<area::UserManagement, Writes>()?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // First, so that every change to who holds what is serialised in one order.
    locks::access_rights(&txn).await?;
    let user = find(&txn, name).await?;
    if let Err(err) = may_administer(&txn, privileges, &user).await {
        return Err(refuse_takeover(state, txn, &grant.actor, name, err).await);
    }
    let ended = users::end_sessions(&txn, user.id, None).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SESSION,
            object_name: name,
            before: None,
            after: None,
            detail: format!("{ended} session(s) of {name} ended"),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ended)
}
