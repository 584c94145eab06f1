//! Limits on connections and requests, over real TLS against the real binary: a request head
//! sent too slowly is disconnected, a request body sent too slowly is answered 503, connections
//! beyond the bound are closed at once, and the Cisco CTL Provider outlives garbage and a
//! shortage of file descriptors without spinning.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::support::{call, cert_path, client_trusting, demo, RunningServer};

const PW: &str = "a long enough password";

const CTL_PROVIDER_LINE: &str = "ccmadmin CTL Provider listening on tls ";

/// A TLS client that trusts exactly the certificate the server generated in `dir` and offers
/// HTTP/1.1.
fn connector(dir: &Path) -> tokio_rustls::TlsConnector {
    let pem = std::fs::read(cert_path(dir)).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A TCP connection to `addr` and its TLS handshake.
async fn tls_connect(dir: &Path, addr: SocketAddr) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    connector(dir).connect(name, tcp).await
}

/// The HTTPS listener's address.
fn https_addr(server: &RunningServer) -> SocketAddr {
    server
        .base_url
        .trim_start_matches("https://")
        .parse()
        .unwrap()
}

/// Sends `raw` and reads the answer until the server closes (or 20 s pass).
async fn exchange(tls: &mut TlsStream<TcpStream>, raw: &str) -> String {
    tls.write_all(raw.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut out = Vec::new();
    // A close without close_notify ends the read with an error: what came before it counts.
    let _ = tokio::time::timeout(Duration::from_secs(20), tls.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

const HEALTHZ: &str = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/// Reads (and drops) whatever comes until the peer closes — end of stream or an error — or
/// `within` passes; true when the peer closed.
async fn closed_within<S: AsyncRead + Unpin>(stream: &mut S, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn slow_request_head_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(
        dir.path(),
        &[
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_HEADER_TIMEOUT_SECS", "2"),
        ],
    );
    let addr = https_addr(&server);

    // A whole request is answered.
    let mut tls = tls_connect(dir.path(), addr).await.unwrap();
    let answer = exchange(&mut tls, HEALTHZ).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Half a request head, then nothing: the server closes the connection after the header
    // timeout (2 s here), not before.
    let mut tls = tls_connect(dir.path(), addr).await.unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    tls.flush().await.unwrap();
    let sent = Instant::now();
    assert!(
        closed_within(&mut tls, Duration::from_secs(10)).await,
        "a connection that sent half a request head is still open after 10 s"
    );
    assert!(
        sent.elapsed() >= Duration::from_millis(1500),
        "closed after {:?}, before the header timeout",
        sent.elapsed()
    );

    // A connection that sends nothing at all after its TLS handshake is closed too.
    let mut idle = tls_connect(dir.path(), addr).await.unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(10)).await,
        "a connection that sent no request is still open after 10 s"
    );
}

#[tokio::test]
async fn slow_request_body_is_answered_503() {
    let dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(
        dir.path(),
        &[
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_REQUEST_TIMEOUT_SECS", "2"),
        ],
    );
    let addr = https_addr(&server);

    // The head announces 100 bytes of body; 11 come, then nothing.
    let mut tls = tls_connect(dir.path(), addr).await.unwrap();
    let sent = Instant::now();
    let answer = exchange(
        &mut tls,
        "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n\
         {\"username\"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("\"error\""), "{answer}");
    assert!(
        sent.elapsed() >= Duration::from_millis(1500),
        "answered after {:?}, before the request timeout",
        sent.elapsed()
    );

    // The console still answers.
    let mut tls = tls_connect(dir.path(), addr).await.unwrap();
    let answer = exchange(&mut tls, HEALTHZ).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn connections_beyond_the_bound_are_not_served_unboundedly() {
    let dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(
        dir.path(),
        &[
            ("CCMADMIN_BOOTSTRAP_PASSWORD", PW),
            ("CCMADMIN_MAX_CONNECTIONS", "4"),
            // The held connections send nothing for a while: not closed for that here.
            ("CCMADMIN_HEADER_TIMEOUT_SECS", "120"),
        ],
    );
    let addr = https_addr(&server);

    let mut held = Vec::new();
    for i in 0..4 {
        let tls = tls_connect(dir.path(), addr).await;
        held.push(tls.unwrap_or_else(|e| panic!("connection {i} within the bound refused: {e}")));
    }
    // Beyond the bound: closed at once, before the TLS handshake.
    for _ in 0..3 {
        let refused = tokio::time::timeout(Duration::from_secs(10), tls_connect(dir.path(), addr))
            .await
            .expect("a connection beyond the bound is closed at once, not kept waiting");
        assert!(
            refused.is_err(),
            "a 5th connection was served with CCMADMIN_MAX_CONNECTIONS=4"
        );
    }

    // Those within the bound are served; the one answered with `Connection: close` is closed
    // and its place is given to the next connection.
    let answer = exchange(&mut held[0], HEALTHZ).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tls_connect(dir.path(), addr).await {
            Ok(mut tls) => {
                let answer = exchange(&mut tls, HEALTHZ).await;
                assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
                break;
            }
            Err(e) => assert!(
                Instant::now() < deadline,
                "the place of a closed connection is not given again: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = exchange(&mut held[1], HEALTHZ).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Logs in as CCMAdministrator, activates Cisco CTL Provider on every server and makes the
/// cluster Mixed, so that there is a CTL file to hand out.
async fn with_a_ctl_file(dir: &Path, base: &str) {
    let client = client_trusting(dir);
    let (status, _) = call(
        &client,
        base,
        "POST",
        "/api/v1/login",
        Some(json!({"username": "CCMAdministrator", "password": PW})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, servers) = call(&client, base, "GET", "/api/v1/servers", None).await;
    for s in servers.as_array().unwrap() {
        let name = s["fields"]["name"].as_str().unwrap();
        let (status, body) = call(
            &client,
            base,
            "PUT",
            &format!("/api/v1/servers/{name}/services/ctl-provider"),
            Some(json!({"activated": true})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = call(
        &client,
        base,
        "POST",
        "/api/v1/ctl",
        Some(json!({"mode": "Mixed", "tokens": ["SAST1"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// What the CTL Provider sends to a proper TLS client.
async fn fetch_ctl(dir: &Path, addr: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut tls = tls_connect(dir, addr).await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(out)
}

/// CPU time the process has used, user and system, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After "pid (comm) ", the fields start at the 3rd (state); utime and stime are the 14th
    // and 15th.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test]
async fn ctl_provider_survives_garbage_and_keeps_serving() {
    use rustix::process::{getrlimit, prlimit, Pid, Resource, Rlimit};

    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), 1);
    let server = RunningServer::start(dir.path(), &[("CCMADMIN_BOOTSTRAP_PASSWORD", PW)]);
    with_a_ctl_file(dir.path(), &server.base_url).await;
    let addr: SocketAddr = server
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix(CTL_PROVIDER_LINE).map(str::to_owned))
        .unwrap_or_else(|| server.wait_line(CTL_PROVIDER_LINE, Duration::from_secs(10)))
        .parse()
        .unwrap();
    let ctl_file = dir.path().join("tftp").join(app::tftp::CTL_FILE);
    let ctl = fetch_ctl(dir.path(), addr).await.unwrap();
    assert!(!ctl.is_empty());
    assert_eq!(ctl, std::fs::read(&ctl_file).unwrap());

    // Garbage instead of a ClientHello, a ClientHello cut short, connections closed at once
    // or mid-handshake, and TLS clients that leave without reading.
    for round in 0..60u32 {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let garbage: &[u8] = match round % 4 {
            0 => b"GET /CTLFile.tlv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            1 => &[
                0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
            ],
            2 => &[0xff; 300],
            _ => b"",
        };
        let _ = tcp.write_all(garbage).await;
        if round % 2 == 0 {
            // The server gives up on it and closes.
            assert!(
                closed_within(&mut tcp, Duration::from_secs(15)).await,
                "round {round}: the CTL Provider keeps a garbage connection open"
            );
        }
    }
    for _ in 0..10 {
        drop(tls_connect(dir.path(), addr).await.unwrap());
    }
    assert_eq!(fetch_ctl(dir.path(), addr).await.unwrap(), ctl);

    // Out of file descriptors: the server may open only 4 more while 100 clients connect, so
    // accepting fails until they leave. The accept loop must wait, not spin on the error.
    let pid = server.child.id();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as u64;
    let previous = prlimit(
        Some(Pid::from_child(&server.child)),
        Resource::Nofile,
        Rlimit {
            current: Some(open + 4),
            maximum: getrlimit(Resource::Nofile).maximum,
        },
    )
    .unwrap();
    let mut waiting = Vec::new();
    for _ in 0..100 {
        waiting.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let spent = cpu_ticks(pid) - before;
    drop(waiting);
    prlimit(
        Some(Pid::from_child(&server.child)),
        Resource::Nofile,
        previous,
    )
    .unwrap();

    // Once descriptors are back, a proper client gets the CTL file again.
    let deadline = Instant::now() + Duration::from_secs(20);
    let again = loop {
        match tokio::time::timeout(Duration::from_secs(5), fetch_ctl(dir.path(), addr)).await {
            Ok(Ok(got)) if !got.is_empty() => break got,
            other => assert!(
                Instant::now() < deadline,
                "the CTL Provider no longer serves the CTL file: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(again, std::fs::read(&ctl_file).unwrap());
    assert!(
        spent < 50,
        "the console used {spent} ticks (1/100 s) of CPU in 3 s while accepting failed: \
         the CTL Provider's accept loop spins on its errors"
    );
}
