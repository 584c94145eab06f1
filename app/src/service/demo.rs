//! `ccmadmin demo --phones N`: a realistic cluster, the same for the same N — servers,
//! CallManager groups, SRST references, device pools, and a mix of phone models, protocols and
//! security modes, plus the device types that support no security (R7).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Set, TransactionTrait,
};

use super::authz::Actor;
use super::state::internal;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::{ConfiguredMode, DeviceClass, SecurityMode};
use crate::error::AppError;
use crate::store::cluster;
use crate::store::entities::{
    callmanager_group_members, callmanager_groups, device_pools, devices, phone_models, servers,
    srst_references,
};

/// The most phones the generator makes.
pub const MAX_PHONES: u64 = 100_000;
/// Phones per call-processing server in 4.x (`PAGES.md`, assumed).
const PHONES_PER_SERVER: u64 = 7_500;
/// Rows per insert statement.
const BATCH: usize = 1_000;

/// What the generator made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Servers.
    pub servers: usize,
    /// Device pools.
    pub pools: usize,
    /// Phones.
    pub phones: u64,
    /// Other devices (R7 types).
    pub other_devices: usize,
}

/// A small deterministic generator (64-bit LCG), so the same N gives the same cluster.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn percent(&mut self) -> u64 {
        self.next() % 100
    }
}

/// Fills an empty store with a cluster of `phones` phones. Refuses a store that has devices.
pub async fn generate(state: &AppState, phones: u64) -> Result<DemoSummary, AppError> {
    if phones == 0 || phones > MAX_PHONES {
        return Err(AppError::invalid(
            "--phones",
            format!("must be 1 to {MAX_PHONES}"),
        ));
    }
    if devices::Entity::find()
        .count(&state.db)
        .await
        .map_err(internal)?
        > 0
    {
        return Err(AppError::invalid(
            "--phones",
            "the store already has devices; use a fresh data dir or database",
        ));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(internal)?;
    let subscribers = phones.div_ceil(PHONES_PER_SERVER).clamp(1, 7);
    let mut server_ids = Vec::new();
    // The publisher a first start created (an otherwise empty store) is the demo's publisher.
    let publisher = servers::Entity::find()
        .filter(servers::Column::Role.eq("publisher"))
        .one(&txn)
        .await
        .map_err(internal)?;
    for i in 0..=subscribers {
        if let (0, Some(p)) = (i, publisher.as_ref()) {
            server_ids.push(p.id);
            continue;
        }
        let (name, role) = if i == 0 {
            ("CM-PUB".to_owned(), "publisher")
        } else {
            (format!("CM-SUB{i}"), "subscriber")
        };
        let row = servers::ActiveModel {
            name: Set(name),
            address: Set(format!("10.10.0.{}", 10 + i)),
            description: Set(if i == 0 {
                "Publisher".into()
            } else {
                format!("Subscriber {i}")
            }),
            role: Set(role.to_owned()),
            guid: Set(format!(
                "{:08x}-0000-4000-8000-{:012x}",
                0xccad_0000_u64 + i,
                i
            )),
            ethernet_phone_port: Set(2000),
            mgcp_listen_port: Set(2427),
            mgcp_keep_alive_port: Set(2428),
            auto_registration: Set(false),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        server_ids.push(row.id);
    }
    // One CallManager group per subscriber: that subscriber, the next one, then the publisher.
    let mut group_ids = Vec::new();
    for i in 1..=subscribers {
        let group = callmanager_groups::ActiveModel {
            name: Set(format!("CMG-{i}")),
            auto_registration: Set(false),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        let next = if i == subscribers { 1 } else { i + 1 };
        let mut members = vec![server_ids[usize::try_from(i).unwrap_or(1)]];
        if next != i {
            members.push(server_ids[usize::try_from(next).unwrap_or(1)]);
        }
        members.push(server_ids[0]);
        for (priority, server_id) in (0..).zip(members) {
            callmanager_group_members::ActiveModel {
                group_id: Set(group.id),
                priority: Set(priority),
                server_id: Set(server_id),
            }
            .insert(&txn)
            .await
            .map_err(internal)?;
        }
        group_ids.push(group.id);
    }
    let region_id = crate::store::topology::region(&txn, crate::domain::pools::DEFAULT_NAME)
        .await
        .map_err(internal)?
        .map_or(1, |r| r.id);
    // Two sites per group, each with its SRST gateway (every third one secure) and device pool.
    let mut pool_ids = Vec::new();
    for (site, group_id) in (1..).zip(group_ids.iter().flat_map(|g| [*g, *g])) {
        let srst = srst_references::ActiveModel {
            name: Set(format!("SRST-Site{site}")),
            ip_address: Set(format!("10.20.{site}.1")),
            port: Set(2000),
            sip_address: Set(Some(format!("10.20.{site}.1"))),
            sip_port: Set(5060),
            is_secure: Set(site % 3 == 0),
            certificate_provider_port: Set(2445),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        let pool = device_pools::ActiveModel {
            name: Set(format!("DP-Site{site}")),
            callmanager_group_id: Set(group_id),
            srst_option: Set("reference".to_owned()),
            srst_reference_id: Set(Some(srst.id)),
            region_id: Set(region_id),
            version: Set(1),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        pool_ids.push(pool.id);
    }
    let models = cluster::model_rows(&txn).await.map_err(internal)?;
    let by_name = |name: &str| models.iter().find(|m| m.name == name);
    // Share of each phone model, in percent.
    let mix: Vec<(&phone_models::Model, u64)> = [
        ("Cisco 7940", 15),
        ("Cisco 7960", 40),
        ("Cisco 7970", 20),
        ("Cisco 7971", 7),
        ("Cisco 7912", 10),
        ("Cisco 7905", 6),
        ("Cisco IP Communicator", 2),
    ]
    .into_iter()
    .filter_map(|(n, share)| by_name(n).map(|m| (m, share)))
    .collect();
    let mut rng = Lcg(phones);
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..phones {
        let mut roll = rng.percent();
        let model = mix
            .iter()
            .find(|(_, share)| {
                if roll < *share {
                    true
                } else {
                    roll -= share;
                    false
                }
            })
            .map_or(mix[0].0, |(m, _)| *m);
        let caps = cluster::capabilities(model);
        let mode_roll = rng.percent();
        let wanted = match mode_roll {
            0..=49 => ConfiguredMode::UseSystemDefault,
            50..=64 => ConfiguredMode::Explicit(SecurityMode::NonSecure),
            65..=84 => ConfiguredMode::Explicit(SecurityMode::Authenticated),
            _ => ConfiguredMode::Explicit(SecurityMode::Encrypted),
        };
        let mode = match wanted {
            ConfiguredMode::Explicit(m) if m > caps.highest_mode() => {
                ConfiguredMode::UseSystemDefault
            }
            other => other,
        };
        let sip = model.supports_sip && rng.percent() < 20;
        let lsc = caps.authentication && rng.percent() < 30;
        let pool = pool_ids[usize::try_from(i % pool_ids.len() as u64).unwrap_or(0)];
        batch.push(
            DemoDevice {
                name: format!("SEP{:012X}", 0x0011_2200_0000_u64 + i),
                description: format!("Site phone {}", i + 1),
                model_id: model.id,
                protocol: if sip { "SIP" } else { "SCCP" },
                pool_id: pool,
                mode,
                lsc,
            }
            .row(now),
        );
        if batch.len() == BATCH {
            devices::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(&txn)
                .await
                .map_err(internal)?;
        }
    }
    let others = [
        ("CTI Port", "CTIPort", 10),
        ("Music On Hold", "MOH", 2),
        ("Media Termination Point", "MTP", 2),
        ("Transcoder", "XCODE", 2),
        ("H.323 Gateway", "H323GW", 2),
        ("SIP Trunk", "SIPTrunk", 1),
    ];
    let mut other_devices = 0;
    for (model_name, prefix, count) in others {
        let Some(model) = by_name(model_name) else {
            continue;
        };
        let class = DeviceClass::from_key(&model.device_class);
        for n in 1..=count {
            let protocol = if model.supports_sccp { "SCCP" } else { "SIP" };
            batch.push(
                DemoDevice {
                    name: format!("{prefix}{n:04}"),
                    description: format!("{} {n}", class.map_or(model_name, |c| c.label())),
                    model_id: model.id,
                    protocol,
                    pool_id: pool_ids[0],
                    mode: ConfiguredMode::UseSystemDefault,
                    lsc: false,
                }
                .row(now),
            );
            other_devices += 1;
        }
    }
    if !batch.is_empty() {
        devices::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await
            .map_err(internal)?;
    }
    // The demo is a change like any other: its audit row tells the TFTP pipeline to build.
    super::audit::record(
        &txn,
        now,
        &Actor {
            user_id: None,
            name: Some("ccmadmin demo".to_owned()),
            address: None,
        },
        super::audit::Event {
            action: AuditAction::Create,
            object_type: object::PHONE,
            object_name: "demo cluster",
            before: None,
            after: Some(serde_json::json!({ "phones": phones })),
            detail: format!("Demo cluster created with {phones} phones"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    // After a bulk load, PostgreSQL's statistics and the visibility map that index-only scans
    // need, instead of waiting for autovacuum's next pass. (SQLite's planner does better here
    // with its defaults than with ANALYZE's statistics: measured by `make bench`.)
    if state.db.get_database_backend() == DbBackend::Postgres {
        state
            .db
            .execute_unprepared("VACUUM (ANALYZE) devices")
            .await
            .map_err(internal)?;
    }
    state.reference.invalidate();
    Ok(DemoSummary {
        servers: server_ids.len(),
        pools: pool_ids.len(),
        phones,
        other_devices,
    })
}

/// One generated device.
struct DemoDevice<'a> {
    name: String,
    description: String,
    model_id: i32,
    protocol: &'a str,
    pool_id: i32,
    mode: ConfiguredMode,
    lsc: bool,
}

impl DemoDevice<'_> {
    fn row(self, now: DateTime<Utc>) -> devices::ActiveModel {
        let DemoDevice {
            name,
            description,
            model_id,
            protocol,
            pool_id,
            mode,
            lsc,
        } = self;
        devices::ActiveModel {
            name: Set(name),
            description: Set(description),
            model_id: Set(model_id),
            protocol: Set(protocol.to_owned()),
            device_pool_id: Set(pool_id),
            security_mode: Set(mode.key().to_owned()),
            built_in_bridge: Set("Default".to_owned()),
            certificate_operation: Set("No Pending Operation".to_owned()),
            authentication_mode: Set("By Null String".to_owned()),
            authentication_string: Set(String::new()),
            key_size: Set(1024),
            operation_completes_by: Set(None),
            certificate_operation_status: Set(
                if lsc { "Upgrade Success" } else { "None" }.to_owned()
            ),
            lsc_status: Set(if lsc { "Installed" } else { "None" }.to_owned()),
            gratuitous_arp: Set(true),
            web_access: Set(true),
            pc_voice_vlan_access: Set(true),
            settings_access: Set(true),
            pc_port: Set(true),
            version: Set(1),
            updated_at: Set(now),
            updated_by: Set(String::new()),
            ..Default::default()
        }
    }
}
