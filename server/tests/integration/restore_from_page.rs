//! A restore made from Serviceability > Disaster Recovery on the running console, with the real
//! binary on SQLite and PostgreSQL: a backup uploaded to a fresh install, refused for a wrong
//! passphrase or a file that is not an age file (nothing changes, the console keeps serving),
//! then restored: the console answers 503 while it restores, restarts itself into the backup
//! (the same process, under the data folder's lock), and serves the restored store.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{
    admin_client, backends, call, client_trusting, demo, Backend, RunningServer, TestDb,
};

const PW: &str = "a long enough password";
const PASSPHRASE: &str = "correct horse battery staple";

async fn upload(client: &reqwest::Client, base: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = client
        .post(format!("{base}/api/v1/backups/upload"))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn env_for<'a>(
    backend: Backend,
    db: &'a TestDb,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut env = extra.to_vec();
    if backend == Backend::Postgres {
        env.push(("DATABASE_URL", db.url.as_str()));
    }
    env
}

fn backups_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("backups"))
        .map(|list| {
            list.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_backup_uploaded_and_restored_from_the_page_restarts_the_console_into_it() {
    for backend in backends() {
        // The console whose backup is restored: demo phones, a backup taken through the API.
        let source_dir = tempfile::tempdir().unwrap();
        demo(source_dir.path(), 7);
        let (archive, devices) = {
            let server =
                RunningServer::start(source_dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
            let client = admin_client(source_dir.path(), &server.base_url, PW).await;
            let (status, taken) = call(
                &client,
                &server.base_url,
                "POST",
                "/api/v1/backups",
                Some(json!({"passphrase": PASSPHRASE})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{taken}");
            let name = taken["name"].as_str().unwrap().to_owned();
            let (_, phones) = call(&client, &server.base_url, "GET", "/api/v1/phones", None).await;
            server.kill();
            (
                std::fs::read(source_dir.path().join("backups").join(name)).unwrap(),
                phones["total"].clone(),
            )
        };

        // A fresh install on `backend`.
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let server = RunningServer::start(
            dir.path(),
            &env_for(backend, &db, &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]),
        );
        let pid = server.child.id();
        let base = server.base_url.clone();
        let client = admin_client(dir.path(), &base, PW).await;
        let (_, phones) = call(&client, &base, "GET", "/api/v1/phones", None).await;
        assert_eq!(phones["total"], 0, "{phones}");

        // Not an age file: refused, nothing kept.
        let (status, said) = upload(&client, &base, b"PK\x03\x04 not a backup".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{said}");
        assert!(said.to_string().contains("not an age file"), "{said}");
        assert!(
            backups_in(dir.path()).is_empty(),
            "{:?}",
            backups_in(dir.path())
        );

        let (status, uploaded) = upload(&client, &base, archive.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{uploaded}");
        let name = uploaded["name"].as_str().unwrap().to_owned();
        assert!(name.starts_with("ccmadmin-uploaded-"), "{name}");
        assert_eq!(
            std::fs::read(dir.path().join("backups").join(&name)).unwrap(),
            archive
        );

        // A wrong passphrase: refused with the field, the console serves on unchanged.
        let (status, said) = call(
            &client,
            &base,
            "POST",
            &format!("/api/v1/backups/{name}/restore"),
            Some(json!({"passphrase": "not the passphrase at all"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{said}");
        assert!(
            said.to_string()
                .contains("Passphrase: does not open this backup"),
            "{said}"
        );
        let (status, phones) = call(&client, &base, "GET", "/api/v1/phones", None).await;
        assert_eq!(
            (status, phones["total"].clone()),
            (StatusCode::OK, json!(0))
        );
        assert!(!dir.path().join("restore").exists());

        let (status, started) = call(
            &client,
            &base,
            "POST",
            &format!("/api/v1/backups/{name}/restore"),
            Some(json!({"passphrase": PASSPHRASE})),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{started}");
        assert_eq!(started["name"], json!(name), "{started}");
        // Until it restarts, every request but /healthz is answered 503.
        let (status, said) = call(&client, &base, "GET", "/api/v1/phones", None).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(said.to_string().contains("restoring a backup"), "{said}");
        }

        // The same process, started again: it switches to the restored store and serves it.
        server.wait_line(
            "ccmadmin restarting into the restored backup",
            Duration::from_secs(60),
        );
        let restarted = server.wait_line("ccmadmin listening on ", Duration::from_secs(60));
        assert_eq!(server.child.id(), pid);
        // Sessions are not restored; the certificate is the backup's: a new client, which
        // logs in with the backup's users.
        let client = client_trusting(dir.path());
        let start = Instant::now();
        loop {
            let (status, _) = call(
                &client,
                &restarted,
                "POST",
                "/api/v1/login",
                Some(json!({"username": "CCMAdministrator", "password": PW})),
            )
            .await;
            if status == StatusCode::OK {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "login: {status}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (_, phones) = call(&client, &restarted, "GET", "/api/v1/phones", None).await;
        assert!(devices.as_u64().unwrap() > 7);
        assert_eq!(phones["total"], devices, "{phones}");
        assert!(!dir.path().join("restore").exists());
        assert_eq!(
            std::fs::read(dir.path().join("keys").join("tftp-TFTP.key")).ok(),
            std::fs::read(source_dir.path().join("keys").join("tftp-TFTP.key")).ok()
        );
        drop(server);
        db.finish().await;
    }
}
