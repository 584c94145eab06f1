//! UDP services that cannot be turned into weapons: the TFTP server bounds its transfers in all
//! and per source and sends a first packet a bounded number of times (and a flood of requests
//! leaves normal fetches working, in bounded memory); a device registers only its own address
//! and never a loopback, broadcast or multicast one; a NOTIFY's transaction ends only on a
//! response from the address and port it went to.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tokio::net::UdpSocket;

use app::domain::sip::{self, ContactPolicy};
use app::service::registrations::{self, credential};
use app::store::entities::{device_contacts, devices};
use app::tftp::TftpDirs;
use server::tftp::{self, FIRST_ATTEMPTS, MAX_PER_SOURCE, RETRANSMIT};

use crate::support::{
    add_user, admin_client, backends, call, client_trusting, demo, json_body, InProcess,
    RunningServer, TestDb,
};

const PW: &str = "a long enough password";
/// The file the in-process TFTP servers serve.
const FILE: &str = "SEP001122334455.cnf.xml";
/// How long the flood lasts.
const FLOOD: Duration = Duration::from_secs(20);
/// How much the server's resident memory may grow under the flood,
/// beyond the working memory of the password-hashing slots (19 MiB each), taken once.
const FLOOD_MEMORY_GROWTH: u64 = 64 << 20;
/// How much it may grow (MiB) between the flood's third second and its end: it must stop growing.
const FLOOD_MEMORY_DRIFT: u64 = 16;

/// A read request for `name`, with `blksize` 1428 and `tsize` when `options`.
fn rrq(name: &str, options: bool) -> Vec<u8> {
    let mut p = vec![0, 1];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(b"\0octet\0");
    if options {
        p.extend_from_slice(b"blksize\x001428\0tsize\x000\0");
    }
    p
}

/// A TFTP server with the console's limits on a folder holding [`FILE`] (3,000 bytes), in
/// this process: its address, the folder (kept while it runs) and the file's bytes.
async fn tftp_server() -> (SocketAddr, tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..3_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join(FILE), &data).unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(tftp::serve(socket, dir.path().to_path_buf()));
    (addr, dir, data)
}

/// Every datagram `socket` receives within `window`, with its sender.
async fn received_within(socket: &UdpSocket, window: Duration) -> Vec<(Vec<u8>, SocketAddr)> {
    let deadline = tokio::time::Instant::now() + window;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    while let Ok(Ok((n, from))) =
        tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await
    {
        out.push((buf[..n].to_vec(), from));
    }
    out
}

/// The first datagram within `window`, if one comes.
async fn first_within(socket: &UdpSocket, window: Duration) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 2048];
    match tokio::time::timeout(window, socket.recv_from(&mut buf)).await {
        Ok(Ok((n, _))) => Some(buf[..n].to_vec()),
        _ => None,
    }
}

fn is_data_block_1(packet: &[u8]) -> bool {
    packet.len() >= 4 && packet[..4] == [0, 3, 0, 1]
}

#[tokio::test]
async fn tftp_requests_beyond_a_sources_share_are_dropped() {
    let (server, _dir, data) = tftp_server().await;
    let start = tokio::time::Instant::now();
    // Requests from many ports of one address, none acknowledged: each answered one holds its
    // slot until it gives up.
    let mut sockets = Vec::new();
    for _ in 0..MAX_PER_SOURCE + 12 {
        let socket = UdpSocket::bind("127.0.0.3:0").await.unwrap();
        socket.send_to(&rrq(FILE, false), server).await.unwrap();
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut answered = 0;
    for socket in &sockets {
        if let Some(packet) = first_within(socket, Duration::from_millis(50)).await {
            assert!(is_data_block_1(&packet), "{packet:?}");
            answered += 1;
        }
    }
    assert_eq!(
        answered, MAX_PER_SOURCE,
        "only the source's share of requests is answered"
    );
    // The share is the source address's, whatever the port: one more is dropped too.
    let late = UdpSocket::bind("127.0.0.3:0").await.unwrap();
    late.send_to(&rrq(FILE, false), server).await.unwrap();
    assert_eq!(first_within(&late, Duration::from_millis(500)).await, None);
    // Another source is served meanwhile.
    let fetched = server::tftp_client::get(server, FILE, Some(1428), Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(fetched, data);
    // Once the unanswered transfers give up, their slots are free again.
    tokio::time::sleep_until(start + RETRANSMIT * FIRST_ATTEMPTS + Duration::from_millis(700))
        .await;
    let again = UdpSocket::bind("127.0.0.3:0").await.unwrap();
    again.send_to(&rrq(FILE, false), server).await.unwrap();
    let packet = first_within(&again, Duration::from_secs(1))
        .await
        .expect("a freed slot serves a new request");
    assert!(is_data_block_1(&packet), "{packet:?}");
}

#[tokio::test]
async fn tftp_unanswered_first_block_is_retransmitted_a_bounded_number_of_times() {
    let (server, _dir, _) = tftp_server().await;
    let window = RETRANSMIT * FIRST_ATTEMPTS + Duration::from_secs(2);
    // A request without options, sent three times from one port as a client that retransmits
    // does, never acknowledged; and one with options whose OACK is never acknowledged.
    let plain = UdpSocket::bind("127.0.0.4:0").await.unwrap();
    let with_options = UdpSocket::bind("127.0.0.5:0").await.unwrap();
    with_options
        .send_to(&rrq(FILE, true), server)
        .await
        .unwrap();
    for _ in 0..3 {
        plain.send_to(&rrq(FILE, false), server).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (plain_got, options_got) = tokio::join!(
        received_within(&plain, window),
        received_within(&with_options, window)
    );
    assert!(!plain_got.is_empty(), "the request is answered");
    assert!(
        plain_got.len() <= FIRST_ATTEMPTS as usize,
        "block 1 sent {} times for one unanswered peer (at most {FIRST_ATTEMPTS})",
        plain_got.len()
    );
    assert!(plain_got.iter().all(|(p, _)| is_data_block_1(p)));
    let from = plain_got[0].1;
    assert!(
        plain_got.iter().all(|(_, f)| *f == from),
        "one transfer for the repeated request"
    );
    assert!(!options_got.is_empty());
    assert!(
        options_got.len() <= FIRST_ATTEMPTS as usize,
        "OACK sent {} times (at most {FIRST_ATTEMPTS})",
        options_got.len()
    );
    assert!(options_got.iter().all(|(p, _)| p.starts_with(&[0, 6])));
}

/// The resident memory of process `pid`, in bytes.
fn resident_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    kib * 1024
}

/// Floods `server` for `duration` with read requests of `name` from 128 ports of 127.0.0.2
/// (about 12,800 a second), never acknowledging, then keeps counting answers until the last
/// transfers gave up. Returns the requests sent and the answers received.
fn flood(server: SocketAddr, name: &str, duration: Duration) -> (u64, u64) {
    let sockets: Vec<std::net::UdpSocket> = (0..128)
        .map(|_| {
            let s = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    let request = rrq(name, false);
    let mut buf = vec![0u8; 2048];
    let (mut sent, mut answers) = (0u64, 0u64);
    let mut drain = |answers: &mut u64| {
        for s in &sockets {
            while s.recv_from(&mut buf).is_ok() {
                *answers += 1;
            }
        }
    };
    let end = Instant::now() + duration;
    while Instant::now() < end {
        for s in &sockets {
            if s.send_to(&request, server).is_ok() {
                sent += 1;
            }
        }
        drain(&mut answers);
        std::thread::sleep(Duration::from_millis(10));
    }
    let settle = Instant::now() + RETRANSMIT * FIRST_ATTEMPTS + Duration::from_secs(1);
    while Instant::now() < settle {
        drain(&mut answers);
        std::thread::sleep(Duration::from_millis(20));
    }
    (sent, answers)
}

/// Floods the login endpoint of `base` from 127.0.0.2 with 8 clients guessing CCMAdministrator's
/// password until `end`; returns how many answers of each status it got.
async fn login_flood(dir: &Path, base: &str, end: Instant) -> std::collections::BTreeMap<u16, u64> {
    let pem = std::fs::read(crate::support::cert_path(dir)).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .tls_built_in_root_certs(false)
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .build()
            .unwrap();
        let url = format!("{base}/api/v1/login");
        tasks.push(tokio::spawn(async move {
            let mut seen = std::collections::BTreeMap::new();
            while Instant::now() < end {
                let res = client
                    .post(&url)
                    .json(&json!({"username": "CCMAdministrator", "password": "a wrong guess!!"}))
                    .send()
                    .await
                    .unwrap();
                *seen.entry(res.status().as_u16()).or_insert(0u64) += 1;
            }
            seen
        }));
    }
    let mut all = std::collections::BTreeMap::new();
    for task in tasks {
        for (status, n) in task.await.unwrap() {
            *all.entry(status).or_insert(0) += n;
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_of_tftp_and_logins_leaves_normal_clients_working() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 5);
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
    let tftp = server.tftp_addr.expect("the TFTP address is printed");
    let pid = server.child.id();
    let name = "XMLDefault.cnf.xml";
    let path = dir.path().join("tftp").join(name);
    let start = Instant::now();
    let expected = loop {
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(fetched) =
                server::tftp_client::get(tftp, name, Some(1428), Duration::from_secs(2)).await
            {
                if fetched == bytes {
                    break bytes;
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no {name} built");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let baseline = resident_memory(pid);

    let flood_name = name.to_owned();
    let flooding = tokio::task::spawn_blocking(move || flood(tftp, &flood_name, FLOOD));
    let end = Instant::now() + FLOOD;
    let guessing = {
        let (dir, base) = (dir.path().to_owned(), server.base_url.clone());
        tokio::spawn(async move { login_flood(&dir, &base, end).await })
    };
    // A normal client, from 127.0.0.1, fetches the file every 200 ms meanwhile, and logs in
    // every second.
    let (mut fetches, mut failures, mut peak) = (0u32, Vec::new(), baseline);
    let mut logins = 0u32;
    let mut samples = Vec::new();
    let mut sampled = Instant::now();
    while Instant::now() < end {
        let begun = Instant::now();
        match server::tftp_client::get(tftp, name, None, Duration::from_secs(2)).await {
            Ok(bytes) if bytes == expected => {}
            Ok(bytes) => failures.push(format!("fetch {fetches}: {} other bytes", bytes.len())),
            Err(e) => failures.push(format!("fetch {fetches}: {e}")),
        }
        fetches += 1;
        if fetches % 5 == 0 {
            let res = client_trusting(dir.path())
                .post(format!("{}/api/v1/login", server.base_url))
                .json(&json!({"username": "CCMAdministrator", "password": PW}))
                .send()
                .await;
            match res {
                Ok(res) if res.status() == StatusCode::OK => logins += 1,
                Ok(res) => failures.push(format!("login: {}", res.status())),
                Err(e) => failures.push(format!("login: {e}")),
            }
        }
        if sampled.elapsed() >= Duration::from_secs(1) {
            let now = resident_memory(pid);
            samples.push(now >> 20);
            peak = peak.max(now);
            sampled = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200).saturating_sub(begun.elapsed())).await;
    }
    let (sent, answers) = flooding.await.unwrap();
    let guesses = guessing.await.unwrap();
    peak = peak.max(resident_memory(pid));
    eprintln!(
        "flood: {sent} TFTP requests, {answers} answers; login guesses by status {guesses:?}; \
         {fetches} fetches and {logins} logins of the normal client; memory {baseline} → {peak}, \
         MiB each second {samples:?}"
    );
    // Every guess was answered, and only a handful had their password checked (401): the rest
    // were throttled (429) at once.
    let checked = guesses.get(&401).copied().unwrap_or(0);
    let throttled = guesses.get(&429).copied().unwrap_or(0);
    assert!(
        guesses.keys().all(|s| [401, 429, 503].contains(s)),
        "{guesses:?}"
    );
    assert!(checked <= 30, "{checked} guesses checked: {guesses:?}");
    assert!(throttled > 100, "{guesses:?}");
    assert!(logins >= 10, "{logins} logins of the normal client");

    assert!(failures.is_empty(), "{failures:?} of {fetches} fetches");
    assert!(fetches >= 50, "{fetches} fetches in {FLOOD:?}");
    // The flood's source holds at most its share of slots; each transfer sends its first block
    // at most FIRST_ATTEMPTS times over FIRST_ATTEMPTS retransmission intervals.
    let lifetime = (RETRANSMIT * FIRST_ATTEMPTS).as_secs_f64();
    let generations = (FLOOD.as_secs_f64() / lifetime).ceil() as u64 + 1;
    let bound = MAX_PER_SOURCE as u64 * u64::from(FIRST_ATTEMPTS) * generations;
    assert!(sent > 100_000, "the flood sent {sent} requests");
    assert!(
        answers > 0 && answers <= bound,
        "{answers} answers to {sent} flooding requests (bound {bound})"
    );
    let hashing = app::service::password::MAX_CONCURRENT_HASHES as u64 * (19 << 20);
    assert!(
        peak.saturating_sub(baseline) < hashing + FLOOD_MEMORY_GROWTH,
        "resident memory grew from {baseline} to {peak} bytes"
    );
    let (third, last) = (
        samples[2.min(samples.len() - 1)],
        samples[samples.len() - 1],
    );
    assert!(
        last.saturating_sub(third) < FLOOD_MEMORY_DRIFT,
        "resident memory kept growing with the flood: {samples:?} MiB"
    );
}

/// `POST /api/v1/registrations` with `device`'s credential and `{"device","address","port"}`,
/// sent from `from` (None: no client address, as no server would pass).
async fn register_from(
    console: &InProcess,
    device: &str,
    address: &str,
    from: Option<&str>,
) -> (StatusCode, Value) {
    let body = json!({"device": device, "address": address, "port": 5060}).to_string();
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/registrations")
        .header(
            "authorization",
            format!("Bearer {}", credential(&[7u8; 32], device)),
        )
        .header("content-type", "application/json");
    if let Some(ip) = from {
        let addr = SocketAddr::new(ip.parse().unwrap(), 40_000);
        req = req.extension(ConnectInfo(addr));
    }
    let res = console
        .request(req.body(axum::body::Body::from(body)).unwrap())
        .await;
    let status = res.status();
    (status, json_body(res).await)
}

async fn stored_contact(console: &InProcess) -> Option<String> {
    device_contacts::Entity::find()
        .one(&console.state.db)
        .await
        .unwrap()
        .map(|c| c.address)
}

#[tokio::test]
async fn registration_contact_must_be_the_senders_address() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        // A console on the network: no loopback contacts, no trusted proxy.
        let mut console = InProcess::new(db.db.clone());
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
        let (status, body) = register_from(&console, &device, "10.1.2.3", Some("10.1.2.3")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let refused = [
            ("10.9.9.9", Some("10.1.2.3"), "another host's address"),
            ("10.1.2.3", None, "no known sender"),
            ("127.0.0.1", Some("127.0.0.1"), "loopback"),
            ("224.0.0.1", Some("224.0.0.1"), "multicast"),
            ("255.255.255.255", Some("255.255.255.255"), "broadcast"),
            ("0.0.0.0", Some("0.0.0.0"), "unspecified"),
        ];
        for (address, from, what) in refused {
            let (status, body) = register_from(&console, &device, address, from).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
            assert_eq!(body["field"], "address", "{what}: {body}");
            assert_eq!(
                stored_contact(&console).await.as_deref(),
                Some("10.1.2.3"),
                "{what} touches nothing"
            );
        }

        // A trusted proxy registers its devices' addresses, but never one no NOTIFY may go to;
        // a console on loopback takes loopback contacts.
        console.state = console.state.clone().with_contact_policy(ContactPolicy {
            loopback: true,
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
        });
        console.rebuild_router();
        let (status, body) = register_from(&console, &device, "10.9.9.9", Some("10.0.0.1")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(stored_contact(&console).await.as_deref(), Some("10.9.9.9"));
        let (status, body) =
            register_from(&console, &device, "255.255.255.255", Some("10.0.0.1")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "address");
        let (status, body) = register_from(&console, &device, "10.9.9.8", Some("10.1.2.3")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a proxy: {body}"
        );
        let (status, body) = register_from(&console, &device, "127.0.0.1", Some("127.0.0.1")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        db.finish().await;
    }
}

#[tokio::test]
async fn an_administrator_cannot_enter_a_broadcast_multicast_or_unspecified_contact() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let console = InProcess::new(db.db.clone());
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
        let path = format!("/api/v1/phones/{device}/contact");
        for address in [
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "127.0.0.1",
        ] {
            let res = console
                .send(
                    "PUT",
                    &path,
                    Some(&cookie),
                    Some(json!({"address": address, "port": 5060, "version": 0})),
                )
                .await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{address}");
            assert_eq!(
                json_body(res).await["field"],
                "Contact Address",
                "{address}"
            );
        }
        assert_eq!(stored_contact(&console).await, None);
        let res = console
            .send(
                "PUT",
                &path,
                Some(&cookie),
                Some(json!({"address": "10.1.2.3", "port": 5060, "version": 0})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        db.finish().await;
    }
}

async fn wait_job(client: &reqwest::Client, base: &str, id: i64) -> Value {
    let start = Instant::now();
    loop {
        let (status, job) = call(client, base, "GET", &format!("/api/v1/jobs/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "Done" || job["status"] == "Cancelled" {
            return job;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "job {id} did not end: {job}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many device resets are pending (0: none).
async fn pending_resets(client: &reqwest::Client, base: &str) -> u64 {
    let (status, groups) = call(client, base, "GET", "/api/v1/pending-actions", None).await;
    assert_eq!(status, StatusCode::OK);
    groups
        .as_array()
        .unwrap()
        .iter()
        .find_map(|g| g["what"]["ResetDevices"]["count"].as_u64())
        .unwrap_or(0)
}

/// `POST /api/v1/registrations` over HTTPS with `client`, again while Cisco CallManager is not
/// started yet (503).
async fn register_over_https(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let start = Instant::now();
    loop {
        let res = client
            .post(format!("{base}/api/v1/registrations"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        if status != StatusCode::SERVICE_UNAVAILABLE || start.elapsed() > Duration::from_secs(30) {
            return (status, res.json().await.unwrap_or(Value::Null));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_registration_over_https_is_checked_against_the_connections_address() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 5);
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
    let base = server.base_url.clone();
    let client = admin_client(dir.path(), &base, PW).await;
    let (_, list) = call(&client, &base, "GET", "/api/v1/phones?per_page=1", None).await;
    let name = list["items"][0]["name"].as_str().unwrap().to_owned();
    let key = registrations::load_key(&TftpDirs::under(dir.path())).unwrap();
    let token = credential(&key, &name);
    let pem = std::fs::read(crate::support::cert_path(dir.path())).unwrap();
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .tls_built_in_root_certs(false)
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let body = json!({"device": name, "address": "127.0.0.2", "port": 5070, "transport": "udp"});
    let (status, answer) = register_over_https(&from([127, 0, 0, 1]), &base, &token, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "address");
    let (status, answer) = register_over_https(&from([127, 0, 0, 2]), &base, &token, &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, contact) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{name}/contact"),
        None,
    )
    .await;
    assert_eq!(
        (&contact["address"], &contact["port"], &contact["source"]),
        (&json!("127.0.0.2"), &json!(5070), &json!("device")),
        "{contact}"
    );
}

#[tokio::test]
async fn notify_response_from_another_port_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 10);
    let server = RunningServer::start(
        dir.path(),
        &[
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_SIP_T1_MS", "50"),
        ],
    );
    let base = server.base_url.clone();
    let client = admin_client(dir.path(), &base, PW).await;
    // A phone whose security mode changes: its reset is then pending (R10).
    let (_, list) = call(
        &client,
        &base,
        "GET",
        "/api/v1/phones?model=Cisco%207970&per_page=1",
        None,
    )
    .await;
    let name = list["items"][0]["name"].as_str().unwrap().to_owned();
    let (_, phone) = call(
        &client,
        &base,
        "GET",
        &format!("/api/v1/phones/{name}"),
        None,
    )
    .await;
    let mut fields = phone["fields"].clone();
    let mode = if fields["security_mode"] == json!({"Explicit": "Encrypted"}) {
        "Authenticated"
    } else {
        "Encrypted"
    };
    fields["security_mode"] = json!({ "Explicit": mode });
    fields["version"] = phone["version"].clone();
    let (status, saved) = call(
        &client,
        &base,
        "PUT",
        &format!("/api/v1/phones/{name}"),
        Some(fields),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(pending_resets(&client, &base).await, 1);

    // The device's socket, and an attacker's socket on another port of the same host.
    let device = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let forger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = device.local_addr().unwrap().port();
    let (status, c) = call(
        &client,
        &base,
        "PUT",
        &format!("/api/v1/phones/{name}/contact"),
        Some(json!({"address": "127.0.0.1", "port": port, "version": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let reset = |client: reqwest::Client| {
        let (base, name) = (base.clone(), name.clone());
        async move {
            let (status, job) = call(
                &client,
                &base,
                "POST",
                &format!("/api/v1/phones/{name}/reset"),
                Some(json!({"type": "reset"})),
            )
            .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{job}");
            job["id"].as_i64().unwrap()
        }
    };
    let id = reset(client.clone()).await;
    // Every NOTIFY the device receives is answered 200 — from the other port, with the right
    // branch and Call-ID; and from the device's port with a guessed branch. The device itself
    // never answers.
    let mut buf = vec![0u8; 4096];
    let mut notifies = 0;
    // The first NOTIFY may take the worker a moment; the retransmissions come within T2.
    let mut window = Duration::from_secs(10);
    while let Ok(Ok((n, console))) = tokio::time::timeout(window, device.recv_from(&mut buf)).await
    {
        window = Duration::from_millis(1_500);
        let request = sip::parse_request(&buf[..n]).expect("a NOTIFY");
        notifies += 1;
        let forged = sip::response_to(&request, 200, "OK", "forged");
        forger.send_to(forged.as_bytes(), console).await.unwrap();
        let branch = sip::parse_response(forged.as_bytes()).unwrap().branch;
        let guessed = forged.replace(&branch, "z9hG4bK00000000000000000000000000000000");
        device.send_to(guessed.as_bytes(), console).await.unwrap();
    }
    assert!(notifies >= 2, "retransmitted: {notifies}");
    let job = wait_job(&client, &base, id).await;
    assert_eq!(job["counts"]["acknowledged"], 0, "{job}");
    assert_eq!(job["counts"]["timed_out"], 1, "{job}");
    assert_eq!(job["devices"][0]["status"], "TimedOut", "{job}");
    assert_eq!(
        pending_resets(&client, &base).await,
        1,
        "the reset is still pending"
    );

    // The same answer from the device's own port ends the transaction and the pending reset.
    let id = reset(client.clone()).await;
    let (n, console) = tokio::time::timeout(Duration::from_secs(10), device.recv_from(&mut buf))
        .await
        .expect("a NOTIFY")
        .unwrap();
    let request = sip::parse_request(&buf[..n]).unwrap();
    let answer = sip::response_to(&request, 200, "OK", "device");
    device.send_to(answer.as_bytes(), console).await.unwrap();
    let job = wait_job(&client, &base, id).await;
    assert_eq!(job["counts"]["acknowledged"], 1, "{job}");
    assert_eq!(pending_resets(&client, &base).await, 0);
}
