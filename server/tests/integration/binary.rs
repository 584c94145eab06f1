//! The real `ccmadmin` binary: HTTPS with its generated certificate, the one-time password,
//! sessions across a restart, `user passwd`, and refusals at start.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::support::{cert_path, client_trusting, RunningServer};

const PASSWORD: &str = "the bootstrap passphrase";

#[tokio::test]
async fn serves_https_with_its_own_certificate_and_prints_a_one_time_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(dir.path(), &[]);
    let line = server
        .stdout
        .iter()
        .find(|l| l.contains("one-time password: "))
        .expect("the generated password is printed");
    let generated = line.rsplit(' ').next().unwrap().to_owned();
    assert!(cert_path(dir.path()).exists());

    let client = client_trusting(dir.path());
    let health: Value = client
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["db"], "ok");

    let res = client
        .post(format!("{}/api/v1/login", server.base_url))
        .json(&json!({"username": "CCMAdministrator", "password": generated}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = client
        .get(format!("{}/api/v1/me", server.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "CCMAdministrator");
    assert_eq!(me["must_change_password"], true);

    // Plain HTTP is not served.
    let plain = server.base_url.replace("https://", "http://");
    let plain = reqwest::Client::new()
        .get(format!("{plain}/healthz"))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
}

#[tokio::test]
async fn both_tls_1_2_and_tls_1_3_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PASSWORD)]);
    let pem = std::fs::read(cert_path(dir.path())).unwrap();
    for version in [
        reqwest::tls::Version::TLS_1_2,
        reqwest::tls::Version::TLS_1_3,
    ] {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .tls_built_in_root_certs(false)
            .min_tls_version(version)
            .max_tls_version(version)
            .build()
            .unwrap();
        let res = client
            .get(format!("{}/healthz", server.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{version:?}");
    }
}

#[tokio::test]
async fn a_session_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("CCMADMIN_BOOTSTRAP_PASSWORD", PASSWORD)];
    let first = RunningServer::start(dir.path(), &env);
    assert!(
        !first.stdout.iter().any(|l| l.contains("one-time password")),
        "a configured password is never printed"
    );
    let client = client_trusting(dir.path());
    let res = client
        .post(format!("{}/api/v1/login", first.base_url))
        .json(&json!({"username": "CCMAdministrator", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    first.kill();

    let second = RunningServer::start(dir.path(), &env);
    let me = client
        .get(format!("{}/api/v1/me", second.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the session outlived the process");
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["name"], "CCMAdministrator");
    assert_eq!(me["must_change_password"], false);
}

#[tokio::test]
async fn user_passwd_resets_a_password_from_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("CCMADMIN_BOOTSTRAP_PASSWORD", PASSWORD)];
    drop(RunningServer::start(dir.path(), &env));

    let mut child = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
        .args(["user", "passwd", "CCMAdministrator"])
        .env("CCMADMIN_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a password set from the host\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let short = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
        .args(["user", "passwd", "CCMAdministrator"])
        .env("CCMADMIN_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let server = RunningServer::start(dir.path(), &env);
    let client = client_trusting(dir.path());
    for (password, status) in [(PASSWORD, 401), ("a password set from the host", 200)] {
        let res = client
            .post(format!("{}/api/v1/login", server.base_url))
            .json(&json!({"username": "CCMAdministrator", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{password}");
    }
}

#[test]
fn a_key_that_does_not_match_the_certificate_stops_the_start() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        server::tls::load_or_generate(dir.path(), None, None, "test").unwrap();
    }
    let (cert, _) = server::tls::generated_paths(a.path());
    let (_, key) = server::tls::generated_paths(b.path());
    let out = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
        .arg("serve")
        .env("CCMADMIN_DATA_DIR", a.path())
        .env("CCMADMIN_BIND", "127.0.0.1:0")
        .env("CCMADMIN_TLS_CERT", &cert)
        .env("CCMADMIN_TLS_KEY", &key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&*key.to_string_lossy()), "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
