//! Device > Phone through the JSON API, on SQLite and PostgreSQL: the demo cluster, filters by
//! effective mode (R7, R8), the R5 warning, the version conflict (409) and refusals (422).

use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{json, Value};

use app::store::entities::{cluster, devices};

use crate::support::{add_user_in, backends, json_body, InProcess, TestDb};

const PW: &str = "a long enough password";

async fn console_with_demo(db: &TestDb, phones: u64) -> (InProcess, String) {
    crate::support::demo_console(db, phones, PW, None).await
}

async fn get(console: &InProcess, cookie: &str, path: &str) -> Value {
    let res = console.send("GET", path, Some(cookie), None).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    json_body(res).await
}

async fn set_cluster_mixed(console: &InProcess) {
    let row = cluster::Entity::find()
        .one(&console.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: cluster::ActiveModel = row.into();
    active.security_mode = Set("mixed".to_owned());
    active.update(&console.state.db).await.unwrap();
    // Written behind the console's back: drop its copy of the reference data.
    console.state.reference.invalidate();
}

#[tokio::test]
async fn demo_cluster_is_deterministic_and_refuses_a_second_run() {
    let a = TestDb::new(backends()[0]).await;
    let b = TestDb::new(backends()[0]).await;
    let (ca, _) = console_with_demo(&a, 120).await;
    let (cb, _) = console_with_demo(&b, 120).await;
    let rows = |db: &sea_orm::DatabaseConnection| {
        let db = db.clone();
        async move {
            devices::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|d| {
                    (
                        d.name,
                        d.model_id,
                        d.security_mode,
                        d.protocol,
                        d.lsc_status,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(rows(&ca.state.db).await, rows(&cb.state.db).await);
    assert_eq!(
        devices::Entity::find().count(&ca.state.db).await.unwrap(),
        120 + 19
    );
    let err = app::service::demo::generate(
        &ca.state,
        &app::service::authz::Internal::at_start("test"),
        10,
    )
    .await
    .unwrap_err();
    assert_eq!(err.field(), Some("--phones"));
    a.finish().await;
    b.finish().await;
}

#[tokio::test]
async fn r8_r7_effective_mode_filter_matches_the_rule_on_every_row() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console_with_demo(&db, 200).await;
        // Non-Secure cluster: everything runs Non Secure (R8).
        let all = get(&console, &cookie, "/api/v1/phones?per_page=1").await;
        let non_secure = get(
            &console,
            &cookie,
            "/api/v1/phones?effective=non_secure&per_page=1",
        )
        .await;
        assert_eq!(all["total"], non_secure["total"], "{backend:?}");
        let encrypted = get(&console, &cookie, "/api/v1/phones?effective=encrypted").await;
        assert_eq!(encrypted["total"], 0);

        set_cluster_mixed(&console).await;
        let mut seen = 0;
        for mode in ["non_secure", "authenticated", "encrypted"] {
            let mut page = 1;
            loop {
                let body = get(
                    &console,
                    &cookie,
                    &format!("/api/v1/phones?effective={mode}&per_page=200&page={page}"),
                )
                .await;
                for row in body["items"].as_array().unwrap() {
                    let expected = match mode {
                        "non_secure" => "NonSecure",
                        "authenticated" => "Authenticated",
                        _ => "Encrypted",
                    };
                    assert_eq!(row["effective"], expected, "{backend:?} {row}");
                    seen += 1;
                }
                if page >= body["total"].as_u64().unwrap().div_ceil(200) {
                    break;
                }
                page += 1;
            }
        }
        assert_eq!(
            json!(seen),
            all["total"],
            "every phone is in exactly one effective mode"
        );
        // R7: a model without security never runs above Non Secure.
        let cti = get(
            &console,
            &cookie,
            "/api/v1/phones?model=CTI%20Port&effective=non_secure",
        )
        .await;
        assert_eq!(cti["total"], 10);
        db.finish().await;
    }
}

#[tokio::test]
async fn stale_updates_get_409_and_bad_fields_get_422_naming_the_field() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console_with_demo(&db, 40).await;
        let list = get(
            &console,
            &cookie,
            "/api/v1/phones?model=Cisco%207970&per_page=1",
        )
        .await;
        let name = list["items"][0]["name"].as_str().unwrap().to_owned();
        let phone = get(&console, &cookie, &format!("/api/v1/phones/{name}")).await;
        let path = format!("/api/v1/phones/{name}");
        let mut body = phone["fields"].clone();
        body["security_mode"] = json!({"Explicit": "Encrypted"});
        body["built_in_bridge"] = json!("On");
        body["version"] = phone["version"].clone();
        let first = console
            .send("PUT", &path, Some(&cookie), Some(body.clone()))
            .await;
        assert_eq!(first.status(), StatusCode::OK, "{backend:?}");
        let saved = json_body(first).await;
        assert!(
            saved["warnings"][0].as_str().unwrap().contains("R5"),
            "{saved}"
        );
        assert_eq!(saved["required_actions"][0], format!("Reset {name} (R10)"));
        assert_eq!(
            saved["phone"]["effective"]["mode"], "NonSecure",
            "R8 on a Non-Secure cluster"
        );

        let stale = console
            .send("PUT", &path, Some(&cookie), Some(body.clone()))
            .await;
        assert_eq!(stale.status(), StatusCode::CONFLICT, "{backend:?}");
        assert!(json_body(stale).await["error"]
            .as_str()
            .unwrap()
            .contains("by admin"));

        let current = get(&console, &cookie, &path).await;
        let cases = [
            ("key_size", json!(4096), "Key Size (Bits)"),
            ("model", json!("Cisco 9999"), "Phone Model"),
            ("device_pool", json!("Nowhere"), "Device Pool"),
            (
                "authentication_string",
                json!("12ab"),
                "Authentication String",
            ),
            ("description", json!("x".repeat(200)), "Description"),
        ];
        for (field, value, label) in cases {
            let mut bad = current["fields"].clone();
            bad[field] = value;
            bad["version"] = current["version"].clone();
            let res = console.send("PUT", &path, Some(&cookie), Some(bad)).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert_eq!(json_body(res).await["field"], label, "{field}");
        }
        let mut new_phone = current["fields"].clone();
        new_phone["name"] = json!("SEP00112233445G");
        let res = console
            .send(
                "POST",
                "/api/v1/phones",
                Some(&cookie),
                Some(new_phone.clone()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json_body(res).await["field"], "Device Name");
        let after = get(&console, &cookie, &path).await;
        assert_eq!(after["version"], current["version"], "nothing saved");

        new_phone["name"] = json!("SEPAABBCCDDEEFF");
        let res = console
            .send("POST", "/api/v1/phones", Some(&cookie), Some(new_phone))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        db.finish().await;
    }
}

#[tokio::test]
async fn read_only_users_read_phones_but_cannot_change_them() {
    let db = TestDb::new(backends()[0]).await;
    let (console, _) = console_with_demo(&db, 10).await;
    add_user_in(&console.state, "viewer", PW, &["ReadOnly"]).await;
    let viewer = console.login("viewer", PW, None).await;
    let list = get(&console, &viewer, "/api/v1/phones?per_page=1").await;
    let name = list["items"][0]["name"].as_str().unwrap().to_owned();
    let res = console
        .send(
            "DELETE",
            &format!("/api/v1/phones/{name}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let models = get(&console, &viewer, "/api/v1/phone-models").await;
    assert_eq!(models.as_array().unwrap().len(), 13);
    db.finish().await;
}

async fn wait_for_job(console: &InProcess, cookie: &str, id: i64) -> Value {
    for _ in 0..200 {
        let job = get(console, cookie, &format!("/api/v1/jobs/{id}")).await;
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn bulk_change_previews_refusals_then_lands_as_a_job() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console_with_demo(&db, 400).await;
        let all = get(&console, &cookie, "/api/v1/phones?per_page=1").await["total"]
            .as_u64()
            .unwrap();
        let body = json!({
            "filter": {},
            "field": "security_mode",
            "value": "Encrypted",
            "preview": true,
        });
        let res = console
            .send(
                "POST",
                "/api/v1/phones/bulk",
                Some(&cookie),
                Some(body.clone()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let preview = json_body(res).await;
        let refused: u64 = preview["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_u64().unwrap())
            .sum();
        let (will, same) = (
            preview["will_change"].as_u64().unwrap(),
            preview["unchanged"].as_u64().unwrap(),
        );
        assert_eq!(preview["matched"].as_u64().unwrap(), all);
        assert_eq!(will + same + refused, all);
        let reasons = preview["refused"].to_string();
        assert!(
            reasons.contains("Cisco 7912") && reasons.contains("R7"),
            "{reasons}"
        );
        assert!(reasons.contains("CTI Port"), "{reasons}");

        let mut start = body.clone();
        start["preview"] = json!(false);
        let res = console
            .send("POST", "/api/v1/phones/bulk", Some(&cookie), Some(start))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::ACCEPTED,
            "the request returns at once"
        );
        let job = json_body(res).await;
        let done = wait_for_job(&console, &cookie, job["id"].as_i64().unwrap()).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["changed"].as_u64().unwrap(), will);
        assert_eq!(done["processed"], done["total"]);
        let encrypted = get(
            &console,
            &cookie,
            "/api/v1/phones?configured=encrypted&per_page=1",
        )
        .await;
        assert_eq!(
            encrypted["total"].as_u64().unwrap(),
            will + same,
            "{backend:?}"
        );

        // Selected names: an unknown name is refused, the rest land.
        let listed = get(
            &console,
            &cookie,
            "/api/v1/phones?model=Cisco%207940&per_page=2",
        )
        .await;
        let names: Vec<Value> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].clone())
            .collect();
        let mut chosen = names.clone();
        chosen.push(json!("SEPFFFFFFFFFFFF"));
        let body =
            json!({"names": chosen, "field": "web_access", "value": "Disabled", "preview": true});
        let preview = json_body(
            console
                .send("POST", "/api/v1/phones/bulk", Some(&cookie), Some(body))
                .await,
        )
        .await;
        assert_eq!(preview["will_change"], 2);
        assert_eq!(preview["refused"][0][0], "no phone has that name");

        let bad = json!({"filter": {}, "field": "key_size", "value": "2048", "preview": true});
        let res = console
            .send("POST", "/api/v1/phones/bulk", Some(&cookie), Some(bad))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json_body(res).await["field"], "Field");
        db.finish().await;
    }
}
