//! Device > Phone: find and list, configuration, insert, update, delete — with the rules of the
//! user's document applied on save exactly as the page applies them while the admin types.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{Set, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::reference::Reference;
use super::AppState;
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::dashboard::{ClusterFacts, DeviceFinding};
use crate::domain::device::{
    validate_phone, AuthenticationMode, CertificateOperation, PhoneFields, Protocol,
};
use crate::domain::security::{
    device_change_requires, effective_mode, r5_warning, BuiltInBridge, ClusterSecurityMode,
    ConfiguredMode, Hardening, SecurityMode,
};
use crate::domain::srst::{secure_srst, SecureSrst};
use crate::error::AppError;
use crate::model::{Page, PhoneContext, PhoneDetail, PhoneFilter, PhoneRow, PhoneSaved};
use crate::store::actions;
use crate::store::entities::{device_pools, devices, phone_models};
use crate::store::phones::{ClassCondition, ClassTerm, PhoneQuery, SortBy};
use crate::store::{cluster, phones, versioned};

/// The largest page Find and List Phones serves.
pub const MAX_PER_PAGE: u64 = 200;
/// Days a CAPF operation has to complete (the enterprise parameter's default).
pub const CAPF_OPERATION_EXPIRES_DAYS: i64 = 10;

/// Everything the rules need besides the device: models, pools, cluster and parameters.
pub(crate) struct Facts {
    context: PhoneContext,
    reference: Arc<Reference>,
    now: DateTime<Utc>,
    capf_window: Option<crate::domain::capf::Window>,
}

/// The Certificate Operation Status line of `row`.
pub(crate) fn capf_status(row: &devices::Model) -> String {
    use crate::domain::capf::{status_text, CapfState};
    let state = CapfState::parse(&row.certificate_operation_status).unwrap_or(CapfState::None);
    let operation = if row.capf_operation.is_empty() {
        row.certificate_operation.as_str()
    } else {
        row.capf_operation.as_str()
    };
    // A newly scheduled operation is pending under its own name.
    let operation = if state == CapfState::Pending {
        row.certificate_operation.as_str()
    } else {
        operation
    };
    status_text(operation, state, &row.capf_reason)
}

/// Where `row` stands for Find and List's LSC status: an operation pending or failed first,
/// then its LSC by its end.
pub(crate) fn lsc_filter_state(
    row: &devices::Model,
    now: DateTime<Utc>,
) -> crate::domain::capf::LscFilter {
    use crate::domain::capf::{lsc_state, CapfState, LscFilter};
    let pending = row.certificate_operation != CertificateOperation::NoPendingOperation.label();
    match CapfState::parse(&row.certificate_operation_status) {
        Some(CapfState::Failed) => LscFilter::Failed,
        _ if pending => LscFilter::OperationPending,
        _ => lsc_state(
            row.lsc_not_after.filter(|_| !row.lsc_serial.is_empty()),
            now,
        ),
    }
}

/// The facts as of now. Call it before opening a transaction: on SQLite's single connection a
/// read of the reference data inside one would wait for that transaction.
pub(crate) async fn facts(state: &AppState) -> Result<Facts, AppError> {
    let reference = state.reference.get(&state.db).await?;
    let now = state.clock.now();
    let context = PhoneContext {
        cluster_mode: reference.cluster_mode,
        system_default: reference.system_default,
        bridge_service_default_on: reference.bridge_default_on,
        models: reference.models.iter().map(cluster::model_info).collect(),
        pools: reference.pools.iter().map(|p| p.name.clone()).collect(),
        pool_srst: reference
            .pools
            .iter()
            .map(|p| {
                let status = reference.srst_of_pool(p.id).map(|r| r.status(now));
                (p.name.clone(), status)
            })
            .collect(),
    };
    Ok(Facts {
        context,
        reference,
        now,
        capf_window: super::capf::window(&state.db).await?,
    })
}

impl Facts {
    /// Every phone model.
    pub(crate) fn models(&self) -> &[phone_models::Model] {
        &self.reference.models
    }

    fn pools(&self) -> &[device_pools::Model] {
        &self.reference.pools
    }

    /// The model with id `id`.
    pub(crate) fn model(&self, id: i32) -> Option<&phone_models::Model> {
        self.models().iter().find(|m| m.id == id)
    }

    /// The effective mode of a device configured `configured` on model `model_id`.
    pub(crate) fn effective(
        &self,
        configured: ConfiguredMode,
        model_id: i32,
    ) -> crate::domain::security::EffectiveMode {
        let caps = self.model(model_id).map(cluster::capabilities).unwrap_or(
            crate::domain::security::Capabilities {
                class: crate::domain::security::DeviceClass::CtiPort,
                authentication: false,
                encryption: false,
                mic: false,
                built_in_bridge: false,
            },
        );
        effective_mode(
            configured,
            self.context.system_default,
            self.context.cluster_mode,
            &caps,
        )
    }

    fn secure_srst(&self, pool_id: i32, effective: SecurityMode) -> SecureSrst {
        let status = self
            .reference
            .srst_of_pool(pool_id)
            .map(|r| r.status(self.now));
        secure_srst(self.context.cluster_mode, effective, status.as_ref())
    }

    /// A stored row as the page shows it.
    pub(crate) fn detail(&self, row: devices::Model) -> PhoneDetail {
        let configured =
            ConfiguredMode::parse(&row.security_mode).unwrap_or(ConfiguredMode::UseSystemDefault);
        let effective = self.effective(configured, row.model_id);
        let certificate_operation_status = capf_status(&row);
        let lsc_status = lsc_filter_state(&row, self.now);
        let lsc = super::capf::lsc_of(&row);
        let mic = super::capf::mic_of(&row);
        let operation_runs = crate::domain::capf::when_it_runs(
            CertificateOperation::parse(&row.certificate_operation)
                .unwrap_or(CertificateOperation::NoPendingOperation),
            row.operation_completes_by,
            self.capf_window,
            self.now,
        );
        PhoneDetail {
            secure_srst: self.secure_srst(row.device_pool_id, effective.mode),
            fields: PhoneFields {
                description: row.description,
                model: self
                    .model(row.model_id)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
                protocol: Protocol::parse(&row.protocol).unwrap_or(Protocol::Sccp),
                device_pool: self
                    .pools()
                    .iter()
                    .find(|p| p.id == row.device_pool_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                security_mode: configured,
                built_in_bridge: BuiltInBridge::parse(&row.built_in_bridge)
                    .unwrap_or(BuiltInBridge::Default),
                certificate_operation: CertificateOperation::parse(&row.certificate_operation)
                    .unwrap_or(CertificateOperation::NoPendingOperation),
                authentication_mode: AuthenticationMode::parse(&row.authentication_mode)
                    .unwrap_or(AuthenticationMode::ByNullString),
                authentication_string: row.authentication_string,
                key_size: u32::try_from(row.key_size).unwrap_or(1024),
                operation_completes_by: row.operation_completes_by,
                hardening: Hardening {
                    gratuitous_arp: row.gratuitous_arp,
                    web_access: row.web_access,
                    pc_voice_vlan_access: row.pc_voice_vlan_access,
                    settings_access: row.settings_access,
                    pc_port: row.pc_port,
                },
                name: row.name,
            },
            effective,
            certificate_operation_status,
            certificate_operation_status_at: row.capf_status_at,
            lsc_status,
            lsc,
            mic,
            operation_runs,
            operation_completes_by: row.operation_completes_by,
            version: row.version,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        }
    }

    /// Checks `fields` against the rules and the store's models and pools.
    pub(crate) fn check(&self, fields: &PhoneFields) -> Result<(i32, i32), AppError> {
        let model = self
            .models()
            .iter()
            .find(|m| m.name == fields.model)
            .ok_or_else(|| {
                AppError::invalid(
                    "Phone Model",
                    format!("{:?} is not a phone model", fields.model),
                )
            })?;
        let pool = self
            .pools()
            .iter()
            .find(|p| p.name == fields.device_pool)
            .ok_or_else(|| {
                AppError::invalid(
                    "Device Pool",
                    format!("{:?} is not a device pool", fields.device_pool),
                )
            })?;
        validate_phone(
            fields,
            &cluster::capabilities(model),
            model.supports_sccp,
            model.supports_sip,
        )?;
        Ok((model.id, pool.id))
    }

    /// The SQL side of `filter`, with the effective-mode filter decided by the rule code per
    /// (configured mode, model).
    pub(crate) fn query_of(&self, filter: &PhoneFilter) -> Result<PhoneQuery, AppError> {
        let mut query = PhoneQuery {
            name: non_empty(&filter.name),
            description: non_empty(&filter.description),
            ..Default::default()
        };
        if let Some(lsc) = non_empty(&filter.lsc_status) {
            let lsc = crate::domain::capf::LscFilter::parse(&lsc).ok_or_else(|| {
                AppError::invalid("LSC Status", format!("{lsc:?} is not an LSC status"))
            })?;
            query.lsc = Some((lsc, self.now));
        }
        if let Some(model) = non_empty(&filter.model) {
            let found = self.models().iter().find(|m| m.name == model);
            query.model_id = Some(found.map_or(-1, |m| m.id));
        }
        if let Some(pool) = non_empty(&filter.device_pool) {
            let found = self.pools().iter().find(|p| p.name == pool);
            query.pool_id = Some(found.map_or(-1, |p| p.id));
        }
        if let Some(configured) = non_empty(&filter.configured) {
            let mode = ConfiguredMode::parse(&configured).ok_or_else(|| {
                AppError::invalid(
                    "Device Security Mode",
                    format!("{configured:?} is not a mode"),
                )
            })?;
            query.configured = Some(mode.key().to_owned());
        }
        if let Some(effective) = non_empty(&filter.effective) {
            let wanted = SecurityMode::parse(&effective).ok_or_else(|| {
                AppError::invalid("Effective Mode", format!("{effective:?} is not a mode"))
            })?;
            let all_models: Vec<i32> = self.models().iter().map(|m| m.id).collect();
            let pairs: Vec<(String, Vec<i32>)> = ConfiguredMode::ALL
                .into_iter()
                .map(|configured| {
                    let models = self
                        .models()
                        .iter()
                        .filter(|m| self.effective(configured, m.id).mode == wanted)
                        .map(|m| m.id)
                        .collect();
                    (configured.key().to_owned(), models)
                })
                .collect();
            // Where every (mode, model) pair qualifies the filter is no filter at all (a
            // Non-Secure cluster asked for Non Secure); otherwise keep only the pairs that do.
            if !pairs.iter().all(|(_, models)| *models == all_models) {
                query.effective_in = Some(pairs);
                query.all_models = all_models;
            }
        }
        if let Some(wanted) = non_empty(&filter.secure_srst) {
            let negate = match wanted.as_str() {
                "yes" => false,
                "no" => true,
                other => {
                    return Err(AppError::invalid(
                        "Secure SRST",
                        format!("{other:?} is neither yes nor no"),
                    ))
                }
            };
            query.classes.push(self.secure_srst_condition(negate));
        }
        if let Some(server) = non_empty(&filter.server) {
            let pools = self
                .reference
                .server_pools
                .iter()
                .find(|(name, _)| *name == server)
                .map(|(_, pools)| pools.clone())
                .unwrap_or_default();
            query.classes.push(ClassCondition {
                pools: Some(pools),
                ..Default::default()
            });
        }
        if let Some(key) = non_empty(&filter.finding) {
            let finding = DeviceFinding::parse(&key)
                .ok_or_else(|| AppError::invalid("Finding", format!("{key:?} is not a finding")))?;
            query.classes.push(self.finding_condition(finding));
        }
        Ok(query)
    }

    /// R9 as SQL: a pool whose reference is secure with a valid certificate, and an effective
    /// mode of Authenticated or Encrypted, in a Mixed cluster.
    fn secure_srst_condition(&self, negate: bool) -> ClassCondition {
        let secure_pools: Vec<i32> = self
            .pools()
            .iter()
            .filter(|p| {
                self.reference.srst_of_pool(p.id).is_some_and(|r| {
                    let status = r.status(self.now);
                    status.is_secure && status.certificate_valid
                })
            })
            .map(|p| p.id)
            .collect();
        let mixed = self.context.cluster_mode == ClusterSecurityMode::Mixed;
        let terms = ConfiguredMode::ALL
            .into_iter()
            .filter(|_| mixed)
            .map(|configured| ClassTerm {
                configured: configured.key().to_owned(),
                bridge: None,
                models: Some(
                    self.models()
                        .iter()
                        .filter(|m| {
                            self.effective(configured, m.id).mode != SecurityMode::NonSecure
                        })
                        .map(|m| m.id)
                        .collect(),
                ),
            })
            .filter(|t| t.models.as_ref().is_some_and(|m| !m.is_empty()))
            .collect();
        ClassCondition {
            terms: Some(terms),
            pools: Some(secure_pools),
            negate,
        }
    }

    /// A dashboard finding as SQL: the (configured mode, built-in bridge, models) it holds for.
    fn finding_condition(&self, finding: DeviceFinding) -> ClassCondition {
        let facts = ClusterFacts {
            cluster: self.context.cluster_mode,
            system_default: self.context.system_default,
            bridge_default_on: self.context.bridge_service_default_on,
        };
        let mut terms = Vec::new();
        for configured in ConfiguredMode::ALL {
            for bridge in BuiltInBridge::ALL {
                let models: Vec<i32> = self
                    .models()
                    .iter()
                    .filter(|m| {
                        finding.matches(&facts, configured, &cluster::capabilities(m), bridge)
                    })
                    .map(|m| m.id)
                    .collect();
                if !models.is_empty() {
                    terms.push(ClassTerm {
                        configured: configured.key().to_owned(),
                        bridge: Some(bridge.label().to_owned()),
                        models: Some(models),
                    });
                }
            }
        }
        ClassCondition {
            terms: Some(terms),
            pools: None,
            negate: false,
        }
    }

    /// The R5 warning of `fields`, if it has one.
    pub(crate) fn warnings(&self, fields: &PhoneFields) -> Vec<String> {
        r5_warning(
            fields.security_mode,
            self.context.system_default,
            fields.built_in_bridge,
            self.context.bridge_service_default_on,
        )
        .map(str::to_owned)
        .into_iter()
        .collect()
    }
}

/// What the audit log keeps of a phone: every field, but never the CAPF authentication string (a
/// secret the phone proves itself with), only whether one is set.
pub(crate) fn snapshot(d: &PhoneDetail) -> serde_json::Value {
    let mut fields = d.fields.clone();
    if !fields.authentication_string.is_empty() {
        fields.authentication_string = MASK.to_owned();
    }
    json!({
        "fields": fields,
        "effective": d.effective.mode.label(),
    })
}

/// How a secret that is set shows where it must not be read.
pub const MASK: &str = "********";

/// Every phone model with its security capabilities, by name.
pub async fn models(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
) -> Result<Vec<crate::model::ModelInfo>, AppError> {
    Ok(cluster::models(&state.db).await?)
}

/// What the page needs to apply the rules while the admin edits.
pub async fn context(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
) -> Result<PhoneContext, AppError> {
    Ok(facts(state).await?.context)
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// One page of phones matching `filter`.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
    filter: &PhoneFilter,
) -> Result<Page<PhoneRow>, AppError> {
    let facts = facts(state).await?;
    let per_page = filter.per_page.unwrap_or(50);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::invalid(
            "Rows per page",
            format!("must be 1 to {MAX_PER_PAGE}"),
        ));
    }
    let page = filter.page.unwrap_or(1).max(1);
    let query = facts.query_of(filter)?;
    let sort = match filter.sort.as_deref() {
        None | Some("") | Some("name") => SortBy::Name,
        Some("description") => SortBy::Description,
        Some("model") => SortBy::Model,
        Some("device_pool") => SortBy::DevicePool,
        Some("configured") => SortBy::Configured,
        Some(other) => {
            return Err(AppError::invalid(
                "Sort",
                format!("{other:?} is not a column"),
            ))
        }
    };
    let total = phones::count(&state.read, &query).await?;
    let rows = phones::page(
        &state.read,
        &query,
        sort,
        filter.desc.unwrap_or(false),
        page,
        per_page,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let d = facts.detail(row);
            let resolved = match d.fields.security_mode {
                ConfiguredMode::UseSystemDefault => facts.context.system_default,
                ConfiguredMode::Explicit(mode) => mode,
            };
            PhoneRow {
                secure_srst: d.secure_srst.secure,
                overridden: resolved != d.effective.mode,
                name: d.fields.name,
                description: d.fields.description,
                model: d.fields.model,
                protocol: d.fields.protocol.label().to_owned(),
                device_pool: d.fields.device_pool,
                configured: d.fields.security_mode,
                effective: d.effective.mode,
                lsc_status: d.lsc_status,
            }
        })
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// One phone.
/// One phone. Its CAPF authentication string is shown only with Full Access to Phone
/// (`reveal`); for readers it is masked.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
    reveal: Option<&Grant<area::Phone, Writes>>,
    name: &str,
) -> Result<PhoneDetail, AppError> {
    let facts = facts(state).await?;
    let row = phones::find(&state.db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Phone {name}")))?;
    let mut detail = facts.detail(row);
    if reveal.is_none() && !detail.fields.authentication_string.is_empty() {
        detail.fields.authentication_string = MASK.to_owned();
    }
    Ok(detail)
}

/// Sets the columns of `active` from `f`.
pub(crate) fn apply(
    active: &mut devices::ActiveModel,
    f: &PhoneFields,
    model_id: i32,
    pool_id: i32,
) {
    active.name = Set(f.name.clone());
    active.description = Set(f.description.clone());
    active.model_id = Set(model_id);
    active.protocol = Set(f.protocol.label().to_owned());
    active.device_pool_id = Set(pool_id);
    active.security_mode = Set(f.security_mode.key().to_owned());
    active.built_in_bridge = Set(f.built_in_bridge.label().to_owned());
    active.certificate_operation = Set(f.certificate_operation.label().to_owned());
    active.authentication_mode = Set(f.authentication_mode.label().to_owned());
    active.authentication_string = Set(f.authentication_string.clone());
    active.key_size = Set(i32::try_from(f.key_size).unwrap_or(1024));
    active.gratuitous_arp = Set(f.hardening.gratuitous_arp);
    active.web_access = Set(f.hardening.web_access);
    active.pc_voice_vlan_access = Set(f.hardening.pc_voice_vlan_access);
    active.settings_access = Set(f.hardening.settings_access);
    active.pc_port = Set(f.hardening.pc_port);
}

/// Days a CAPF operation has to complete: the enterprise parameter "CAPF Operation Expires in
/// (days)", else its default.
pub(crate) async fn expiry_days<C: sea_orm::ConnectionTrait>(db: &C) -> Result<i64, AppError> {
    Ok(
        crate::store::parameters::find(db, crate::domain::parameters::CAPF_OPERATION_EXPIRES_DAYS)
            .await?
            .and_then(|p| p.value.parse::<i64>().ok())
            .filter(|d| (1..=365).contains(d))
            .unwrap_or(CAPF_OPERATION_EXPIRES_DAYS),
    )
}

/// A deadline to the minute, as the page shows and sends it.
fn to_minute(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|t| t.timestamp().div_euclid(60))
}

/// The deadline of an operation scheduled at `now`: the one the admin chose, which must be later
/// than now and within a year, else now + `days`.
fn deadline(
    chosen: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    days: i64,
) -> Result<DateTime<Utc>, AppError> {
    match chosen {
        None => Ok(now + Duration::days(days)),
        Some(d) if d <= now => Err(AppError::invalid(
            "Operation Completes By",
            "must be later than now",
        )),
        Some(d) if d > now + Duration::days(365) => Err(AppError::invalid(
            "Operation Completes By",
            "must be within a year",
        )),
        Some(d) => Ok(d),
    }
}

/// Inserts a phone.
pub async fn create(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    fields: PhoneFields,
) -> Result<PhoneSaved, AppError> {
    let facts = facts(state).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (model_id, pool_id) = facts.check(&fields)?;
    if phones::find(&txn, &fields.name).await?.is_some() {
        return Err(AppError::invalid(
            "Device Name",
            format!("{} already exists", fields.name),
        ));
    }
    let pending = fields.certificate_operation != CertificateOperation::NoPendingOperation;
    let days = expiry_days(&txn).await?;
    let completes_by = if pending {
        Some(deadline(fields.operation_completes_by, now, days)?)
    } else {
        None
    };
    let mut active = devices::ActiveModel {
        certificate_operation_status: Set(if pending { "Pending" } else { "None" }.to_owned()),
        lsc_status: Set("None".to_owned()),
        operation_completes_by: Set(completes_by),
        version: Set(1),
        updated_at: Set(now),
        updated_by: Set(grant.actor.name.clone().unwrap_or_default()),
        ..Default::default()
    };
    apply(&mut active, &fields, model_id, pool_id);
    let row = phones::insert(&txn, active).await?;
    let phone = facts.detail(row);
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::PHONE,
            object_name: &phone.fields.name,
            before: None,
            after: Some(snapshot(&phone)),
            detail: format!("Phone {} inserted", phone.fields.name),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(PhoneSaved {
        warnings: facts.warnings(&phone.fields),
        required_actions: Vec::new(),
        phone,
    })
}

/// Updates a phone; `version` is the one the admin read (a stale one is refused).
pub async fn update(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    name: &str,
    fields: PhoneFields,
    version: i32,
) -> Result<PhoneSaved, AppError> {
    if fields.name != name {
        return Err(AppError::invalid(
            "Device Name",
            "cannot be changed; use Copy to make a phone with another name",
        ));
    }
    let facts = facts(state).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (model_id, pool_id) = facts.check(&fields)?;
    let row = phones::find(&txn, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Phone {name}")))?;
    if row.version != version {
        return Err(audit::conflict(&txn, object::PHONE, name).await);
    }
    let before = facts.detail(row.clone());
    let was_pending =
        before.fields.certificate_operation != CertificateOperation::NoPendingOperation;
    let pending = fields.certificate_operation != CertificateOperation::NoPendingOperation;
    let days = expiry_days(&txn).await?;
    let mut active: devices::ActiveModel = row.into();
    apply(&mut active, &fields, model_id, pool_id);
    if pending != was_pending || before.fields.certificate_operation != fields.certificate_operation
    {
        active.certificate_operation_status =
            Set(if pending { "Pending" } else { "None" }.to_owned());
        active.operation_completes_by = Set(if pending {
            Some(deadline(fields.operation_completes_by, now, days)?)
        } else {
            None
        });
        active.capf_attempts = Set(0);
    } else if pending
        && fields.operation_completes_by.is_some()
        && to_minute(fields.operation_completes_by)
            != to_minute(before.fields.operation_completes_by)
    {
        // The same operation, a new deadline.
        active.operation_completes_by =
            Set(Some(deadline(fields.operation_completes_by, now, days)?));
    }
    active.updated_at = Set(now);
    active.updated_by = Set(grant.actor.name.clone().unwrap_or_default());
    let Some(row) = versioned::update(&txn, active, version).await? else {
        return Err(audit::conflict(&txn, object::PHONE, name).await);
    };
    let phone = facts.detail(row);
    let mut required = device_change_requires(
        name,
        before.fields.security_mode,
        phone.fields.security_mode,
        &before.fields.hardening,
        &phone.fields.hardening,
    );
    // R10, R12: a newly scheduled CAPF operation is in the phone's re-signed file, which the
    // phone reads after a reset.
    let scheduled = pending
        && (before.fields.certificate_operation != phone.fields.certificate_operation
            || before.fields.authentication_mode != phone.fields.authentication_mode);
    if scheduled && required.is_empty() {
        required.push(RequiredAction::ResetDevice(name.to_owned()));
    }
    let audit_id = audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::PHONE,
            object_name: name,
            before: Some(snapshot(&before)),
            after: Some(snapshot(&phone)),
            detail: format!("Phone {name} updated"),
        },
    )
    .await?;
    let required_actions = actions::record(
        &txn,
        now,
        &required,
        &format!("Security settings of phone {name} changed"),
        audit_id,
    )
    .await?;
    txn.commit().await?;
    Ok(PhoneSaved {
        warnings: facts.warnings(&phone.fields),
        required_actions,
        phone,
    })
}

/// Deletes a phone; `version` is the one the admin read.
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let facts = facts(state).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let row = phones::find(&txn, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Phone {name}")))?;
    if version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&txn, object::PHONE, name).await);
    }
    let before = facts.detail(row.clone());
    if !phones::delete(&txn, row.id, version).await? {
        return Err(audit::conflict(&txn, object::PHONE, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::PHONE,
            object_name: name,
            before: Some(snapshot(&before)),
            after: None,
            detail: format!("Phone {name} deleted"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}
