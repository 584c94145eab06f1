//! Work that survives a restart, on SQLite and PostgreSQL: a bulk change interrupted by a stop
//! or a crash is resumed by the next start (by one node only) or marked failed with the reason,
//! never left running; a corrupt stored value never weakens a signed file — that device's file
//! is not rebuilt, the previous one stays served, and Security > TFTP Files names the device.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};

use app::domain::jobs::JobStatus;
use app::model::{BulkRequest, PhoneFilter};
use app::service::{bulk, interrupted, job_claims, AppState};
use app::store::entities::{audit_log, devices, jobs, phone_models};
use app::tftp::{sgn, TftpDirs};
use server::pipeline;

use crate::support::{backends, json_body, t0, InProcess, TestDb};

const PW: &str = "a long enough password";

async fn call(
    console: &InProcess,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let res = console.send(method, path, Some(cookie), body).await;
    let status = res.status();
    (status, json_body(res).await)
}

async fn model_id(db: &sea_orm::DatabaseConnection, name: &str) -> i32 {
    phone_models::Entity::find()
        .filter(phone_models::Column::Name.eq(name))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Phones of `model` whose `column` is `on`.
async fn count_with(
    db: &sea_orm::DatabaseConnection,
    model: i32,
    column: devices::Column,
    on: bool,
) -> u64 {
    devices::Entity::find()
        .filter(devices::Column::ModelId.eq(model))
        .filter(column.eq(on))
        .count(db)
        .await
        .unwrap()
}

fn job_row(request: &str, total: i64, processed: i64, changed: i64) -> jobs::ActiveModel {
    jobs::ActiveModel {
        kind: Set(bulk::KIND.to_owned()),
        status: Set(JobStatus::Running),
        total: Set(total),
        processed: Set(processed),
        changed: Set(changed),
        refused: Set(0),
        params: Set(request.to_owned()),
        message: Set(String::new()),
        created_by: Set("admin".to_owned()),
        created_at: Set(t0() - Duration::minutes(5)),
        updated_at: Set(t0() - Duration::minutes(2)),
        rate: Set(None),
        version: Set(1),
        worker: Set(None),
        heartbeat_at: Set(None),
        ..Default::default()
    }
}

fn request(model: &str, field: &str, value: &str) -> BulkRequest {
    BulkRequest {
        filter: Some(PhoneFilter {
            model: Some(model.to_owned()),
            ..Default::default()
        }),
        names: None,
        field: field.to_owned(),
        value: value.to_owned(),
    }
}

async fn job(db: &sea_orm::DatabaseConnection, id: i32) -> jobs::Model {
    jobs::Entity::find_by_id(id).one(db).await.unwrap().unwrap()
}

#[tokio::test]
async fn bulk_job_interrupted_by_a_restart_is_resumed() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = crate::support::demo_console(&db, 300, PW, None).await;
        let m7960 = model_id(&db.db, "Cisco 7960").await;
        let m7940 = model_id(&db.db, "Cisco 7940").await;

        // What the job set out to do, as `start` counted it.
        let req = request("Cisco 7960", "web_access", "Disabled");
        let mut body = serde_json::to_value(&req).unwrap();
        body["preview"] = json!(true);
        let (status, preview) =
            call(&console, &cookie, "POST", "/api/v1/phones/bulk", Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        let matched = preview["matched"].as_i64().unwrap();
        let will = preview["will_change"].as_i64().unwrap();
        let unchanged = preview["unchanged"].as_i64().unwrap();
        assert!(will >= 4, "{backend:?} {preview}");
        assert_eq!(preview["refused"], json!([]));

        // The store as a crash left it: the first batch committed (its phones changed, the
        // progress counted), the rest unchanged, the job still running under a node that is
        // gone (its claim not renewed for two minutes).
        let first_batch: Vec<i32> = devices::Entity::find()
            .select_only()
            .column(devices::Column::Id)
            .filter(devices::Column::ModelId.eq(m7960))
            .filter(devices::Column::WebAccess.eq(true))
            .order_by_asc(devices::Column::Id)
            .limit(u64::try_from(will / 2).unwrap())
            .into_tuple()
            .all(&db.db)
            .await
            .unwrap();
        let k = i64::try_from(first_batch.len()).unwrap();
        devices::Entity::update_many()
            .col_expr(
                devices::Column::WebAccess,
                sea_orm::sea_query::Expr::value(false),
            )
            .filter(devices::Column::Id.is_in(first_batch))
            .exec(&db.db)
            .await
            .unwrap();
        let mut crashed = job_row(
            &serde_json::to_string(&req).unwrap(),
            matched,
            unchanged + k,
            k,
        );
        crashed.worker = Set(Some("CM-PUB pid 1 run 0".to_owned()));
        crashed.heartbeat_at = Set(Some(t0() - Duration::minutes(2)));
        let crashed = crashed.insert(&db.db).await.unwrap().id;

        // A job another node is working right now (its claim is fresh): not this node's.
        let pc_ports_on = count_with(&db.db, m7940, devices::Column::PcPort, true).await;
        assert!(pc_ports_on > 0);
        let mut live = job_row(
            &serde_json::to_string(&request("Cisco 7940", "pc_port", "Disabled")).unwrap(),
            i64::try_from(pc_ports_on).unwrap(),
            0,
            0,
        );
        live.worker = Set(Some("CM-SUB1 pid 2 run 0".to_owned()));
        live.heartbeat_at = Set(Some(t0()));
        let live = live.insert(&db.db).await.unwrap().id;

        // A job whose stored request cannot be read back (never claimed): marked failed.
        let unreadable = job_row("{not json", 10, 3, 3)
            .insert(&db.db)
            .await
            .unwrap()
            .id;

        // Two nodes start at once on the same store: each job is claimed by one of them.
        let other_node = AppState::new(db.db.clone(), Arc::new(console.clock.clone()))
            .with_node(Some("CM-SUB2".to_owned()));
        let internal = app::service::authz::Internal::at_start("test");
        let (a, b) = tokio::join!(
            interrupted::resume_interrupted(&console.state, &internal),
            interrupted::resume_interrupted(&other_node, &internal)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 2, "{backend:?}");

        let done = job(&db.db, crashed).await;
        assert_eq!(done.status, JobStatus::Done, "{backend:?} {done:?}");
        assert_eq!(done.changed, will, "every phone changed once");
        assert_eq!(done.processed, done.total);
        assert_eq!(done.message, format!("{will} phones changed"));
        assert_eq!(
            count_with(&db.db, m7960, devices::Column::WebAccess, true).await,
            0,
            "{backend:?}"
        );
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::ObjectName.eq(format!("bulk job {crashed}")))
            .all(&db.db)
            .await
            .unwrap();
        assert!(!audited.is_empty());
        assert!(audited.iter().all(|a| a.actor.as_deref() == Some("admin")));

        let failed = job(&db.db, unreadable).await;
        assert_eq!(failed.status, JobStatus::Failed);
        assert_eq!(
            failed.message,
            "interrupted by a restart of the console; 3 of 10 phones changed"
        );

        let untouched = job(&db.db, live).await;
        assert_eq!(untouched.status, JobStatus::Running);
        assert_eq!(untouched.changed, 0);
        assert_eq!(untouched.worker.as_deref(), Some("CM-SUB1 pid 2 run 0"));
        assert_eq!(
            count_with(&db.db, m7940, devices::Column::PcPort, true).await,
            pc_ports_on
        );
        assert_eq!(
            interrupted::resume_interrupted(
                &console.state,
                &app::service::authz::Internal::at_start("test")
            )
            .await
            .unwrap(),
            0
        );

        // That node stops: once its claim is stale, the job is resumed and finishes.
        console
            .clock
            .advance(Duration::from_std(job_claims::STALE).unwrap() + Duration::seconds(1));
        assert_eq!(
            interrupted::resume_interrupted(
                &other_node,
                &app::service::authz::Internal::at_start("test")
            )
            .await
            .unwrap(),
            1
        );
        let finished = job(&db.db, live).await;
        assert_eq!(finished.status, JobStatus::Done, "{finished:?}");
        assert_eq!(finished.changed, i64::try_from(pc_ports_on).unwrap());
        assert_eq!(
            count_with(&db.db, m7940, devices::Column::PcPort, true).await,
            0
        );
        // No bulk job is left running.
        assert_eq!(
            jobs::Entity::find()
                .filter(jobs::Column::Kind.eq(bulk::KIND))
                .filter(jobs::Column::Status.eq(JobStatus::Running))
                .count(&db.db)
                .await
                .unwrap(),
            0
        );
        db.finish().await;
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn phone_with(
    db: &sea_orm::DatabaseConnection,
    mode: &str,
    model_has_encryption: bool,
) -> devices::Model {
    let models = app::store::cluster::model_rows(db).await.unwrap();
    let ids: Vec<i32> = models
        .iter()
        .filter(|m| m.device_class == "phone" && m.supports_encryption == model_has_encryption)
        .map(|m| m.id)
        .collect();
    devices::Entity::find()
        .filter(devices::Column::SecurityMode.eq(mode))
        .filter(devices::Column::ModelId.is_in(ids))
        .filter(devices::Column::Name.starts_with("SEP"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn behind_the_back(db: &sea_orm::DatabaseConnection, sql: &str) {
    let done = db.execute_unprepared(sql).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

fn read(dirs: &TftpDirs, name: &str) -> Option<Vec<u8>> {
    std::fs::read(dirs.files.join(name)).ok()
}

async fn build(state: &AppState) -> Result<pipeline::BuildReport, app::error::AppError> {
    let latest = app::store::files::latest_change(&state.db).await.unwrap();
    pipeline::build(state, latest).await
}

#[tokio::test]
async fn corrupt_stored_mode_never_weakens_a_signed_file() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let dirs = TftpDirs::under(dir.path());
        let (console, cookie) = crate::support::demo_console(&db, 40, PW, Some(dir.path())).await;

        // A Mixed cluster with its files built and signed.
        let (_, servers) = call(&console, &cookie, "GET", "/api/v1/servers", None).await;
        for s in servers.as_array().unwrap() {
            let name = s["fields"]["name"].as_str().unwrap();
            let (status, _) = call(
                &console,
                &cookie,
                "PUT",
                &format!("/api/v1/servers/{name}/services/ctl-provider"),
                Some(json!({"activated": true})),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, answer) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/ctl",
            Some(json!({"mode": "Mixed", "tokens": ["SAST1", "SAST2"]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let first = build(&console.state).await.unwrap();
        assert!(first.errors.is_empty(), "{first:?}");
        assert!(first.signed > 0);

        let victim = phone_with(&db.db, "encrypted", true).await;
        let file = format!("{}.cnf.xml", victim.name);
        let signed = format!("{file}.sgn");
        let plain_before = read(&dirs, &file).unwrap();
        assert!(text(&plain_before).contains("<deviceSecurityMode>3</deviceSecurityMode>"));
        let sgn_before = read(&dirs, &signed).unwrap();
        let other = phone_with(&db.db, "non_secure", true).await;
        let other_file = format!("{}.cnf.xml", other.name);
        let other_sgn_before = read(&dirs, &format!("{other_file}.sgn")).unwrap();

        // Behind the console's back: a corrupt mode on one phone, a change on another.
        behind_the_back(
            &db.db,
            &format!(
                "UPDATE devices SET security_mode = 'garbage' WHERE id = {}",
                victim.id
            ),
        )
        .await;
        behind_the_back(
            &db.db,
            &format!(
                "UPDATE devices SET description = 'Moved to the lab' WHERE id = {}",
                other.id
            ),
        )
        .await;
        let report = build(&console.state).await.unwrap();
        let expected = format!(
            "{}: stored Device Security Mode 'garbage' is not a known value; its file was not \
             rebuilt",
            victim.name
        );
        assert_eq!(report.errors, vec![expected.clone()], "{backend:?}");
        // Its previous files stay served, byte for byte: still Encrypted, still signed.
        assert_eq!(read(&dirs, &file), Some(plain_before.clone()));
        assert_eq!(read(&dirs, &signed), Some(sgn_before.clone()));
        // Every other device is built: the changed one is written and signed again.
        let other_plain = read(&dirs, &other_file).unwrap();
        assert!(text(&other_plain).contains("Moved to the lab"));
        let other_sgn = read(&dirs, &format!("{other_file}.sgn")).unwrap();
        assert_ne!(other_sgn, other_sgn_before);
        assert_eq!(sgn::parse(&other_sgn).unwrap().content, other_plain);
        // Security > TFTP Files names the device.
        let (status, files) = call(&console, &cookie, "GET", "/api/v1/tftp-files", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(files["last_error"], json!(expected), "{files}");

        // A later build keeps the files too (they are not stale).
        let again = build(&console.state).await.unwrap();
        assert_eq!(again.errors.len(), 1);
        assert_eq!(read(&dirs, &signed), Some(sgn_before.clone()));

        // An unknown CAPF mode is refused the same way (never By Null String).
        behind_the_back(
            &db.db,
            &format!(
                "UPDATE devices SET security_mode = 'encrypted', authentication_mode = 'By \
                 Nothing' WHERE id = {}",
                victim.id
            ),
        )
        .await;
        let report = build(&console.state).await.unwrap();
        assert_eq!(report.errors.len(), 1);
        assert!(
            report.errors[0].contains("stored Authentication Mode 'By Nothing'"),
            "{report:?}"
        );
        assert_eq!(read(&dirs, &signed), Some(sgn_before.clone()));

        // Repaired: it builds again (to the same bytes), and the error goes.
        behind_the_back(
            &db.db,
            &format!(
                "UPDATE devices SET authentication_mode = '{}' WHERE id = {}",
                victim.authentication_mode, victim.id
            ),
        )
        .await;
        let report = build(&console.state).await.unwrap();
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(read(&dirs, &signed), Some(sgn_before.clone()));
        let (_, files) = call(&console, &cookie, "GET", "/api/v1/tftp-files", None).await;
        assert_eq!(files["last_error"], Value::Null, "{files}");

        // A corrupt cluster-wide value (the signature hash): no file is rebuilt at all.
        behind_the_back(
            &db.db,
            "UPDATE enterprise_parameters SET value = 'SHA-0' \
             WHERE name = 'TftpFileSignatureAlgorithm'",
        )
        .await;
        behind_the_back(
            &db.db,
            &format!(
                "UPDATE devices SET description = 'Back at the desk' WHERE id = {}",
                other.id
            ),
        )
        .await;
        let err = build(&console.state).await.unwrap_err();
        assert!(err.to_string().contains("'SHA-0'"), "{err}");
        assert_eq!(read(&dirs, &other_file), Some(other_plain));
        assert_eq!(read(&dirs, &format!("{other_file}.sgn")), Some(other_sgn));
        assert_eq!(read(&dirs, &signed), Some(sgn_before));
        let (_, files) = call(&console, &cookie, "GET", "/api/v1/tftp-files", None).await;
        assert_eq!(files["status"], "failed");
        assert!(
            files["last_error"]
                .as_str()
                .unwrap()
                .contains("TFTP File Signature Algorithm 'SHA-0'"),
            "{files}"
        );
        db.finish().await;
    }
}
