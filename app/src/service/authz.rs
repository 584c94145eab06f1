//! The one permission mechanism (R22). Every page, server function and JSON API route has a rule
//! in [`RULES`]; the server's middleware applies it before anything else runs, and a route with no
//! rule is refused. Services additionally take a typed [`Grant`], which only [`Privileges`] can
//! make, so no handler reaches an operation without the right access.

use std::marker::PhantomData;

use sea_orm::ConnectionTrait;

use super::principal::{Actor, Principal};
use super::AppState;
use crate::domain::access::{
    effective_level, holds_cluster_keys, Access, AccessLevel, Effective, FunctionalGroup,
    GroupLevel, OverlapPolicy,
};
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::store::users;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user, for their own session, password and tokens.
    Authenticated,
    /// A logged-in user whose level on the functional group allows the access.
    Require(FunctionalGroup, Access),
    /// A device, by its registration credential (`service::registrations`); never a user.
    Device,
    /// Full Access to System, Serviceability and UserPrivilegeManagement together: what holds
    /// or replaces the cluster's private keys (backups: take, download, check, restore).
    ClusterKeys,
}

pub use crate::domain::access::CLUSTER_KEYS;

/// A device authenticated by its registration credential (made by the permission middleware
/// for [`Rule::Device`] routes only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity(pub String);

/// A route and its rule. `{name}` in a path matches one non-empty segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRule {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern.
    pub path: &'static str,
    /// What it requires.
    pub rule: Rule,
}

const fn r(method: &'static str, path: &'static str, rule: Rule) -> RouteRule {
    RouteRule { method, path, rule }
}

use Access::{Read, Write};
use FunctionalGroup::{
    Phone, Service, ServiceManagement as Sm, Serviceability, System, UserManagement as Um,
    UserPrivilegeManagement as Upm,
};
use Rule::{Authenticated, ClusterKeys, Device, Public, Require};

/// Every route of the console and what it requires. Deny by default: a route not listed here is
/// refused.
pub const RULES: &[RouteRule] = &[
    // Serviceability > Disaster Recovery: backups hold the cluster's private keys.
    r("GET", "/api/v1/backups", ClusterKeys),
    r("POST", "/api/v1/backups", ClusterKeys),
    r("GET", "/api/v1/backups/{name}", ClusterKeys),
    r("POST", "/api/v1/backups/{name}/check", ClusterKeys),
    r("POST", "/api/v1/backups/upload", ClusterKeys),
    r("POST", "/api/v1/backups/{name}/restore", ClusterKeys),
    r("POST", "/fn/restore_backup", ClusterKeys),
    r("POST", "/fn/recovery_page", ClusterKeys),
    r("POST", "/fn/backup_now", ClusterKeys),
    r("POST", "/fn/check_backup", ClusterKeys),
    r("PUT", "/api/v1/backup-schedule", ClusterKeys),
    r("POST", "/fn/set_backup_schedule", ClusterKeys),
    r("GET", "/disaster-recovery", ClusterKeys),
    // Security tokens kept offline: the export and the removal hold a token's private key.
    r("POST", "/api/v1/certificates/{id}/export", ClusterKeys),
    r("POST", "/api/v1/certificates/{id}/offline", ClusterKeys),
    r("POST", "/fn/export_token", ClusterKeys),
    r("POST", "/fn/take_token_offline", ClusterKeys),
    // Health and login.
    r("GET", "/healthz", Public),
    r("GET", "/login", Public),
    r("POST", "/api/v1/login", Public),
    r("POST", "/fn/login", Public),
    // Self-service: the session, the user's own password and tokens.
    r("POST", "/api/v1/logout", Authenticated),
    r("GET", "/api/v1/me", Authenticated),
    r("GET", "/api/v1/tokens", Authenticated),
    r("POST", "/api/v1/tokens", Authenticated),
    r("DELETE", "/api/v1/tokens/{id}", Authenticated),
    r("POST", "/fn/logout", Authenticated),
    r("POST", "/fn/current_user", Authenticated),
    r("POST", "/fn/home_info", Authenticated),
    r("POST", "/fn/change_password", Authenticated),
    r("POST", "/fn/list_tokens", Authenticated),
    r("POST", "/fn/create_token", Authenticated),
    r("POST", "/fn/revoke_token", Authenticated),
    r("GET", "/", Authenticated),
    r("GET", "/change-password", Authenticated),
    r("GET", "/tokens", Authenticated),
    // User > Users.
    r("GET", "/api/v1/users", Require(Um, Read)),
    r("POST", "/api/v1/users", Require(Um, Write)),
    r("GET", "/api/v1/users/{name}", Require(Um, Read)),
    r("PUT", "/api/v1/users/{name}", Require(Um, Write)),
    r("DELETE", "/api/v1/users/{name}", Require(Um, Write)),
    r("POST", "/fn/list_users", Require(Um, Read)),
    r("POST", "/fn/get_user", Require(Um, Read)),
    r("POST", "/fn/create_user", Require(Um, Write)),
    r("POST", "/fn/update_user", Require(Um, Write)),
    r("POST", "/fn/delete_user", Require(Um, Write)),
    r("POST", "/fn/end_user_sessions", Require(Um, Write)),
    r("GET", "/users", Require(Um, Read)),
    r("GET", "/users/{name}", Require(Um, Read)),
    r("GET", "/add-user", Require(Um, Write)),
    // User > Access Rights, and the audit log.
    r("GET", "/api/v1/users/{name}/privileges", Require(Upm, Read)),
    r("GET", "/api/v1/user-groups", Require(Upm, Read)),
    r("POST", "/api/v1/user-groups", Require(Upm, Write)),
    r("GET", "/api/v1/user-groups/{name}", Require(Upm, Read)),
    r("PUT", "/api/v1/user-groups/{name}", Require(Upm, Write)),
    r("DELETE", "/api/v1/user-groups/{name}", Require(Upm, Write)),
    r("GET", "/api/v1/functional-groups", Require(Upm, Read)),
    r("GET", "/api/v1/audit", Require(Upm, Read)),
    r("POST", "/fn/list_functional_groups", Require(Upm, Read)),
    r("POST", "/fn/list_user_groups", Require(Upm, Read)),
    r("POST", "/fn/get_user_group", Require(Upm, Read)),
    r("POST", "/fn/save_user_group", Require(Upm, Write)),
    r("POST", "/fn/delete_user_group", Require(Upm, Write)),
    r("POST", "/fn/privilege_report", Require(Upm, Read)),
    r("POST", "/fn/list_audit", Require(Upm, Read)),
    r(
        "GET",
        "/access-rights/functional-groups",
        Require(Upm, Read),
    ),
    r("GET", "/access-rights/user-groups", Require(Upm, Read)),
    r(
        "GET",
        "/access-rights/user-groups/{name}",
        Require(Upm, Read),
    ),
    r("GET", "/access-rights/add-user-group", Require(Upm, Write)),
    r(
        "GET",
        "/access-rights/assign-privileges",
        Require(Upm, Read),
    ),
    r("GET", "/access-rights/privilege-report", Require(Upm, Read)),
    r("GET", "/audit", Require(Upm, Read)),
    // Device > Phone, and the cluster model it needs.
    r("GET", "/api/v1/phones", Require(Phone, Read)),
    r("POST", "/api/v1/phones", Require(Phone, Write)),
    r("GET", "/api/v1/phones/{name}", Require(Phone, Read)),
    r("PUT", "/api/v1/phones/{name}", Require(Phone, Write)),
    r("DELETE", "/api/v1/phones/{name}", Require(Phone, Write)),
    r("GET", "/api/v1/phone-models", Require(Phone, Read)),
    r("GET", "/api/v1/device-pools", Require(System, Read)),
    r("GET", "/api/v1/servers", Require(System, Read)),
    r("POST", "/fn/phone_context", Require(Phone, Read)),
    r("POST", "/fn/list_phones", Require(Phone, Read)),
    r("POST", "/fn/get_phone", Require(Phone, Read)),
    r("POST", "/fn/create_phone", Require(Phone, Write)),
    r("POST", "/fn/update_phone", Require(Phone, Write)),
    r("POST", "/fn/delete_phone", Require(Phone, Write)),
    r("POST", "/api/v1/phones/bulk", Require(Phone, Write)),
    r("GET", "/api/v1/jobs/{id}", Require(Phone, Read)),
    // Required actions become work: pending actions, reset jobs, contacts (R10, R11).
    r("GET", "/api/v1/pending-actions", Require(Phone, Read)),
    r("POST", "/api/v1/phones/{name}/reset", Require(Phone, Write)),
    r("POST", "/api/v1/phones/reset", Require(Phone, Write)),
    r("GET", "/api/v1/phones/{name}/contact", Require(Phone, Read)),
    r(
        "PUT",
        "/api/v1/phones/{name}/contact",
        Require(Phone, Write),
    ),
    r(
        "POST",
        "/api/v1/servers/{name}/reset-devices",
        Require(Phone, Write),
    ),
    r("GET", "/api/v1/jobs", Require(Phone, Read)),
    r("POST", "/api/v1/jobs/{id}/{control}", Require(Phone, Write)),
    r("PUT", "/api/v1/jobs/{id}/rate", Require(Phone, Write)),
    r("POST", "/api/v1/registrations", Device),
    r("POST", "/fn/pending_count", Authenticated),
    r("POST", "/fn/pending_actions", Require(Phone, Read)),
    r("POST", "/fn/start_reset", Require(Phone, Write)),
    r("POST", "/fn/get_reset_job", Require(Phone, Read)),
    r("POST", "/fn/list_reset_jobs", Require(Phone, Read)),
    r("POST", "/fn/control_job", Require(Phone, Write)),
    r("POST", "/fn/set_job_rate", Require(Phone, Write)),
    r("POST", "/fn/phone_contact", Require(Phone, Read)),
    r("POST", "/fn/set_phone_contact", Require(Phone, Write)),
    r("GET", "/pending-actions", Require(Phone, Read)),
    r("GET", "/jobs", Require(Phone, Read)),
    r("GET", "/jobs/{id}", Require(Phone, Read)),
    // Serviceability > Control Center.
    r("GET", "/api/v1/control-center", Require(Sm, Read)),
    r(
        "POST",
        "/api/v1/servers/{server}/services/{service}/{op}",
        Require(Sm, Write),
    ),
    r("POST", "/fn/control_center", Require(Sm, Read)),
    r("POST", "/fn/operate_service", Require(Sm, Write)),
    r("GET", "/control-center", Require(Sm, Read)),
    r("POST", "/fn/preview_bulk", Require(Phone, Write)),
    r("POST", "/fn/start_bulk", Require(Phone, Write)),
    r("POST", "/fn/get_job", Require(Phone, Read)),
    r("GET", "/phones", Require(Phone, Read)),
    r("GET", "/phones/{name}", Require(Phone, Read)),
    r("GET", "/add-phone", Require(Phone, Write)),
    // Device > Bulk Administration: phone import from CSV, templates, exports.
    r("GET", "/api/v1/phones.csv", Require(Phone, Read)),
    r(
        "POST",
        "/api/v1/bulk/phones/validate",
        Require(Phone, Write),
    ),
    r("POST", "/api/v1/bulk/phones/import", Require(Phone, Write)),
    r("POST", "/fn/validate_phone_import", Require(Phone, Write)),
    r("POST", "/fn/start_phone_import", Require(Phone, Write)),
    r("POST", "/fn/list_templates", Require(Phone, Read)),
    r("POST", "/fn/save_template", Require(Phone, Write)),
    r("POST", "/fn/delete_template", Require(Phone, Write)),
    r("GET", "/bulk-administration", Require(Phone, Read)),
    // System > Enterprise Parameters, and the clusters sharing TFTP (R3).
    r(
        "GET",
        "/api/v1/enterprise-parameters",
        Require(System, Read),
    ),
    r(
        "PUT",
        "/api/v1/enterprise-parameters/{name}",
        Require(System, Write),
    ),
    r(
        "POST",
        "/api/v1/enterprise-parameters/{name}/default",
        Require(System, Write),
    ),
    r(
        "POST",
        "/api/v1/enterprise-parameters/defaults",
        Require(System, Write),
    ),
    r("GET", "/api/v1/tftp-clusters", Require(System, Read)),
    r("POST", "/api/v1/tftp-clusters", Require(System, Write)),
    r(
        "PUT",
        "/api/v1/tftp-clusters/{name}",
        Require(System, Write),
    ),
    r(
        "DELETE",
        "/api/v1/tftp-clusters/{name}",
        Require(System, Write),
    ),
    r("POST", "/fn/enterprise_parameters", Require(System, Read)),
    r(
        "POST",
        "/fn/set_enterprise_parameters",
        Require(System, Write),
    ),
    r(
        "POST",
        "/fn/enterprise_parameter_default",
        Require(System, Write),
    ),
    r("POST", "/fn/save_tftp_cluster", Require(System, Write)),
    r("POST", "/fn/delete_tftp_cluster", Require(System, Write)),
    r("GET", "/enterprise-parameters", Require(System, Read)),
    // System > SRST.
    r("GET", "/api/v1/srst-references", Require(System, Read)),
    r("POST", "/api/v1/srst-references", Require(System, Write)),
    r(
        "GET",
        "/api/v1/srst-references/{name}",
        Require(System, Read),
    ),
    r(
        "PUT",
        "/api/v1/srst-references/{name}",
        Require(System, Write),
    ),
    r(
        "DELETE",
        "/api/v1/srst-references/{name}",
        Require(System, Write),
    ),
    r(
        "POST",
        "/api/v1/srst-references/{name}/certificate",
        Require(System, Write),
    ),
    r("POST", "/fn/list_srst", Require(System, Read)),
    r("POST", "/fn/get_srst", Require(System, Read)),
    r("POST", "/fn/save_srst", Require(System, Write)),
    r(
        "POST",
        "/fn/update_srst_certificate",
        Require(System, Write),
    ),
    r("POST", "/fn/delete_srst", Require(System, Write)),
    r("GET", "/srst", Require(System, Read)),
    r("GET", "/srst/{name}", Require(System, Read)),
    r("GET", "/add-srst", Require(System, Write)),
    // System > Cisco CallManager.
    r("POST", "/api/v1/servers", Require(System, Write)),
    r("GET", "/api/v1/servers/{name}", Require(System, Read)),
    r("PUT", "/api/v1/servers/{name}", Require(System, Write)),
    r("DELETE", "/api/v1/servers/{name}", Require(System, Write)),
    r("POST", "/fn/list_servers", Require(System, Read)),
    r("POST", "/fn/get_server", Require(System, Read)),
    r("POST", "/fn/save_server", Require(System, Write)),
    r("POST", "/fn/delete_server", Require(System, Write)),
    r("GET", "/servers", Require(System, Read)),
    r("GET", "/servers/{name}", Require(System, Read)),
    r("GET", "/add-server", Require(System, Write)),
    // System > Cisco CallManager Group, Device Pool and Region.
    r("GET", "/api/v1/callmanager-groups", Require(System, Read)),
    r("POST", "/api/v1/callmanager-groups", Require(System, Write)),
    r(
        "GET",
        "/api/v1/callmanager-groups/{name}",
        Require(System, Read),
    ),
    r(
        "PUT",
        "/api/v1/callmanager-groups/{name}",
        Require(System, Write),
    ),
    r(
        "DELETE",
        "/api/v1/callmanager-groups/{name}",
        Require(System, Write),
    ),
    r(
        "GET",
        "/api/v1/callmanager-groups.csv",
        Require(System, Read),
    ),
    r("POST", "/api/v1/device-pools", Require(System, Write)),
    r("GET", "/api/v1/device-pools/{name}", Require(System, Read)),
    r("PUT", "/api/v1/device-pools/{name}", Require(System, Write)),
    r(
        "DELETE",
        "/api/v1/device-pools/{name}",
        Require(System, Write),
    ),
    r("GET", "/api/v1/device-pools.csv", Require(System, Read)),
    r("GET", "/api/v1/regions", Require(System, Read)),
    r("POST", "/api/v1/regions", Require(System, Write)),
    r("GET", "/api/v1/regions/{name}", Require(System, Read)),
    r("PUT", "/api/v1/regions/{name}", Require(System, Write)),
    r("DELETE", "/api/v1/regions/{name}", Require(System, Write)),
    r("POST", "/fn/list_groups", Require(System, Read)),
    r("POST", "/fn/get_group", Require(System, Read)),
    r("POST", "/fn/save_group", Require(System, Write)),
    r("POST", "/fn/delete_group", Require(System, Write)),
    r("POST", "/fn/list_pools", Require(System, Read)),
    r("POST", "/fn/get_pool", Require(System, Read)),
    r("POST", "/fn/save_pool", Require(System, Write)),
    r("POST", "/fn/delete_pool", Require(System, Write)),
    r("POST", "/fn/pool_form_choices", Require(System, Read)),
    r("POST", "/fn/list_regions", Require(System, Read)),
    r("POST", "/fn/get_region", Require(System, Read)),
    r("POST", "/fn/save_region", Require(System, Write)),
    r("POST", "/fn/delete_region", Require(System, Write)),
    r("GET", "/callmanager-groups", Require(System, Read)),
    r("GET", "/callmanager-groups/{name}", Require(System, Read)),
    r("GET", "/add-callmanager-group", Require(System, Write)),
    r("GET", "/device-pools", Require(System, Read)),
    r("GET", "/device-pools/{name}", Require(System, Read)),
    r("GET", "/add-device-pool", Require(System, Write)),
    r("GET", "/regions", Require(System, Read)),
    r("GET", "/regions/{name}", Require(System, Read)),
    r("GET", "/add-region", Require(System, Write)),
    // The security dashboard (on the home page for users with System read access).
    r("GET", "/api/v1/dashboard", Require(System, Read)),
    r("POST", "/fn/dashboard", Require(System, Read)),
    // Security: certificates, the CTL operation, the TFTP files.
    r("GET", "/api/v1/certificates", Require(System, Read)),
    r(
        "GET",
        "/api/v1/certificates/{id}/der",
        Require(System, Read),
    ),
    r(
        "GET",
        "/api/v1/certificates/{id}/pem",
        Require(System, Read),
    ),
    r(
        "POST",
        "/api/v1/certificates/{id}/regenerate",
        Require(System, Write),
    ),
    r("GET", "/api/v1/manufacturer-cas", Require(System, Read)),
    r("POST", "/api/v1/manufacturer-cas", ClusterKeys),
    r("DELETE", "/api/v1/manufacturer-cas/{id}", ClusterKeys),
    r("GET", "/api/v1/ctl", Require(System, Read)),
    r("POST", "/api/v1/ctl", Require(System, Write)),
    r("GET", "/api/v1/tftp-files", Require(System, Read)),
    r("GET", "/api/v1/tftp-files/{name}", Require(System, Read)),
    r("POST", "/fn/list_certificates", Require(System, Read)),
    r("POST", "/fn/regenerate_certificate", Require(System, Write)),
    r("POST", "/fn/list_manufacturer_cas", Require(System, Read)),
    r("POST", "/fn/add_manufacturer_ca", ClusterKeys),
    r("POST", "/fn/remove_manufacturer_ca", ClusterKeys),
    r("POST", "/fn/ctl_status", Require(System, Read)),
    r("POST", "/fn/run_ctl", Require(System, Write)),
    r("POST", "/fn/tftp_status", Require(System, Read)),
    r("GET", "/certificates", Require(System, Read)),
    r("GET", "/ctl", Require(System, Read)),
    r("GET", "/tftp-files", Require(System, Read)),
    // Service > Service Parameters.
    r("GET", "/api/v1/service-parameters", Require(Service, Read)),
    r(
        "PUT",
        "/api/v1/service-parameters/{server}/{service}/{name}",
        Require(Service, Write),
    ),
    r("POST", "/fn/service_parameters", Require(Service, Read)),
    r(
        "POST",
        "/fn/set_service_parameters",
        Require(Service, Write),
    ),
    r("GET", "/service-parameters", Require(Service, Read)),
    // Serviceability > Tools > Service Activation.
    r("GET", "/api/v1/services", Require(Serviceability, Read)),
    r(
        "PUT",
        "/api/v1/servers/{server}/services/{service}",
        Require(Serviceability, Write),
    ),
    r(
        "POST",
        "/fn/service_activations",
        Require(Serviceability, Read),
    ),
    r(
        "POST",
        "/fn/set_service_activation",
        Require(Serviceability, Write),
    ),
    r("GET", "/service-activation", Require(Serviceability, Read)),
];

/// True when `path` matches `pattern` segment by segment (`{…}` matches any non-empty segment).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.split('/');
    let mut seg = path.split('/');
    loop {
        match (pat.next(), seg.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') && p.ends_with('}') => {
                if s.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

/// The rule of a route, if it has one.
pub fn rule_for(method: &str, path: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && path_matches(r.path, path))
        .map(|r| r.rule)
}

/// The levels of each of a user's groups on every functional group (one query).
pub async fn group_levels<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<(String, Vec<(FunctionalGroup, AccessLevel)>)>, AppError> {
    let rows = users::group_level_rows(db, user_id).await?;
    Ok(levels_of_rows(rows))
}

/// Groups (group, functional group, level) rows, sorted by group, into each group's levels.
pub fn levels_of_rows(
    rows: Vec<(String, Option<String>, Option<String>)>,
) -> Vec<(String, Vec<(FunctionalGroup, AccessLevel)>)> {
    let mut out: Vec<(String, Vec<(FunctionalGroup, AccessLevel)>)> = Vec::new();
    for (group, functional_group, level) in rows {
        if out.last().is_none_or(|(name, _)| *name != group) {
            out.push((group, Vec::new()));
        }
        let grant = functional_group
            .as_deref()
            .and_then(FunctionalGroup::from_name)
            .zip(level.as_deref().and_then(AccessLevel::from_label));
        if let (Some(grant), Some((_, levels))) = (grant, out.last_mut()) {
            levels.push(grant);
        }
    }
    out
}

/// A user's effective level on `group` under `policy`, and why.
pub fn effective_on(
    levels: &[(String, Vec<(FunctionalGroup, AccessLevel)>)],
    group: FunctionalGroup,
    policy: OverlapPolicy,
) -> Effective {
    let inputs: Vec<GroupLevel> = levels
        .iter()
        .map(|(name, grants)| GroupLevel {
            group: name.clone(),
            level: grants
                .iter()
                .find(|(g, _)| *g == group)
                .map_or(AccessLevel::NoAccess, |(_, l)| *l),
        })
        .collect();
    effective_level(&inputs, policy)
}

/// A checked principal with its effective level on every functional group, and the address the
/// request came from. The middleware makes one per request.
#[derive(Debug, Clone)]
pub struct Privileges {
    /// Who.
    pub principal: Principal,
    /// Effective level per functional group.
    pub levels: Vec<(FunctionalGroup, AccessLevel)>,
    /// The client's address, for the audit log.
    pub address: Option<String>,
}

impl Privileges {
    /// Loads the effective levels of `principal`.
    pub async fn load(
        state: &AppState,
        principal: Principal,
        address: Option<String>,
    ) -> Result<Self, AppError> {
        let per_group = group_levels(&state.db, principal.user_id).await?;
        Self::from_group_levels(state, principal, per_group, address).await
    }

    /// The privileges of `principal`, whose groups grant `per_group`, combined by the enterprise
    /// parameter for overlapping groups: the one value the check reads besides the groups.
    pub async fn from_group_levels(
        state: &AppState,
        principal: Principal,
        per_group: Vec<(String, Vec<(FunctionalGroup, AccessLevel)>)>,
        address: Option<String>,
    ) -> Result<Self, AppError> {
        let policy = crate::store::parameters::overlap_policy(&state.db).await?;
        let levels = FunctionalGroup::ALL
            .into_iter()
            .map(|g| (g, effective_on(&per_group, g, policy).level))
            .collect();
        Ok(Self {
            principal,
            levels,
            address,
        })
    }

    /// The level on `group`.
    pub fn level(&self, group: FunctionalGroup) -> AccessLevel {
        self.levels
            .iter()
            .find(|(g, _)| *g == group)
            .map_or(AccessLevel::NoAccess, |(_, l)| *l)
    }

    /// Checks a rule: `Forbidden` when the level does not allow it, `PasswordChangeRequired` for
    /// a functional-group rule while a password change is due.
    pub fn check(&self, rule: Rule) -> Result<(), AppError> {
        match rule {
            Rule::Public | Rule::Authenticated => Ok(()),
            Rule::Device => Err(AppError::Forbidden),
            Rule::ClusterKeys => {
                if self.principal.must_change_password {
                    Err(AppError::PasswordChangeRequired)
                } else if holds_cluster_keys(|g| self.level(g)) {
                    Ok(())
                } else {
                    Err(AppError::Forbidden)
                }
            }
            Rule::Require(group, access) => {
                if self.principal.must_change_password {
                    Err(AppError::PasswordChangeRequired)
                } else if self.level(group).allows(access) {
                    Ok(())
                } else {
                    Err(AppError::Forbidden)
                }
            }
        }
    }

    /// True when the level on `group` allows changes (what a page shows its buttons by).
    pub fn may_write(&self, group: FunctionalGroup) -> bool {
        self.check(Rule::Require(group, crate::domain::access::Access::Write))
            .is_ok()
    }

    /// The principal as the page shell shows them.
    pub async fn describe(&self, state: &AppState) -> Result<CurrentUser, AppError> {
        Ok(CurrentUser {
            name: self.principal.name.clone(),
            groups: users::group_names(&state.db, self.principal.user_id).await?,
            must_change_password: self.principal.must_change_password,
            privileges: self.levels.clone(),
        })
    }

    /// The actor of changes made under these privileges.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.principal.user_id),
            name: Some(self.principal.name.clone()),
            address: self.address.clone(),
        }
    }

    /// The capability over the cluster's private keys ([`Rule::ClusterKeys`]), or the refusal.
    pub fn cluster_keys(&self) -> Result<KeysGrant, AppError> {
        self.check(Rule::ClusterKeys)?;
        Ok(KeysGrant {
            actor: self.actor(),
        })
    }

    /// A typed grant of `M` access on `G`, or the refusal.
    pub fn grant<G: Area, M: Mode>(&self) -> Result<Grant<G, M>, AppError> {
        self.check(Rule::Require(G::GROUP, M::ACCESS))?;
        Ok(Grant {
            actor: self.actor(),
            _marker: PhantomData,
        })
    }
}

/// The client's address, put in the request's extensions by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub Option<String>);

/// A functional group, as a type.
pub trait Area {
    /// The group.
    const GROUP: FunctionalGroup;
}

/// An access, as a type.
pub trait Mode {
    /// The access.
    const ACCESS: Access;
}

/// Read access, as a type.
#[derive(Debug)]
pub struct Reads;
/// Write access, as a type.
#[derive(Debug)]
pub struct Writes;

impl Mode for Reads {
    const ACCESS: Access = Access::Read;
}
impl Mode for Writes {
    const ACCESS: Access = Access::Write;
}

/// Functional groups as types, for [`Grant`].
pub mod area {
    use super::Area;
    use crate::domain::access::FunctionalGroup;

    macro_rules! areas {
        ($($name:ident),*) => {$(
            #[doc = concat!("The ", stringify!($name), " functional group.")]
            #[derive(Debug)]
            pub struct $name;
            impl Area for $name {
                const GROUP: FunctionalGroup = FunctionalGroup::$name;
            }
        )*};
    }
    areas!(
        System,
        Service,
        Phone,
        UserManagement,
        UserPrivilegeManagement,
        Serviceability,
        ServiceManagement
    );
}

/// Proof that the actor may do `M` on `G`. Only [`Privileges::grant`] makes one.
#[derive(Debug)]
pub struct Grant<G: Area, M: Mode> {
    /// Who holds it.
    pub actor: Actor,
    _marker: PhantomData<(G, M)>,
}

/// Proof that the actor holds Full Access to System, Serviceability and UserPrivilegeManagement
/// together ([`Rule::ClusterKeys`]). Only [`Privileges::cluster_keys`] makes one.
#[derive(Debug)]
pub struct KeysGrant {
    /// Who holds it.
    pub actor: Actor,
}

/// The capability of this node's own work that no request asks for: the service supervisor, the
/// reset-job worker, the resumption of interrupted jobs, the first start and the commands run on
/// the host. What that work does was asked for before by an administrator holding a grant (a
/// job, a Control Center operation) or by the host's owner, so it needs no user's grant. It is
/// made at start ([`Internal::at_start`]) and handed to each worker; no REST handler, server
/// function or service makes one (`server/tests/integration/seams.rs` checks it).
#[derive(Debug, Clone)]
pub struct Internal {
    worker: &'static str,
}

impl Internal {
    /// The capability of the worker named `worker` (for the logs), made when it starts.
    pub fn at_start(worker: &'static str) -> Self {
        Self { worker }
    }

    /// The worker's name.
    pub fn worker(&self) -> &'static str {
        self.worker
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(path_matches("/api/v1/users/{name}", "/api/v1/users/alice"));
        assert!(!path_matches("/api/v1/users/{name}", "/api/v1/users/"));
        assert!(!path_matches("/api/v1/users/{name}", "/api/v1/users/a/b"));
        assert!(!path_matches("/api/v1/users", "/api/v1/users/alice"));
        assert!(path_matches("/", "/"));
    }

    #[test]
    fn r22_unlisted_routes_have_no_rule() {
        assert_eq!(rule_for("GET", "/api/v1/nothing"), None);
        assert_eq!(rule_for("PATCH", "/api/v1/users/alice"), None);
        assert_eq!(
            rule_for("PUT", "/api/v1/users/alice"),
            Some(Rule::Require(
                FunctionalGroup::UserManagement,
                Access::Write
            ))
        );
    }

    #[test]
    fn every_rule_is_listed_once() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} listed twice",
                    a.method,
                    a.path
                );
            }
        }
    }
}
