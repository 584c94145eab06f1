//! Multi-level administration through the real router (R22): every route's rule enforced, the
//! audit log, throttling, tokens, the lock-out guard, the privilege report, concurrency, bad input
//! and the security headers.

use axum::http::{header, StatusCode};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{json, Value};

use app::service::authz::{rule_for, Rule};
use app::store::entities::{audit_log, user_groups, users};

use crate::support::{
    add_user, add_user_in, backends, json_body, session_cookie, InProcess, TestDb,
};

const PW: &str = "a long enough password";

async fn empty_group(console: &InProcess, name: &str) {
    user_groups::ActiveModel {
        name: Set(name.to_owned()),
        description: Set("grants nothing".to_owned()),
        built_in: Set(false),
        version: Set(1),
        ..Default::default()
    }
    .insert(&console.state.db)
    .await
    .unwrap();
}

/// Every registered route: the JSON API, `/healthz`, server functions and pages.
fn registered_routes() -> Vec<(String, String)> {
    let mut routes: Vec<(String, String)> = server::rest::endpoints()
        .into_iter()
        .map(|e| {
            (
                e.method.to_string(),
                format!("{}{}", server::rest::PREFIX, e.path),
            )
        })
        .collect();
    routes.push(("GET".into(), "/healthz".into()));
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        routes.push((method.to_string(), path.to_owned()));
    }
    for page in leptos_axum::generate_route_list(app::App) {
        routes.push(("GET".into(), page.path().to_owned()));
    }
    routes
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn r22_every_route_has_a_rule_and_the_rule_is_enforced() {
    let db = TestDb::new(backends()[0]).await;
    let console = InProcess::new(db.db.clone());
    empty_group(&console, "Nothing").await;
    add_user_in(&console.state, "nobody", PW, &["Nothing"]).await;
    add_user_in(&console.state, "reader", PW, &["ReadOnly"]).await;
    let nobody = console.login("nobody", PW, None).await;
    let reader = console.login("reader", PW, None).await;
    // Full Access to System and Serviceability, but not to UserPrivilegeManagement: not enough
    // to take the cluster's keys.
    empty_group(&console, "Almost").await;
    let almost_id = user_groups::Entity::find()
        .all(&console.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.name == "Almost")
        .unwrap()
        .id;
    for group in ["System", "Serviceability"] {
        app::store::entities::user_group_privileges::ActiveModel {
            group_id: Set(almost_id),
            functional_group: Set(group.to_owned()),
            access_level: Set("Full Access".to_owned()),
        }
        .insert(&console.state.db)
        .await
        .unwrap();
    }
    add_user_in(&console.state, "almost", PW, &["Almost"]).await;
    let almost = console.login("almost", PW, None).await;

    let routes = registered_routes();
    assert!(routes.len() > 50, "only {} routes found", routes.len());
    let mut missing = Vec::new();
    let mut checked = 0;
    for (method, path) in &routes {
        let Some(rule) = rule_for(method, path) else {
            missing.push(format!("{method} {path}"));
            continue;
        };
        if rule == Rule::Public {
            continue;
        }
        let url = concrete(path);
        let page = !url.starts_with("/api/") && !url.starts_with("/fn/");
        let anonymous = console.send(method, &url, None, None).await;
        if page {
            assert_eq!(
                anonymous.status(),
                StatusCode::SEE_OTHER,
                "anonymous {method} {path}"
            );
            assert_eq!(anonymous.headers()[header::LOCATION], "/login");
        } else {
            assert_eq!(
                anonymous.status(),
                StatusCode::UNAUTHORIZED,
                "anonymous {method} {path}"
            );
        }
        if rule == Rule::ClusterKeys {
            for (who, cookie) in [
                ("No Access", &nobody),
                ("Read Only", &reader),
                ("System and Serviceability only", &almost),
            ] {
                let res = console.send(method, &url, Some(cookie), None).await;
                assert_eq!(
                    res.status(),
                    StatusCode::FORBIDDEN,
                    "{who}: {method} {path}"
                );
            }
        }
        if let Rule::Require(_, access) = rule {
            let res = console.send(method, &url, Some(&nobody), None).await;
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "No Access: {method} {path}"
            );
            let res = console.send(method, &url, Some(&reader), None).await;
            match access {
                app::domain::access::Access::Write => {
                    assert_eq!(
                        res.status(),
                        StatusCode::FORBIDDEN,
                        "Read Only: {method} {path}"
                    )
                }
                app::domain::access::Access::Read => assert!(
                    !matches!(
                        res.status(),
                        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
                    ),
                    "Read Only may read {method} {path}: {}",
                    res.status()
                ),
            }
        }
        checked += 1;
    }
    assert!(
        missing.is_empty(),
        "routes without an access rule: {missing:?}"
    );
    assert!(checked > 40, "only {checked} routes checked");
    db.finish().await;
}

#[tokio::test]
async fn a_route_without_a_rule_is_refused() {
    assert_eq!(rule_for("GET", "/api/v1/not-a-route"), None);
    let db = TestDb::new(backends()[0]).await;
    let console = InProcess::new(db.db.clone());
    add_user(&console.state, "admin", PW).await;
    let admin = console.login("admin", PW, None).await;
    for (method, path) in [
        ("GET", "/api/v1/not-a-route"),
        ("PATCH", "/api/v1/users/admin"),
        ("POST", "/fn/not_a_function"),
    ] {
        let res = console.send(method, path, Some(&admin), None).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    db.finish().await;
}

async fn audit_rows(console: &InProcess) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .all(&console.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn logins_logouts_refusals_and_changes_are_audited() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
        add_user(&console.state, "admin", PW).await;
        add_user_in(&console.state, "reader", PW, &["ReadOnly"]).await;

        let bad = console
            .send(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"username": "admin", "password": "wrong password!"})),
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        let admin = console.login("admin", PW, None).await;
        let reader = console.login("reader", PW, None).await;
        let refused = console
            .send(
                "PUT",
                "/api/v1/users/admin",
                Some(&reader),
                Some(json!({"disabled": true})),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let changed = console
            .send(
                "PUT",
                "/api/v1/users/reader",
                Some(&admin),
                Some(json!({"groups": ["ReadOnly", "PhoneAdministration"]})),
            )
            .await;
        assert_eq!(changed.status(), StatusCode::OK, "{backend:?}");
        let out = console
            .send("POST", "/api/v1/logout", Some(&admin), None)
            .await;
        assert_eq!(out.status(), StatusCode::OK);

        let rows = audit_rows(&console).await;
        let find = |action: &str| {
            rows.iter()
                .filter(|r| r.action == action)
                .collect::<Vec<_>>()
        };
        assert_eq!(find("login_failure").len(), 1, "{backend:?}");
        assert_eq!(find("login_failure")[0].actor.as_deref(), Some("admin"));
        assert_eq!(find("login_success").len(), 2);
        assert_eq!(find("logout").len(), 1);
        let denied = find("access_denied");
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].actor.as_deref(), Some("reader"));
        assert_eq!(denied[0].object_name, "PUT /api/v1/users/admin");
        let update = find("update");
        assert_eq!(update.len(), 1);
        assert_eq!(update[0].object_type, "User");
        assert_eq!(update[0].object_name, "reader");
        let before: Value = serde_json::from_str(update[0].before.as_deref().unwrap()).unwrap();
        let after: Value = serde_json::from_str(update[0].after.as_deref().unwrap()).unwrap();
        assert_eq!(before["groups"], json!(["ReadOnly"]));
        assert_eq!(after["groups"], json!(["PhoneAdministration", "ReadOnly"]));

        let api = console
            .send("GET", "/api/v1/audit?action=update", Some(&reader), None)
            .await;
        assert_eq!(api.status(), StatusCode::OK);
        let page = json_body(api).await;
        assert_eq!(page["total"], 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_change_that_fails_leaves_no_audit_row_and_no_partial_data() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
        app::service::auth::bootstrap(&console.state, Some(PW))
            .await
            .unwrap();
        let admin = console.login("CCMAdministrator", PW, None).await;
        // Another super user makes the change (one's own password is not changed here).
        add_user(&console.state, "deputy", PW).await;
        let deputy = console.login("deputy", PW, None).await;
        let rows_before = audit_log::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap();

        // Removing the super user from SuperUserGroup would lock everybody out: refused whole.
        let res = console
            .send(
                "PUT",
                "/api/v1/users/CCMAdministrator",
                Some(&deputy),
                Some(json!({"groups": ["ReadOnly"], "password": "another long password"})),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let body = json_body(res).await;
        assert_eq!(body["field"], "Groups");
        let me = json_body(
            console
                .send("GET", "/api/v1/users/CCMAdministrator", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(
            me["groups"],
            json!(["SuperUserGroup"]),
            "membership unchanged"
        );
        assert_eq!(me["version"], 1, "nothing saved");
        // The old password still works: the password part was not saved either.
        console.login("CCMAdministrator", PW, None).await;

        let res = console
            .send(
                "PUT",
                "/api/v1/user-groups/SuperUserGroup",
                Some(&admin),
                Some(json!({"privileges": [["UserPrivilegeManagement", "Read Only"]]})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let res = console
            .send(
                "POST",
                "/api/v1/users",
                Some(&admin),
                Some(json!({"name": "eve", "password": PW, "groups": ["NoSuchGroup"]})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json_body(res).await["field"], "Groups");
        assert_eq!(
            users::Entity::find()
                .count(&console.state.db)
                .await
                .unwrap(),
            2,
            "no user created"
        );

        let changes = audit_rows(&console)
            .await
            .into_iter()
            .skip(usize::try_from(rows_before).unwrap())
            .filter(|r| !r.action.starts_with("login"))
            .count();
        assert_eq!(
            changes, 0,
            "{backend:?}: a refused change leaves no audit row"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_the_same_whether_or_not_the_user_exists() {
    let db = TestDb::new(backends()[0]).await;
    let console = InProcess::new(db.db.clone());
    add_user(&console.state, "admin", PW).await;
    let attempt = |user: &'static str, password: &'static str| {
        let console = &console;
        async move {
            let res = console
                .send(
                    "POST",
                    "/api/v1/login",
                    None,
                    Some(json!({"username": user, "password": password})),
                )
                .await;
            let status = res.status();
            (status, json_body(res).await)
        }
    };
    let mut seen = Vec::new();
    for user in ["admin", "ghost"] {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(attempt(user, "wrong password!").await.0);
        }
        // The sixth failure set a one-second delay: even the right password waits.
        let (blocked, body) = attempt(user, PW).await;
        statuses.push(blocked);
        assert!(
            body["error"].as_str().unwrap().contains("Try again in"),
            "{body}"
        );
        seen.push(statuses);
    }
    assert_eq!(
        seen[0], seen[1],
        "the same answers for an existing and a missing user"
    );
    assert_eq!(seen[0][..6], [StatusCode::UNAUTHORIZED; 6]);
    assert_eq!(seen[0][6], StatusCode::TOO_MANY_REQUESTS);

    console.clock.advance(Duration::seconds(2));
    let (ok, _) = attempt("admin", PW).await;
    assert_eq!(
        ok,
        StatusCode::OK,
        "after the delay the right password works"
    );

    // At most 100 failures an hour: the hundredth blocks the account until the hour ends.
    for i in 0..100 {
        console.clock.advance(Duration::seconds(31));
        let (status, _) = attempt("admin", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {i} is checked");
    }
    console.clock.advance(Duration::seconds(31));
    assert_eq!(attempt("admin", PW).await.0, StatusCode::TOO_MANY_REQUESTS);
    console.clock.advance(Duration::hours(1));
    assert_eq!(attempt("admin", PW).await.0, StatusCode::OK);
    db.finish().await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
        add_user(&console.state, "admin", PW).await;
        add_user_in(&console.state, "bob", PW, &["ReadOnly"]).await;
        let admin = console.login("admin", PW, None).await;
        let bob = console.login("bob", PW, None).await;
        assert_eq!(
            console
                .send("GET", "/api/v1/me", Some(&bob), None)
                .await
                .status(),
            StatusCode::OK
        );
        let res = console
            .send(
                "PUT",
                "/api/v1/users/bob",
                Some(&admin),
                Some(json!({"disabled": true})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            console
                .send("GET", "/api/v1/me", Some(&bob), None)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        let res = console
            .send(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"username": "bob", "password": PW})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn api_tokens_carry_their_owners_privileges_until_revoked() {
    let db = TestDb::new(backends()[0]).await;
    let console = InProcess::new(db.db.clone());
    add_user_in(&console.state, "robot", PW, &["ReadOnly"]).await;
    let robot = console.login("robot", PW, None).await;
    let res = console
        .send(
            "POST",
            "/api/v1/tokens",
            Some(&robot),
            Some(json!({"name": "nightly"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = json_body(res).await;
    let secret = token["secret"].as_str().unwrap().to_owned();
    let id = token["info"]["id"].as_i64().unwrap();

    let me = console
        .send_bearer("GET", "/api/v1/me", &secret, None)
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(json_body(me).await["name"], "robot");
    let read = console
        .send_bearer("GET", "/api/v1/users", &secret, None)
        .await;
    assert_eq!(read.status(), StatusCode::OK);
    let write = console
        .send_bearer(
            "POST",
            "/api/v1/users",
            &secret,
            Some(json!({"name": "x", "password": PW})),
        )
        .await;
    assert_eq!(
        write.status(),
        StatusCode::FORBIDDEN,
        "a Read Only owner's token cannot write"
    );
    let listed = json_body(
        console
            .send("GET", "/api/v1/tokens", Some(&robot), None)
            .await,
    )
    .await;
    assert_eq!(listed[0]["name"], "nightly");
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown only once"
    );

    let res = console
        .send(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&robot),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let me = console
        .send_bearer("GET", "/api/v1/me", &secret, None)
        .await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    db.finish().await;
}

#[tokio::test]
async fn r22_privilege_report_explains_overlapping_groups_under_maximum_and_minimum() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
        app::service::auth::bootstrap(&console.state, Some(PW))
            .await
            .unwrap();
        add_user_in(
            &console.state,
            "pat",
            PW,
            &["ReadOnly", "PhoneAdministration"],
        )
        .await;
        let admin = console.login("CCMAdministrator", PW, None).await;
        let phone_row = |report: &Value| {
            report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["group"] == "Phone")
                .cloned()
                .unwrap()
        };
        let report = json_body(
            console
                .send("GET", "/api/v1/users/pat/privileges", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(report["policy"], "Maximum");
        let row = phone_row(&report);
        assert_eq!(row["effective"]["level"], "FullAccess");
        assert_eq!(row["effective"]["decided_by"], "PhoneAdministration");
        assert_eq!(row["under_other_policy"]["level"], "ReadOnly");

        let res = console
            .send(
                "PUT",
                "/api/v1/enterprise-parameters/EffectiveAccessPrivilegesForOverlappingUserGroups",
                Some(&admin),
                Some(json!({"value": "Minimum"})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let report = json_body(
            console
                .send("GET", "/api/v1/users/pat/privileges", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(report["policy"], "Minimum");
        let row = phone_row(&report);
        assert_eq!(row["effective"]["level"], "ReadOnly");
        assert!(row["effective"]["reason"]
            .as_str()
            .unwrap()
            .contains("lowest"));

        // The effective level is what the permission check enforces.
        let pat = console.login("pat", PW, None).await;
        let me = json_body(console.send("GET", "/api/v1/me", Some(&pat), None).await).await;
        assert!(me["privileges"]
            .as_array()
            .unwrap()
            .contains(&json!(["Phone", "ReadOnly"])));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_stale_update_is_refused_naming_who_changed_it() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
        add_user(&console.state, "alice", PW).await;
        add_user(&console.state, "bob", PW).await;
        add_user_in(&console.state, "carol", PW, &["ReadOnly"]).await;
        let alice = console.login("alice", PW, None).await;
        let bob = console.login("bob", PW, None).await;
        let first = console
            .send(
                "PUT",
                "/api/v1/users/carol",
                Some(&alice),
                Some(json!({"disabled": true, "version": 1})),
            )
            .await;
        assert_eq!(first.status(), StatusCode::OK);
        let second = console
            .send(
                "PUT",
                "/api/v1/users/carol",
                Some(&bob),
                Some(json!({"groups": [], "version": 1})),
            )
            .await;
        assert_eq!(second.status(), StatusCode::CONFLICT, "{backend:?}");
        let body = json_body(second).await;
        assert!(
            body["error"].as_str().unwrap().contains("by alice"),
            "{body}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_input_names_the_field_and_saves_nothing() {
    let db = TestDb::new(backends()[0]).await;
    let console = InProcess::new(db.db.clone());
    add_user(&console.state, "admin", PW).await;
    let admin = console.login("admin", PW, None).await;
    let long = "x".repeat(200);
    let cases = [
        (
            "POST",
            "/api/v1/users",
            json!({"name": "", "password": PW}),
            "User ID",
        ),
        (
            "POST",
            "/api/v1/users",
            json!({"name": long, "password": PW}),
            "User ID",
        ),
        (
            "POST",
            "/api/v1/users",
            json!({"name": "dave", "password": "short"}),
            "Password",
        ),
        (
            "POST",
            "/api/v1/users",
            json!({"name": "dave", "password": "qwerty123456"}),
            "Password",
        ),
        (
            "POST",
            "/api/v1/users",
            json!({"name": "dave", "password": PW, "groups": ["Nope"]}),
            "Groups",
        ),
        ("POST", "/api/v1/user-groups", json!({"name": ""}), "Name"),
        ("POST", "/api/v1/user-groups", json!({"name": long}), "Name"),
        (
            "POST",
            "/api/v1/user-groups",
            json!({"name": "Ops", "members": ["nobody"]}),
            "Members",
        ),
        (
            "POST",
            "/api/v1/user-groups",
            json!({"name": "Ops", "privileges": [["Phone", "Everything"]]}),
            "Phone",
        ),
        (
            "POST",
            "/api/v1/user-groups",
            json!({"name": "Ops", "privileges": [["Telepathy", "Read Only"]]}),
            "Functional Group",
        ),
        ("POST", "/api/v1/tokens", json!({"name": ""}), "Token Name"),
        (
            "PUT",
            "/api/v1/enterprise-parameters/EffectiveAccessPrivilegesForOverlappingUserGroups",
            json!({"value": "Average"}),
            "Effective Access Privileges For Overlapping User Groups and Functional Groups",
        ),
    ];
    for (method, path, body, field) in cases {
        let res = console
            .send(method, path, Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}"
        );
        let answer = json_body(res).await;
        assert_eq!(answer["field"], field, "{method} {path} {body}: {answer}");
    }
    // Wrong types are refused by the body parser, naming the field.
    let res = console
        .send(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(json!({"name": "dave", "password": PW, "groups": "Ops"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_body(res).await["error"]
        .as_str()
        .unwrap()
        .contains("groups"));
    let res = console
        .send("GET", "/api/v1/audit?from=yesterday", Some(&admin), None)
        .await;
    assert_eq!(json_body(res).await["field"], "From");

    assert_eq!(
        users::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        user_groups::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap(),
        6
    );
    db.finish().await;
}

#[tokio::test]
async fn security_headers_are_on_pages_api_responses_and_static_files() {
    let db = TestDb::new(backends()[0]).await;
    let console = InProcess::new(db.db.clone());
    for path in ["/login", "/api/v1/me", "/healthz", "/favicon.ico"] {
        let res = console.send("GET", path, None, None).await;
        let h = res.headers();
        assert_eq!(
            h[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000",
            "{path}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for part in [
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
    }
    // A page's CSP carries the nonce of its own inline script, different on every response.
    let nonce_of = |csp: &str| {
        csp.split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .map(str::to_owned)
    };
    let first = console.send("GET", "/login", None, None).await;
    let csp1 = first.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let html = String::from_utf8(
        http_body_util::BodyExt::collect(first.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let nonce = nonce_of(&csp1).expect("the page's CSP has a nonce");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline script carries it"
    );
    let second = console.send("GET", "/login", None, None).await;
    let csp2 = second.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(nonce_of(&csp2), Some(nonce));
    assert!(
        session_cookie(&second).is_none(),
        "no session for an anonymous page view"
    );
    db.finish().await;
}
