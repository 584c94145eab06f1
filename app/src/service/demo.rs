//! `ccmadmin demo --phones N`: a realistic cluster, the same for the same N — servers,
//! CallManager groups, SRST references, device pools, and a mix of phone models, protocols and
//! security modes, plus the device types that support no security (R7).

use sea_orm::TransactionTrait;

use super::authz::Internal;
use super::principal::Actor;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::{ConfiguredMode, DeviceClass, SecurityMode};
use crate::domain::servers::ServerFields;
use crate::domain::services::ServerRole;
use crate::domain::srst::SrstFields;
use crate::error::AppError;
use crate::store::entities::phone_models;
use crate::store::seed::{self, DemoDevice};
use crate::store::{cluster, servers, srst, topology};

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
pub async fn generate(
    state: &AppState,
    _internal: &Internal,
    phones: u64,
) -> Result<DemoSummary, AppError> {
    if phones == 0 || phones > MAX_PHONES {
        return Err(AppError::invalid(
            "--phones",
            format!("must be 1 to {MAX_PHONES}"),
        ));
    }
    if seed::has_devices(&state.db).await? {
        return Err(AppError::invalid(
            "--phones",
            "the store already has devices; use a fresh data dir or database",
        ));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let subscribers = phones.div_ceil(PHONES_PER_SERVER).clamp(1, 7);
    let mut server_ids = Vec::new();
    // The publisher a first start created (an otherwise empty store) is the demo's publisher.
    let publisher = servers::publisher(&txn).await?;
    for i in 0..=subscribers {
        if let (0, Some(p)) = (i, publisher.as_ref()) {
            server_ids.push(p.id);
            continue;
        }
        let (name, role) = if i == 0 {
            ("CM-PUB".to_owned(), ServerRole::Publisher)
        } else {
            (format!("CM-SUB{i}"), ServerRole::Subscriber)
        };
        // The page's default ports, auto-registration off.
        let mut fields = ServerFields::new(&name, &format!("10.10.0.{}", 10 + i));
        fields.role = role;
        fields.description = if i == 0 {
            "Publisher".into()
        } else {
            format!("Subscriber {i}")
        };
        let guid = format!("{:08x}-0000-4000-8000-{:012x}", 0xccad_0000_u64 + i, i);
        let row = servers::insert(&txn, &fields, guid).await?;
        server_ids.push(row.id);
    }
    // One CallManager group per subscriber: that subscriber, the next one, then the publisher.
    let mut group_ids = Vec::new();
    for i in 1..=subscribers {
        let group = seed::insert_group(&txn, &format!("CMG-{i}")).await?;
        let next = if i == subscribers { 1 } else { i + 1 };
        let mut members = vec![server_ids[usize::try_from(i).unwrap_or(1)]];
        if next != i {
            members.push(server_ids[usize::try_from(next).unwrap_or(1)]);
        }
        members.push(server_ids[0]);
        for (priority, server_id) in (0..).zip(members) {
            seed::add_member(&txn, group.id, priority, server_id).await?;
        }
        group_ids.push(group.id);
    }
    let region_id = topology::region(&txn, crate::domain::pools::DEFAULT_NAME)
        .await?
        .map_or(1, |r| r.id);
    // Two sites per group, each with its SRST gateway (every third one secure) and device pool.
    let mut pool_ids = Vec::new();
    for (site, group_id) in (1..).zip(group_ids.iter().flat_map(|g| [*g, *g])) {
        let gateway = SrstFields {
            name: format!("SRST-Site{site}"),
            ip_address: format!("10.20.{site}.1"),
            port: 2000,
            sip_address: format!("10.20.{site}.1"),
            sip_port: 5060,
            is_secure: site % 3 == 0,
            certificate_provider_port: 2445,
        };
        let srst = srst::insert(&txn, &gateway).await?;
        let pool = seed::insert_pool(
            &txn,
            &format!("DP-Site{site}"),
            group_id,
            Some(srst.id),
            region_id,
        )
        .await?;
        pool_ids.push(pool.id);
    }
    let models = cluster::model_rows(&txn).await?;
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
        let pool = pool_ids[usize::try_from(i % pool_ids.len() as u64).unwrap_or(0)];
        batch.push(DemoDevice {
            name: format!("SEP{:012X}", 0x0011_2200_0000_u64 + i),
            description: format!("Site phone {}", i + 1),
            model_id: model.id,
            protocol: if sip { "SIP" } else { "SCCP" },
            pool_id: pool,
            mode,
        });
        if batch.len() == BATCH {
            seed::insert_demo_devices(&txn, std::mem::take(&mut batch), now).await?;
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
            batch.push(DemoDevice {
                name: format!("{prefix}{n:04}"),
                description: format!("{} {n}", class.map_or(model_name, |c| c.label())),
                model_id: model.id,
                protocol,
                pool_id: pool_ids[0],
                mode: ConfiguredMode::UseSystemDefault,
            });
            other_devices += 1;
        }
    }
    if !batch.is_empty() {
        seed::insert_demo_devices(&txn, batch, now).await?;
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
    txn.commit().await?;
    // After a bulk load, PostgreSQL's statistics and the visibility map that index-only scans
    // need, instead of waiting for autovacuum's next pass (nothing to do on SQLite).
    seed::analyze_devices(&state.db).await?;
    state.reference.invalidate();
    Ok(DemoSummary {
        servers: server_ids.len(),
        pools: pool_ids.len(),
        phones,
        other_devices,
    })
}
