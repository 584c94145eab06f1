//! Disaster recovery as the phones see it (R16), with the real `ccmadmin` binary and simulated
//! phones (`phone-sim`) that kept the CTL of the lost console: after a full restore on a new
//! data folder they take the rebuilt files with no CTL change; after a data-only restore on a
//! node with keys of its own, R16's actions are pending, the CTL update is signed by a token the
//! phones know, and after the resets they run Encrypted again.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use app::tftp::{ctl, sgn, trust, CTL_FILE};

use crate::resets::{go_mixed, wait_files, wait_job, PhoneSim};
use crate::support::{admin_client, call, demo, RunningServer};

const PW: &str = "a long enough password";
const PASSPHRASE: &str = "correct horse battery staple";
const PHONES: u32 = 5;

fn ccmadmin(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
        .args(args)
        .env("CCMADMIN_DATA_DIR", dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn records(bytes: &[u8]) -> Vec<ctl::DecodedRecord> {
    ctl::decode(&sgn::parse(bytes).unwrap().content).unwrap()
}

/// `PHONES` phones able to encrypt, set Encrypted, named as the simulator names them.
async fn encrypted_phones(client: &reqwest::Client, base: &str) {
    let (_, list) = call(
        client,
        base,
        "GET",
        "/api/v1/phones?model=Cisco%207970&per_page=1",
        None,
    )
    .await;
    let template = list["items"][0]["name"].as_str().unwrap().to_owned();
    let (_, phone) = call(
        client,
        base,
        "GET",
        &format!("/api/v1/phones/{template}"),
        None,
    )
    .await;
    for i in 1..=PHONES {
        let mut fields = phone["fields"].clone();
        fields["name"] = json!(format!("SEP0A00000000{i:02X}"));
        fields["security_mode"] = json!({"Explicit": "Encrypted"});
        let (status, body) = call(client, base, "POST", "/api/v1/phones", Some(fields)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// Resets every device and waits until the simulated phones said what they run.
async fn reset_all(client: &reqwest::Client, base: &str, sim: &PhoneSim) -> Vec<String> {
    wait_files(client, base).await;
    let (status, job) = call(
        client,
        base,
        "POST",
        "/api/v1/phones/reset",
        Some(json!({"filter": {}, "type": "reset", "rate": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(
        client,
        base,
        job["id"].as_i64().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(job["counts"]["acknowledged"], PHONES, "{job}");
    sim.lines(PHONES as usize, Duration::from_secs(60))
}

fn all_encrypted(lines: &[String]) {
    for line in lines {
        assert!(
            line.contains(".cnf.xml.sgn signature valid, running Encrypted"),
            "{line}"
        );
    }
}

#[tokio::test]
async fn r16_phones_keep_their_ctl_through_a_full_restore_and_take_the_update_after_a_data_only_one(
) {
    // The console that will be lost: Mixed, five Encrypted phones, backed up while it serves.
    let lost = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    demo(lost.path(), 4);
    let pass = work.path().join("pass");
    std::fs::write(&pass, PASSPHRASE).unwrap();
    let archive = work.path().join("cluster.age");
    let held = work.path().join("held-CTLFile.tlv");
    {
        let server = RunningServer::start(lost.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
        let client = admin_client(lost.path(), &server.base_url, PW).await;
        go_mixed(&client, &server.base_url).await;
        encrypted_phones(&client, &server.base_url).await;
        wait_files(&client, &server.base_url).await;
        std::fs::copy(lost.path().join("tftp").join(CTL_FILE), &held).unwrap();
        ccmadmin(
            lost.path(),
            &[
                "backup",
                "--out",
                archive.to_str().unwrap(),
                "--passphrase-file",
                pass.to_str().unwrap(),
            ],
        );
        server.kill();
    }
    let held_bytes = std::fs::read(&held).unwrap();
    let held_records = records(&held_bytes);
    let held_arg = ["--held-ctl", held.to_str().unwrap()];

    // A full restore on a new data folder: the same CTL, files the phones accept unchanged.
    let replaced = tempfile::tempdir().unwrap();
    ccmadmin(
        replaced.path(),
        &[
            "restore",
            archive.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    );
    {
        let server = RunningServer::start(replaced.path(), &[]);
        let client = admin_client(replaced.path(), &server.base_url, PW).await;
        let sim = PhoneSim::start_with(replaced.path(), &server, PHONES, &held_arg);
        all_encrypted(&reset_all(&client, &server.base_url, &sim).await);
        assert_eq!(
            std::fs::read(replaced.path().join("tftp").join(CTL_FILE)).unwrap(),
            held_bytes,
            "no CTL change"
        );
        server.kill();
    }

    // A node with keys of its own (its own cluster, Mixed), restored data-only.
    let node = tempfile::tempdir().unwrap();
    demo(node.path(), 2);
    {
        let server = RunningServer::start(node.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
        let client = admin_client(node.path(), &server.base_url, PW).await;
        go_mixed(&client, &server.base_url).await;
        server.kill();
    }
    let own_tftp_key = std::fs::read(node.path().join("keys").join("tftp-TFTP.key")).unwrap();
    let said = ccmadmin(
        node.path(),
        &[
            "restore",
            archive.to_str().unwrap(),
            "--data-only",
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    );
    assert!(said.contains("Update the CTL file"), "{said}");
    assert_eq!(
        std::fs::read(node.path().join("keys").join("tftp-TFTP.key")).unwrap(),
        own_tftp_key,
        "the node keeps its own TFTP key"
    );
    // The phones' CTL is the node's current one until the update.
    assert_eq!(
        std::fs::read(node.path().join("tftp").join(CTL_FILE)).unwrap(),
        held_bytes
    );
    let server = RunningServer::start(node.path(), &[]);
    let client = admin_client(node.path(), &server.base_url, PW).await;
    let base = server.base_url.clone();
    let (_, status) = call(&client, &base, "GET", "/api/v1/ctl", None).await;
    assert_eq!(status["restore_update_pending"], true, "{status}");
    let (_, pending) = call(&client, &base, "GET", "/api/v1/pending-actions", None).await;
    let pending = pending.to_string();
    for action in ["UpdateCtl", "ResetAllDevices", "RestartService"] {
        assert!(pending.contains(action), "{action}: {pending}");
    }
    // Cisco CTL Provider is activated in the restored data (R18): the update goes through,
    // signed by the cluster's SAST1, which the phones' CTL lists.
    let (status, body) = call(
        &client,
        &base,
        "POST",
        "/api/v1/ctl",
        Some(json!({"mode": "Mixed", "tokens": ["SAST1", "SAST2"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let updated = std::fs::read(node.path().join("tftp").join(CTL_FILE)).unwrap();
    assert_ne!(updated, held_bytes);
    assert!(trust::signed_by_any(
        &sgn::parse(&updated).unwrap(),
        &held_records
    ));
    let (_, status) = call(&client, &base, "GET", "/api/v1/ctl", None).await;
    assert_eq!(status["restore_update_pending"], false, "{status}");
    let sim = PhoneSim::start_with(node.path(), &server, PHONES, &held_arg);
    all_encrypted(&reset_all(&client, &base, &sim).await);
    let (_, contact) = call(
        &client,
        &base,
        "GET",
        "/api/v1/phones/SEP0A0000000001/contact",
        None,
    )
    .await;
    assert_eq!(contact["running_mode"], "Encrypted", "{contact:?}");
}
