//! API tokens through the real router, in-process, with the manual clock: their expiry (chosen
//! at creation, at most a year), their last use in the list, and that only a session makes them.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::support::{add_user, backends, json_body, t0, InProcess, TestDb};

const PASSWORD: &str = "a long enough password";

async fn console(db: &TestDb) -> InProcess {
    let console = InProcess::new(db.db.clone());
    add_user(&console.state, "admin", PASSWORD).await;
    console
}

/// Makes a token by session; returns the answer's status and body.
async fn make(console: &InProcess, cookie: &str, body: Value) -> (StatusCode, Value) {
    let res = console
        .send("POST", "/api/v1/tokens", Some(cookie), Some(body))
        .await;
    let status = res.status();
    (status, json_body(res).await)
}

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// When the first token of a list was last used.
fn last_used(tokens: &[Value]) -> DateTime<Utc> {
    instant(&tokens[0]["last_used_at"])
}

async fn list(console: &InProcess, cookie: &str) -> Vec<Value> {
    let res = console
        .send("GET", "/api/v1/tokens", Some(cookie), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_body(res).await.as_array().unwrap().clone()
}

async fn me_by_token(console: &InProcess, secret: &str) -> StatusCode {
    console
        .send_bearer("GET", "/api/v1/me", secret, None)
        .await
        .status()
}

#[tokio::test]
async fn token_expires_after_its_days() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        let (status, token) = make(
            &console,
            &cookie,
            json!({"name": "one day", "expires_in_days": 1}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {token}");
        assert_eq!(
            instant(&token["info"]["expires_at"]),
            t0() + Duration::days(1),
            "{backend:?}"
        );
        let secret = token["secret"].as_str().unwrap().to_owned();
        assert_eq!(me_by_token(&console, &secret).await, StatusCode::OK);

        console.clock.advance(Duration::hours(23));
        assert_eq!(
            me_by_token(&console, &secret).await,
            StatusCode::OK,
            "{backend:?}: still valid within its day"
        );
        console.clock.advance(Duration::hours(2));
        assert_eq!(
            me_by_token(&console, &secret).await,
            StatusCode::UNAUTHORIZED,
            "{backend:?}: expired 25 h after it was made"
        );

        // The owner still sees it, marked expired.
        let cookie = console.login("admin", PASSWORD, None).await;
        let tokens = list(&console, &cookie).await;
        assert_eq!(tokens.len(), 1, "{backend:?}");
        assert_eq!(tokens[0]["expired"], true, "{backend:?}: {}", tokens[0]);
        db.finish().await;
    }
}

#[tokio::test]
async fn token_expiry_is_limited_to_a_year() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        for days in [366, 0, -1, 100_000] {
            let (status, answer) = make(
                &console,
                &cookie,
                json!({"name": format!("bad {days}"), "expires_in_days": days}),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?}: {days} days: {answer}"
            );
            assert_eq!(
                answer["field"], "Expires in (days)",
                "{backend:?}: {answer}"
            );
        }
        assert!(
            list(&console, &cookie).await.is_empty(),
            "{backend:?}: nothing made by a refused request"
        );

        let (status, year) = make(
            &console,
            &cookie,
            json!({"name": "a year", "expires_in_days": 365}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {year}");
        assert_eq!(
            instant(&year["info"]["expires_at"]),
            t0() + Duration::days(365),
            "{backend:?}"
        );

        let (status, default) = make(&console, &cookie, json!({"name": "default"})).await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {default}");
        assert_eq!(
            instant(&default["info"]["expires_at"]),
            t0() + Duration::days(90),
            "{backend:?}: 90 days when none is chosen"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn token_cannot_create_tokens() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        let (status, token) = make(&console, &cookie, json!({"name": "parent"})).await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {token}");
        let secret = token["secret"].as_str().unwrap().to_owned();

        // The token carries a super user's privileges, and may list the tokens, but not make one.
        let listed = console
            .send_bearer("GET", "/api/v1/tokens", &secret, None)
            .await;
        assert_eq!(listed.status(), StatusCode::OK, "{backend:?}");
        let res = console
            .send_bearer(
                "POST",
                "/api/v1/tokens",
                &secret,
                Some(json!({"name": "child"})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        let answer = json_body(res).await;
        assert!(
            answer["error"].as_str().unwrap().contains("token"),
            "{backend:?}: {answer}"
        );

        // Not even with the session cookie beside it: the middleware takes the bearer token.
        let both = Request::builder()
            .method("POST")
            .uri("/api/v1/tokens")
            .header(header::HOST, "127.0.0.1:8443")
            .header(header::COOKIE, cookie.as_str())
            .header("sec-fetch-site", "same-origin")
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"name": "child"}).to_string()))
            .unwrap();
        let res = console.request(both).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        let answer = json_body(res).await;
        assert!(
            answer["error"].as_str().unwrap().contains("API token"),
            "{backend:?}: refused as a token, not as a cross-site request: {answer}"
        );

        let names: Vec<Value> = list(&console, &cookie)
            .await
            .into_iter()
            .map(|t| t["name"].clone())
            .collect();
        assert_eq!(names, vec![json!("parent")], "{backend:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn token_list_shows_expiry_and_last_use() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = console(&db).await;
        let cookie = console.login("admin", PASSWORD, None).await;
        let (status, token) = make(
            &console,
            &cookie,
            json!({"name": "nightly", "expires_in_days": 30}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {token}");
        let secret = token["secret"].as_str().unwrap().to_owned();

        let tokens = list(&console, &cookie).await;
        assert_eq!(tokens.len(), 1, "{backend:?}");
        let listed = &tokens[0];
        assert_eq!(listed["name"], "nightly");
        assert_eq!(instant(&listed["created_at"]), t0(), "{backend:?}");
        assert_eq!(
            instant(&listed["expires_at"]),
            t0() + Duration::days(30),
            "{backend:?}"
        );
        assert_eq!(listed["expired"], false, "{backend:?}");
        assert!(
            listed["last_used_at"].is_null(),
            "{backend:?}: never used yet: {listed}"
        );
        assert!(listed.get("secret").is_none(), "{backend:?}");

        console.clock.advance(Duration::seconds(10));
        assert_eq!(me_by_token(&console, &secret).await, StatusCode::OK);
        assert_eq!(
            last_used(&list(&console, &cookie).await),
            t0() + Duration::seconds(10),
            "{backend:?}: the first use is noted"
        );

        console.clock.advance(Duration::seconds(20));
        assert_eq!(me_by_token(&console, &secret).await, StatusCode::OK);
        assert_eq!(
            last_used(&list(&console, &cookie).await),
            t0() + Duration::seconds(10),
            "{backend:?}: a use within the minute is not written again"
        );

        console.clock.advance(Duration::seconds(60));
        assert_eq!(me_by_token(&console, &secret).await, StatusCode::OK);
        assert_eq!(
            last_used(&list(&console, &cookie).await),
            t0() + Duration::seconds(90),
            "{backend:?}: a use a minute later is"
        );
        db.finish().await;
    }
}
