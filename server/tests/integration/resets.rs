//! Required actions become work (R10, R11): registrations, pending actions merged and completed,
//! reset jobs that reach simulated phones over SIP on loopback, survive a kill, and time out
//! on a device that never answers.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};
use tokio::net::UdpSocket;

use app::service::registrations::credential;
use app::store::entities::{device_contacts, devices};

use crate::support::{
    add_user, admin_client, backends, call, demo, json_body, InProcess, RunningServer, TestDb,
};

const PW: &str = "a long enough password";

pub(crate) async fn wait_job(
    client: &reqwest::Client,
    base: &str,
    id: i64,
    timeout: Duration,
) -> Value {
    let start = Instant::now();
    loop {
        let (status, job) = call(client, base, "GET", &format!("/api/v1/jobs/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "Done" || job["status"] == "Cancelled" {
            return job;
        }
        assert!(start.elapsed() < timeout, "job {id} did not end: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pending(client: &reqwest::Client, base: &str) -> Vec<Value> {
    let (status, groups) = call(client, base, "GET", "/api/v1/pending-actions", None).await;
    assert_eq!(status, StatusCode::OK);
    groups.as_array().unwrap().clone()
}

fn device_resets(groups: &[Value]) -> Option<&Value> {
    groups
        .iter()
        .find(|g| g["what"].get("ResetDevices").is_some())
}

/// The phone simulator as a child process; its stdout lines arrive on `lines`.
pub(crate) struct PhoneSim {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl PhoneSim {
    pub(crate) fn start(dir: &Path, server: &RunningServer, count: u32) -> Self {
        Self::start_with(dir, server, count, &[])
    }

    /// Starts `count` phones with the extra options `extra` (`--held-ctl FILE`, `--first-mac`).
    pub(crate) fn start_with(
        dir: &Path,
        server: &RunningServer,
        count: u32,
        extra: &[&str],
    ) -> Self {
        // The first MAC unless `extra` names its own.
        let first_mac: &[&str] = if extra.contains(&"--first-mac") {
            &[]
        } else {
            &["--first-mac", "0A0000000001"]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_phone-sim"))
            .args(first_mac)
            .args([
                "--count",
                &count.to_string(),
                "--tftp",
                &server.tftp_addr.unwrap().to_string(),
                "--console",
                &server.base_url,
            ])
            .args(extra)
            .env("CCMADMIN_DATA_DIR", dir)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let sim = Self { child, lines };
        let first = sim
            .lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the simulator starts");
        assert!(
            first.starts_with(&format!("phone-sim: {count} phones registered")),
            "{first}"
        );
        sim
    }

    /// The next `n` lines, waiting up to `timeout` in all.
    pub(crate) fn lines(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while out.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => out.push(line),
                Err(_) => panic!("only {} of {n} lines: {out:?}", out.len()),
            }
        }
        out
    }
}

impl Drop for PhoneSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn wait_files(client: &reqwest::Client, base: &str) {
    let start = Instant::now();
    loop {
        let (_, status) = call(client, base, "GET", "/api/v1/tftp-files?name=SEP0A", None).await;
        if status["up_to_date"] == true {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "files not built: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn go_mixed(client: &reqwest::Client, base: &str) {
    let (_, servers) = call(client, base, "GET", "/api/v1/servers", None).await;
    for s in servers.as_array().unwrap() {
        let name = s["fields"]["name"].as_str().unwrap();
        let (status, _) = call(
            client,
            base,
            "PUT",
            &format!("/api/v1/servers/{name}/services/ctl-provider"),
            Some(json!({"activated": true})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = call(
        client,
        base,
        "POST",
        "/api/v1/ctl",
        Some(json!({"mode": "Mixed", "tokens": ["SAST1"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Reads what the CTL Provider sends over TLS, trusting the console's certificate.
async fn ctl_from_provider(dir: &Path, addr: std::net::SocketAddr) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let pem = std::fs::read(crate::support::cert_path(dir)).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn r10_r11_twenty_simulated_phones_are_reset_fetch_their_signed_files_and_run_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 10);
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
    let base = server.base_url.clone();
    let client = admin_client(dir.path(), &base, PW).await;
    go_mixed(&client, &base).await;
    // Cisco CTL Provider hands out the CTL file on its TLS port.
    let addr = server
        .wait_line(
            "ccmadmin CTL Provider listening on tls ",
            Duration::from_secs(10),
        )
        .parse()
        .unwrap();
    let ctl = ctl_from_provider(dir.path(), addr).await;
    assert_eq!(
        ctl,
        std::fs::read(dir.path().join("tftp").join(app::tftp::CTL_FILE)).unwrap()
    );

    // Twenty phones able to encrypt, in the pool of an existing phone.
    let (_, list) = call(
        &client,
        &base,
        "GET",
        "/api/v1/phones?model=Cisco%207970&per_page=1",
        None,
    )
    .await;
    let template = list["items"][0]["name"].as_str().unwrap().to_owned();
    let (_, phone) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{template}"),
        None,
    )
    .await;
    let names: Vec<String> = (1..=20).map(|i| format!("SEP0A00000000{i:02X}")).collect();
    for name in &names {
        let mut fields = phone["fields"].clone();
        fields["name"] = json!(name);
        fields["security_mode"] = json!("UseSystemDefault");
        let (status, body) = call(&client, &base, "POST", "/api/v1/phones", Some(fields)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Going Mixed required resetting every device: done first (no phone answers yet, so every
    // device is "not registered", which fetches its files when it registers).
    let (status, job) = call(
        &client,
        &base,
        "POST",
        "/api/v1/phones/reset",
        Some(json!({"filter": {}, "type": "reset", "rate": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(
        &client,
        &base,
        job["id"].as_i64().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(job["counts"]["not_registered"], job["total"]);
    assert!(pending(&client, &base)
        .await
        .iter()
        .all(|g| g["what"]["Action"] != "ResetAllDevices"));

    let sim = PhoneSim::start(dir.path(), &server, 20);
    let (_, contact) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{}/contact", names[0]),
        None,
    )
    .await;
    assert_eq!(contact["source"], "device", "{contact}");

    for name in &names {
        let (_, phone) = call(
            &client,
            &base,
            "GET",
            &format!("/api/v1/phones/{name}"),
            None,
        )
        .await;
        let mut fields = phone["fields"].clone();
        fields["security_mode"] = json!({"Explicit": "Encrypted"});
        fields["version"] = phone["version"].clone();
        let (status, body) = call(
            &client,
            &base,
            "PUT",
            &format!("/api/v1/phones/{name}"),
            Some(fields),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let groups = pending(&client, &base).await;
    let resets = device_resets(&groups).expect("a merged device reset");
    assert_eq!(resets["what"]["ResetDevices"]["count"], 20, "{groups:?}");
    assert_eq!(resets["stored"], 20);

    // Their server: the first of their pool's group.
    let (_, servers) = call(&client, &base, "GET", "/api/v1/servers", None).await;
    let server_name = {
        let mut found = None;
        for s in servers.as_array().unwrap() {
            let n = s["fields"]["name"].as_str().unwrap();
            let (_, page) = call(
                &client,
                &base,
                "GET",
                &format!("/api/v1/phones?server={n}&name=SEP0A000000"),
                None,
            )
            .await;
            if page["total"] == 20 {
                found = Some(n.to_owned());
            }
        }
        found.expect("one server holds the twenty phones")
    };
    wait_files(&client, &base).await;
    let (status, job) = call(
        &client,
        &base,
        "POST",
        &format!("/api/v1/servers/{server_name}/reset-devices"),
        Some(json!({"rate": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let job = wait_job(&client, &base, id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "Done");
    assert_eq!(job["counts"]["acknowledged"], 20, "{job}");
    assert_eq!(job["counts"]["timed_out"], 0);
    let (_, acked) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/jobs/{id}?status=acknowledged"),
        None,
    )
    .await;
    let mut acked: Vec<String> = acked["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    acked.sort();
    assert_eq!(acked, names);

    // Every phone fetched its signed file over TFTP, verified it with its CTL, runs Encrypted.
    let lines = sim.lines(20, Duration::from_secs(60));
    for line in &lines {
        assert!(
            line.ends_with("reset: ")
                || line.contains(".cnf.xml.sgn signature valid, running Encrypted"),
            "{line}"
        );
    }
    let start = Instant::now();
    for name in &names {
        loop {
            let (_, c) = call(
                &client,
                &base,
                "GET",
                &format!("/api/v1/phones/{name}/contact"),
                None,
            )
            .await;
            if c["running_mode"] == "Encrypted" {
                assert_eq!(c["signature"], "valid");
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{name} reports {c}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert!(
        device_resets(&pending(&client, &base).await).is_none(),
        "the reset action is done"
    );
}

#[tokio::test]
async fn a_job_resumes_after_the_console_is_killed_mid_job() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 30);
    let (id, total) = {
        let server = RunningServer::start(
            dir.path(),
            &[
                ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
                ("CCMADMIN_SERVER", "CM-PUB"),
            ],
        );
        let client = admin_client(dir.path(), &server.base_url, PW).await;
        let (status, job) = call(
            &client,
            &server.base_url,
            "POST",
            "/api/v1/phones/reset",
            Some(json!({"filter": {}, "type": "restart", "rate": 5})),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        let id = job["id"].as_i64().unwrap();
        let total = job["total"].as_i64().unwrap();
        assert!(total >= 30, "{job}");
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let (_, job) = call(
            &client,
            &server.base_url,
            "GET",
            &format!("/api/v1/jobs/{id}"),
            None,
        )
        .await;
        let done = job["counts"]["not_registered"].as_i64().unwrap();
        assert!(done > 0 && done < total, "mid-job: {job}");
        server.kill();
        (id, total)
    };
    // Another node of the cluster takes the job over once the killed node's claim is stale.
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_SERVER", "CM-SUB1")]);
    let client = admin_client(dir.path(), &server.base_url, PW).await;
    let job = wait_job(&client, &server.base_url, id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "Done");
    assert_eq!(job["counts"]["not_registered"], total, "{job}");
    assert_eq!(job["counts"]["pending"], 0);
}

#[tokio::test]
async fn a_device_that_never_answers_ends_as_timed_out_after_retransmissions() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 5);
    let server = RunningServer::start(
        dir.path(),
        &[
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_SIP_T1_MS", "20"),
        ],
    );
    let base = server.base_url.clone();
    let client = admin_client(dir.path(), &base, PW).await;
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let (_, list) = call(&client, &base, "GET", "/api/v1/phones?per_page=1", None).await;
    let name = list["items"][0]["name"].as_str().unwrap().to_owned();
    let (status, c) = call(
        &client,
        &base,
        "PUT",
        &format!("/api/v1/phones/{name}/contact"),
        Some(json!({"address": "127.0.0.1", "port": port, "version": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["source"], "CCMAdministrator");
    let (status, job) = call(
        &client,
        &base,
        "POST",
        &format!("/api/v1/phones/{name}/reset"),
        Some(json!({"type": "reset"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let mut received = 0;
    let mut buf = vec![0u8; 4096];
    let mut first = String::new();
    while let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_millis(1_500), silent.recv_from(&mut buf)).await
    {
        if received == 0 {
            first = String::from_utf8_lossy(&buf[..n]).into_owned();
        }
        received += 1;
    }
    assert!(
        first.starts_with(&format!("NOTIFY sip:{name}@127.0.0.1:{port} SIP/2.0")),
        "{first}"
    );
    assert!(
        first.contains("Event: service-control") && first.contains("action=reset"),
        "{first}"
    );
    assert!(
        received >= 4,
        "retransmitted per RFC 3261 (T1 20 ms, F 1.28 s): {received}"
    );
    let job = wait_job(
        &client,
        &base,
        job["id"].as_i64().unwrap(),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(job["counts"]["timed_out"], 1, "{job}");
    assert_eq!(job["devices"][0]["status"], "TimedOut");
    assert!(job["devices"][0]["attempts"].as_i64().unwrap() >= 4);
}

/// `POST /api/v1/registrations` with a device credential, from 127.0.0.1 (the address the
/// bodies register).
async fn register(
    console: &InProcess,
    token: &str,
    body: &str,
) -> axum::http::Response<axum::body::Body> {
    let from = std::net::SocketAddr::from(([127, 0, 0, 1], 5062));
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/registrations")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .extension(axum::extract::ConnectInfo(from))
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap();
    console.request(req).await
}

/// The console of `db` in-process, taking loopback contacts as a console on loopback does.
fn on_loopback(db: &TestDb) -> InProcess {
    let mut console = InProcess::new(db.db.clone());
    console.state = console
        .state
        .clone()
        .with_contact_policy(app::domain::sip::ContactPolicy::on_loopback());
    console.rebuild_router();
    console
}

#[tokio::test]
async fn malformed_registrations_are_refused_with_422_and_do_not_touch_the_store() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = on_loopback(&db);
        add_user(&console.state, "admin", PW).await;
        app::service::demo::generate(
            &console.state,
            &app::service::authz::Internal::at_start("test"),
            5,
        )
        .await
        .unwrap();
        let device = devices::Entity::find()
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap()
            .name;
        let key = vec![7u8; 32];
        let good = credential(&key, &device);
        let bodies: [(&str, &str); 6] = [
            ("not json", "body"),
            (
                r#"{"device":"SEP000000000000","address":"127.0.0.1","port":5060}"#,
                "device",
            ),
            (
                r#"{"device":"__","address":"10.0.0.300","port":5060}"#,
                "address",
            ),
            (
                r#"{"device":"__","address":"127.0.0.1","port":70000}"#,
                "port",
            ),
            (
                r#"{"device":"__","address":"127.0.0.1","port":5060,"transport":"tls"}"#,
                "transport",
            ),
            (
                r#"{"device":"__","address":"127.0.0.1","port":5060,"running_mode":"Encrypted","config_file":"../x","signature":"valid"}"#,
                "config_file",
            ),
        ];
        for (body, field) in bodies {
            let body = body.replace("__", &device);
            let res = register(&console, &good, &body).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(json_body(res).await["field"], field, "{body}");
        }
        let res = register(&console, &credential(&[8u8; 32], &device), "{}").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            device_contacts::Entity::find()
                .count(&console.state.db)
                .await
                .unwrap(),
            0,
            "{backend:?}"
        );

        let ok = format!(
            r#"{{"device":"{device}","address":"127.0.0.1","port":5062,"transport":"udp"}}"#
        );
        let res = register(&console, &good, &ok).await;
        assert_eq!(res.status(), StatusCode::OK);
        let row = device_contacts::Entity::find()
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.address.as_str(), row.port, row.source.as_str()),
            ("127.0.0.1", 5062, "device")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn r10_a_bulk_change_records_one_reset_per_device_merged_into_one_line() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
        add_user(&console.state, "admin", PW).await;
        app::service::demo::generate(
            &console.state,
            &app::service::authz::Internal::at_start("test"),
            40,
        )
        .await
        .unwrap();
        let cookie = console.login("admin", PW, None).await;
        let res = console
            .send(
                "GET",
                "/api/v1/phones?model=Cisco%207970&per_page=10",
                Some(&cookie),
                None,
            )
            .await;
        let page = json_body(res).await;
        let names: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.len() >= 3);
        for value in ["Authenticated", "Encrypted"] {
            let res = console
                .send(
                    "POST",
                    "/api/v1/phones/bulk",
                    Some(&cookie),
                    Some(json!({"names": names, "field": "security_mode", "value": value})),
                )
                .await;
            assert_eq!(res.status(), StatusCode::ACCEPTED, "{backend:?}");
            let job = json_body(res).await;
            let start = Instant::now();
            loop {
                let res = console
                    .send(
                        "GET",
                        &format!("/api/v1/jobs/{}", job["id"]),
                        Some(&cookie),
                        None,
                    )
                    .await;
                if json_body(res).await["status"] == "done" {
                    break;
                }
                assert!(start.elapsed() < Duration::from_secs(30));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let res = console
            .send("GET", "/api/v1/pending-actions", Some(&cookie), None)
            .await;
        let groups = json_body(res).await;
        let groups = groups.as_array().unwrap();
        let resets = device_resets(groups).expect("one line for the device resets");
        assert_eq!(
            resets["what"]["ResetDevices"]["count"],
            names.len(),
            "{groups:?}"
        );
        assert_eq!(
            resets["stored"],
            names.len(),
            "not recorded twice while pending"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn control_center_stopping_callmanager_refuses_registrations_and_a_stopped_ctl_provider_gates_the_ctl_r18(
) {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = on_loopback(&db);
        add_user(&console.state, "admin", PW).await;
        app::service::demo::generate(
            &console.state,
            &app::service::authz::Internal::at_start("test"),
            5,
        )
        .await
        .unwrap();
        let cookie = console.login("admin", PW, None).await;
        let device = devices::Entity::find()
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap()
            .name;
        let body = format!(r#"{{"device":"{device}","address":"127.0.0.1","port":5062}}"#);
        let token = credential(&[7u8; 32], &device);
        let res = console
            .send("GET", "/api/v1/control-center", Some(&cookie), None)
            .await;
        let services = json_body(res).await;
        let publisher = services
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["this_node"] == true)
            .expect("this node runs the publisher")["server"]
            .as_str()
            .unwrap()
            .to_owned();
        let op = |service: &str, op: &str| {
            format!("/api/v1/servers/{publisher}/services/{service}/{op}")
        };

        let res = console
            .send("POST", &op("callmanager", "stop"), Some(&cookie), None)
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(json_body(res).await["state"], "Stopped");
        assert_eq!(
            register(&console, &token, &body).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let res = console
            .send("POST", &op("callmanager", "stop"), Some(&cookie), None)
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "already stopped"
        );
        // Another node finishes the start of its own services; here nothing runs the supervisor,
        // so the start stays at Starting and registrations wait for Started.
        let res = console
            .send("POST", &op("callmanager", "start"), Some(&cookie), None)
            .await;
        assert_eq!(json_body(res).await["state"], "Starting");
        assert_eq!(
            register(&console, &token, &body).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        app::service::control::mark_local(
            &console.state,
            &app::service::authz::Internal::at_start("test"),
            app::domain::services::Service::CallManager,
            app::domain::services::ServiceState::Started,
            "",
        )
        .await
        .unwrap();
        assert_eq!(
            register(&console, &token, &body).await.status(),
            StatusCode::OK
        );

        // R18: a stopped CTL Provider refuses the CTL operation like a missing one.
        for s in services
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["service"] == "CtlProvider")
        {
            let path = format!(
                "/api/v1/servers/{}/services/ctl-provider",
                s["server"].as_str().unwrap()
            );
            let res = console
                .send(
                    "PUT",
                    &path,
                    Some(&cookie),
                    Some(json!({"activated": true})),
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK);
        }
        let res = console
            .send("POST", &op("ctl-provider", "stop"), Some(&cookie), None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = console
            .send(
                "POST",
                "/api/v1/ctl",
                Some(&cookie),
                Some(json!({"mode": "Mixed", "tokens": ["SAST1"]})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refusal = json_body(res).await;
        assert!(
            refusal["error"].as_str().unwrap().contains("R18"),
            "{refusal}"
        );
        assert!(
            refusal["error"].as_str().unwrap().contains(&publisher),
            "{refusal}"
        );
        db.finish().await;
    }
}
