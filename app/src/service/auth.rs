//! Logging in and out, the checked principal behind every request, and password changes.

use sea_orm::TransactionTrait;
use tower_sessions::Session;

use super::audit::{self, Event};
use super::authz::{levels_of_rows, Privileges};
use super::errors::internal;
use super::principal::{Actor, Principal};
use super::{password, AppState};
use crate::domain::account::{
    validate_new_password, validate_password_change, validate_user_id, BOOTSTRAP_USER,
    USER_ID_MAX_CHARS,
};
use crate::domain::audit::{object, AuditAction};
use crate::domain::session_policy::{LoginStamp, SessionState};
use crate::domain::throttle::{ThrottlePolicy, PER_ACCOUNT, PER_ADDRESS, PER_PAIR};
use crate::error::AppError;
use crate::store::session_store::LOGIN_KEY;
use crate::store::{throttle, users};

/// The longest password a login checks; a longer one is refused before any hashing.
pub const LOGIN_PASSWORD_MAX_BYTES: usize = 1024;

/// Checks the credentials and, when they hold, starts a new session (with a new id) for the user.
/// Every refusal gives the same error and takes about the same time, whether or not the user
/// exists. Failures are throttled per (user ID, address) pair, per address and, at a higher
/// threshold, per user ID; each attempt is counted before its password is checked, in one locked
/// step with the check, so parallel guesses count one each. Every attempt is audited.
pub async fn login(
    state: &AppState,
    session: &Session,
    username: &str,
    password_text: &str,
    address: Option<&str>,
) -> Result<Principal, AppError> {
    if username.is_empty() {
        return Err(AppError::invalid("User ID", "is required"));
    }
    if username.chars().count() > USER_ID_MAX_CHARS {
        return Err(AppError::invalid(
            "User ID",
            format!("must be at most {USER_ID_MAX_CHARS} characters"),
        ));
    }
    if password_text.is_empty() {
        return Err(AppError::invalid("Password", "is required"));
    }
    if password_text.len() > LOGIN_PASSWORD_MAX_BYTES {
        return Err(AppError::invalid(
            "Password",
            format!("must be at most {LOGIN_PASSWORD_MAX_BYTES} bytes"),
        ));
    }
    let now = state.clock.now();
    let actor = Actor {
        user_id: None,
        name: Some(username.to_owned()),
        address: address.map(str::to_owned),
    };
    let subjects = throttle_subjects(username, address);
    if let Some(wait) = count_attempt(state, &subjects, now).await? {
        login_event(state, &actor, AuditAction::LoginFailure, "throttled").await?;
        return Err(AppError::TooManyAttempts {
            retry_after_secs: wait,
        });
    }
    // A console too busy to check the password refuses at once, and takes the count back.
    let slot = match state.hashing.slot() {
        Ok(slot) => slot,
        Err(busy) => {
            for (subject, policy) in &subjects {
                throttle::forgive_one(&state.db, subject, policy.free_attempts).await?;
            }
            return Err(busy);
        }
    };
    let user = users::find_by_name(&state.db, username).await?;
    let accepted = match &user {
        Some(user) => {
            password::verify_in(slot, password_text.to_owned(), user.password_hash.clone()).await?
                && !user.disabled
        }
        None => {
            password::verify_dummy(&state.hashing, slot, password_text.to_owned()).await?;
            false
        }
    };
    let Some(user) = user.filter(|_| accepted) else {
        login_event(state, &actor, AuditAction::LoginFailure, "bad credentials").await?;
        return Err(AppError::BadCredentials);
    };
    // The attempt was counted as a failure; it was none. The pair and the account start again;
    // the address only takes this attempt back (its other failures stay).
    for (subject, policy) in &subjects {
        if subject.starts_with("addr:") {
            throttle::forgive_one(&state.db, subject, policy.free_attempts).await
        } else {
            throttle::clear(&state.db, subject).await
        }?;
    }
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(
            LOGIN_KEY,
            LoginStamp::new(user.id, now).in_epoch(user.session_epoch),
        )
        .await
        .map_err(internal)?;
    let actor = Actor {
        user_id: Some(user.id),
        ..actor
    };
    login_event(state, &actor, AuditAction::LoginSuccess, "logged in").await?;
    Ok(Principal {
        user_id: user.id,
        name: user.name,
        must_change_password: user.must_change_password,
    })
}

/// Checks every throttle of an attempt and, when none holds it back, counts it as a failure, in
/// one transaction holding the counters' rows: `Some(seconds)` to wait when it is held back (and
/// then it is not counted).
async fn count_attempt(
    state: &AppState,
    subjects: &[(String, &'static ThrottlePolicy)],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, AppError> {
    let txn = state.db.begin().await?;
    let mut counts = Vec::with_capacity(subjects.len());
    for (subject, policy) in subjects {
        let failures = throttle::get_locked(&txn, subject, now).await?;
        if let Some(wait) = policy.wait(failures.as_ref(), now) {
            txn.rollback().await?;
            return Ok(Some(wait));
        }
        counts.push(policy.after_failure(failures.as_ref(), now));
    }
    for ((subject, _), next) in subjects.iter().zip(&counts) {
        throttle::put(&txn, subject, next).await?;
    }
    txn.commit().await?;
    Ok(None)
}

/// The throttled subjects of an attempt, in the order their rows are locked (the same for every
/// attempt, so two attempts never wait for each other in a cycle).
fn throttle_subjects(
    username: &str,
    address: Option<&str>,
) -> Vec<(String, &'static ThrottlePolicy)> {
    let user = username.to_lowercase();
    // An IPv6 host usually holds a whole /64: it counts as one address.
    let address = address.map(|text| match text.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) => text.to_owned(),
    });
    let from = address.as_deref().unwrap_or("unknown");
    let mut subjects = vec![(format!("pair:{user}|{from}"), &PER_PAIR)];
    if let Some(address) = &address {
        subjects.push((format!("addr:{address}"), &PER_ADDRESS));
    }
    subjects.push((format!("user:{user}"), &PER_ACCOUNT));
    subjects
}

async fn login_event(
    state: &AppState,
    actor: &Actor,
    action: AuditAction,
    detail: &str,
) -> Result<(), AppError> {
    let name = actor.name.clone().unwrap_or_default();
    audit::record(
        &state.db,
        state.clock.now(),
        actor,
        Event {
            action,
            object_type: object::SESSION,
            object_name: &name,
            before: None,
            after: None,
            detail: detail.to_owned(),
        },
    )
    .await
    .map(|_| ())
}

/// The checked privileges of the session's user (the user and their group levels in one query),
/// or [`AppError::Unauthenticated`]. An expired session (idle or absolute limit, judged against
/// the injected clock), or one whose user is gone or disabled, is deleted on the server.
pub async fn current_privileges(
    state: &AppState,
    session: &Session,
    address: Option<String>,
) -> Result<Privileges, AppError> {
    let Some(mut stamp) = session
        .get::<LoginStamp>(LOGIN_KEY)
        .await
        .map_err(internal)?
    else {
        return Err(AppError::Unauthenticated);
    };
    let now = state.clock.now();
    match stamp.state_at(now) {
        SessionState::IdleExpired | SessionState::AbsoluteExpired => {
            session.flush().await.map_err(internal)?;
            return Err(AppError::Unauthenticated);
        }
        SessionState::Touch => {
            stamp.last_seen = now;
            session.insert(LOGIN_KEY, stamp).await.map_err(internal)?;
        }
        SessionState::Fresh => {}
    }
    match users::with_group_levels(&state.read, stamp.user_id).await? {
        Some(user) if !user.disabled && user.session_epoch == stamp.epoch => {
            let principal = Principal {
                user_id: user.id,
                name: user.name,
                must_change_password: user.must_change_password,
            };
            Privileges::from_group_levels(state, principal, levels_of_rows(user.rows), address)
                .await
        }
        _ => {
            session.flush().await.map_err(internal)?;
            Err(AppError::Unauthenticated)
        }
    }
}

/// Ends the session: it is deleted on the server, so its cookie is worthless afterwards.
pub async fn logout(state: &AppState, session: &Session, actor: &Actor) -> Result<(), AppError> {
    session.flush().await.map_err(internal)?;
    login_event(state, actor, AuditAction::Logout, "logged out").await
}

/// Changes the principal's own password (the current one is required), ends the user's other
/// sessions and gives the current one a new id.
pub async fn change_password(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    current_password: &str,
    new_password: &str,
    confirm_password: &str,
) -> Result<(), AppError> {
    validate_password_change(current_password, new_password, confirm_password)?;
    password::refuse_common("New Password", new_password)?;
    let user = users::find_by_id(&state.db, principal.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !password::verify(
        &state.hashing,
        current_password.to_owned(),
        user.password_hash.clone(),
    )
    .await?
    {
        return Err(AppError::invalid("Current Password", "is not correct"));
    }
    let hash = password::hash(&state.hashing, new_password.to_owned()).await?;
    let keep = session.id().map(|id| id.to_string());
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let Some(changed) = users::set_password(&txn, user, hash, false, now).await? else {
        return Err(AppError::Conflict(
            "Your account was changed while you typed; enter the passwords again.".to_owned(),
        ));
    };
    users::end_sessions(&txn, principal.user_id, keep.as_deref()).await?;
    txn.commit().await?;
    // This session goes on, under a new id, in the epoch the change began.
    let epoch = changed.session_epoch + 1;
    session.cycle_id().await.map_err(internal)?;
    if let Some(stamp) = session
        .get::<LoginStamp>(LOGIN_KEY)
        .await
        .map_err(internal)?
    {
        session
            .insert(LOGIN_KEY, stamp.in_epoch(epoch))
            .await
            .map_err(internal)?;
    }
    Ok(())
}

/// On a store without users, creates the super user `CCMAdministrator` in SuperUserGroup.
/// Its password is `configured` when given; otherwise a generated one, returned so that the caller
/// prints it once, which must be changed at first login. Returns `None` when users exist.
pub async fn bootstrap(
    state: &AppState,
    configured: Option<&str>,
) -> Result<Option<String>, AppError> {
    if users::count(&state.db).await? > 0 {
        return Ok(None);
    }
    let (password_text, generated) = match configured {
        Some(given) => {
            validate_new_password("CCMADMIN_BOOTSTRAP_PASSWORD", given)?;
            password::refuse_common("CCMADMIN_BOOTSTRAP_PASSWORD", given)?;
            (given.to_owned(), false)
        }
        None => (password::generate(), true),
    };
    let hash = password::hash(&state.hashing, password_text.clone()).await?;
    let txn = state.db.begin().await?;
    let created = users::create(
        &txn,
        BOOTSTRAP_USER,
        hash,
        generated,
        &["SuperUserGroup"],
        state.clock.now(),
    )
    .await;
    match created {
        Ok(_) => txn.commit().await?,
        // Another node bootstrapped the same store first.
        Err(_) if users::count(&state.db).await? > 0 => return Ok(None),
        Err(err) => return Err(internal(err)),
    }
    Ok(generated.then_some(password_text))
}

/// Sets a user's password from the host (`ccmadmin user passwd`), ends all their sessions and
/// revokes their API tokens.
/// With `must_change`, the user must choose a new one at next login.
pub async fn set_password_from_host(
    state: &AppState,
    name: &str,
    new_password: &str,
    must_change: bool,
) -> Result<(), AppError> {
    validate_user_id("NAME", name)?;
    validate_new_password("password", new_password)?;
    password::refuse_common("password", new_password)?;
    let user = users::find_by_name(&state.db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("User {name}")))?;
    let hash = password::hash(&state.hashing, new_password.to_owned()).await?;
    let user_id = user.id;
    let txn = state.db.begin().await?;
    if users::set_password(&txn, user, hash, must_change, state.clock.now())
        .await?
        .is_none()
    {
        return Err(AppError::Conflict(format!(
            "User {name} was changed meanwhile; run the command again."
        )));
    }
    users::end_sessions(&txn, user_id, None).await?;
    crate::store::tokens::revoke_all_of_user(&txn, user_id).await?;
    txn.commit().await.map_err(internal)
}
