//! Issue 17 end to end: the real `ccmadmin` with Cisco Certificate Authority Proxy Function
//! started and stopped by Control Center, and simulated phones (`phone-sim`) on a Mixed cluster.
//! Twenty phones set Encrypted get Install/Upgrade By Null String in bulk, which leaves their
//! resets pending (R10); one Reset Devices job follows, and each phone fetches its signed file,
//! runs its CAPF session over TLS, stores its LSC and registers over TLS with it (R13); Find and
//! List's LSC status finds twenty valid. A phone whose user types its string enrols By
//! Authentication String. A phone whose LSC is deleted registers with its MIC once its maker's
//! CA is uploaded (R14); a phone without the CTL cannot open TLS, and its UDP registration is
//! refused with the reason.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::resets::{go_mixed, wait_files, wait_job, PhoneSim};
use crate::support::{admin_client, call, demo, RunningServer};

const PW: &str = "a long enough password";
const PHONES: u32 = 20;

fn phone_name(i: u32) -> String {
    format!("SEP0A00000000{i:02X}")
}

/// The rest of each line of `server` starting with one of `prefixes` (those printed since it
/// started included), waiting for all of them.
fn wait_all(server: &RunningServer, prefixes: &[&str]) -> HashMap<String, String> {
    let mut found = HashMap::new();
    // Lines printed before it listened are kept in `stdout`.
    for line in &server.stdout {
        for p in prefixes {
            if let Some(rest) = line.strip_prefix(p) {
                found.insert((*p).to_owned(), rest.to_owned());
            }
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while found.len() < prefixes.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = server
            .lines
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("{prefixes:?}: only {found:?} ({e})"));
        for p in prefixes {
            if let Some(rest) = line.strip_prefix(p) {
                found.insert((*p).to_owned(), rest.to_owned());
            }
        }
    }
    found
}

/// Resets the phones whose name contains `name` and waits for the job and `lines` lines of `sim`.
async fn reset(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    sim: &PhoneSim,
    lines: usize,
) -> Vec<String> {
    let (status, job) = call(
        client,
        base,
        "POST",
        "/api/v1/phones/reset",
        Some(json!({"filter": {"name": name}, "type": "reset", "rate": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(
        client,
        base,
        job["id"].as_i64().unwrap(),
        Duration::from_secs(90),
    )
    .await;
    assert_eq!(job["counts"]["acknowledged"], lines, "{job}");
    sim.lines(lines, Duration::from_secs(120))
}

#[tokio::test]
async fn r13_r14_twenty_phones_enrol_after_their_reset_and_register_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 2);
    let server = RunningServer::start(
        dir.path(),
        &[
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_CAPF_BIND", "127.0.0.1:0"),
        ],
    );
    let base = server.base_url.clone();
    let client = admin_client(dir.path(), &base, PW).await;
    go_mixed(&client, &base).await;
    let sip = wait_all(&server, &["ccmadmin SIP on udp ", "ccmadmin SIP on tls "]);
    let (sip_udp, sip_tls) = (
        sip["ccmadmin SIP on udp "].clone(),
        sip["ccmadmin SIP on tls "].clone(),
    );

    // Control Center: CAPF runs only once activated on the publisher, and stops for real.
    let (_, servers) = call(&client, &base, "GET", "/api/v1/servers", None).await;
    let publisher = servers[0]["fields"]["name"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &client,
        &base,
        "PUT",
        &format!("/api/v1/servers/{publisher}/services/capf"),
        Some(json!({"activated": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let capf = server.wait_line("ccmadmin CAPF listening on tls ", Duration::from_secs(20));
    let (status, body) = call(
        &client,
        &base,
        "POST",
        &format!("/api/v1/servers/{publisher}/services/capf/stop"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.wait_line("ccmadmin CAPF stopped", Duration::from_secs(20));
    assert!(
        std::net::TcpStream::connect(capf.as_str()).is_err(),
        "CAPF no longer listens on {capf}"
    );
    let (status, body) = call(
        &client,
        &base,
        "POST",
        &format!("/api/v1/servers/{publisher}/services/capf/start"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let again = server.wait_line("ccmadmin CAPF listening on tls ", Duration::from_secs(20));
    assert_eq!(again, capf, "a restarted CAPF keeps its port");

    // Twenty phones set Encrypted; a twenty-first whose user types its string; a twenty-second
    // that will never take the CTL.
    let (_, list) = call(&client, &base, "GET", "/api/v1/phones?per_page=1", None).await;
    let template = list["items"][0]["name"].as_str().unwrap().to_owned();
    let (_, phone) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{template}"),
        None,
    )
    .await;
    for i in 1..=PHONES + 2 {
        let mut fields = phone["fields"].clone();
        fields["name"] = json!(phone_name(i));
        fields["model"] = json!("Cisco 7970");
        fields["protocol"] = json!("Sccp");
        fields["security_mode"] = json!({"Explicit": "Encrypted"});
        fields["certificate_operation"] = json!("NoPendingOperation");
        fields["authentication_mode"] = json!("ByNullString");
        fields["operation_completes_by"] = json!(null);
        if i == PHONES + 1 {
            fields["certificate_operation"] = json!("InstallUpgrade");
            fields["authentication_mode"] = json!("ByAuthenticationString");
            fields["authentication_string"] = json!("246810");
        }
        // The 79xx phones' key size: TLS takes it (OpenSSL checks the handshake).
        fields["key_size"] = json!(1024);
        let (status, body) = call(&client, &base, "POST", "/api/v1/phones", Some(fields)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Install/Upgrade By Null String on the twenty, in bulk as an admin would: each is pending
    // with its deadline, and their resets are pending actions (R10).
    let twenty: Vec<String> = (1..=PHONES).map(phone_name).collect();
    let (status, job) = call(
        &client,
        &base,
        "POST",
        "/api/v1/phones/bulk",
        Some(json!({
            "names": twenty, "field": "certificate_operation", "value": "Install/Upgrade",
            "preview": false,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let job = loop {
        let (_, job) = call(&client, &base, "GET", &format!("/api/v1/jobs/{id}"), None).await;
        if job["status"] != "running" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["changed"], PHONES, "{job}");
    let (_, pending) = call(&client, &base, "GET", "/api/v1/pending-actions", None).await;
    assert!(
        pending.to_string().contains(&format!(
            "Bulk change: certificate_operation set to Install/Upgrade on {PHONES} phones"
        )),
        "{pending}"
    );
    let (_, scheduled) = call(
        &client,
        &base,
        "GET",
        "/api/v1/phones?name=SEP0A&lsc_status=Operation%20pending&per_page=50",
        None,
    )
    .await;
    assert_eq!(scheduled["total"], PHONES + 1, "{scheduled}");

    let strings = dir.path().join("strings.csv");
    std::fs::write(&strings, format!("{},246810\n", phone_name(PHONES + 1))).unwrap();
    let sim = PhoneSim::start_with(
        dir.path(),
        &server,
        PHONES + 1,
        &[
            "--capf",
            &capf,
            "--capf-strings",
            strings.to_str().unwrap(),
            "--sip",
            &sip_udp,
            "--sip-tls",
            &sip_tls,
        ],
    );
    wait_files(&client, &base).await;
    // Reset Devices: one job for the twenty. Each fetches its signed file, enrols, and
    // registers over TLS with its new LSC (R13).
    let (status, job) = call(
        &client,
        &base,
        "POST",
        "/api/v1/phones/reset",
        Some(json!({"names": twenty, "type": "reset", "rate": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(
        &client,
        &base,
        job["id"].as_i64().unwrap(),
        Duration::from_secs(90),
    )
    .await;
    assert_eq!(job["counts"]["acknowledged"], PHONES, "{job}");
    for line in sim.lines(PHONES as usize, Duration::from_secs(120)) {
        assert!(
            line.contains(".cnf.xml.sgn signature valid, running Encrypted; capf ended 1"),
            "{line}"
        );
        assert!(line.contains("holds LSC "), "{line}");
        assert!(
            line.contains("; sip tls with LSC: 200 TLS with LSC serial "),
            "{line}"
        );
    }
    let (_, valid) = call(
        &client,
        &base,
        "GET",
        "/api/v1/phones?name=SEP0A&lsc_status=Valid&per_page=50",
        None,
    )
    .await;
    assert_eq!(valid["total"], PHONES, "{valid}");
    for name in &twenty {
        let (_, contact) = call(
            &client,
            &base,
            "GET",
            &format!("/api/v1/phones/{name}/contact"),
            None,
        )
        .await;
        assert!(
            contact["registration"]
                .as_str()
                .unwrap()
                .starts_with("TLS with LSC serial "),
            "{contact}"
        );
    }

    // The twenty-first, By Authentication String: its user types the string.
    let typed = phone_name(PHONES + 1);
    let line = reset(&client, &base, &typed, &sim, 1).await.remove(0);
    assert!(line.contains("capf ended 1"), "{line}");
    let (_, one) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{typed}"),
        None,
    )
    .await;
    assert_eq!(
        one["certificate_operation_status"],
        "Install/Upgrade success"
    );
    assert_eq!(one["lsc"]["issuer"], "CAPF");
    let serial = one["lsc"]["serial"].as_str().unwrap().to_owned();
    let (_, contact) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{typed}/contact"),
        None,
    )
    .await;
    assert_eq!(
        contact["registration"],
        format!("TLS with LSC serial {serial}"),
        "{contact}"
    );
    assert_eq!(contact["transport"], "tls");

    // The simulated maker's CA, written for the admin to upload, is uploaded; the first phone's
    // LSC is deleted, and it registers with its MIC (R14).
    let maker = std::fs::read_to_string(dir.path().join("phone-sim-maker-ca.pem")).unwrap();
    assert!(maker.starts_with("-----BEGIN CERTIFICATE-----"));
    let (status, body) = call(
        &client,
        &base,
        "POST",
        "/api/v1/manufacturer-cas",
        Some(json!({ "pem": maker })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = phone_name(1);
    let (_, phone) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{first}"),
        None,
    )
    .await;
    let mut fields = phone["fields"].clone();
    fields["certificate_operation"] = json!("Delete");
    fields["version"] = phone["version"].clone();
    let (status, body) = call(
        &client,
        &base,
        "PUT",
        &format!("/api/v1/phones/{first}"),
        Some(fields),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_files(&client, &base).await;
    let line = reset(&client, &base, &first, &sim, 1).await.remove(0);
    assert!(line.contains("capf ended 1 , holds no LSC"), "{line}");
    assert!(
        line.contains("; sip tls with MIC: 200 TLS with MIC serial "),
        "{line}"
    );
    let (_, contact) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{first}/contact"),
        None,
    )
    .await;
    assert!(
        contact["registration"]
            .as_str()
            .unwrap()
            .starts_with("TLS with MIC serial"),
        "{contact}"
    );

    // A phone that never took the CTL: it cannot open TLS (R13); its UDP REGISTER is refused
    // and its contact says why.
    let last = phone_name(PHONES + 2);
    let lone = PhoneSim::start_with(
        dir.path(),
        &server,
        1,
        &[
            "--first-mac",
            &last[3..],
            "--without-ctl",
            "--sip",
            &sip_udp,
            "--sip-tls",
            &sip_tls,
        ],
    );
    let line = reset(&client, &base, &last, &lone, 1).await.remove(0);
    assert!(line.contains("running Encrypted"), "{line}");
    assert!(
        line.contains("; sip udp: 403 registered over UDP"),
        "{line}"
    );
    let (_, contact) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{last}/contact"),
        None,
    )
    .await;
    assert!(
        contact["refusal"]
            .as_str()
            .unwrap()
            .contains("registers over TLS (R13)"),
        "{contact}"
    );
    drop(lone);
    drop(sim);
    server.kill();
}
