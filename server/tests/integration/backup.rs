//! Disaster recovery with the real `ccmadmin` binary, on SQLite and PostgreSQL and across them:
//! a backup of a Mixed cluster restored on a new data folder brings back every row, key and
//! file (the TFTP files byte for byte: the phones accept them unchanged); a data-only restore
//! records R16's actions; a wrong passphrase, a flipped byte or a cut archive changes nothing;
//! `age -d` opens an archive; a restore killed at any moment leaves a store that serves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use axum::http::StatusCode;
use serde_json::json;

use app::domain::services::Service;
use app::store::dump;
use app::tftp::TftpDirs;

use crate::support::{backends, json_body, Backend, InProcess, TestDb};

const PW: &str = "a long enough password";
const PASSPHRASE: &str = "correct horse battery staple";

/// A Mixed cluster of `phones` demo phones in a data folder, its files built and signed.
async fn mixed_cluster(db: &TestDb, dir: &Path, phones: u64) {
    crate::support::mixed_cluster(db, dir, phones, PW, &["SAST1", "SAST2"]).await;
}

/// A Mixed cluster of `phones` phones on a new `backend` store and data folder, and its backup
/// by `ccmadmin backup`: the store, its folder, a work folder, the passphrase file, the archive,
/// and what the command said.
async fn backed_up(
    backend: Backend,
    phones: u64,
) -> (
    TestDb,
    tempfile::TempDir,
    tempfile::TempDir,
    PathBuf,
    PathBuf,
    String,
) {
    let source = TestDb::new(backend).await;
    let source_dir = tempfile::tempdir().unwrap();
    mixed_cluster(&source, source_dir.path(), phones).await;
    let work = tempfile::tempdir().unwrap();
    let pass = passphrase_file(work.path(), PASSPHRASE);
    let archive = work.path().join("cluster.age");
    let said = ok(&ccmadmin(
        source_dir.path(),
        &source.url,
        &[
            "backup",
            "--out",
            archive.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    ));
    (source, source_dir, work, pass, archive, said)
}

/// `ccmadmin ARGS` on the store `url` and the data folder `dir`.
fn ccmadmin(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
        .args(args)
        .env("CCMADMIN_DATA_DIR", dir)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every plain file of `dir/folder`, by name.
fn files(dir: &Path, folder: &str) -> BTreeMap<String, Vec<u8>> {
    let Ok(listing) = std::fs::read_dir(dir.join(folder)) else {
        return BTreeMap::new();
    };
    listing
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect()
}

/// `value` with every timestamp cut to microseconds: PostgreSQL keeps no finer time, so a
/// SQLite store's nanoseconds do not survive a move to it.
fn to_micros(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Value::String(
                at.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            Err(_) => Value::String(text),
        },
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, to_micros(v))).collect())
        }
        other => other,
    }
}

/// Every table's rows, parsed (so that both engines compare by value).
async fn rows(db: &sea_orm::DatabaseConnection) -> BTreeMap<String, Vec<serde_json::Value>> {
    dump::dump(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            let rows = t
                .rows
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| to_micros(serde_json::from_slice(l).unwrap()))
                .collect();
            (t.table, rows)
        })
        .collect()
}

/// A new connection to the store at `url`: a restore replaced the file (SQLite) or the schema
/// (PostgreSQL) that the test's first connection holds.
async fn reopened(url: &str) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(url).await.unwrap()
}

fn passphrase_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join(format!("pass-{}", text.len()));
    std::fs::write(&path, format!("{text}\n")).unwrap();
    path
}

fn pairs() -> Vec<(Backend, Backend)> {
    let all = backends();
    let mut out = Vec::new();
    for from in &all {
        for to in &all {
            out.push((*from, *to));
        }
    }
    out
}

#[tokio::test]
async fn r16_a_full_restore_on_a_new_data_dir_brings_back_every_row_key_and_signed_file() {
    for (from, to) in pairs() {
        let (source, source_dir, _work, pass, archive, said) = backed_up(from, 30).await;
        let pass_arg = pass.to_str().unwrap();
        assert!(said.starts_with("backup written to"), "{said}");
        let said = ok(&ccmadmin(
            source_dir.path(),
            &source.url,
            &[
                "backup",
                "verify",
                archive.to_str().unwrap(),
                "--passphrase-file",
                pass_arg,
            ],
        ));
        assert!(said.contains(": whole"), "{said}");
        let before = rows(&source.db).await;

        // A new machine: an empty data folder and an empty store.
        let target = TestDb::new(to).await;
        let target_dir = tempfile::tempdir().unwrap();
        let said = ok(&ccmadmin(
            target_dir.path(),
            &target.url,
            &[
                "restore",
                archive.to_str().unwrap(),
                "--passphrase-file",
                pass_arg,
            ],
        ));
        assert!(
            said.starts_with("restored the backup"),
            "{from:?} → {to:?}: {said}"
        );
        let restored_db = reopened(&target.url).await;
        let after = rows(&restored_db).await;
        for (table, source_rows) in &before {
            let restored = &after[table];
            if table == "audit_log" {
                // The source recorded the backup after its snapshot; the target the restore.
                let (kept, backup) = source_rows.split_at(source_rows.len() - 1);
                assert_eq!(backup[0]["action"], "backup");
                let (restored, restore) = restored.split_at(restored.len() - 1);
                assert_eq!(restore[0]["action"], "restore");
                assert_eq!(kept, restored, "{from:?} → {to:?}: audit_log");
            } else {
                assert_eq!(source_rows, restored, "{from:?} → {to:?}: {table}");
            }
        }
        assert_eq!(
            files(source_dir.path(), "keys"),
            files(target_dir.path(), "keys")
        );
        let tftp = files(source_dir.path(), "tftp");
        assert!(tftp.keys().any(|n| n.ends_with(".cnf.xml.sgn")));
        assert!(tftp.contains_key(app::tftp::CTL_FILE));
        assert_eq!(tftp, files(target_dir.path(), "tftp"), "{from:?} → {to:?}");
        // The restored console builds its files and finds every one current: byte for byte
        // what the phones had, signed by the key their CTL lists.
        let said = ok(&ccmadmin(target_dir.path(), &target.url, &["build-files"]));
        assert!(said.contains(": 0 written, 0 signed, 0 removed"), "{said}");
        assert_eq!(tftp, files(target_dir.path(), "tftp"));
        // Every user logs in with the password they had.
        let console = InProcess::new(restored_db.clone());
        let cookie = console.login("admin", PW, None).await;
        assert!(!cookie.is_empty());
        source.finish().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn r16_a_data_only_restore_keeps_this_nodes_keys_and_records_the_ctl_update_restarts_and_resets(
) {
    for backend in backends() {
        let (source, source_dir, _work, pass, archive, _) = backed_up(backend, 10).await;
        let pass_arg = pass.to_str().unwrap();
        let archive_arg = archive.to_str().unwrap();
        // A node with keys of its own.
        let target = TestDb::new(backend).await;
        let target_dir = tempfile::tempdir().unwrap();
        mixed_cluster(&target, target_dir.path(), 2).await;
        let own_keys = files(target_dir.path(), "keys");
        let own_certificates = rows(&target.db).await["certificates"].clone();
        let said = ok(&ccmadmin(
            target_dir.path(),
            &target.url,
            &[
                "restore",
                archive_arg,
                "--data-only",
                "--passphrase-file",
                pass_arg,
            ],
        ));
        for action in [
            "Update the CTL file",
            "Restart Cisco TFTP",
            "Restart Cisco CallManager",
            "Reset all devices",
        ] {
            assert!(said.contains(action), "{action}: {said}");
        }
        // The node keeps its own identities; the cluster's tokens, the ones the phones' CTL
        // lists, come from the archive with their keys.
        let keys_after = files(target_dir.path(), "keys");
        let source_keys = files(source_dir.path(), "keys");
        for (name, bytes) in &own_keys {
            if name.starts_with("sast-") {
                assert!(!keys_after.contains_key(name), "{name} replaced");
            } else {
                assert_eq!(keys_after.get(name), Some(bytes), "{name} kept");
            }
        }
        for token in ["sast-SAST1.key", "sast-SAST2.key"] {
            assert_eq!(
                keys_after.get(&format!("{token}.restored")),
                source_keys.get(token),
                "{token} restored"
            );
        }
        let restored_db = reopened(&target.url).await;
        let restored = rows(&restored_db).await;
        let sources = rows(&source.db).await;
        let (own_tokens, own_identities): (Vec<_>, Vec<_>) =
            own_certificates.iter().partition(|c| c["role"] == "sast");
        let (tokens, identities): (Vec<_>, Vec<_>) = restored["certificates"]
            .iter()
            .partition(|c| c["role"] == "sast");
        assert_eq!(identities, own_identities);
        assert_eq!(tokens.len(), own_tokens.len());
        for token in &tokens {
            let theirs = sources["certificates"]
                .iter()
                .find(|c| c["role"] == "sast" && c["name"] == token["name"])
                .unwrap();
            assert_eq!(token["der"], theirs["der"], "{}", token["name"]);
        }
        // The phones' CTL is the node's current one until the update.
        assert_eq!(
            files(target_dir.path(), "tftp").get(app::tftp::CTL_FILE),
            files(source_dir.path(), "tftp").get(app::tftp::CTL_FILE)
        );
        assert_eq!(restored["devices"], rows(&source.db).await["devices"]);
        // Pending in the restored store (the archive's own pending actions may hold some).
        let pending: Vec<(String, String)> = app::store::actions::pending(&restored_db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.kind, a.target))
            .collect();
        for kind in ["update_ctl", "reset_all_devices"] {
            assert!(
                pending.iter().any(|(k, _)| k == kind),
                "{kind}: {pending:?}"
            );
        }
        for service in [Service::Tftp, Service::CallManager] {
            assert!(
                pending
                    .iter()
                    .any(|(k, t)| k == "restart_service" && *t == service.key()),
                "{service:?}: {pending:?}"
            );
        }

        // R16 on Security > CTL: only an update in the current mode, signed by a known token.
        let console = InProcess::new(restored_db.clone()).in_dir(target_dir.path());
        let cookie = console.login("admin", PW, None).await;
        let status = json_body(
            console
                .send("GET", "/api/v1/ctl", Some(&cookie), None)
                .await,
        )
        .await;
        assert_eq!(status["restore_update_pending"], true, "{status}");
        let res = console
            .send(
                "POST",
                "/api/v1/ctl",
                Some(&cookie),
                Some(json!({"mode": "NonSecure", "tokens": ["SAST1", "SAST2"]})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refused = json_body(res).await;
        assert!(
            refused.to_string().contains("Cluster Security Mode")
                && refused.to_string().contains("R16"),
            "{refused}"
        );
        let res = console
            .send(
                "POST",
                "/api/v1/ctl",
                Some(&cookie),
                Some(json!({"mode": "Mixed", "tokens": ["SAST2", "SAST1"]})),
            )
            .await;
        let updated = json_body(res).await;
        assert_eq!(
            updated["status"]["restore_update_pending"], false,
            "{updated}"
        );
        assert!(
            updated["status"]["signer"]
                .as_str()
                .unwrap()
                .starts_with("CN=SAST2,"),
            "{updated}"
        );
        source.finish().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn a_wrong_passphrase_a_flipped_byte_or_a_cut_archive_is_refused_and_changes_nothing() {
    for backend in backends() {
        let (source, source_dir, work, pass, archive, _) = backed_up(backend, 5).await;
        let bytes = std::fs::read(&archive).unwrap();
        let mut flipped = bytes.clone();
        let at = flipped.len() * 2 / 3;
        flipped[at] ^= 0x20;
        let flipped_path = work.path().join("flipped.age");
        std::fs::write(&flipped_path, &flipped).unwrap();
        let cut_path = work.path().join("cut.age");
        std::fs::write(&cut_path, &bytes[..bytes.len() - 700]).unwrap();
        let wrong = passphrase_file(work.path(), "a wrong passphrase, long");

        // The console being restored over has a store and files of its own.
        let target = TestDb::new(backend).await;
        let target_dir = tempfile::tempdir().unwrap();
        mixed_cluster(&target, target_dir.path(), 3).await;
        let rows_before = rows(&target.db).await;
        let tftp_before = files(target_dir.path(), "tftp");
        let keys_before = files(target_dir.path(), "keys");
        for (file, pass, expected) in [
            (&archive, &wrong, "the passphrase does not open this backup"),
            (&flipped_path, &pass, "the backup is damaged"),
            (&cut_path, &pass, "the backup is damaged"),
        ] {
            let said = refused(&ccmadmin(
                target_dir.path(),
                &target.url,
                &[
                    "restore",
                    file.to_str().unwrap(),
                    "--passphrase-file",
                    pass.to_str().unwrap(),
                ],
            ));
            assert!(said.contains(expected), "{file:?}: {said}");
            assert!(said.contains("nothing was changed"), "{said}");
            let verified = refused(&ccmadmin(
                target_dir.path(),
                &target.url,
                &[
                    "backup",
                    "verify",
                    file.to_str().unwrap(),
                    "--passphrase-file",
                    pass.to_str().unwrap(),
                ],
            ));
            assert!(verified.contains(expected), "{verified}");
        }
        assert_eq!(rows(&reopened(&target.url).await).await, rows_before);
        assert_eq!(files(target_dir.path(), "tftp"), tftp_before);
        assert_eq!(files(target_dir.path(), "keys"), keys_before);
        assert!(!target_dir.path().join("restore").exists());
        // A passphrase too short for a new backup is refused, naming the field.
        let short = passphrase_file(work.path(), "short");
        let said = refused(&ccmadmin(
            source_dir.path(),
            &source.url,
            &[
                "backup",
                "--out",
                work.path().join("x.age").to_str().unwrap(),
                "--passphrase-file",
                short.to_str().unwrap(),
            ],
        ));
        assert!(
            said.contains("passphrase: must be at least 12 characters"),
            "{said}"
        );
        assert!(!work.path().join("x.age").exists());
        source.finish().await;
        target.finish().await;
    }
}

/// Debian's `age` asks the passphrase at a terminal: `script` gives it one.
#[tokio::test]
async fn age_d_with_the_passphrase_yields_the_manifest() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    mixed_cluster(&db, dir.path(), 2).await;
    let work = tempfile::tempdir().unwrap();
    let pass = passphrase_file(work.path(), PASSPHRASE);
    let archive = work.path().join("cluster.age");
    ok(&ccmadmin(
        dir.path(),
        &db.url,
        &[
            "backup",
            "--out",
            archive.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    ));
    let tar = work.path().join("cluster.tar");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("age -d -o {} {}", tar.display(), archive.display()),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("script and age (Debian's packages util-linux and age) are installed");
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        format!("{PASSPHRASE}\n").as_bytes(),
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
    let listed = Command::new("tar")
        .arg("-xOf")
        .arg(&tar)
        .arg("manifest.json")
        .output()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(manifest["format"], 1);
    assert_eq!(manifest["backend"], "sqlite");
    assert!(manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "store/devices.jsonl" && e["sha256"].as_str().unwrap().len() == 64));
    db.finish().await;
}

/// A restore that crashes at each of its steps — the new store built, the staging marked
/// complete, the store switched, the first folder switched — leaves the old store (before the
/// mark) or, once the next command has finished the switch, the new one: every table and folder
/// from one side, never a mix.
#[tokio::test]
async fn a_restore_crashing_at_each_step_is_finished_or_undone_by_the_next_start() {
    for backend in backends() {
        let (source, source_dir, _work, pass, archive, _) = backed_up(backend, 12).await;
        let pass_arg = pass.to_str().unwrap();
        let archive_arg = archive.to_str().unwrap();
        let new_rows = rows(&source.db).await["devices"].clone();
        let new_files: Vec<_> = ["keys", "tftp"].map(|f| files(source_dir.path(), f)).into();
        for (point, finished) in [
            ("staged-store", false),
            ("ready", true),
            ("store-switched", true),
            ("folder-switched", true),
        ] {
            let target = TestDb::new(backend).await;
            let target_dir = tempfile::tempdir().unwrap();
            mixed_cluster(&target, target_dir.path(), 3).await;
            ok(&ccmadmin(target_dir.path(), &target.url, &["migrate"]));
            let old_rows = rows(&target.db).await["devices"].clone();
            let old_files: Vec<_> = ["keys", "tftp"].map(|f| files(target_dir.path(), f)).into();
            let out = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
                .args(["restore", archive_arg, "--passphrase-file", pass_arg])
                .env("CCMADMIN_DATA_DIR", target_dir.path())
                .env("DATABASE_URL", &target.url)
                .env("RUST_LOG", "warn")
                .env("CCMADMIN_TEST_CRASH_AT", point)
                .output()
                .unwrap();
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                out.status.signal(),
                Some(6),
                "{point}: the restore did not crash there"
            );
            ok(&ccmadmin(target_dir.path(), &target.url, &["migrate"]));
            let db = reopened(&target.url).await;
            let devices = rows(&db).await["devices"].clone();
            db.close().await.unwrap();
            let now_files: Vec<_> = ["keys", "tftp"].map(|f| files(target_dir.path(), f)).into();
            if finished {
                assert_eq!(devices, new_rows, "{backend:?} {point}: store");
                assert_eq!(now_files, new_files, "{backend:?} {point}: folders");
            } else {
                assert_eq!(devices, old_rows, "{backend:?} {point}: store");
                assert_eq!(now_files, old_files, "{backend:?} {point}: folders");
            }
            assert!(!target_dir.path().join("restore").exists(), "{point}");
            target.finish().await;
        }
        source.finish().await;
    }
}

/// A restore killed (`kill -9`) at moments spread over its run — while it decrypts, builds the
/// new store, stages the folders or switches — leaves the old store or the new one, whole:
/// the next command finishes a complete staging or discards an incomplete one.
#[tokio::test]
async fn a_restore_killed_at_any_moment_leaves_the_old_store_or_the_new_one_whole() {
    for backend in backends() {
        let (source, source_dir, _work, pass, archive, _) = backed_up(backend, 400).await;
        let pass_arg = pass.to_str().unwrap();
        let archive_arg = archive.to_str().unwrap();
        let new_devices = rows(&source.db).await["devices"].clone();
        let new_keys = files(source_dir.path(), "keys");

        let target = TestDb::new(backend).await;
        let target_dir = tempfile::tempdir().unwrap();
        mixed_cluster(&target, target_dir.path(), 3).await;
        // Opened once by the binary, as a console that has served (its registration key made).
        ok(&ccmadmin(target_dir.path(), &target.url, &["migrate"]));
        let old_devices = rows(&target.db).await["devices"].clone();
        let old_keys = files(target_dir.path(), "keys");
        let mut outcomes = Vec::new();
        for delay in [200, 900, 1200, 1500, 1800, 2200, 3000] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
                .args(["restore", archive_arg, "--passphrase-file", pass_arg])
                .env("CCMADMIN_DATA_DIR", target_dir.path())
                .env("DATABASE_URL", &target.url)
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay));
            let _ = child.kill();
            let status = child.wait().unwrap();
            // The next command that opens the store finishes or discards what was left.
            ok(&ccmadmin(target_dir.path(), &target.url, &["migrate"]));
            let db = reopened(&target.url).await;
            let devices = rows(&db).await["devices"].clone();
            db.close().await.unwrap();
            let keys = files(target_dir.path(), "keys");
            let new = devices == new_devices;
            assert!(
                new || devices == old_devices,
                "{backend:?} at {delay} ms: a mix"
            );
            assert_eq!(
                keys,
                *if new { &new_keys } else { &old_keys },
                "{backend:?} at {delay} ms"
            );
            assert!(!target_dir.path().join("restore").exists());
            outcomes.push((delay, status.success(), new));
        }
        eprintln!("{backend:?}: (kill after ms, finished, new store) {outcomes:?}");
        source.finish().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn a_backup_is_taken_while_the_console_serves_and_a_restore_under_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::support::RunningServer::start(dir.path(), &[]);
    let url = format!(
        "sqlite:{}?mode=rwc",
        dir.path().join("ccmadmin.db").display()
    );
    let work = tempfile::tempdir().unwrap();
    let pass = passphrase_file(work.path(), PASSPHRASE);
    let archive = work.path().join("live.age");
    let said = ok(&ccmadmin(
        dir.path(),
        &url,
        &[
            "backup",
            "--out",
            archive.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    ));
    assert!(said.starts_with("backup written"), "{said}");
    let said = refused(&ccmadmin(
        dir.path(),
        &url,
        &[
            "restore",
            archive.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    ));
    assert!(
        said.contains("another ccmadmin holds the data dir"),
        "{said}"
    );
    assert!(!dir.path().join("restore").exists());
    server.kill();
}

#[tokio::test]
async fn backup_now_over_the_api_is_listed_checked_and_downloaded() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        mixed_cluster(&db, dir.path(), 4).await;
        let console = InProcess::new(db.db.clone()).in_dir(dir.path());
        let cookie = console.login("admin", PW, None).await;
        let send = |method: &'static str, path: String, body: Option<serde_json::Value>| {
            let (console, cookie) = (&console, &cookie);
            async move { console.send(method, &path, Some(cookie), body).await }
        };
        // Bad input first: a short passphrase, named.
        let res = send(
            "POST",
            "/api/v1/backups".into(),
            Some(json!({"passphrase": "short"})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(json_body(res).await.to_string().contains("Passphrase"));
        let res = send(
            "POST",
            "/api/v1/backups".into(),
            Some(json!({"passphrase": PASSPHRASE})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let taken = json_body(res).await;
        let name = taken["name"].as_str().unwrap().to_owned();
        assert!(taken["rows"].as_u64().unwrap() > 0 && taken["files"].as_u64().unwrap() > 0);
        let listed = json_body(send("GET", "/api/v1/backups".into(), None).await).await;
        assert_eq!(listed["backups"][0]["name"], name.as_str(), "{listed}");
        assert_eq!(listed["backups"][0]["taken_by"], "admin");

        let check = |pass: &'static str| {
            send(
                "POST",
                format!("/api/v1/backups/{name}/check"),
                Some(json!({ "passphrase": pass })),
            )
        };
        let res = check(PASSPHRASE).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(json_body(res).await["entries"].as_u64().unwrap() > 20);
        let res = check("not the passphrase").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let said = json_body(res).await.to_string();
        assert!(said.contains("does not open this backup"), "{said}");

        let res = send("GET", format!("/api/v1/backups/{name}"), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&name));
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            body.as_ref(),
            std::fs::read(dir.path().join("backups").join(&name)).unwrap()
        );
        // Only this node's backup names: no way out of the folder.
        for bad in ["..%2Fccmadmin.db", "ccmadmin.db", "ccmadmin-x.age.json"] {
            let res = send("GET", format!("/api/v1/backups/{bad}"), None).await;
            assert!(
                res.status() == StatusCode::UNPROCESSABLE_ENTITY
                    || res.status() == StatusCode::NOT_FOUND,
                "{bad}: {}",
                res.status()
            );
        }
        let audit = rows(&db.db).await["audit_log"].clone();
        assert!(audit
            .iter()
            .any(|r| r["action"] == "backup" && r["actor"] == "admin"));
        assert!(
            audit.iter().all(|r| !r.to_string().contains(PASSPHRASE)),
            "the passphrase is never logged"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn scheduled_backups_are_taken_once_per_slot_by_the_node_holding_the_key_and_pruned() {
    use app::service::authz::Internal;
    use app::service::backups::run_due;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        mixed_cluster(&db, dir.path(), 3).await;
        let console = InProcess::new(db.db.clone()).in_dir(dir.path());
        let cookie = console.login("admin", PW, None).await;
        let page = json_body(
            console
                .send("GET", "/api/v1/backups", Some(&cookie), None)
                .await,
        )
        .await;
        let version = page["schedule"]["version"].as_i64().unwrap();
        let change = |time: &str, passphrase: Option<&str>| {
            json!({"enabled": true, "frequency": "daily", "weekday": 1, "time": time, "keep": 2,
                   "passphrase": passphrase, "version": version})
        };
        // Refused by field: a time that is none, and switching on without a passphrase.
        for (body, field) in [
            (change("25:00", Some(PASSPHRASE)), "Time"),
            (change("09:00", None), "Passphrase"),
        ] {
            let res = console
                .send("PUT", "/api/v1/backup-schedule", Some(&cookie), Some(body))
                .await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(json_body(res).await.to_string().contains(field), "{field}");
        }
        // Set for the current minute (the clock reads 09:00:00 UTC).
        let res = console
            .send(
                "PUT",
                "/api/v1/backup-schedule",
                Some(&cookie),
                Some(change("09:00", Some(PASSPHRASE))),
            )
            .await;
        let saved = json_body(res).await;
        assert_eq!(saved["sealed_here"], true, "{saved}");
        assert_eq!(saved["next_run_at"], "2026-11-26T09:00:00Z", "{saved}");
        let row = app::store::backup_schedule::row(&db.db, crate::support::t0())
            .await
            .unwrap();
        let sealed = row.sealed_passphrase.unwrap();
        assert!(!sealed
            .windows(PASSPHRASE.len())
            .any(|w| w == PASSPHRASE.as_bytes()));

        // Two workers of this node at once: exactly one takes the slot.
        let internal = Internal::at_start("test");
        let other = console.state.clone();
        let (a, b) = tokio::join!(
            run_due(&console.state, &internal),
            run_due(&other, &internal)
        );
        let taken: Vec<String> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(taken.len(), 1, "{taken:?}");
        assert!(taken[0].starts_with("ccmadmin-scheduled-"));
        assert_eq!(run_due(&console.state, &internal).await.unwrap(), None);

        // A node with a key of its own never opens the passphrase: it leaves the slot alone.
        let elsewhere = tempfile::tempdir().unwrap();
        let dirs = TftpDirs::under(elsewhere.path());
        dirs.create().unwrap();
        app::backup::sealed::ensure_recipient(&dirs.keys).unwrap();
        let node_b = console
            .state
            .clone()
            .with_files(dirs)
            .with_data_dir(elsewhere.path());
        console.clock.advance(chrono::Duration::days(1));
        assert_eq!(run_due(&node_b, &internal).await.unwrap(), None);
        assert!(run_due(&console.state, &internal).await.unwrap().is_some());

        // A backup taken by hand stays; the schedule keeps its last two. (A day later: a new
        // login.)
        let cookie = console.login("admin", PW, None).await;
        let res = console
            .send(
                "POST",
                "/api/v1/backups",
                Some(&cookie),
                Some(json!({ "passphrase": PASSPHRASE })),
            )
            .await;
        let manual = json_body(res).await;
        let manual = manual["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{manual}"))
            .to_owned();
        console.clock.advance(chrono::Duration::days(1));
        assert!(run_due(&console.state, &internal).await.unwrap().is_some());
        let cookie = console.login("admin", PW, None).await;
        let listed = json_body(
            console
                .send("GET", "/api/v1/backups", Some(&cookie), None)
                .await,
        )
        .await;
        let names: Vec<&str> = listed["backups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names
                .iter()
                .filter(|n| n.starts_with("ccmadmin-scheduled-"))
                .count(),
            2,
            "{names:?}"
        );
        assert!(names.contains(&manual.as_str()), "{names:?}");

        // The kept passphrase cannot be opened any more: the slot fails, the dashboard says why.
        std::fs::remove_file(dir.path().join("keys").join(app::backup::sealed::KEY_FILE)).unwrap();
        console.clock.advance(chrono::Duration::days(1));
        assert_eq!(
            run_due(&console.state, &internal).await.unwrap(),
            None,
            "no node holds the key"
        );
        let dashboard = json_body(
            console
                .send("GET", "/api/v1/dashboard", Some(&cookie), None)
                .await,
        )
        .await;
        assert_eq!(dashboard["backup_failure"], serde_json::Value::Null);
        db.finish().await;
    }
}

/// `archive` rewritten as the release before this schema wrote it: the manifest names the
/// schema before the last migration, and the certificates rows lack the column that migration
/// added (`key_offline_at`), as every row of that release's backups did.
/// What the last migration (`m20261202_000015_capf_enrolment`) added: a table, and columns of two.
const LAST_MIGRATION_TABLES: [&str; 1] = ["manufacturer_cas"];
const LAST_MIGRATION_COLUMNS: [(&str, &[&str]); 2] = [
    (
        "devices",
        &[
            "lsc_serial",
            "lsc_issuer",
            "lsc_sha256",
            "lsc_not_before",
            "lsc_not_after",
            "mic_serial",
            "mic_issuer",
            "mic_sha256",
            "mic_not_after",
            "capf_operation",
            "capf_reason",
            "capf_status_at",
            "capf_attempts",
        ],
    ),
    (
        "device_contacts",
        &["registration", "refusal", "refused_at"],
    ),
];

/// `archive` rewritten as a backup of the schema `schema` would be: the table and the columns
/// the last migration added are left out.
fn as_previous_schema(archive: &Path, pass: &str, out: &Path, schema: &str) {
    use age::secrecy::SecretString;
    use app::backup::archive;
    let contents = archive::read(
        std::fs::File::open(archive).unwrap(),
        SecretString::from(pass.to_owned()),
    )
    .unwrap();
    let mut manifest = contents.manifest.clone();
    manifest.schema = schema.to_owned();
    let entries: Vec<(String, Vec<u8>)> = contents
        .entries
        .iter()
        .filter(|(name, _)| {
            !LAST_MIGRATION_TABLES
                .iter()
                .any(|t| **name == format!("store/{t}.jsonl"))
        })
        .map(|(name, bytes)| {
            let Some((_, columns)) = LAST_MIGRATION_COLUMNS
                .iter()
                .find(|(t, _)| *name == format!("store/{t}.jsonl"))
            else {
                return (name.clone(), bytes.clone());
            };
            let mut out = Vec::new();
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let mut row: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_slice(line).unwrap();
                for column in *columns {
                    assert!(row.remove(*column).is_some(), "{name}: {column}");
                }
                out.extend(serde_json::to_vec(&row).unwrap());
                out.push(b'\n');
            }
            (name.clone(), out)
        })
        .collect();
    archive::write(
        std::fs::File::create(out).unwrap(),
        SecretString::from(pass.to_owned()),
        manifest,
        &entries,
    )
    .unwrap();
}

#[tokio::test]
async fn an_archive_of_the_previous_schema_is_restored_then_migrated_and_a_newer_one_is_refused() {
    use migrations::MigratorTrait;
    let migrations = migrations::Migrator::migrations();
    let previous = migrations[migrations.len() - 2].name().to_owned();
    for backend in backends() {
        let (source, _source_dir, work, pass, archive, _) = backed_up(backend, 5).await;
        let pass_arg = pass.to_str().unwrap();
        let older = work.path().join("older.age");
        as_previous_schema(&archive, PASSPHRASE, &older, &previous);
        let newer = work.path().join("newer.age");
        as_previous_schema(
            &archive,
            PASSPHRASE,
            &newer,
            "m20991231_000099_from_the_future",
        );

        let target = TestDb::new(backend).await;
        let target_dir = tempfile::tempdir().unwrap();
        let said = refused(&ccmadmin(
            target_dir.path(),
            &target.url,
            &[
                "restore",
                newer.to_str().unwrap(),
                "--passphrase-file",
                pass_arg,
            ],
        ));
        assert!(
            said.contains("newer than this console's") && said.contains("nothing was changed"),
            "{said}"
        );
        assert!(files(target_dir.path(), "keys").is_empty());

        let said = ok(&ccmadmin(
            target_dir.path(),
            &target.url,
            &[
                "restore",
                older.to_str().unwrap(),
                "--passphrase-file",
                pass_arg,
            ],
        ));
        assert!(said.starts_with("restored the backup"), "{said}");
        // Every row as it was; the column the last migration added has its value for them.
        let restored_db = reopened(&target.url).await;
        let before = rows(&source.db).await;
        let after = rows(&restored_db).await;
        for (table, source_rows) in &before {
            if table == "audit_log" {
                continue;
            }
            assert_eq!(source_rows, &after[table], "{backend:?}: {table}");
        }
        assert!(after["devices"]
            .iter()
            .all(|d| d["lsc_serial"] == "" && d["capf_status_at"].is_null()));
        assert!(after["manufacturer_cas"].is_empty());
        let applied = migrations::Migrator::get_applied_migrations(&restored_db)
            .await
            .unwrap();
        assert_eq!(applied.len(), migrations.len());
        let console = InProcess::new(restored_db.clone());
        assert!(!console.login("admin", PW, None).await.is_empty());
        source.finish().await;
        target.finish().await;
    }
}
