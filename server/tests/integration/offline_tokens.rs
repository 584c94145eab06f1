//! Security tokens kept offline (issue 16, item 4), through the real router on SQLite and
//! PostgreSQL: a token exported as a token file and removed from the server signs the CTL only
//! with that file, and the phones' trust still follows (the new CTL is signed by a token of the
//! old one); a CTL signed by a token the current file does not list is refused unless the admin
//! confirms that every phone will be cleared by hand; the attacker's tries — another token's
//! file, a wrong passphrase, a file too large, a second removal at the same time, a user without
//! the cluster's keys — are refused and leave the key where it was.

use std::path::Path;

use axum::body::Body;
use axum::http::{Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};

use app::tftp::{ctl, sgn, trust, CTL_FILE};

use crate::support::{add_user_in, backends, json_body, mixed_cluster, InProcess, TestDb};

const PW: &str = "a long enough password";
const TOKEN_PASSPHRASE: &str = "token passphrase, long";

async fn text(res: Response<Body>) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The id and version of security token `name`.
async fn token(console: &InProcess, cookie: &str, name: &str) -> (i64, i64, Value) {
    let list = json_body(
        console
            .send("GET", "/api/v1/certificates", Some(cookie), None)
            .await,
    )
    .await;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "Sast" && c["name"] == name)
        .unwrap()
        .clone();
    (
        row["id"].as_i64().unwrap(),
        row["version"].as_i64().unwrap(),
        row,
    )
}

async fn export(console: &InProcess, cookie: &str, id: i64) -> String {
    let res = console
        .send(
            "POST",
            &format!("/api/v1/certificates/{id}/export"),
            Some(cookie),
            Some(json!({"passphrase": TOKEN_PASSPHRASE})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    text(res).await
}

async fn take_offline(
    console: &InProcess,
    cookie: &str,
    id: i64,
    version: i64,
    file: &str,
    passphrase: &str,
) -> Response<Body> {
    console
        .send(
            "POST",
            &format!("/api/v1/certificates/{id}/offline"),
            Some(cookie),
            Some(json!({"version": version, "token": {"file": file, "passphrase": passphrase}})),
        )
        .await
}

async fn run_ctl(console: &InProcess, cookie: &str, body: Value) -> Response<Body> {
    console
        .send("POST", "/api/v1/ctl", Some(cookie), Some(body))
        .await
}

fn key_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn ctl_records(dir: &Path) -> (sgn::Parsed, Vec<ctl::DecodedRecord>) {
    let bytes = std::fs::read(dir.join("tftp").join(CTL_FILE)).unwrap();
    let parsed = sgn::parse(&bytes).unwrap();
    let records = ctl::decode(&parsed.content).unwrap();
    (parsed, records)
}

async fn refused(res: Response<Body>, field: &str, words: &str) -> Value {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json_body(res).await;
    let said = body.to_string();
    assert!(said.contains(field) && said.contains(words), "{said}");
    body
}

#[tokio::test]
async fn an_offline_token_signs_the_ctl_only_with_its_token_file_and_the_phones_still_trust_it() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let (console, cookie) = mixed_cluster(&db, dir.path(), 3, PW, &["SAST1", "SAST2"]).await;
        let (sast1, version, row) = token(&console, &cookie, "SAST1").await;
        assert_eq!(row["key_offline_at"], Value::Null, "{row}");
        let (sast2, _, _) = token(&console, &cookie, "SAST2").await;
        let file1 = export(&console, &cookie, sast1).await;
        assert!(
            file1.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
            "{file1}"
        );
        let file2 = export(&console, &cookie, sast2).await;
        let keys_before = key_files(dir.path());
        assert!(keys_before.contains(&"sast-SAST1.key".to_owned()));

        // Refused, and the key stays: the wrong passphrase, another token's file, a file too
        // large, a passphrase too long.
        let res = take_offline(
            &console,
            &cookie,
            sast1,
            version,
            &file1,
            "not the passphrase",
        )
        .await;
        refused(res, "Passphrase", "does not open").await;
        let res = take_offline(&console, &cookie, sast1, version, &file2, TOKEN_PASSPHRASE).await;
        refused(res, "Token File", "SAST2, not SAST1").await;
        let big = "A".repeat(64 * 1024 + 1);
        let res = take_offline(&console, &cookie, sast1, version, &big, TOKEN_PASSPHRASE).await;
        refused(res, "Token File", "larger than").await;
        let long = "p".repeat(1025);
        let res = take_offline(&console, &cookie, sast1, version, &file1, &long).await;
        refused(res, "Passphrase", "at most").await;
        assert_eq!(key_files(dir.path()), keys_before);

        let res = take_offline(&console, &cookie, sast1, version, &file1, TOKEN_PASSPHRASE).await;
        assert_eq!(res.status(), StatusCode::OK);
        let offline = json_body(res).await;
        assert!(offline["key_offline_at"].is_string(), "{offline}");
        let keys_after = key_files(dir.path());
        assert!(
            !keys_after.contains(&"sast-SAST1.key".to_owned()),
            "{keys_after:?}"
        );
        assert_eq!(keys_after.len(), keys_before.len() - 1);
        let status = json_body(
            console
                .send("GET", "/api/v1/ctl", Some(&cookie), None)
                .await,
        )
        .await;
        assert_eq!(status["offline_tokens"], json!(["SAST1"]), "{status}");
        // Its key is gone: no second export.
        let res = console
            .send(
                "POST",
                &format!("/api/v1/certificates/{sast1}/export"),
                Some(&cookie),
                Some(json!({"passphrase": TOKEN_PASSPHRASE})),
            )
            .await;
        refused(res, "Certificate", "only copy").await;

        // A CTL update signed by SAST1: refused without its file, done with it.
        let (_, old_records) = ctl_records(dir.path());
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST1", "SAST2"]}),
        )
        .await;
        refused(res, "Token File", "kept offline").await;
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST1", "SAST2"],
                   "token_file": {"file": file1, "passphrase": "not the passphrase"}}),
        )
        .await;
        refused(res, "Passphrase", "does not open").await;
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST1", "SAST2"],
                   "token_file": {"file": file1, "passphrase": TOKEN_PASSPHRASE}}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let done = json_body(res).await;
        assert!(
            done["status"]["signer"]
                .as_str()
                .unwrap()
                .starts_with("CN=SAST1,"),
            "{done}"
        );
        // As a phone holding the old CTL decides it: signed by a token it lists.
        let (parsed, _) = ctl_records(dir.path());
        assert!(trust::signed_by_any(&parsed, &old_records));
        // The file was used for that one signature: the key is still not on the server.
        assert_eq!(key_files(dir.path()), keys_after);
        // SAST2 (on the server) signs without a file.
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST2"]}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);

        // The audit log has the export and the removal, never the passphrase.
        let audit = json_body(
            console
                .send(
                    "GET",
                    "/api/v1/audit?object_type=Certificate",
                    Some(&cookie),
                    None,
                )
                .await,
        )
        .await;
        let said = audit.to_string();
        assert!(said.contains("exported as a token file"), "{said}");
        assert!(said.contains("removed from the server"), "{said}");
        assert!(!said.contains(TOKEN_PASSPHRASE), "{said}");
        db.finish().await;
    }
}

#[tokio::test]
async fn a_ctl_signed_by_a_token_the_phones_do_not_know_needs_the_confirmation() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let (console, cookie) = mixed_cluster(&db, dir.path(), 2, PW, &["SAST1"]).await;
        let before = std::fs::read(dir.path().join("tftp").join(CTL_FILE)).unwrap();
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST2"]}),
        )
        .await;
        refused(res, "Security Tokens", "cleared by hand").await;
        assert_eq!(
            std::fs::read(dir.path().join("tftp").join(CTL_FILE)).unwrap(),
            before
        );

        // The same name with a new key is a token the phones do not know either.
        let (sast1, version, _) = token(&console, &cookie, "SAST1").await;
        let res = console
            .send(
                "POST",
                &format!("/api/v1/certificates/{sast1}/regenerate"),
                Some(&cookie),
                Some(json!({"version": version})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST1"]}),
        )
        .await;
        refused(
            res,
            "Security Tokens",
            "SAST1 (its current certificate) is not in the current CTL file",
        )
        .await;
        let status = json_body(
            console
                .send("GET", "/api/v1/ctl", Some(&cookie), None)
                .await,
        )
        .await;
        assert_eq!(
            status["unlisted_tokens"],
            json!(["SAST1", "SAST2"]),
            "{status}"
        );
        // A token file for a key that is on the server is refused (no scrypt work for nothing).
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST2"], "confirm_new_signer": true,
                   "token_file": {"file": "x", "passphrase": "y"}}),
        )
        .await;
        refused(res, "Token File", "on this server").await;

        // Confirmed: signed, and the phones holding the old file would refuse it.
        let (_, old_records) = ctl_records(dir.path());
        let res = run_ctl(
            &console,
            &cookie,
            json!({"mode": "Mixed", "tokens": ["SAST2", "SAST1"], "confirm_new_signer": true}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let (parsed, _) = ctl_records(dir.path());
        assert!(!trust::signed_by_any(&parsed, &old_records));
        db.finish().await;
    }
}

#[tokio::test]
async fn two_admins_removing_the_same_tokens_key_at_once_one_wins_and_a_user_without_the_keys_cannot(
) {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let (console, cookie) = mixed_cluster(&db, dir.path(), 1, PW, &["SAST1", "SAST2"]).await;
        crate::support::add_user(&console.state, "second", PW).await;
        let second = console.login("second", PW, None).await;
        let (sast2, version, _) = token(&console, &cookie, "SAST2").await;
        let file = export(&console, &cookie, sast2).await;
        let (a, b) = tokio::join!(
            take_offline(&console, &cookie, sast2, version, &file, TOKEN_PASSPHRASE),
            take_offline(&console, &second, sast2, version, &file, TOKEN_PASSPHRASE),
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert!(
            statuses == [StatusCode::OK, StatusCode::CONFLICT]
                || statuses == [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
            "{statuses:?}"
        );

        // Full Access to Serviceability alone does not hold the keys (the route test tries
        // every ClusterKeys route with System and Serviceability too).
        add_user_in(&console.state, "maintainer", PW, &["ServerMaintenance"]).await;
        let other = console.login("maintainer", PW, None).await;
        let (sast1, version, _) = token(&console, &cookie, "SAST1").await;
        let res = console
            .send(
                "POST",
                &format!("/api/v1/certificates/{sast1}/export"),
                Some(&other),
                Some(json!({"passphrase": TOKEN_PASSPHRASE})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = take_offline(&console, &other, sast1, version, &file, TOKEN_PASSPHRASE).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(key_files(dir.path()).contains(&"sast-SAST1.key".to_owned()));
        db.finish().await;
    }
}
