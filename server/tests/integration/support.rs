//! Test fixtures: fresh databases on each backend, an in-process router with a manual clock, and
//! the real binary started on a fresh data dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use app::service::{AppState, ManualClock};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tower::ServiceExt;

/// A store engine the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when `CCMADMIN_TEST_PG_URL` names a server (required under CI).
pub fn backends() -> Vec<Backend> {
    if std::env::var("CCMADMIN_TEST_PG_URL").is_ok_and(|u| !u.is_empty()) {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        assert!(
            std::env::var("CI").is_err(),
            "CCMADMIN_TEST_PG_URL must be set in CI: the store tests run on PostgreSQL too"
        );
        eprintln!("CCMADMIN_TEST_PG_URL is not set: PostgreSQL store tests skipped");
        vec![Backend::Sqlite]
    }
}

/// A fresh, migrated database, dropped by [`TestDb::finish`].
pub struct TestDb {
    pub url: String,
    pub db: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = Utc::now().timestamp_subsec_nanos();
    format!(
        "ccm_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn pg_url_with_db(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    format!("{prefix}/{db}{query}")
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}?mode=rwc", dir.path().join("test.db").display());
                let db = app::store::connect(&url).await.unwrap();
                Self {
                    url,
                    db,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("CCMADMIN_TEST_PG_URL").unwrap();
                let name = unique_name();
                let admin = Database::connect(&admin_url).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let url = pg_url_with_db(&admin_url, &name);
                let db = app::store::connect(&url).await.unwrap();
                Self {
                    url,
                    db,
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Closes the connection and drops a PostgreSQL database.
    pub async fn finish(self) {
        self.db.close().await.unwrap();
        if let Some(name) = self.pg_name {
            let admin_url = std::env::var("CCMADMIN_TEST_PG_URL").unwrap();
            let admin = Database::connect(&admin_url).await.unwrap();
            // An autovacuum worker may still be in the database for a moment: try again.
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let mut last = None;
            for _ in 0..20 {
                match admin.execute_unprepared(&drop).await {
                    Ok(_) => {
                        last = None;
                        break;
                    }
                    Err(e) => last = Some(e),
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            if let Some(e) = last {
                eprintln!("warning: test database {name} not dropped: {e}");
            }
            admin.close().await.unwrap();
        }
    }
}

/// An instant to start manual clocks at.
pub fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap()
}

/// The router of the console on `db`, with a manual clock, called in-process.
pub struct InProcess {
    pub router: axum::Router,
    pub clock: ManualClock,
    pub state: AppState,
    _site: tempfile::TempDir,
}

impl InProcess {
    pub fn new(db: DatabaseConnection) -> Self {
        let clock = ManualClock::new(t0());
        let state = AppState::new(db, Arc::new(clock.clone())).with_registration_key(vec![7; 32]);
        let site = tempfile::tempdir().unwrap();
        std::fs::write(site.path().join("favicon.ico"), b"icon").unwrap();
        let leptos = LeptosOptions::builder()
            .output_name("ccmadmin")
            .site_root(site.path().display().to_string())
            .build();
        let router = server::router::build(state.clone(), leptos);
        Self {
            router,
            clock,
            state,
            _site: site,
        }
    }

    /// This console with its TFTP side and data folder in `dir` (keys, TFTP files, backups).
    pub fn in_dir(mut self, dir: &Path) -> Self {
        self.state = self
            .state
            .clone()
            .with_files(app::tftp::TftpDirs::under(dir))
            .with_data_dir(dir);
        self.rebuild_router();
        self
    }

    /// Builds the router again on the current `state` (after changing it).
    pub fn rebuild_router(&mut self) {
        let leptos = LeptosOptions::builder()
            .output_name("ccmadmin")
            .site_root(self._site.path().display().to_string())
            .build();
        self.router = server::router::build(self.state.clone(), leptos);
    }

    /// Sends a request with a bearer token.
    pub async fn send_bearer(
        &self,
        method: &str,
        path: &str,
        token: &str,
        json: Option<serde_json::Value>,
    ) -> Response<Body> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match json {
            Some(value) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap()
    }

    /// Sends a request with an optional session cookie (`name=value`).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> Response<Body> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:8443");
        if let Some(cookie) = cookie {
            // As a browser sends it for a same-origin request.
            req = req
                .header(header::COOKIE, cookie)
                .header("sec-fetch-site", "same-origin");
        }
        let body = match json {
            Some(value) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap()
    }

    /// Sends a request as it is.
    pub async fn request(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    /// Logs in through the API and returns the session cookie (`name=value`).
    pub async fn login(&self, user: &str, password: &str, cookie: Option<&str>) -> String {
        let res = self
            .send(
                "POST",
                "/api/v1/login",
                cookie,
                Some(serde_json::json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        session_cookie(&res).expect("login sets the session cookie")
    }
}

/// The `name=value` of the session cookie that a response sets, if any.
pub fn session_cookie(res: &Response<Body>) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(server::router::SESSION_COOKIE))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The response body as JSON.
pub async fn json_body(res: Response<Body>) -> serde_json::Value {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
}

/// A console on `db` (its data folder `dir`, when given) with the user admin of SuperUserGroup
/// and `password`, a demo cluster of `phones` phones, and admin's session cookie.
pub async fn demo_console(
    db: &TestDb,
    phones: u64,
    password: &str,
    dir: Option<&Path>,
) -> (InProcess, String) {
    let mut console = InProcess::new(db.db.clone());
    if let Some(dir) = dir {
        console = console.in_dir(dir);
    }
    add_user(&console.state, "admin", password).await;
    app::service::demo::generate(
        &console.state,
        &app::service::authz::Internal::at_start("test"),
        phones,
    )
    .await
    .unwrap();
    let cookie = console.login("admin", password, None).await;
    (console, cookie)
}

/// A Mixed cluster of `phones` demo phones on `db` in the data folder `dir`: Cisco CTL Provider
/// activated on every server, the CTL file listing `tokens` (the first signs it), the files built
/// and signed. The console and the session cookie of admin (`password`).
pub async fn mixed_cluster(
    db: &TestDb,
    dir: &Path,
    phones: u64,
    password: &str,
    tokens: &[&str],
) -> (InProcess, String) {
    let (console, cookie) = demo_console(db, phones, password, Some(dir)).await;
    let servers = json_body(
        console
            .send("GET", "/api/v1/servers", Some(&cookie), None)
            .await,
    )
    .await;
    for s in servers.as_array().unwrap() {
        let name = s["fields"]["name"].as_str().unwrap();
        let res = console
            .send(
                "PUT",
                &format!("/api/v1/servers/{name}/services/ctl-provider"),
                Some(&cookie),
                Some(serde_json::json!({"activated": true})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = console
        .send(
            "POST",
            "/api/v1/ctl",
            Some(&cookie),
            Some(serde_json::json!({"mode": "Mixed", "tokens": tokens})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let latest = app::store::files::latest_change(&db.db).await.unwrap();
    let report = server::pipeline::build(&console.state, latest)
        .await
        .unwrap();
    assert!(report.signed > 0 && report.errors.is_empty(), "{report:?}");
    (console, cookie)
}

/// Creates a user with `password` in SuperUserGroup.
pub async fn add_user(state: &AppState, name: &str, password: &str) {
    add_user_in(state, name, password, &["SuperUserGroup"]).await;
}

/// Creates a user with `password` in the named groups.
pub async fn add_user_in(state: &AppState, name: &str, password: &str, groups: &[&str]) {
    let hash = app::service::password::hash(&state.hashing, password.to_owned())
        .await
        .unwrap();
    app::store::users::create(&state.db, name, hash, false, groups, t0())
        .await
        .unwrap();
}

/// The real `ccmadmin` binary, started on `data_dir`, killed on drop.
pub struct RunningServer {
    pub child: Child,
    pub base_url: String,
    pub stdout: Vec<String>,
    /// Where its TFTP server listens.
    pub tftp_addr: Option<std::net::SocketAddr>,
    /// The lines it prints after it started.
    pub lines: mpsc::Receiver<String>,
}

impl RunningServer {
    /// Starts `ccmadmin serve` on a free loopback port and waits for it to listen.
    pub fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccmadmin"));
        cmd.arg("serve")
            .env("CCMADMIN_BIND", "127.0.0.1:0")
            .env("CCMADMIN_TFTP_BIND", "127.0.0.1:0")
            .env("CCMADMIN_SIP_BIND", "127.0.0.1:0")
            .env("CCMADMIN_CTL_PROVIDER_BIND", "127.0.0.1:0")
            .env("CCMADMIN_SIP_TLS_BIND", "127.0.0.1:0")
            .env("CCMADMIN_CAPF_BIND", "127.0.0.1:0")
            .env("CCMADMIN_DATA_DIR", data_dir)
            .env("CCMADMIN_SITE_ROOT", data_dir.join("site"))
            .env_remove("DATABASE_URL")
            .env_remove("CCMADMIN_BOOTSTRAP_PASSWORD")
            .env_remove("CCMADMIN_TLS_CERT")
            .env_remove("CCMADMIN_TLS_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start ccmadmin");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut server = Self {
            child,
            base_url: String::new(),
            stdout: Vec::new(),
            tftp_addr: None,
            lines: rx,
        };
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while server.base_url.is_empty() {
            let line = match server.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => line,
                Err(e) => panic!("ccmadmin did not start ({e}); stdout: {:?}", server.stdout),
            };
            if let Some(url) = line.strip_prefix("ccmadmin listening on ") {
                server.base_url = url.to_owned();
            }
            if line.starts_with("ccmadmin TFTP serving") {
                server.tftp_addr = line.rsplit(' ').next().and_then(|a| a.parse().ok());
            }
            server.stdout.push(line);
        }
        server
    }

    /// Waits up to `timeout` for a line starting with `prefix` and returns the rest of it.
    pub fn wait_line(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_owned();
                    }
                }
                Err(e) => panic!("no line {prefix:?} ({e})"),
            }
        }
    }

    /// Stops the server with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ccmadmin demo --phones N` on the SQLite store of `dir`.
pub fn demo(dir: &Path, phones: u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccmadmin"))
        .args(["demo", "--phones", &phones.to_string()])
        .env("CCMADMIN_DATA_DIR", dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An HTTPS client that trusts exactly the certificate the server generated in `data_dir`, and
/// keeps cookies and says where its requests come from as a browser on the console's page does.
pub fn client_trusting(data_dir: &Path) -> reqwest::Client {
    let pem = std::fs::read(cert_path(data_dir)).unwrap();
    let cert = reqwest::Certificate::from_pem(&pem).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .add_root_certificate(cert)
        .tls_built_in_root_certs(false)
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Where the server keeps its generated certificate.
pub fn cert_path(data_dir: &Path) -> PathBuf {
    server::tls::generated_paths(data_dir).0
}

/// A JSON API request over HTTPS with `client` (its cookies), `Origin` on a write as the
/// console's pages send it: the status and the JSON body (`Null` when there is none).
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut req = client.request(method.parse().unwrap(), format!("{base}{path}"));
    if method != "GET" {
        req = req.header("Origin", base);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A client of the server started on `dir` at `base`, logged in as CCMAdministrator with
/// `password`.
pub async fn admin_client(dir: &Path, base: &str, password: &str) -> reqwest::Client {
    let client = client_trusting(dir);
    let (status, _) = call(
        &client,
        base,
        "POST",
        "/api/v1/login",
        Some(serde_json::json!({"username": "CCMAdministrator", "password": password})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    client
}
