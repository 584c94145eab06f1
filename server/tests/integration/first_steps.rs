//! From an empty install to a working cluster, on SQLite and PostgreSQL: the first start creates
//! this node as the publisher with the group and pool `Default`; CallManager groups, device pools
//! and regions keep their rules (in use → refused, a change → the R10 resets of their devices);
//! Bulk Administration's CSV import applies all or nothing or the valid rows, survives a kill,
//! and reads its own export back as no change.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};

use app::domain::device::PhoneFields;
use app::domain::jobs::JobStatus;
use app::service::{first_start, interrupted};
use app::store::entities::{audit_log, devices, jobs, required_actions, servers};

use crate::support::{
    add_user, admin_client, backends, call, json_body, t0, Backend, InProcess, RunningServer,
    TestDb,
};

const PW: &str = "a long enough password";

fn phone(name: &str, model: &str, pool: &str) -> Value {
    serde_json::to_value(PhoneFields::new(name, model, pool)).unwrap()
}

#[tokio::test]
async fn the_first_start_of_an_empty_store_makes_this_node_the_publisher() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_SERVER", "CM-FIRST"),
            ("CCMADMIN_NODE_ADDRESS", "10.1.2.3"),
        ];
        if backend == Backend::Postgres {
            env.push(("DATABASE_URL", db.url.as_str()));
        }
        let server = RunningServer::start(dir.path(), &env);
        let base = server.base_url.clone();
        let client = admin_client(dir.path(), &base, PW).await;

        let (status, list) = call(&client, &base, "GET", "/api/v1/servers", None).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 1, "{backend:?} {list:?}");
        assert_eq!(list[0]["fields"]["name"], "CM-FIRST");
        assert_eq!(list[0]["fields"]["address"], "10.1.2.3");
        assert_eq!(list[0]["fields"]["role"], "Publisher");
        assert_eq!(list[0]["guid"].as_str().unwrap().len(), 36);

        let (_, groups) = call(&client, &base, "GET", "/api/v1/callmanager-groups", None).await;
        assert_eq!(groups[0]["fields"]["name"], "Default", "{groups}");
        assert_eq!(groups[0]["fields"]["members"], json!(["CM-FIRST"]));
        assert_eq!(groups[0]["pools"], json!(["Default"]));
        let (status, pool) =
            call(&client, &base, "GET", "/api/v1/device-pools/Default", None).await;
        assert_eq!(status, StatusCode::OK, "{pool}");
        assert_eq!(pool["fields"]["callmanager_group"], "Default");
        assert_eq!(pool["fields"]["region"], "Default");

        // The first phone needs no other setup.
        let (status, saved) = call(
            &client,
            &base,
            "POST",
            "/api/v1/phones",
            Some(phone("SEP0011223344AA", "Cisco 7960", "Default")),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        drop(client);
        server.kill();

        // A second start keeps what the first made, once.
        let server = RunningServer::start(dir.path(), &env);
        let client = admin_client(dir.path(), &server.base_url, PW).await;
        let (_, list) = call(&client, &server.base_url, "GET", "/api/v1/servers", None).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        server.kill();
        db.finish().await;
    }
}

#[tokio::test]
async fn demo_data_builds_on_the_defaults_of_a_first_start() {
    let db = TestDb::new(Backend::Sqlite).await;
    let console = InProcess::new(db.db.clone());
    let made = first_start::ensure_publisher(
        &console.state,
        &app::service::authz::Internal::at_start("test"),
        "CM-FIRST",
        "10.1.2.3",
    )
    .await
    .unwrap();
    assert!(made.is_some());
    assert!(first_start::ensure_publisher(
        &console.state,
        &app::service::authz::Internal::at_start("test"),
        "CM-OTHER",
        "10.1.2.4"
    )
    .await
    .unwrap()
    .is_none());
    app::service::demo::generate(
        &console.state,
        &app::service::authz::Internal::at_start("test"),
        50,
    )
    .await
    .unwrap();
    let publishers = servers::Entity::find()
        .filter(servers::Column::Role.eq("publisher"))
        .all(&db.db)
        .await
        .unwrap();
    assert_eq!(publishers.len(), 1);
    assert_eq!(publishers[0].name, "CM-FIRST");
    assert!(devices::Entity::find().count(&db.db).await.unwrap() >= 50);
    db.finish().await;
}

/// An in-process console on an empty install (publisher CM-PUB, group and pool Default), logged
/// in as an administrator.
async fn empty_install(db: &TestDb) -> (InProcess, String) {
    let console = InProcess::new(db.db.clone());
    first_start::ensure_publisher(
        &console.state,
        &app::service::authz::Internal::at_start("test"),
        "CM-PUB",
        "10.0.0.10",
    )
    .await
    .unwrap()
    .unwrap();
    add_user(&console.state, "admin", PW).await;
    let cookie = console.login("admin", PW, None).await;
    (console, cookie)
}

async fn send(
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

async fn pending_resets_of(db: &sea_orm::DatabaseConnection, device: &str) -> u64 {
    required_actions::Entity::find()
        .filter(required_actions::Column::Kind.eq("reset_device"))
        .filter(required_actions::Column::Target.eq(device))
        .filter(required_actions::Column::DoneAt.is_null())
        .count(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn groups_and_pools_in_use_are_kept_and_their_changes_reset_their_devices() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = empty_install(&db).await;
        let c = |m: &'static str, p: String, b: Option<Value>| {
            let console = &console;
            let cookie = cookie.clone();
            async move { send(console, &cookie, m, &p, b).await }
        };
        let (status, sub) = c(
            "POST",
            "/api/v1/servers".into(),
            Some(json!({"name": "CM-SUB1", "address": "10.0.0.11", "role": "Subscriber"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{sub}");
        let group = json!({"name": "CMG-Branch", "members": ["CM-SUB1", "CM-PUB"]});
        let (status, saved) = c("POST", "/api/v1/callmanager-groups".into(), Some(group)).await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        // Four servers, an unknown one, one twice: refused by field.
        for (members, reason) in [
            (
                json!(["CM-PUB", "CM-SUB1", "CM-PUB", "CM-SUB1"]),
                "at most 3",
            ),
            (json!(["CM-NOPE"]), "is not a server"),
            (json!(["CM-PUB", "CM-PUB"]), "listed twice"),
        ] {
            let (status, err) = c(
                "POST",
                "/api/v1/callmanager-groups".into(),
                Some(json!({"name": "CMG-Bad", "members": members})),
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
            assert_eq!(err["field"], "Selected Cisco CallManagers");
            assert!(err["error"].as_str().unwrap().contains(reason), "{err}");
        }
        let (status, region) = c(
            "POST",
            "/api/v1/regions".into(),
            Some(json!({"name": "Branch", "audio_codec": "G729"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{region}");
        let pool = json!({"name": "DP-Branch", "callmanager_group": "CMG-Branch",
            "region": "Branch", "srst": {"kind": "disable"}});
        let (status, saved) = c("POST", "/api/v1/device-pools".into(), Some(pool)).await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        for name in ["SEP0011223344AA", "SEP0011223344AB"] {
            let (status, _) = c(
                "POST",
                "/api/v1/phones".into(),
                Some(phone(name, "Cisco 7960", "DP-Branch")),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED);
        }

        // In use: the group names its pools, the pool counts its devices, the region its pools.
        let (status, err) = c(
            "DELETE",
            "/api/v1/callmanager-groups/CMG-Branch".into(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(
            err["error"].as_str().unwrap().contains("DP-Branch"),
            "{err}"
        );
        let (status, err) = c("DELETE", "/api/v1/device-pools/DP-Branch".into(), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(
            err["error"].as_str().unwrap().contains("2 devices"),
            "{err}"
        );
        let (status, err) = c("DELETE", "/api/v1/regions/Branch".into(), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(
            err["error"].as_str().unwrap().contains("DP-Branch"),
            "{err}"
        );
        let (status, err) = c("DELETE", "/api/v1/regions/Default".into(), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(
            err["error"].as_str().unwrap().contains("cannot be deleted"),
            "{err}"
        );

        // R10: the group's servers change → its pools' devices are to be reset.
        assert_eq!(pending_resets_of(&db.db, "SEP0011223344AA").await, 0);
        let (_, current) = c("GET", "/api/v1/callmanager-groups/CMG-Branch".into(), None).await;
        let (status, saved) = c(
            "PUT",
            "/api/v1/callmanager-groups/CMG-Branch".into(),
            Some(
                json!({"name": "CMG-Branch", "members": ["CM-PUB", "CM-SUB1"],
                "version": current["version"]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(
            saved["required_actions"][0]
                .as_str()
                .unwrap()
                .contains("DP-Branch"),
            "{saved}"
        );
        for name in ["SEP0011223344AA", "SEP0011223344AB"] {
            assert_eq!(
                pending_resets_of(&db.db, name).await,
                1,
                "{backend:?} {name}"
            );
        }
        // The files follow: the change is one of those the pipeline reacts to.
        assert!(
            audit_log::Entity::find()
                .filter(audit_log::Column::ObjectType.eq("CallManagerGroup"))
                .filter(audit_log::Column::ObjectName.eq("CMG-Branch"))
                .count(&db.db)
                .await
                .unwrap()
                >= 2
        );

        // A pool moved to another group: its devices reset too (already pending: not twice).
        let (_, current) = c("GET", "/api/v1/device-pools/DP-Branch".into(), None).await;
        let (status, saved) = c(
            "PUT",
            "/api/v1/device-pools/DP-Branch".into(),
            Some(
                json!({"name": "DP-Branch", "callmanager_group": "Default", "region": "Default",
                "srst": {"kind": "use_default_gateway"}, "version": current["version"]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(saved["required_actions"][0]
            .as_str()
            .unwrap()
            .contains("2 devices"));
        assert_eq!(pending_resets_of(&db.db, "SEP0011223344AA").await, 1);

        // No longer in use: the group goes.
        let (status, _) = c(
            "DELETE",
            "/api/v1/callmanager-groups/CMG-Branch".into(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{backend:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn two_admins_saving_one_pool_at_once_never_overwrite_each_other() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = empty_install(&db).await;
        let other = {
            add_user(&console.state, "admin2", PW).await;
            console.login("admin2", PW, None).await
        };
        let (_, region) = send(
            &console,
            &cookie,
            "POST",
            "/api/v1/regions",
            Some(json!({"name": "Wide", "audio_codec": "G722"})),
        )
        .await;
        assert_eq!(region["fields"]["name"], "Wide", "{region}");
        let (_, current) = send(
            &console,
            &cookie,
            "GET",
            "/api/v1/device-pools/Default",
            None,
        )
        .await;
        let version = current["version"].clone();
        let body = |srst: Value, region: &str| {
            json!({"name": "Default", "callmanager_group": "Default", "region": region,
                "srst": srst, "version": version})
        };
        let a = body(json!({"kind": "use_default_gateway"}), "Default");
        let b = body(json!({"kind": "disable"}), "Wide");
        let (ra, rb) = tokio::join!(
            send(
                &console,
                &cookie,
                "PUT",
                "/api/v1/device-pools/Default",
                Some(a)
            ),
            send(
                &console,
                &other,
                "PUT",
                "/api/v1/device-pools/Default",
                Some(b)
            ),
        );
        let statuses = [ra.0, rb.0];
        assert!(
            statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
            "{backend:?} {statuses:?} {} {}",
            ra.1,
            rb.1
        );
        let (_, after) = send(
            &console,
            &cookie,
            "GET",
            "/api/v1/device-pools/Default",
            None,
        )
        .await;
        let winner = if ra.0 == StatusCode::OK { &ra.1 } else { &rb.1 };
        assert_eq!(
            after["fields"], winner["pool"]["fields"],
            "the saved one is whole"
        );
        db.finish().await;
    }
}

async fn csv_request(
    console: &InProcess,
    cookie: &str,
    path: &str,
    csv: &str,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "127.0.0.1:8443")
        .header(header::COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv.to_owned()))
        .unwrap();
    let res = console.request(req).await;
    let status = res.status();
    (status, json_body(res).await)
}

async fn export(console: &InProcess, cookie: &str, query: &str) -> String {
    let res = console
        .send(
            "GET",
            &format!("/api/v1/phones.csv{query}"),
            Some(cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn wait_for_job(console: &InProcess, cookie: &str, id: &Value) -> Value {
    for _ in 0..200 {
        let (_, job) = send(console, cookie, "GET", &format!("/api/v1/jobs/{id}"), None).await;
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not end");
}

async fn description_of(db: &sea_orm::DatabaseConnection, name: &str) -> Option<String> {
    devices::Entity::find()
        .filter(devices::Column::Name.eq(name))
        .one(db)
        .await
        .unwrap()
        .map(|d| d.description)
}

const HEADER: &str = "Device Name,Phone Model,Device Pool,Description,Device Security Mode";

#[tokio::test]
async fn an_import_applies_all_or_nothing_or_the_valid_rows() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = empty_install(&db).await;
        let file = format!(
            "{HEADER}\r\n\
             SEP000000000001,Cisco 7960,Default,Lobby,Encrypted\r\n\
             SEP000000000002,Cisco 9999,Default,Bad model,Use System Default\r\n\
             SEP000000000003,Cisco 7912,Default,\"Hall, west\",Encrypted\r\n\
             SEP000000000004,Cisco 7970,Default,=HYPERLINK(1),Non Secure\r\n"
        );
        let (status, report) =
            csv_request(&console, &cookie, "/api/v1/bulk/phones/validate", &file).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["rows"], 4);
        assert_eq!(report["inserts"], 1, "{report}");
        assert_eq!(report["refused"], 3, "{report}");
        let problems = report["problems"].as_array().unwrap();
        assert_eq!(problems[0]["line"], 3);
        assert_eq!(problems[0]["column"], "Phone Model");
        // R7: a 7912 supports no security.
        assert_eq!(problems[1]["line"], 4);
        assert_eq!(problems[1]["column"], "Device Security Mode");
        assert!(problems[1]["reason"].as_str().unwrap().contains("R7"));
        assert_eq!(problems[2]["line"], 5);
        assert!(problems[2]["reason"].as_str().unwrap().contains("formula"));

        // All or nothing: refused whole, nothing written.
        let (status, err) = csv_request(
            &console,
            &cookie,
            "/api/v1/bulk/phones/import?mode=all_or_nothing",
            &file,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]
            .as_str()
            .unwrap()
            .contains("3 rows are refused"));
        assert_eq!(devices::Entity::find().count(&db.db).await.unwrap(), 0);

        // The valid rows: the one good row applied, with its audit row.
        let (status, job) = csv_request(
            &console,
            &cookie,
            "/api/v1/bulk/phones/import?mode=valid_rows",
            &file,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        let done = wait_for_job(&console, &cookie, &job["id"]).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["changed"], 1);
        assert_eq!(done["refused"], 3);
        assert_eq!(
            description_of(&db.db, "SEP000000000001").await.as_deref(),
            Some("Lobby")
        );
        assert_eq!(devices::Entity::find().count(&db.db).await.unwrap(), 1);
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::ObjectName.eq(format!("bulk import job {}", job["id"])))
            .count(&db.db)
            .await
            .unwrap();
        assert_eq!(audited, 1);

        // Updates only: a new name refused, an existing phone changed and reset (R10).
        let update = "Device Name,Device Security Mode\r\nSEP000000000001,Authenticated\r\nSEP00000000000F,Encrypted\r\n";
        let (_, report) = csv_request(
            &console,
            &cookie,
            "/api/v1/bulk/phones/validate?action=update_only",
            update,
        )
        .await;
        assert_eq!(report["updates"], 1, "{report}");
        assert_eq!(report["problems"][0]["line"], 3);
        assert_eq!(report["problems"][0]["column"], "Device Name");
        let (_, job) = csv_request(
            &console,
            &cookie,
            "/api/v1/bulk/phones/import?action=update_only&mode=valid_rows",
            update,
        )
        .await;
        assert_eq!(
            wait_for_job(&console, &cookie, &job["id"]).await["changed"],
            1
        );
        assert_eq!(pending_resets_of(&db.db, "SEP000000000001").await, 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn malformed_or_oversized_files_are_refused_with_the_line_and_the_limit() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (mut console, cookie) = empty_install(&db).await;
    let cases = [
        (
            format!("{HEADER}\nSEP000000000001,\"Cisco 7960,Default,x,Encrypted\n"),
            "line 2: a quoted field is not closed",
        ),
        (
            "Device Name,Colour\nSEP000000000001,red\n".to_owned(),
            "\"Colour\" is not a column",
        ),
        (String::new(), "is empty"),
    ];
    for (file, reason) in cases {
        let (status, err) =
            csv_request(&console, &cookie, "/api/v1/bulk/phones/validate", &file).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["field"], "File");
        assert!(err["error"].as_str().unwrap().contains(reason), "{err}");
    }
    // Not UTF-8: the line of the first bad byte.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/bulk/phones/validate")
        .header(header::COOKIE, cookie.as_str())
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(
            b"Device Name\nSEP000000000001\n\xff\xfe\n".to_vec(),
        ))
        .unwrap();
    let res = console.request(req).await;
    let err = json_body(res).await;
    assert!(err["error"].as_str().unwrap().contains("line 3"), "{err}");
    assert!(err["error"].as_str().unwrap().contains("UTF-8"), "{err}");

    // The configured limits, named, before any row is read.
    console.state = console
        .state
        .clone()
        .with_import_limits(app::domain::bat::ImportLimits {
            max_bytes: 200,
            max_rows: 2,
        });
    console.rebuild_router();
    let cookie = console.login("admin", PW, None).await;
    let big = format!("{HEADER}\n{}", "x".repeat(300));
    let (status, err) = csv_request(&console, &cookie, "/api/v1/bulk/phones/validate", &big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("the limit is 200 bytes"),
        "{err}"
    );
    let rows = "Device Name\nSEP000000000001\nSEP000000000002\nSEP000000000003\n";
    let (_, err) = csv_request(&console, &cookie, "/api/v1/bulk/phones/validate", rows).await;
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("the limit is 2 rows"),
        "{err}"
    );
    db.finish().await;
}

#[tokio::test]
async fn an_export_imported_back_is_no_change() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = empty_install(&db).await;
        app::service::demo::generate(
            &console.state,
            &app::service::authz::Internal::at_start("test"),
            120,
        )
        .await
        .unwrap();
        // Values a spreadsheet would run, a comma, a quote and a CAPF string survive the trip.
        let (_, one) = send(&console, &cookie, "GET", "/api/v1/phones?per_page=1", None).await;
        let name = one["items"][0]["name"].as_str().unwrap().to_owned();
        let (_, current) = send(
            &console,
            &cookie,
            "GET",
            &format!("/api/v1/phones/{name}"),
            None,
        )
        .await;
        let mut fields = current["fields"].clone();
        fields["description"] = json!("=cmd|' /C calc'!A0, \"west\"");
        fields["authentication_string"] = json!("123456");
        fields["version"] = current["version"].clone();
        let (status, saved) = send(
            &console,
            &cookie,
            "PUT",
            &format!("/api/v1/phones/{name}"),
            Some(fields),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");

        let file = export(&console, &cookie, "").await;
        assert!(file.starts_with(
            "Device Name,Description,Phone Model,Device Protocol,Device Pool,Device Security Mode"
        ));
        let stored = devices::Entity::find().count(&db.db).await.unwrap();
        assert_eq!(
            file.lines().count() as u64,
            stored + 1,
            "a header and every device"
        );
        assert!(
            file.contains("\"'=cmd|' /C calc'!A0, \"\"west\"\"\""),
            "guarded and quoted"
        );
        let (status, report) =
            csv_request(&console, &cookie, "/api/v1/bulk/phones/validate", &file).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["unchanged"], stored, "{backend:?} {report}");
        assert_eq!(report["refused"], 0, "{report}");
        assert_eq!(report["updates"], 0, "{report}");

        // CAPF strings are masked unless asked for with Full Access, and every export is audited.
        assert!(file.contains("********") && !file.contains("123456"));
        let shown = export(&console, &cookie, "?reveal=true").await;
        assert!(shown.contains("123456"));
        let exports = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("export"))
            .all(&db.db)
            .await
            .unwrap();
        assert_eq!(exports.len(), 2, "{exports:?}");
        assert!(exports[1].detail.contains("authentication strings shown"));
        // A filtered export holds only the matching phones.
        let part = export(&console, &cookie, "?model=Cisco%207970").await;
        assert!(part.lines().skip(1).all(|l| l.contains("Cisco 7970")));
        db.finish().await;
    }
}

#[tokio::test]
async fn an_import_killed_midway_is_resumed_where_it_stopped() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = empty_install(&db).await;
        let mut file = String::from("Device Name,Phone Model,Device Pool,Description\r\n");
        for i in 0..2_500 {
            file.push_str(&format!("SEP{i:012X},Cisco 7960,Default,Imported {i}\r\n"));
        }
        // The store as a kill left it: the first batch committed, the job still running under
        // a node that is gone.
        let (status, report) =
            csv_request(&console, &cookie, "/api/v1/bulk/phones/validate", &file).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(report["inserts"], 2_500);
        let mut first = String::from("Device Name,Phone Model,Device Pool,Description\r\n");
        for line in file.lines().skip(1).take(1_000) {
            first.push_str(line);
            first.push_str("\r\n");
        }
        let (_, job) = csv_request(
            &console,
            &cookie,
            "/api/v1/bulk/phones/import?mode=valid_rows",
            &first,
        )
        .await;
        wait_for_job(&console, &cookie, &job["id"]).await;
        let request = json!({"csv": file, "action": "insert_or_update", "mode": "all_or_nothing"});
        let crashed = jobs::ActiveModel {
            kind: Set(app::service::imports::KIND.to_owned()),
            status: Set(JobStatus::Running),
            total: Set(2_500),
            processed: Set(1_000),
            changed: Set(1_000),
            refused: Set(0),
            params: Set(request.to_string()),
            message: Set(String::new()),
            created_by: Set("admin".to_owned()),
            created_at: Set(t0()),
            updated_at: Set(t0()),
            rate: Set(None),
            version: Set(1),
            worker: Set(Some("CM-PUB pid 1 run 0".to_owned())),
            heartbeat_at: Set(Some(t0() - Duration::minutes(2))),
            // The last line the committed batch applied (the header is line 1).
            cursor: Set(Some(1_001)),
            ..Default::default()
        }
        .insert(&db.db)
        .await
        .unwrap()
        .id;

        assert_eq!(
            interrupted::resume_interrupted(
                &console.state,
                &app::service::authz::Internal::at_start("test")
            )
            .await
            .unwrap(),
            1
        );
        let done = jobs::Entity::find_by_id(crashed)
            .one(&db.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, JobStatus::Done, "{backend:?} {done:?}");
        assert_eq!(done.changed, 2_500, "{done:?}");
        assert_eq!(done.processed, 2_500);
        assert_eq!(devices::Entity::find().count(&db.db).await.unwrap(), 2_500);
        let last = devices::Entity::find()
            .order_by_desc(devices::Column::Name)
            .one(&db.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.description, "Imported 2499");
        // Every row written once: one audit row per batch of the resumed run.
        let batches = audit_log::Entity::find()
            .filter(audit_log::Column::ObjectName.eq(format!("bulk import job {crashed}")))
            .count(&db.db)
            .await
            .unwrap();
        assert_eq!(batches, 2);
        // The file (it could hold CAPF strings) is not kept once the job ended.
        assert!(!done.params.contains("SEP"), "{}", done.params);
        db.finish().await;
    }
}

#[tokio::test]
async fn an_import_survives_a_kill_of_the_console() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_TFTP", "false"),
        ];
        if backend == Backend::Postgres {
            env.push(("DATABASE_URL", db.url.as_str()));
        }
        let server = RunningServer::start(dir.path(), &env);
        let base = server.base_url.clone();
        let client = admin_client(dir.path(), &base, PW).await;
        let rows = 40_000;
        let mut file = String::from("Device Name,Phone Model,Device Pool,Description\r\n");
        for i in 0..rows {
            file.push_str(&format!("SEP{i:012X},Cisco 7960,Default,Desk {i}\r\n"));
        }
        let res = client
            .post(format!(
                "{base}/api/v1/bulk/phones/import?mode=all_or_nothing"
            ))
            .header("Origin", &base)
            .header("Content-Type", "text/csv")
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let id = res.json::<Value>().await.unwrap()["id"].clone();
        // Killed (SIGKILL, as a crash) once the first batches committed, before the last.
        let mut killed_at = 0;
        for _ in 0..600 {
            let (_, job) = call(&client, &base, "GET", &format!("/api/v1/jobs/{id}"), None).await;
            let changed = job["changed"].as_i64().unwrap_or(0);
            assert_eq!(job["status"], "running", "the kill came too late: {job}");
            if changed > 0 {
                killed_at = changed;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        server.kill();
        assert!(killed_at > 0 && killed_at < rows, "{killed_at}");

        // The next start resumes it once its claim is stale, after the last line applied.
        let server = RunningServer::start(dir.path(), &env);
        let client = admin_client(dir.path(), &server.base_url, PW).await;
        let mut done = Value::Null;
        for _ in 0..600 {
            let (_, job) = call(
                &client,
                &server.base_url,
                "GET",
                &format!("/api/v1/jobs/{id}"),
                None,
            )
            .await;
            if job["status"] != "running" {
                done = job;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert_eq!(done["status"], "done", "{backend:?} {done}");
        assert_eq!(done["changed"], rows, "every row applied once: {done}");
        assert_eq!(done["processed"], rows);
        let (_, page) = call(
            &client,
            &server.base_url,
            "GET",
            "/api/v1/phones?per_page=1",
            None,
        )
        .await;
        assert_eq!(page["total"], rows, "{page}");
        server.kill();
        db.finish().await;
    }
}
