//! Cisco Certificate Authority Proxy Function over real TLS on loopback (issue 17; R13, R14,
//! R19): the listener the supervisor starts, a phone's side of the protocol
//! (`server::capf_client`), operations scheduled through the REST API, outcomes read back from
//! it. An install by null string, by string, by existing MIC and by existing LSC, a troubleshoot
//! and a delete; a wrong string, an expired deadline, an untrusted MIC, a standard PKCS#1 proof,
//! a key of the wrong size; a client sending garbage or stalling; the session limit and the
//! operations window.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use app::capf::codec::{self, reason, Command as CapfCommand, Sender};
use app::model::security::CertRole;
use app::service::authz::Internal;
use server::capf::Options;
use server::capf_client::{self, Authentication, Held, PhoneCertificates, Quirks};

use crate::support::{backends, json_body, mixed_cluster, InProcess, TestDb};

const PW: &str = "a long enough password";

struct Capf {
    console: InProcess,
    cookie: String,
    addr: SocketAddr,
    certificate: Vec<u8>,
    task: tokio::task::JoinHandle<()>,
    phones: Vec<String>,
}

impl Drop for Capf {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Mixed cluster of 100 phones in `dir` with CAPF listening on loopback (as the supervisor
/// starts it).
async fn capf_cluster(db: &TestDb, dir: &Path, options: Options) -> Capf {
    let (console, cookie) = mixed_cluster(db, dir, 100, PW, &["SAST1", "SAST2"]).await;
    start(console, cookie, db, options).await
}

async fn start(console: InProcess, cookie: String, db: &TestDb, options: Options) -> Capf {
    let certificate = app::store::certificates::of_role(&db.db, CertRole::Capf, "CAPF")
        .await
        .unwrap()
        .unwrap()
        .der;
    let (task, addr) = server::capf::start(
        console.state.clone(),
        Internal::at_start("test"),
        Options {
            bind: Some("127.0.0.1:0".parse().unwrap()),
            ..options
        },
    )
    .await
    .unwrap();
    let list = json_body(
        console
            .send(
                "GET",
                "/api/v1/phones?model=Cisco%207970&per_page=50",
                Some(&cookie),
                None,
            )
            .await,
    )
    .await;
    let phones = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    Capf {
        console,
        cookie,
        addr,
        certificate,
        task,
        phones,
    }
}

fn quick() -> Options {
    Options {
        bind: None,
        step: Duration::from_secs(2),
        queue_wait: Duration::from_millis(500),
    }
}

impl Capf {
    async fn phone(&self, name: &str) -> Value {
        json_body(
            self.console
                .send(
                    "GET",
                    &format!("/api/v1/phones/{name}"),
                    Some(&self.cookie),
                    None,
                )
                .await,
        )
        .await
    }

    /// Schedules `operation` on `name` through the API; returns the answer.
    async fn schedule(
        &self,
        name: &str,
        operation: &str,
        auth: &str,
        string: &str,
        bits: u32,
    ) -> Value {
        let phone = self.phone(name).await;
        let mut fields = phone["fields"].clone();
        fields["security_mode"] = json!({"Explicit": "Encrypted"});
        fields["certificate_operation"] = json!(operation);
        fields["authentication_mode"] = json!(auth);
        fields["authentication_string"] = json!(string);
        fields["key_size"] = json!(bits);
        fields["version"] = phone["version"].clone();
        let res = self
            .console
            .send(
                "PUT",
                &format!("/api/v1/phones/{name}"),
                Some(&self.cookie),
                Some(fields),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        json_body(res).await
    }

    async fn run(
        &self,
        phone: &mut PhoneCertificates,
        auth: Authentication,
        quirks: Quirks,
    ) -> capf_client::Ended {
        capf_client::session(self.addr, &self.certificate, phone, &auth, quirks)
            .await
            .unwrap()
    }
}

fn bare(name: &str) -> PhoneCertificates {
    PhoneCertificates {
        name: name.to_owned(),
        mic: None,
        lsc: None,
    }
}

fn write_pem(dir: &Path, file: &str, der: &[u8]) -> std::path::PathBuf {
    let path = dir.join(file);
    let pem = openssl::x509::X509::from_der(der)
        .unwrap()
        .to_pem()
        .unwrap();
    std::fs::write(&path, pem).unwrap();
    path
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// R13, R14: an LSC installed by null string verifies against the CAPF CA with `openssl verify`
/// and carries the profile; the phone's file names the CAPF mode only while the operation is
/// pending; a troubleshoot by the existing LSC reports it; a delete clears it (and the MIC
/// stays, R14). On SQLite and PostgreSQL.
#[tokio::test]
async fn r13_r14_install_by_null_string_then_troubleshoot_then_delete() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let capf = capf_cluster(&db, dir.path(), quick()).await;
        let name = capf.phones[0].clone();
        let saved = capf
            .schedule(&name, "InstallUpgrade", "ByNullString", "", 1024)
            .await;
        assert!(
            saved["required_actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a.as_str().unwrap().contains(&name)),
            "R10: the reset that makes the phone read its file: {saved}"
        );
        assert_eq!(
            saved["phone"]["certificate_operation_status"],
            "Install/Upgrade pending"
        );
        // R12: the re-signed file names the mode the phone authenticates with.
        let latest = app::store::files::latest_change(&db.db).await.unwrap();
        server::pipeline::build(&capf.console.state, latest)
            .await
            .unwrap();
        let file =
            std::fs::read_to_string(dir.path().join(format!("tftp/{name}.cnf.xml"))).unwrap();
        assert!(file.contains("<capfAuthMode>2</capfAuthMode>"), "{file}");

        let mut phone = bare(&name);
        let ca = capf_client::new_manufacturer_ca("Maker CA", crate::support::t0()).unwrap();
        phone.mic = Some(capf_client::issue_mic(&ca, &name, 1024, crate::support::t0()).unwrap());
        let ended = capf
            .run(&mut phone, Authentication::Null, Quirks::default())
            .await;
        assert_eq!(ended.reason, Some(reason::SUCCESS), "{ended:?}");
        let lsc = phone.lsc.as_ref().expect("the phone stored its LSC");
        let record = capf.phone(&name).await;
        assert_eq!(
            record["certificate_operation_status"], "Install/Upgrade success",
            "{record}"
        );
        assert_eq!(
            record["fields"]["certificate_operation"],
            "NoPendingOperation"
        );
        assert_eq!(record["lsc_status"], "Valid");
        // The dashboard counts it, with every other status.
        let dash = json_body(
            capf.console
                .send("GET", "/api/v1/dashboard", Some(&capf.cookie), None)
                .await,
        )
        .await;
        let counts = dash["lsc"].as_array().unwrap();
        assert_eq!(counts.len(), 6, "{dash}");
        assert!(counts.contains(&json!(["Valid", 1])), "{dash}");
        let serial = record["lsc"]["serial"].as_str().unwrap().to_owned();
        assert_eq!(serial.len(), 32);
        assert_eq!(record["lsc"]["issuer"], "CAPF");
        assert_eq!(
            record["lsc"]["sha256"].as_str().unwrap(),
            app::tftp::keys::fingerprint(&lsc.der)
        );

        let ca_pem = write_pem(dir.path(), "capf.pem", &capf.certificate);
        let lsc_pem = write_pem(dir.path(), "lsc.pem", &lsc.der);
        let verified = openssl(&[
            "verify",
            "-CAfile",
            ca_pem.to_str().unwrap(),
            lsc_pem.to_str().unwrap(),
        ]);
        assert!(verified.contains(": OK"), "{verified}");
        let text = openssl(&["x509", "-in", lsc_pem.to_str().unwrap(), "-noout", "-text"]);
        let subject_cn = format!("CN = {name}\n");
        let uri = format!("URI:{name}");
        for needle in [
            "OU = CAPF, O = ",
            subject_cn.as_str(),
            "X509v3 Basic Constraints: critical",
            "CA:FALSE",
            "X509v3 Key Usage: critical",
            "Digital Signature, Key Encipherment",
            "TLS Web Server Authentication, TLS Web Client Authentication, IPSec End System",
            uri.as_str(),
            "Signature Algorithm: sha256WithRSAEncryption",
            "Public-Key: (1024 bit)",
        ] {
            assert!(text.contains(needle), "{needle:?} in {text}");
        }
        // The operation is over: the re-signed file no longer sends the phone to CAPF.
        let latest = app::store::files::latest_change(&db.db).await.unwrap();
        server::pipeline::build(&capf.console.state, latest)
            .await
            .unwrap();
        let file =
            std::fs::read_to_string(dir.path().join(format!("tftp/{name}.cnf.xml"))).unwrap();
        assert!(file.contains("<capfAuthMode>0</capfAuthMode>"), "{file}");

        // Troubleshoot by the existing LSC: the phone reports the LSC it holds.
        capf.schedule(&name, "Troubleshoot", "ByExistingCertificateLsc", "", 1024)
            .await;
        let ended = capf
            .run(&mut phone, Authentication::PreferLsc, Quirks::default())
            .await;
        assert_eq!(ended.reason, Some(reason::NO_ACTION), "{ended:?}");
        let record = capf.phone(&name).await;
        assert_eq!(
            record["certificate_operation_status"],
            format!("Troubleshoot success: the phone holds Lsc serial {serial}")
        );

        // Delete: the LSC is gone from the phone and the record; the MIC stays (R14).
        capf.schedule(&name, "Delete", "ByExistingCertificateLsc", "", 1024)
            .await;
        let ended = capf
            .run(&mut phone, Authentication::PreferLsc, Quirks::default())
            .await;
        assert_eq!(ended.reason, Some(reason::SUCCESS), "{ended:?}");
        assert!(phone.lsc.is_none() && phone.mic.is_some());
        let record = capf.phone(&name).await;
        assert_eq!(record["certificate_operation_status"], "Delete success");
        assert!(record["lsc"].is_null(), "{record}");
        assert_eq!(record["lsc_status"], "None");
        drop(capf);
        db.finish().await;
    }
}

/// By Authentication String: a wrong string ends failed with the reason and the operation stays
/// scheduled, so the user can type it again; the right one installs.
#[tokio::test]
async fn a_wrong_string_fails_and_the_right_one_installs() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let capf = capf_cluster(&db, dir.path(), quick()).await;
    let name = capf.phones[1].clone();
    capf.schedule(
        &name,
        "InstallUpgrade",
        "ByAuthenticationString",
        "73519",
        512,
    )
    .await;
    let mut phone = bare(&name);
    let ended = capf
        .run(
            &mut phone,
            Authentication::String("11111".into()),
            Quirks::default(),
        )
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    assert_eq!(ended.info, "wrong authentication string");
    let record = capf.phone(&name).await;
    assert_eq!(
        record["certificate_operation_status"],
        "Install/Upgrade failed: wrong authentication string"
    );
    assert_eq!(record["fields"]["certificate_operation"], "InstallUpgrade");
    assert_eq!(record["lsc_status"], "Failed");
    let failed = json_body(
        capf.console
            .send(
                "GET",
                "/api/v1/phones?lsc_status=Failed",
                Some(&capf.cookie),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(failed["total"], 1, "{failed}");
    // An empty string is never a match, even for an empty stored one.
    let ended = capf
        .run(
            &mut phone,
            Authentication::String(String::new()),
            Quirks::default(),
        )
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    let ended = capf
        .run(
            &mut phone,
            Authentication::String("73519".into()),
            Quirks::default(),
        )
        .await;
    assert_eq!(ended.reason, Some(reason::SUCCESS), "{ended:?}");
    let record = capf.phone(&name).await;
    assert_eq!(
        record["certificate_operation_status"],
        "Install/Upgrade success"
    );
    // Guessing: the fifth refused try cancels the operation; the right string then finds
    // nothing scheduled.
    let guessed = capf.phones[6].clone();
    capf.schedule(
        &guessed,
        "InstallUpgrade",
        "ByAuthenticationString",
        "13579",
        512,
    )
    .await;
    let mut guesser = bare(&guessed);
    for n in 1..=5 {
        let ended = capf
            .run(
                &mut guesser,
                Authentication::String(format!("{n}{n}{n}{n}")),
                Quirks::default(),
            )
            .await;
        assert_eq!(ended.reason, Some(reason::INVALID), "try {n}");
    }
    let record = capf.phone(&guessed).await;
    assert_eq!(
        record["certificate_operation_status"],
        "Install/Upgrade failed: wrong authentication string; 5 refused tries: the operation is cancelled, schedule it again"
    );
    assert_eq!(
        record["fields"]["certificate_operation"],
        "NoPendingOperation"
    );
    let ended = capf
        .run(
            &mut guesser,
            Authentication::String("13579".into()),
            Quirks::default(),
        )
        .await;
    assert_eq!(ended.reason, Some(reason::NO_ACTION));
    assert!(guesser.lsc.is_none());
    assert_eq!(
        openssl::x509::X509::from_der(&phone.lsc.unwrap().der)
            .unwrap()
            .public_key()
            .unwrap()
            .bits(),
        512
    );
    drop(capf);
    db.finish().await;
}

/// A phone connecting after the deadline is told nothing is scheduled, and the operation ends
/// failed ("expired").
#[tokio::test]
async fn after_the_deadline_the_operation_ends_expired() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let capf = capf_cluster(&db, dir.path(), quick()).await;
    let name = capf.phones[2].clone();
    let saved = capf
        .schedule(&name, "InstallUpgrade", "ByNullString", "", 1024)
        .await;
    assert!(saved["phone"]["operation_runs"]
        .as_str()
        .unwrap()
        .starts_with("Runs when the phone next contacts CAPF"));
    assert_eq!(
        saved["phone"]["operation_completes_by"], "2026-12-06T09:00:00Z",
        "the default: CAPF Operation Expires in (days), 10"
    );
    // The admin's own deadline: not in the past, then two hours from now.
    let path = format!("/api/v1/phones/{name}");
    let mut fields = saved["phone"]["fields"].clone();
    fields["version"] = saved["phone"]["version"].clone();
    fields["operation_completes_by"] = json!("2026-11-26T08:00:00Z");
    let res = capf
        .console
        .send("PUT", &path, Some(&capf.cookie), Some(fields.clone()))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json_body(res).await["error"],
        "Operation Completes By: must be later than now"
    );
    fields["operation_completes_by"] = json!("2026-11-26T11:00:00Z");
    let res = capf
        .console
        .send("PUT", &path, Some(&capf.cookie), Some(fields))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved = json_body(res).await;
    assert_eq!(
        saved["phone"]["operation_completes_by"],
        "2026-11-26T11:00:00Z"
    );
    capf.console.clock.advance(chrono::Duration::hours(3));
    let mut capf = capf;
    capf.cookie = capf.console.login("admin", PW, None).await;
    let mut phone = bare(&name);
    let ended = capf
        .run(&mut phone, Authentication::Null, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::NO_ACTION));
    assert!(phone.lsc.is_none());
    let record = capf.phone(&name).await;
    assert_eq!(
        record["certificate_operation_status"],
        "Install/Upgrade failed: expired"
    );
    assert_eq!(
        record["fields"]["certificate_operation"],
        "NoPendingOperation"
    );
    // Nothing is scheduled any more; an unknown device is told so.
    let ended = capf
        .run(&mut phone, Authentication::Null, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::NO_ACTION));
    let ended = capf
        .run(
            &mut bare("SEP0000DEADBEEF"),
            Authentication::Null,
            Quirks::default(),
        )
        .await;
    assert_eq!(ended.reason, Some(reason::UNKNOWN_DEVICE));
    drop(capf);
    db.finish().await;
}

/// By Existing Certificate (Precedence to MIC), R14: a MIC is trusted only once its maker's CA
/// is uploaded (by a holder of the cluster's keys); a standard PKCS#1 proof and another
/// device's MIC are refused; the MIC seen is recorded. Then By Existing Certificate
/// (Precedence to LSC) renews with the LSC.
#[tokio::test]
async fn r14_existing_certificates_need_a_trusted_issuer_and_a_raw_proof() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let capf = capf_cluster(&db, dir.path(), quick()).await;
    let name = capf.phones[3].clone();
    let maker = capf_client::new_manufacturer_ca("Maker CA", crate::support::t0()).unwrap();
    let mic = capf_client::issue_mic(&maker, &name, 2048, crate::support::t0()).unwrap();
    let mut phone = PhoneCertificates {
        name: name.clone(),
        mic: Some(Held {
            der: mic.der.clone(),
            key: mic.key.clone(),
        }),
        lsc: None,
    };
    capf.schedule(
        &name,
        "InstallUpgrade",
        "ByExistingCertificateMic",
        "",
        2048,
    )
    .await;
    let ended = capf
        .run(&mut phone, Authentication::PreferMic, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    assert!(ended.info.starts_with("the MIC is refused"), "{ended:?}");

    // Upload the maker's CA: not a CA, garbage, then the CA; the second upload is refused.
    let upload = |pem: String| {
        capf.console.send(
            "POST",
            "/api/v1/manufacturer-cas",
            Some(&capf.cookie),
            Some(json!({ "pem": pem })),
        )
    };
    let pem = |der: &[u8]| {
        String::from_utf8(
            openssl::x509::X509::from_der(der)
                .unwrap()
                .to_pem()
                .unwrap(),
        )
        .unwrap()
    };
    let res = upload(pem(&mic.der)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_body(res).await["error"]
        .as_str()
        .unwrap()
        .contains("Manufacturer CA Certificate: is not a certificate authority"));
    let res = upload("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = upload("x".repeat(70_000)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = upload(pem(&maker.der)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", json_body(res).await);
    let res = upload(pem(&maker.der)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed = json_body(
        capf.console
            .send("GET", "/api/v1/manufacturer-cas", Some(&capf.cookie), None)
            .await,
    )
    .await;
    assert_eq!(
        listed[0]["sha256"].as_str().unwrap(),
        app::tftp::keys::fingerprint(&maker.der)
    );

    // Real phones sign raw; a standard PKCS#1 v1.5 signature is refused.
    let ended = capf
        .run(
            &mut phone,
            Authentication::PreferMic,
            Quirks {
                standard_signature: true,
                ..Quirks::default()
            },
        )
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    assert!(ended.info.contains("SHA-1 proof is refused"), "{ended:?}");
    // Another device's MIC, even from the trusted maker.
    let other =
        capf_client::issue_mic(&maker, "SEP0A0A0A0A0A0A", 2048, crate::support::t0()).unwrap();
    let mut thief = PhoneCertificates {
        name: name.clone(),
        mic: Some(other),
        lsc: None,
    };
    let ended = capf
        .run(&mut thief, Authentication::PreferMic, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    assert!(ended.info.contains("names"), "{ended:?}");
    // A key of another size than asked.
    let ended = capf
        .run(
            &mut phone,
            Authentication::PreferMic,
            Quirks {
                key_size: Some(1024),
                in_progress: 2,
                ..Quirks::default()
            },
        )
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    assert!(ended.info.contains("1024-bit key"), "{ended:?}");

    let ended = capf
        .run(
            &mut phone,
            Authentication::PreferMic,
            Quirks {
                in_progress: 3,
                ..Quirks::default()
            },
        )
        .await;
    assert_eq!(ended.reason, Some(reason::SUCCESS), "{ended:?}");
    let record = capf.phone(&name).await;
    assert_eq!(
        record["certificate_operation_status"],
        "Install/Upgrade success"
    );
    assert_eq!(
        record["mic"]["sha256"].as_str().unwrap(),
        app::tftp::keys::fingerprint(&mic.der)
    );
    assert_eq!(record["mic"]["issuer"], "Maker CA");
    let first_lsc = record["lsc"]["serial"].clone();
    let first = phone.lsc.as_ref().map(|h| Held {
        der: h.der.clone(),
        key: h.key.clone(),
    });

    // Renewal by the existing LSC (Precedence to LSC): a new serial.
    capf.schedule(
        &name,
        "InstallUpgrade",
        "ByExistingCertificateLsc",
        "",
        2048,
    )
    .await;
    let ended = capf
        .run(&mut phone, Authentication::PreferLsc, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::SUCCESS), "{ended:?}");
    let record = capf.phone(&name).await;
    assert_ne!(record["lsc"]["serial"], first_lsc);
    // The LSC it replaced proves nothing any more.
    capf.schedule(&name, "Troubleshoot", "ByExistingCertificateLsc", "", 2048)
        .await;
    let mut holder_of_old = PhoneCertificates {
        name: name.clone(),
        mic: None,
        lsc: first,
    };
    let ended = capf
        .run(
            &mut holder_of_old,
            Authentication::PreferLsc,
            Quirks::default(),
        )
        .await;
    assert_eq!(ended.reason, Some(reason::INVALID));
    assert!(
        ended.info.contains("not the one CAPF last issued"),
        "{ended:?}"
    );
    // The current one does.
    let ended = capf
        .run(&mut phone, Authentication::PreferLsc, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::NO_ACTION), "{ended:?}");
    let valid = json_body(
        capf.console
            .send(
                "GET",
                "/api/v1/phones?lsc_status=Valid",
                Some(&capf.cookie),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(valid["total"], 1, "{valid}");
    drop(capf);
    db.finish().await;
}

async fn job_done(capf: &Capf, id: i64) -> Value {
    for _ in 0..300 {
        let job = json_body(
            capf.console
                .send(
                    "GET",
                    &format!("/api/v1/jobs/{id}"),
                    Some(&capf.cookie),
                    None,
                )
                .await,
        )
        .await;
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} did not end");
}

/// Bulk CAPF from Find and List (as CallManager 4.1 did through BAT): the preview refuses the
/// models that take no LSC (R7) and By Authentication String (a string each); the job schedules
/// Install/Upgrade on every other matching phone — pending, with its deadline, its file sending
/// it to CAPF and its reset recorded (R10) — and a second job cancels it.
#[tokio::test]
async fn bulk_capf_operations_schedule_and_cancel_many_phones() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let capf = capf_cluster(&db, dir.path(), quick()).await;
    let bulk = |field: &str, value: &str, preview: bool| {
        capf.console.send(
            "POST",
            "/api/v1/phones/bulk",
            Some(&capf.cookie),
            Some(json!({
                "filter": {}, "field": field, "value": value, "preview": preview,
            })),
        )
    };
    let res = bulk("authentication_mode", "By Authentication String", true).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let preview = json_body(bulk("certificate_operation", "Install/Upgrade", true).await).await;
    let reasons = preview["refused"].to_string();
    assert!(
        reasons.contains("takes no LSC (R7)") && reasons.contains("Cisco 7912"),
        "{reasons}"
    );
    let will = preview["will_change"].as_u64().unwrap();
    assert!(will > 0, "{preview}");
    let started = bulk("certificate_operation", "Install/Upgrade", false).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let id = json_body(started).await["id"].as_i64().unwrap();
    let done = job_done(&capf, id).await;
    assert_eq!(done["changed"].as_u64().unwrap(), will, "{done}");
    let pending = json_body(
        capf.console
            .send(
                "GET",
                "/api/v1/phones?lsc_status=Operation%20pending&per_page=1",
                Some(&capf.cookie),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(pending["total"].as_u64().unwrap(), will, "{pending}");
    let name = capf.phones[0].clone();
    let record = capf.phone(&name).await;
    assert_eq!(
        record["certificate_operation_status"],
        "Install/Upgrade pending"
    );
    assert!(record["operation_completes_by"].is_string(), "{record}");
    let actions = json_body(
        capf.console
            .send("GET", "/api/v1/pending-actions", Some(&capf.cookie), None)
            .await,
    )
    .await
    .to_string();
    // The resets are recorded (merged into the Reset All Devices the CTL operation left).
    assert!(
        actions.contains("Bulk change: certificate_operation set to Install/Upgrade"),
        "{actions}"
    );
    let latest = app::store::files::latest_change(&db.db).await.unwrap();
    server::pipeline::build(&capf.console.state, latest)
        .await
        .unwrap();
    let file = std::fs::read_to_string(dir.path().join(format!("tftp/{name}.cnf.xml"))).unwrap();
    assert!(!file.contains("<capfAuthMode>0</capfAuthMode>"), "{file}");
    // Cancelled in bulk: no operation, no status, no deadline.
    let started = bulk("certificate_operation", "No Pending Operation", false).await;
    let id = json_body(started).await["id"].as_i64().unwrap();
    job_done(&capf, id).await;
    let record = capf.phone(&name).await;
    assert_eq!(record["certificate_operation_status"], "None");
    assert!(record["operation_completes_by"].is_null(), "{record}");
    drop(capf);
    db.finish().await;
}

/// A refused server function answers with the refusal's status, as the JSON API does, and the
/// page still reads the error's field and reason.
#[tokio::test]
async fn a_refused_server_function_answers_422_naming_the_field() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let (console, cookie) = crate::support::demo_console(&db, 2, PW, Some(dir.path())).await;
    let res = console
        .send(
            "POST",
            "/fn/add_manufacturer_ca",
            Some(&cookie),
            Some(json!({ "pem": "not a certificate" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = json_body(res).await;
    assert_eq!(
        error["Invalid"]["field"], "Manufacturer CA Certificate",
        "{error}"
    );
    db.finish().await;
}

async fn tls_to(
    addr: SocketAddr,
    certificate: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    capf_client::connect(addr, certificate).await.unwrap()
}

/// Garbage, a payload length past the bound, an element only CAPF sends, and a stall each lose
/// only their own connection, within the step's time; a real phone is served meanwhile.
#[tokio::test]
async fn malformed_and_stalled_clients_lose_only_their_own_connection() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let capf = capf_cluster(&db, dir.path(), quick()).await;
    let name = capf.phones[4].clone();
    capf.schedule(&name, "InstallUpgrade", "ByNullString", "", 512)
        .await;
    let bad_payloads: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        vec![0x55, 2, 0, 0, 0, 0, 0xFF, 0xFF],
        vec![0x55, 2, 0, 0, 0, 0, 0, 5, 10, 0, 2, 4, 0],
        vec![0x55, 99, 0, 0, 0, 0, 0, 0],
    ];
    for bytes in bad_payloads {
        let mut tls = tls_to(capf.addr, &capf.certificate).await;
        let first = codec::read(&mut tls, Sender::Server).await.unwrap();
        assert_eq!(first.command, CapfCommand::AuthReq);
        tls.write_all(&bytes).await.unwrap();
        tls.flush().await.unwrap();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the connection was closed after {bytes:?}");
    }
    // A stall: half a header, then nothing. Closed after the step's time.
    let mut stalled = tls_to(capf.addr, &capf.certificate).await;
    codec::read(&mut stalled, Sender::Server).await.unwrap();
    stalled.write_all(&[0x55, 2, 0]).await.unwrap();
    stalled.flush().await.unwrap();
    let started = std::time::Instant::now();
    let mut phone = bare(&name);
    let ended = capf
        .run(&mut phone, Authentication::Null, Quirks::default())
        .await;
    assert_eq!(
        ended.reason,
        Some(reason::SUCCESS),
        "served beside the stall"
    );
    let mut rest = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut rest)).await;
    assert!(closed.is_ok() && started.elapsed() >= Duration::from_secs(1));
    // A connection that never finishes its handshake is dropped too.
    let mut raw = tokio::net::TcpStream::connect(capf.addr).await.unwrap();
    raw.write_all(&[0x16, 3, 1, 0, 200]).await.unwrap();
    drop(capf);
    db.finish().await;
}

/// R19: beyond "Maximum Concurrent CAPF Sessions" a phone waits, then is told to retry later;
/// outside the operations window a scheduled operation waits (the phone hears nothing is
/// scheduled) and the page says when it will run.
#[tokio::test]
async fn r19_sessions_are_bounded_and_operations_wait_for_their_window() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let (console, cookie) = mixed_cluster(&db, dir.path(), 100, PW, &["SAST1", "SAST2"]).await;
    let servers = json_body(
        console
            .send("GET", "/api/v1/servers", Some(&cookie), None)
            .await,
    )
    .await;
    let publisher = servers[0]["fields"]["name"].as_str().unwrap().to_owned();
    for (param, value) in [("MaxConcurrentSessions", "1")] {
        let res = console
            .send(
                "PUT",
                &format!("/api/v1/service-parameters/{publisher}/capf/{param}"),
                Some(&cookie),
                Some(json!({ "value": value, "version": 0 })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", json_body(res).await);
    }
    let capf = start(console, cookie, &db, quick()).await;
    let name = capf.phones[5].clone();
    capf.schedule(&name, "InstallUpgrade", "ByNullString", "", 512)
        .await;
    // One session holds the only slot: it has its AuthReq and answers nothing.
    let mut holder = tls_to(capf.addr, &capf.certificate).await;
    codec::read(&mut holder, Sender::Server).await.unwrap();
    let ended = capf
        .run(&mut bare(&name), Authentication::Null, Quirks::default())
        .await;
    assert_eq!(ended.reason, None, "told to retry later: {ended:?}");
    drop(holder);
    // The slot is free again once the holder's time is up.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // The window: two hours that do not include the test clock's 09:00.
    let (start_hour, end_hour) = ("22:00", "23:00");
    for (param, value) in [
        ("OperationWindowStart", start_hour),
        ("OperationWindowEnd", end_hour),
    ] {
        let res = capf
            .console
            .send(
                "PUT",
                &format!("/api/v1/service-parameters/{publisher}/capf/{param}"),
                Some(&capf.cookie),
                Some(json!({ "value": value, "version": 0 })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", json_body(res).await);
    }
    // The window applies to the next session (CAPF reads it for each one).
    let record = capf.phone(&name).await;
    assert!(
        record["operation_runs"]
            .as_str()
            .unwrap()
            .contains("inside the window 22:00–23:00 UTC, from 2026-11-26 22:00"),
        "{record}"
    );
    let mut phone = bare(&name);
    let ended = capf
        .run(&mut phone, Authentication::Null, Quirks::default())
        .await;
    assert_eq!(ended.reason, Some(reason::NO_ACTION));
    assert_eq!(ended.info, "outside the CAPF operations window");
    assert!(phone.lsc.is_none());
    let row = app::store::phones::find(&db.db, &name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.certificate_operation_status, "Pending");
    drop(capf);
    db.finish().await;
}
