//! Sessions and the JSON API through the real router, in-process, with an injected clock.

use axum::http::{header, StatusCode};
use chrono::Duration;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use app::store::entities::sessions;

use crate::support::{add_user, backends, json_body, session_cookie, InProcess, TestDb};

const PASSWORD: &str = "a long enough password";

async fn console(db: &TestDb) -> InProcess {
    let console = InProcess::new(db.db.clone());
    add_user(&console.state, "admin", PASSWORD).await;
    console
}

#[tokio::test]
async fn session_id_changes_at_login() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let first = console.login("admin", PASSWORD, None).await;
        let second = console.login("admin", PASSWORD, Some(&first)).await;
        assert_ne!(
            first, second,
            "{backend:?}: a login must issue a new session id"
        );
        let me = console.send("GET", "/api/v1/me", Some(&first), None).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "old id refused");
        let me = console.send("GET", "/api/v1/me", Some(&second), None).await;
        assert_eq!(me.status(), StatusCode::OK);
        let body = json_body(me).await;
        assert_eq!(body["name"], "admin");
        assert_eq!(body["groups"], json!(["SuperUserGroup"]));
        db.finish().await;
    }
}

#[tokio::test]
async fn session_cookie_is_host_prefixed_secure_http_only_strict() {
    let db = TestDb::new(backends()[0]).await;
    let console = console(&db).await;
    let res = console
        .send(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"username": "admin", "password": PASSWORD})),
        )
        .await;
    let set_cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("__Host-"), "{set_cookie}");
    for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{attr} missing: {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    db.finish().await;
}

#[tokio::test]
async fn idle_session_ends_after_thirty_minutes() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        for _ in 0..3 {
            console.clock.advance(Duration::minutes(29));
            let me = console.send("GET", "/api/v1/me", Some(&cookie), None).await;
            assert_eq!(
                me.status(),
                StatusCode::OK,
                "{backend:?}: activity keeps it alive"
            );
        }
        console.clock.advance(Duration::minutes(30));
        let me = console.send("GET", "/api/v1/me", Some(&cookie), None).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
        let rows = sessions::Entity::find().count(&db.db).await.unwrap();
        assert_eq!(rows, 0, "the ended session is deleted on the server");
        db.finish().await;
    }
}

#[tokio::test]
async fn busy_session_ends_twelve_hours_after_login() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        // 24 × 29 min = 11 h 36 min: still valid; the 25th step crosses 12 h.
        for step in 1..=24 {
            console.clock.advance(Duration::minutes(29));
            let me = console.send("GET", "/api/v1/me", Some(&cookie), None).await;
            assert_eq!(me.status(), StatusCode::OK, "{backend:?} step {step}");
        }
        console.clock.advance(Duration::minutes(29));
        let me = console.send("GET", "/api/v1/me", Some(&cookie), None).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn logout_deletes_the_session_on_the_server() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        let out = console
            .send("POST", "/api/v1/logout", Some(&cookie), None)
            .await;
        assert_eq!(out.status(), StatusCode::OK);
        assert_eq!(sessions::Entity::find().count(&db.db).await.unwrap(), 0);
        let me = console.send("GET", "/api/v1/me", Some(&cookie), None).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        let again = console
            .send("POST", "/api/v1/logout", Some(&cookie), None)
            .await;
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        db.finish().await;
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let db = TestDb::new(backends()[0]).await;
    let console = console(&db).await;
    let mut bodies = Vec::new();
    for (user, password) in [("admin", "wrong password here"), ("ghost", PASSWORD)] {
        let res = console
            .send(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(
            session_cookie(&res).is_none(),
            "no session for a refused login"
        );
        bodies.push(json_body(res).await);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0]["error"], "Invalid user ID or password.");
    db.finish().await;
}

#[tokio::test]
async fn malformed_json_is_refused_naming_the_problem() {
    let db = TestDb::new(backends()[0]).await;
    let console = console(&db).await;
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from("{\"username\": \"admin\", "))
        .unwrap();
    let res = tower::ServiceExt::oneshot(console.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = json_body(res).await;
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("invalid JSON body"),
        "{body}"
    );

    let res = console
        .send(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"username": "admin"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json_body(res).await;
    assert!(
        body["error"].as_str().unwrap().contains("password"),
        "{body}"
    );

    let res = console
        .send(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"username": "", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_body(res).await["field"], "User ID");
    db.finish().await;
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let db = TestDb::new(backends()[0]).await;
    let console = console(&db).await;
    let body = format!("username=admin&password={}", PASSWORD.replace(' ', "+"));
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
    ] {
        for path in ["/fn/login", "/api/v1/login"] {
            let req = axum::http::Request::builder()
                .method("POST")
                .uri(path)
                .header(header::HOST, "127.0.0.1:8443")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(name, value)
                .body(axum::body::Body::from(body.clone()))
                .unwrap();
            let res = tower::ServiceExt::oneshot(console.router.clone(), req)
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{path} with {name}: {value}"
            );
            assert!(session_cookie(&res).is_none());
        }
    }
    // The same form from the console's own origin is served.
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/fn/login")
        .header(header::HOST, "127.0.0.1:8443")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, "https://127.0.0.1:8443")
        .body(axum::body::Body::from(body))
        .unwrap();
    let res = tower::ServiceExt::oneshot(console.router.clone(), req)
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert!(session_cookie(&res).is_some());
    db.finish().await;
}

#[tokio::test]
async fn pages_send_anonymous_users_to_login() {
    let db = TestDb::new(backends()[0]).await;
    let console = console(&db).await;
    for path in ["/", "/change-password", "/no-such-page"] {
        let res = console.send("GET", path, None, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()[header::LOCATION], "/login");
    }
    let res = console.send("GET", "/login", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = console.login("admin", PASSWORD, None).await;
    let res = console.send("GET", "/login", Some(&cookie), None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/");
    let res = console.send("GET", "/api/v1/me", None, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    db.finish().await;
}

#[tokio::test]
async fn healthz_reports_the_store_without_login() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let res = console.send("GET", "/healthz", None, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body = json_body(res).await;
        assert_eq!(body["status"], "ok");
        assert_eq!(body["db"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        db.finish().await;
    }
}
