//! System, Service and Serviceability through the JSON API, on SQLite and PostgreSQL: SRST
//! references with a certificate fetched from a real TLS listener on loopback (and from a closed
//! port), R9 per device, enterprise and service parameters (R2, R3, R5, R10), servers, service
//! activation, and the dashboard's figures against the store.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use app::store::entities::{
    cluster, device_pools, devices, enterprise_parameters, required_actions, srst_references,
};

use crate::support::{add_user, backends, json_body, InProcess, TestDb};

const PW: &str = "a long enough password";

async fn console(db: &TestDb, phones: u64) -> (InProcess, String) {
    let console = InProcess::new(db.db.clone());
    add_user(&console.state, "admin", PW).await;
    if phones > 0 {
        app::service::demo::generate(
            &console.state,
            &app::service::authz::Internal::at_start("test"),
            phones,
        )
        .await
        .unwrap();
    }
    let cookie = console.login("admin", PW, None).await;
    (console, cookie)
}

async fn call(
    console: &InProcess,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let res = console.send(method, path, Some(cookie), body).await;
    let status = res.status();
    let text = json_body(res).await;
    (status, text)
}

async fn set_cluster(console: &InProcess, mode: &str) {
    let row = cluster::Entity::find()
        .one(&console.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: cluster::ActiveModel = row.into();
    active.security_mode = Set(mode.to_owned());
    active.update(&console.state.db).await.unwrap();
    console.state.reference.invalidate();
}

/// A TLS server on loopback presenting a self-signed certificate for `name`; it answers every
/// handshake until the test ends.
pub(crate) async fn tls_gateway(name: &str) -> SocketAddr {
    let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name.to_owned());
    params.not_before = rcgen::date_time_ymd(2026, 1, 1);
    params.not_after = rcgen::date_time_ymd(2030, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    addr
}

/// A loopback port with nothing listening on it.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

fn srst(name: &str, port: u16, secure: bool) -> Value {
    json!({
        "name": name,
        "ip_address": "127.0.0.1",
        "is_secure": secure,
        "certificate_provider_port": port,
    })
}

#[tokio::test]
async fn srst_certificate_is_fetched_over_tls_or_the_error_is_kept() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console(&db, 0).await;
        let gateway = tls_gateway("srst-gw-1.example").await;

        let (status, saved) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/srst-references",
            Some(srst("Branch-TLS", gateway.port(), true)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {saved}");
        let r = &saved["reference"];
        assert_eq!(r["status"], "Secure", "{backend:?} {saved}");
        assert!(r["certificate"]["subject"]
            .as_str()
            .unwrap()
            .contains("srst-gw-1.example"));
        assert_eq!(r["certificate"]["sha256"].as_str().unwrap().len(), 95);
        assert!(r["certificate_error"].is_null());

        // A closed port: the record is saved, secure, without a certificate, with the error.
        let closed = closed_port().await;
        let (status, saved) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/srst-references",
            Some(srst("Branch-Down", closed, true)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}");
        let r = &saved["reference"];
        assert_eq!(r["status"], "Secure, no certificate");
        assert!(r["certificate"].is_null());
        assert!(r["certificate_error"]
            .as_str()
            .unwrap()
            .contains("could not connect"));
        assert_eq!(r["fields"]["is_secure"], true);
        let row = srst_references::Entity::find()
            .filter(srst_references::Column::Name.eq("Branch-Down"))
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap();
        assert!(row.is_secure);

        // Pointing it at the gateway and updating the certificate fixes it.
        let mut fields = srst("Branch-Down", gateway.port(), true);
        fields["version"] = json!(row.version);
        let (status, saved) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/srst-references/Branch-Down",
            Some(fields),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["reference"]["status"], "Secure");
        let (status, saved) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/srst-references/Branch-Down/certificate",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(saved["reference"]["status"], "Secure");

        // A stale version is a conflict.
        let mut stale = srst("Branch-Down", gateway.port(), false);
        stale["version"] = json!(row.version);
        let (status, answer) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/srst-references/Branch-Down",
            Some(stale),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("admin"),
            "{answer}"
        );

        let (_, list) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/srst-references?certificate=missing",
            None,
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 0);
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_srst_and_parameter_input_names_the_field_and_saves_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console(&db, 0).await;
        let before = srst_references::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap();
        let (status, _) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/srst-references",
            Some(srst("Branch-1", 2445, false)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let cases = [
            (
                "POST",
                "/api/v1/srst-references",
                json!({"name": "Branch-2", "ip_address": "10.1.1.300"}),
                "IP Address",
            ),
            (
                "POST",
                "/api/v1/srst-references",
                json!({"name": "Branch-2", "ip_address": "10.1.1.2", "port": 70000}),
                "Port",
            ),
            (
                "POST",
                "/api/v1/srst-references",
                json!({"name": "Branch-2", "ip_address": "10.1.1.2", "certificate_provider_port": 0}),
                "SRST Certificate Provider Port",
            ),
            (
                "POST",
                "/api/v1/srst-references",
                json!({"name": "Branch-1", "ip_address": "10.1.1.2"}),
                "SRST Reference Name",
            ),
            (
                "PUT",
                "/api/v1/enterprise-parameters/CapfOperationExpiresDays",
                json!({"value": "-1"}),
                "CAPF Operation Expires in (days)",
            ),
            (
                "PUT",
                "/api/v1/enterprise-parameters/ClusterSecurityMode",
                json!({"value": "1"}),
                "Cluster Security Mode",
            ),
            (
                "POST",
                "/api/v1/servers",
                json!({"name": "CM9", "address": "10.0.0.999", "role": "Subscriber"}),
                "IP Address",
            ),
            (
                "POST",
                "/api/v1/tftp-clusters",
                json!({"name": "Other", "tftp_path": "", "security_mode": "NonSecure"}),
                "TFTP Path",
            ),
        ];
        for (method, path, body, field) in cases {
            let (status, answer) = call(&console, &cookie, method, path, Some(body.clone())).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?} {method} {path} {body}: {answer}"
            );
            assert_eq!(answer["field"], field, "{method} {path} {body}: {answer}");
        }
        assert_eq!(
            srst_references::Entity::find()
                .count(&console.state.db)
                .await
                .unwrap(),
            before + 1
        );
        let days = enterprise_parameters::Entity::find_by_id("CapfOperationExpiresDays".to_owned())
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(days.value, "10");
        db.finish().await;
    }
}

#[tokio::test]
async fn srst_in_use_is_not_deleted_and_r9_follows_the_cluster_mode() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console(&db, 60).await;
        let gateway = tls_gateway("branch-gw").await;
        // The demo's first pool uses an SRST reference: make it secure with a certificate.
        let pool = device_pools::Entity::find()
            .filter(device_pools::Column::SrstOption.eq("reference"))
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap();
        let reference = srst_references::Entity::find_by_id(pool.srst_reference_id.unwrap())
            .one(&console.state.db)
            .await
            .unwrap()
            .unwrap();
        let path = format!("/api/v1/srst-references/{}", reference.name);
        let (status, answer) = call(
            &console,
            &cookie,
            "DELETE",
            &format!("{path}?version={}", reference.version),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            answer["error"].as_str().unwrap().contains(&pool.name),
            "{answer}"
        );

        let mut body = srst(&reference.name, gateway.port(), true);
        body["version"] = json!(reference.version);
        let (status, saved) = call(&console, &cookie, "PUT", &path, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["reference"]["status"], "Secure");
        // R10: the security of a reference changed → reset the devices that depend on it.
        let actions = saved["required_actions"].as_array().unwrap();
        assert!(
            actions
                .iter()
                .any(|a| a.as_str().unwrap().contains(&reference.name)),
            "{saved}"
        );
        let recorded = required_actions::Entity::find()
            .filter(required_actions::Column::Kind.eq("reset_srst_dependents"))
            .filter(required_actions::Column::Target.eq(reference.name.clone()))
            .filter(required_actions::Column::DoneAt.is_null())
            .count(&console.state.db)
            .await
            .unwrap();
        assert_eq!(recorded, 1);

        // R9: no phone is secure-SRST while the cluster is Non-Secure.
        let (_, page) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/phones?secure_srst=yes",
            None,
        )
        .await;
        assert_eq!(page["total"], 0, "{backend:?}");
        set_cluster(&console, "mixed").await;
        let (_, page) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/phones?secure_srst=yes&per_page=200",
            None,
        )
        .await;
        let secure = page["total"].as_u64().unwrap();
        assert!(secure > 0, "{backend:?}");
        for row in page["items"].as_array().unwrap() {
            assert_eq!(row["device_pool"], pool.name);
            assert_ne!(row["effective"], "NonSecure");
            assert_eq!(row["secure_srst"], true);
        }
        let name = page["items"][0]["name"].as_str().unwrap().to_owned();
        let (_, phone) = call(
            &console,
            &cookie,
            "GET",
            &format!("/api/v1/phones/{name}"),
            None,
        )
        .await;
        assert_eq!(phone["secure_srst"]["secure"], true, "{phone}");
        let (_, not) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/phones?secure_srst=no",
            None,
        )
        .await;
        let all = devices::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap();
        assert_eq!(not["total"].as_u64().unwrap() + secure, all);
        db.finish().await;
    }
}

#[tokio::test]
async fn parameters_show_r5_and_record_r10_actions() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console(&db, 20).await;
        let (status, saved) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/enterprise-parameters/DeviceSecurityMode",
            Some(json!({"value": "Encrypted", "version": 1})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(
            saved["warnings"][0].as_str().unwrap().contains("barge"),
            "{saved}"
        );
        assert!(saved["required_actions"][0]
            .as_str()
            .unwrap()
            .contains("Use System Default"));
        let (status, saved) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/service-parameters/CM-PUB/callmanager/BuiltInBridgeEnable",
            Some(json!({"value": "On"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(saved["warnings"][0].as_str().unwrap().contains("barge"));
        // Cluster-wide: every server carries it, and phones on Default now follow it (R5).
        let (_, other) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/service-parameters?server=CM-SUB1&service=callmanager",
            None,
        )
        .await;
        let bridge = other["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["parameter"]["name"] == "BuiltInBridgeEnable")
            .unwrap();
        assert_eq!(bridge["parameter"]["value"], "On");
        let (status, saved) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/service-parameters/CM-SUB1/ctl-provider/Port",
            Some(json!({"value": "2445"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(saved["required_actions"][0]
            .as_str()
            .unwrap()
            .contains("Restart Cisco CTL Provider on CM-SUB1"));
        let (status, answer) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/service-parameters/CM-SUB1/capf/KeySize",
            Some(json!({"value": "4096"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["field"], "Key Size");
        let kinds: Vec<String> = required_actions::Entity::find()
            .all(&console.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.kind)
            .collect();
        assert!(kinds.contains(&"reset_system_default_devices".to_owned()));
        assert!(kinds.contains(&"restart_service".to_owned()));
        // Set to Default brings the page back.
        let (status, saved) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/enterprise-parameters/defaults",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let mode = saved["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "DeviceSecurityMode")
            .unwrap();
        assert_eq!(mode["value"], "non_secure");
        db.finish().await;
    }
}

#[tokio::test]
async fn r17_r2_r3_servers_and_service_activation() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console(&db, 30).await;
        set_cluster(&console, "mixed").await;
        let (_, server) = call(&console, &cookie, "GET", "/api/v1/servers/CM-SUB1", None).await;
        assert!(server["devices"].as_u64().unwrap() > 0);
        let mut body = server["fields"].clone();
        body["auto_registration"] = json!(true);
        body["version"] = server["version"].clone();
        let (status, answer) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/servers/CM-SUB1",
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["field"], "Auto-registration");
        assert!(answer["error"].as_str().unwrap().contains("R2"));
        // R17: a server added to a Mixed cluster requires updating the CTL file.
        let (status, saved) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/servers",
            Some(json!({"name": "CM-NEW", "address": "10.10.0.99", "role": "Subscriber"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        assert!(saved["required_actions"][0]
            .as_str()
            .unwrap()
            .contains("CTL"));
        // The sum of registered devices is every device.
        let (_, servers) = call(&console, &cookie, "GET", "/api/v1/servers", None).await;
        let registered: u64 = servers
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["devices"].as_u64().unwrap())
            .sum();
        let all = devices::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap();
        assert_eq!(registered, all);
        let (_, filtered) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/phones?server=CM-SUB1",
            None,
        )
        .await;
        assert_eq!(filtered["total"], server["devices"]);

        // R3: another cluster with the same TFTP path and another mode.
        let (status, answer) = call(
            &console,
            &cookie,
            "POST",
            "/api/v1/tftp-clusters",
            Some(json!({"name": "Other", "tftp_path": "/usr/local/cm/tftp/", "security_mode": "NonSecure"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let warnings = answer["r3_warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 2, "{answer}");

        // Service activation: CAPF only on the publisher; CTL Provider off until activated.
        let (_, services) = call(&console, &cookie, "GET", "/api/v1/services", None).await;
        let find = |server: &str, service: &str| {
            services
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["server"] == server && s["service"] == service)
                .unwrap()
                .clone()
        };
        assert_eq!(find("CM-SUB1", "CtlProvider")["activated"], false);
        assert_eq!(find("CM-SUB1", "CallManager")["activated"], true);
        let (status, answer) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/servers/CM-SUB1/services/capf",
            Some(json!({"activated": true})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let (status, answer) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/servers/CM-SUB1/services/ctl-provider",
            Some(json!({"activated": true})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["activated"], true);
        let (status, _) = call(
            &console,
            &cookie,
            "PUT",
            "/api/v1/servers/CM-SUB1/services/ctl-provider",
            Some(json!({"activated": false, "version": 0})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        db.finish().await;
    }
}

#[tokio::test]
async fn dashboard_figures_match_the_store() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (console, cookie) = console(&db, 300).await;
        set_cluster(&console, "mixed").await;
        let (status, d) = call(&console, &cookie, "GET", "/api/v1/dashboard", None).await;
        assert_eq!(status, StatusCode::OK);
        let all = devices::Entity::find()
            .count(&console.state.db)
            .await
            .unwrap();
        assert_eq!(d["devices"].as_u64().unwrap(), all);
        let mut configured_sum = 0;
        for row in d["by_mode"].as_array().unwrap() {
            let mode = row["mode"].as_str().unwrap();
            let key = match mode {
                "NonSecure" => "non_secure",
                "Authenticated" => "authenticated",
                _ => "encrypted",
            };
            let (_, page) = call(
                &console,
                &cookie,
                "GET",
                &format!("/api/v1/phones?effective={key}&per_page=1"),
                None,
            )
            .await;
            assert_eq!(row["effective"], page["total"], "{backend:?} {mode}");
            configured_sum += row["configured"].as_u64().unwrap();
        }
        assert_eq!(configured_sum, all);
        for finding in d["findings"].as_array().unwrap() {
            let link = finding["link"].as_str().unwrap();
            if let Some(key) = link.strip_prefix("/phones?finding=") {
                let (status, page) = call(
                    &console,
                    &cookie,
                    "GET",
                    &format!("/api/v1/phones?finding={key}&per_page=1"),
                    None,
                )
                .await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(finding["count"], page["total"], "{backend:?} {key}");
            }
        }
        let (_, secure) = call(
            &console,
            &cookie,
            "GET",
            "/api/v1/phones?secure_srst=yes&per_page=1",
            None,
        )
        .await;
        assert_eq!(d["secure_srst_devices"], secure["total"]);
        db.finish().await;
    }
}
