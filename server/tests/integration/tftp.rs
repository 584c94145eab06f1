//! The TFTP side: the CTL operation (R18, R2), the files the store drives (R8, R9, R12), signed
//! files and CTL files checked by `ccmadmin verify` and by OpenSSL's command line, the TFTP server
//! over UDP on loopback, and a crash in the middle of a rebuild.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::net::UdpSocket;

use app::service::AppState;
use app::store::entities::{certificates, device_pools, devices, srst_references};
use app::tftp::{sgn, TftpDirs};
use server::pipeline;

use crate::support::{
    backends, client_trusting, demo, json_body, InProcess, RunningServer, TestDb,
};
use crate::system::tls_gateway;

const PW: &str = "a long enough password";

struct Console {
    console: InProcess,
    cookie: String,
    _dir: tempfile::TempDir,
    dirs: TftpDirs,
}

impl Console {
    async fn new(db: &TestDb, phones: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let dirs = TftpDirs::under(dir.path());
        let (console, cookie) =
            crate::support::demo_console(db, phones, PW, Some(dir.path())).await;
        Self {
            console,
            cookie,
            _dir: dir,
            dirs,
        }
    }

    fn state(&self) -> &AppState {
        &self.console.state
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let res = self
            .console
            .send(method, path, Some(&self.cookie), body)
            .await;
        let status = res.status();
        (status, json_body(res).await)
    }

    async fn activate_ctl_providers(&self) {
        let (_, servers) = self.call("GET", "/api/v1/servers", None).await;
        for s in servers.as_array().unwrap() {
            let name = s["fields"]["name"].as_str().unwrap();
            let (status, _) = self
                .call(
                    "PUT",
                    &format!("/api/v1/servers/{name}/services/ctl-provider"),
                    Some(json!({"activated": true})),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
    }

    async fn ctl(&self, mode: &str) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/api/v1/ctl",
            Some(json!({"mode": mode, "tokens": ["SAST1", "SAST2"]})),
        )
        .await
    }

    async fn build(&self) -> pipeline::BuildReport {
        let latest = app::store::files::latest_change(&self.state().db)
            .await
            .unwrap();
        pipeline::build(self.state(), latest).await.unwrap()
    }

    fn read(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dirs.files.join(name)).ok()
    }

    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.dirs.files)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn phone_with(
    db: &sea_orm::DatabaseConnection,
    mode: &str,
    model_has_encryption: bool,
) -> devices::Model {
    let models = app::store::cluster::model_rows(db).await.unwrap();
    let ids: Vec<i32> = models
        .iter()
        .filter(|m| m.device_class == "phone" && m.supports_encryption == model_has_encryption)
        .map(|m| m.id)
        .collect();
    devices::Entity::find()
        .filter(devices::Column::SecurityMode.eq(mode))
        .filter(devices::Column::ModelId.is_in(ids))
        .filter(devices::Column::Name.starts_with("SEP"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn ctl_is_refused_without_ctl_provider_r18_and_with_auto_registration_r2() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let c = Console::new(&db, 20).await;
        let (status, answer) = c.ctl("Mixed").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], "Cisco CTL Provider");
        assert!(
            answer["error"].as_str().unwrap().contains("R18"),
            "{answer}"
        );
        c.activate_ctl_providers().await;

        let (_, server) = c.call("GET", "/api/v1/servers/CM-SUB1", None).await;
        let mut body = server["fields"].clone();
        body["auto_registration"] = json!(true);
        body["version"] = server["version"].clone();
        let (status, saved) = c
            .call("PUT", "/api/v1/servers/CM-SUB1", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let (status, answer) = c.ctl("Mixed").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer["error"].as_str().unwrap().contains("R2"), "{answer}");
        body["auto_registration"] = json!(false);
        body["version"] = saved["server"]["version"].clone();
        let (status, _) = c.call("PUT", "/api/v1/servers/CM-SUB1", Some(body)).await;
        assert_eq!(status, StatusCode::OK);

        let (status, result) = c.ctl("Mixed").await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["status"]["mode"], "Mixed");
        let actions: Vec<&str> = result["required_actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            actions.iter().any(|a| a.contains("Reset all devices")),
            "{actions:?}"
        );
        assert!(
            actions.iter().any(|a| a.contains("Restart Cisco TFTP")),
            "{actions:?}"
        );
        assert!(
            actions
                .iter()
                .any(|a| a.contains("Restart Cisco CallManager")),
            "{actions:?}"
        );
        // Tokens, one record per server, TFTP and CAPF.
        let (_, servers) = c.call("GET", "/api/v1/servers", None).await;
        let records = result["status"]["records"].as_array().unwrap();
        assert_eq!(
            records
                .iter()
                .filter(|r| r["role"] == "CallManager")
                .count(),
            servers.as_array().unwrap().len(),
            "{result}"
        );
        assert_eq!(records.iter().filter(|r| r["role"] == "SAST").count(), 2);
        assert_eq!(records.iter().filter(|r| r["role"] == "TFTP").count(), 1);
        assert_eq!(records.iter().filter(|r| r["role"] == "CAPF").count(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn files_follow_the_store_r8_r12() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let c = Console::new(&db, 40).await;
        let encrypted = phone_with(&c.state().db, "encrypted", true).await;
        let file = format!("{}.cnf.xml", encrypted.name);

        // Non-Secure: plain files only, every device Non Secure (R8, R12).
        let report = c.build().await;
        assert!(report.total > 40);
        assert!(
            c.names().iter().all(|n| !n.ends_with(".sgn")),
            "no .sgn in Non-Secure mode"
        );
        for name in c
            .names()
            .iter()
            .filter(|n| n.ends_with(".cnf.xml") && n.starts_with("SEP"))
        {
            let body = text(&c.read(name).unwrap());
            assert!(
                body.contains("<deviceSecurityMode>1</deviceSecurityMode>"),
                "{name}"
            );
        }
        assert!(c.names().contains(&"XMLDefault.cnf.xml".to_owned()));
        assert!(c.names().contains(&"RingList.xml".to_owned()));
        // A second build with nothing changed writes nothing.
        let again = c.build().await;
        assert_eq!((again.written, again.signed), (0, 0));

        c.activate_ctl_providers().await;
        let (status, _) = c.ctl("Mixed").await;
        assert_eq!(status, StatusCode::OK);
        let report = c.build().await;
        assert!(report.signed >= report.total, "{report:?}");
        let body = text(&c.read(&file).unwrap());
        assert!(
            body.contains("<deviceSecurityMode>3</deviceSecurityMode>"),
            "{body}"
        );
        for name in c
            .names()
            .iter()
            .filter(|n| n.ends_with(".cnf.xml") || n.ends_with(".xml") || n.ends_with(".wav"))
        {
            let signed = c
                .read(&format!("{name}.sgn"))
                .unwrap_or_else(|| panic!("{name}.sgn"));
            assert_eq!(sgn::parse(&signed).unwrap().content, c.read(name).unwrap());
        }

        // R12: a changed device is signed again; an unchanged one is not.
        let other = phone_with(&c.state().db, "non_secure", true).await;
        let other_sgn = c.read(&format!("{}.cnf.xml.sgn", other.name)).unwrap();
        let before_sgn = c.read(&format!("{file}.sgn")).unwrap();
        let (_, phone) = c
            .call("GET", &format!("/api/v1/phones/{}", encrypted.name), None)
            .await;
        let mut fields = phone["fields"].clone();
        fields["security_mode"] = json!({"Explicit": "Authenticated"});
        fields["version"] = phone["version"].clone();
        let (status, saved) = c
            .call(
                "PUT",
                &format!("/api/v1/phones/{}", encrypted.name),
                Some(fields),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let report = c.build().await;
        assert_eq!(report.signed, 1, "{report:?}");
        assert_ne!(c.read(&format!("{file}.sgn")).unwrap(), before_sgn);
        assert_eq!(
            c.read(&format!("{}.cnf.xml.sgn", other.name)).unwrap(),
            other_sgn
        );
        assert!(
            text(&c.read(&file).unwrap()).contains("<deviceSecurityMode>2</deviceSecurityMode>")
        );

        // Back to Non-Secure: the signed files go, every file says Non Secure again.
        let (status, _) = c.ctl("NonSecure").await;
        assert_eq!(status, StatusCode::OK);
        c.build().await;
        assert!(c.names().iter().all(|n| !n.ends_with(".sgn")));
        assert!(
            text(&c.read(&file).unwrap()).contains("<deviceSecurityMode>1</deviceSecurityMode>")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn r9_the_srst_certificate_appears_exactly_when_all_four_conditions_hold() {
    let db = TestDb::new(backends()[0]).await;
    let c = Console::new(&db, 60).await;
    let gateway = tls_gateway("srst-r9.example").await;
    let pool = device_pools::Entity::find()
        .filter(device_pools::Column::SrstOption.eq("reference"))
        .one(&c.state().db)
        .await
        .unwrap()
        .unwrap();
    let reference = srst_references::Entity::find_by_id(pool.srst_reference_id.unwrap())
        .one(&c.state().db)
        .await
        .unwrap()
        .unwrap();
    let path = format!("/api/v1/srst-references/{}", reference.name);
    let secure_body = |secure: bool, version: i32| {
        json!({"name": reference.name, "ip_address": "127.0.0.1", "is_secure": secure,
               "certificate_provider_port": gateway.port(), "version": version})
    };
    let (status, saved) = c
        .call("PUT", &path, Some(secure_body(true, reference.version)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved["reference"]["status"], "Secure");
    let version = saved["reference"]["version"].as_i64().unwrap() as i32;
    let in_pool = |mode: &str| {
        let db = c.state().db.clone();
        let mode = mode.to_owned();
        async move {
            devices::Entity::find()
                .filter(devices::Column::DevicePoolId.eq(pool.id))
                .filter(devices::Column::SecurityMode.eq(mode))
                .filter(devices::Column::Name.starts_with("SEP"))
                .all(&db)
                .await
                .unwrap()
        }
    };
    let secure_phone = in_pool("authenticated")
        .await
        .into_iter()
        .next()
        .expect("an Authenticated phone in the pool");
    let plain_phone = in_pool("non_secure")
        .await
        .into_iter()
        .next()
        .expect("a Non Secure phone in the pool");
    let has_cert =
        |name: &str| text(&c.read(&format!("{name}.cnf.xml")).unwrap()).contains("<certificate>");
    // Cluster Non-Secure: no certificate anywhere.
    c.build().await;
    assert!(!has_cert(&secure_phone.name));
    c.activate_ctl_providers().await;
    assert_eq!(c.ctl("Mixed").await.0, StatusCode::OK);
    c.build().await;
    assert!(has_cert(&secure_phone.name), "all four hold");
    assert!(
        text(&c.read(&format!("{}.cnf.xml", secure_phone.name)).unwrap())
            .contains("<isSecure>true</isSecure>")
    );
    assert!(!has_cert(&plain_phone.name), "the device is Non Secure");
    let (status, _) = c
        .call("PUT", &path, Some(secure_body(false, version)))
        .await;
    assert_eq!(status, StatusCode::OK);
    c.build().await;
    assert!(!has_cert(&secure_phone.name), "the reference is not secure");
    db.finish().await;
}

fn ccmadmin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
}

fn openssl_verifies(cert_der: &[u8], parsed: &sgn::Parsed, dir: &Path) -> bool {
    let cert = dir.join("signer.der");
    let public = dir.join("signer.pub.pem");
    let data = dir.join("signed.bin");
    let signature = dir.join("signature.bin");
    std::fs::write(&cert, cert_der).unwrap();
    std::fs::write(&data, &parsed.signed_bytes).unwrap();
    std::fs::write(&signature, &parsed.signature).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-pubkey", "-noout", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&public, out.stdout).unwrap();
    let out = Command::new("openssl")
        .arg("dgst")
        .arg(format!("-{}", parsed.header.hash.openssl_name()))
        .arg("-verify")
        .arg(&public)
        .arg("-signature")
        .arg(&signature)
        .arg(&data)
        .output()
        .unwrap();
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

#[tokio::test]
async fn signed_and_ctl_files_verify_with_ccmadmin_and_openssl() {
    let db = TestDb::new(backends()[0]).await;
    let c = Console::new(&db, 10).await;
    c.activate_ctl_providers().await;
    assert_eq!(c.ctl("Mixed").await.0, StatusCode::OK);
    c.build().await;
    let scratch = tempfile::tempdir().unwrap();
    let sgn_name = c
        .names()
        .into_iter()
        .find(|n| n.starts_with("SEP") && n.ends_with(".cnf.xml.sgn"))
        .unwrap();
    let sgn_path = c.dirs.files.join(&sgn_name);
    let ctl_path = c.dirs.files.join("CTLFile.tlv");

    // Checked against the trusted CTL file: its TFTP record signs the config file, its token
    // record the CTL file.
    let out = ccmadmin()
        .arg("verify")
        .arg(&sgn_path)
        .arg("--ctl")
        .arg(&ctl_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("signature:        valid") && stdout.contains("sha1"),
        "{stdout}"
    );
    let out = ccmadmin()
        .arg("verify")
        .arg(&ctl_path)
        .arg("--ctl")
        .arg(&ctl_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("CTL file") && stdout.contains("SAST"),
        "{stdout}"
    );
    // Without a trust anchor the real binary prints the header, checks no signer, and exits 3
    // (even with the CTL file beside the config file).
    for file in [&sgn_path, &ctl_path] {
        let out = ccmadmin().arg("verify").arg(file).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{stdout}");
        assert!(
            stdout.contains("serial number:") && stdout.contains("NOT CHECKED"),
            "{stdout}"
        );
        assert!(!stdout.contains("signature:        valid"), "{stdout}");
    }
    // --cert and --ctl together are refused by the command line.
    let out = ccmadmin()
        .arg("verify")
        .arg(&sgn_path)
        .arg("--ctl")
        .arg(&ctl_path)
        .arg("--cert")
        .arg(&ctl_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // The same signatures verify with OpenSSL's command line, over the bytes the format signs.
    let tftp = certificates::Entity::find()
        .filter(certificates::Column::Role.eq("tftp"))
        .one(&c.state().db)
        .await
        .unwrap()
        .unwrap();
    let sast1 = certificates::Entity::find()
        .filter(certificates::Column::Name.eq("SAST1"))
        .one(&c.state().db)
        .await
        .unwrap()
        .unwrap();
    let parsed = sgn::parse(&std::fs::read(&sgn_path).unwrap()).unwrap();
    assert!(openssl_verifies(&tftp.der, &parsed, scratch.path()));
    let parsed_ctl = sgn::parse(&std::fs::read(&ctl_path).unwrap()).unwrap();
    assert!(openssl_verifies(&sast1.der, &parsed_ctl, scratch.path()));
    // With an explicit certificate, PEM.
    let pem = scratch.path().join("tftp.pem");
    std::fs::write(&pem, app::tftp::keys::pem(&tftp.der).unwrap()).unwrap();
    let out = ccmadmin()
        .arg("verify")
        .arg(&sgn_path)
        .arg("--cert")
        .arg(&pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    // One byte flipped anywhere signed: invalid for both.
    let mut bytes = std::fs::read(&sgn_path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0x01;
    let flipped = scratch.path().join(&sgn_name);
    std::fs::write(&flipped, &bytes).unwrap();
    std::fs::copy(&ctl_path, scratch.path().join("CTLFile.tlv")).unwrap();
    let out = ccmadmin()
        .arg("verify")
        .arg(&flipped)
        .arg("--ctl")
        .arg(scratch.path().join("CTLFile.tlv"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!openssl_verifies(
        &tftp.der,
        &sgn::parse(&bytes).unwrap(),
        scratch.path()
    ));
    // Unreadable: not a signed file, or no file.
    let junk = scratch.path().join("junk.sgn");
    std::fs::write(&junk, b"not a signed file").unwrap();
    assert_eq!(
        ccmadmin()
            .arg("verify")
            .arg(&junk)
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        ccmadmin()
            .arg("verify")
            .arg(scratch.path().join("missing"))
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    db.finish().await;
}

/// A minimal TFTP client: reads `name` with `blksize` (None: RFC 1350's 512) and answers with
/// the bytes, or the error packet's code.
async fn tftp_get(server: SocketAddr, name: &str, blksize: Option<usize>) -> Result<Vec<u8>, u16> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut rrq = vec![0, 1];
    rrq.extend_from_slice(name.as_bytes());
    rrq.push(0);
    rrq.extend_from_slice(b"octet\0");
    if let Some(size) = blksize {
        rrq.extend_from_slice(format!("blksize\0{size}\0tsize\00\0").as_bytes());
    }
    socket.send_to(&rrq, server).await.unwrap();
    let block_size = blksize.unwrap_or(512);
    let mut buf = vec![0u8; 70_000];
    let mut out = Vec::new();
    let mut expected: u16 = 1;
    loop {
        let (n, from) = tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buf))
            .await
            .expect("the server answers")
            .unwrap();
        let opcode = u16::from_be_bytes([buf[0], buf[1]]);
        match opcode {
            5 => return Err(u16::from_be_bytes([buf[2], buf[3]])),
            6 => {
                let options = String::from_utf8_lossy(&buf[2..n]).to_string();
                assert!(options.contains("blksize"), "{options}");
                socket.send_to(&[0, 4, 0, 0], from).await.unwrap();
            }
            3 => {
                let block = u16::from_be_bytes([buf[2], buf[3]]);
                socket.send_to(&[0, 4, buf[2], buf[3]], from).await.unwrap();
                if block == expected {
                    out.extend_from_slice(&buf[4..n]);
                    expected = expected.wrapping_add(1);
                    if n - 4 < block_size {
                        return Ok(out);
                    }
                }
            }
            other => panic!("unexpected opcode {other}"),
        }
    }
}

async fn wait_up_to_date(client: &reqwest::Client, base: &str, timeout: Duration) -> Value {
    let start = Instant::now();
    loop {
        let status: Value = client
            .get(format!("{base}/api/v1/tftp-files?name=SEP"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["up_to_date"] == true {
            return status;
        }
        assert!(
            start.elapsed() < timeout,
            "the files are not built in time: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn admin_client(dir: &Path, base: &str) -> reqwest::Client {
    let client = client_trusting(dir);
    let res = client
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": "CCMAdministrator", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    client
}

async fn go_mixed(client: &reqwest::Client, base: &str) {
    let servers: Value = client
        .get(format!("{base}/api/v1/servers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for s in servers.as_array().unwrap() {
        let name = s["fields"]["name"].as_str().unwrap();
        let res = client
            .put(format!(
                "{base}/api/v1/servers/{name}/services/ctl-provider"
            ))
            .header("Origin", base)
            .json(&json!({"activated": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = client
        .post(format!("{base}/api/v1/ctl"))
        .header("Origin", base)
        .json(&json!({"mode": "Mixed", "tokens": ["SAST1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

#[tokio::test]
async fn tftp_serves_signed_files_over_udp_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 20);
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
    let tftp = server.tftp_addr.expect("the TFTP address is printed");
    let client = admin_client(dir.path(), &server.base_url).await;
    go_mixed(&client, &server.base_url).await;
    wait_up_to_date(&client, &server.base_url, Duration::from_secs(60)).await;
    let folder = dir.path().join("tftp");
    let name = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("SEP") && n.ends_with(".cnf.xml.sgn"))
        .unwrap();
    let on_disk = std::fs::read(folder.join(&name)).unwrap();
    assert!(on_disk.len() > 1428, "a file of several blocks");
    assert_eq!(tftp_get(tftp, &name, None).await.unwrap(), on_disk);
    assert_eq!(tftp_get(tftp, &name, Some(1428)).await.unwrap(), on_disk);

    // A malformed packet is answered (or ignored) and the server goes on.
    let junk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    junk.send_to(&[0, 9, 1], tftp).await.unwrap();
    assert_eq!(tftp_get(tftp, "no-such-file.cnf.xml", None).await, Err(1));
    assert_eq!(tftp_get(tftp, "../ccmadmin.db", None).await, Err(2));
    assert_eq!(tftp_get(tftp, "keys/x", None).await, Err(2));
    // A write request.
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket
        .send_to(b"\x00\x02upload.bin\x00octet\x00", tftp)
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..4], &[0, 5, 0, 2], "{:?}", &buf[..n]);
    assert!(!folder.join("upload.bin").exists());
    assert_eq!(
        tftp_get(tftp, &name, None).await.unwrap(),
        on_disk,
        "still serving"
    );
}

#[tokio::test]
async fn a_crash_during_a_40000_file_rebuild_tears_no_file_and_the_next_start_finishes() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 40_000);
    let folder = dir.path().join("tftp");
    {
        let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
        let client = admin_client(dir.path(), &server.base_url).await;
        wait_up_to_date(&client, &server.base_url, Duration::from_secs(300)).await;
        go_mixed(&client, &server.base_url).await;
        // Kill it once a good part of the signed files is written.
        let start = Instant::now();
        loop {
            let signed = std::fs::read_dir(&folder)
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".sgn"))
                .count();
            if signed >= 4_000 {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(300), "no progress");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill();
    }
    let tftp_cert = {
        let db = app::store::connect(&format!(
            "sqlite:{}?mode=rwc",
            dir.path().join("ccmadmin.db").display()
        ))
        .await
        .unwrap();
        let c = certificates::Entity::find()
            .filter(certificates::Column::Role.eq("tftp"))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        db.close().await.unwrap();
        c.der
    };
    let check = |must_be_complete: bool| {
        let mut plain = 0;
        let mut signed = 0;
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            if name.ends_with(".sgn") {
                let parsed = sgn::parse(&bytes).unwrap_or_else(|e| panic!("{name} is torn: {e}"));
                assert!(
                    app::tftp::keys::verify(
                        &tftp_cert,
                        parsed.header.hash,
                        &parsed.signed_bytes,
                        &parsed.signature
                    )
                    .unwrap(),
                    "{name} does not verify"
                );
                if must_be_complete {
                    let plain_name = name.trim_end_matches(".sgn");
                    assert_eq!(
                        parsed.content,
                        std::fs::read(folder.join(plain_name)).unwrap(),
                        "{name}"
                    );
                }
                signed += 1;
            } else if name.ends_with(".cnf.xml") {
                let text = String::from_utf8(bytes).unwrap();
                assert!(
                    text.trim_end().ends_with("</device>")
                        || text.trim_end().ends_with("</Default>"),
                    "{name} is torn"
                );
                plain += 1;
            }
        }
        (plain, signed)
    };
    let (plain, signed) = check(false);
    assert!(plain >= 40_000, "{plain}");
    assert!(
        signed >= 4_000 && signed < plain,
        "killed mid-build: {signed} of {plain} signed"
    );

    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
    let client = admin_client(dir.path(), &server.base_url).await;
    wait_up_to_date(&client, &server.base_url, Duration::from_secs(300)).await;
    let (plain, signed) = check(true);
    assert!(
        signed >= plain,
        "every file signed after the restart: {signed} of {plain}"
    );
}
