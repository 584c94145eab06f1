//! Cisco CallManager as the SIP registrar (issue 17, item 5; R13, R14), over real TLS on
//! loopback: a device set Encrypted registers over TLS only with a certificate whose chain
//! reaches the CAPF CA (its LSC) or an uploaded manufacturer CA (its MIC) and names it; no
//! certificate, an unknown issuer (its own CA sent along as an intermediate included), another
//! device's certificate and an expired one are refused with the reason the device page shows; the
//! contact's address is the connection's; a Non-Secure device registers over UDP.

use std::net::SocketAddr;

use axum::http::StatusCode;
use openssl::pkey::PKey;
use serde_json::json;

use app::domain::sip_register::Register;
use app::model::security::CertRole;
use app::service::authz::Internal;
use app::service::registrar::{self, Transport};
use server::capf_client::{self, Held};
use server::sip_client::register_tls;

use crate::support::{backends, json_body, mixed_cluster, t0, TestDb};

const PW: &str = "a long enough password";

async fn registered(
    console: &crate::support::InProcess,
    cookie: &str,
    name: &str,
) -> serde_json::Value {
    json_body(
        console
            .send(
                "GET",
                &format!("/api/v1/phones/{name}/contact"),
                Some(cookie),
                None,
            )
            .await,
    )
    .await
}

#[tokio::test]
async fn r13_r14_secure_registration_takes_an_lsc_or_a_trusted_mic_naming_the_device() {
    let db = TestDb::new(backends()[0]).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut console, cookie) = mixed_cluster(&db, dir.path(), 100, PW, &["SAST1", "SAST2"]).await;
    // A console listening on loopback takes loopback contacts.
    console.state = console
        .state
        .clone()
        .with_contact_policy(app::domain::sip::ContactPolicy::on_loopback());
    console.rebuild_router();
    let internal = Internal::at_start("test");
    let (task, addr) = server::registrar::start_tls(
        console.state.clone(),
        internal.clone(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let publisher = app::store::servers::publisher(&db.db)
        .await
        .unwrap()
        .unwrap();
    let callmanager =
        app::store::certificates::of_role(&db.db, CertRole::CallManager, &publisher.name)
            .await
            .unwrap()
            .unwrap()
            .der;
    let capf = app::store::certificates::of_role(&db.db, CertRole::Capf, "CAPF")
        .await
        .unwrap()
        .unwrap();
    let capf_key = PKey::private_key_from_pem(
        &std::fs::read(dir.path().join("keys").join(&capf.key_file)).unwrap(),
    )
    .unwrap();
    let capf_ca = Held {
        der: capf.der.clone(),
        key: capf_key,
    };
    let list = json_body(
        console
            .send(
                "GET",
                "/api/v1/phones?model=Cisco%207970&per_page=2",
                Some(&cookie),
                None,
            )
            .await,
    )
    .await;
    let name = list["items"][0]["name"].as_str().unwrap().to_owned();
    let other = list["items"][1]["name"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/phones/{name}");
    let phone = json_body(console.send("GET", &path, Some(&cookie), None).await).await;
    let mut fields = phone["fields"].clone();
    fields["security_mode"] = json!({"Explicit": "Encrypted"});
    fields["version"] = phone["version"].clone();
    let res = console
        .send("PUT", &path, Some(&cookie), Some(fields))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let other_path = format!("/api/v1/phones/{other}");
    let phone = json_body(console.send("GET", &other_path, Some(&cookie), None).await).await;
    let mut fields = phone["fields"].clone();
    fields["security_mode"] = json!({"Explicit": "NonSecure"});
    fields["version"] = phone["version"].clone();
    let res = console
        .send("PUT", &other_path, Some(&cookie), Some(fields))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let contact: SocketAddr = "127.0.0.1:40123".parse().unwrap();
    let trusted = [callmanager.clone()];
    let register = |cert: Option<Held>, device: String| {
        let trusted = trusted.clone();
        async move {
            register_tls(addr, &trusted, cert.as_ref(), &device, contact)
                .await
                .unwrap()
        }
    };

    // Its LSC (issued by the CAPF CA): registered, the contact from the connection.
    // A 1024-bit LSC, as 79xx phones hold (smaller than ring takes: OpenSSL checks it).
    let lsc = capf_client::issue_mic(&capf_ca, &name, 1024, t0()).unwrap();
    let record = app::capf::lsc::record(&lsc.der).unwrap();
    let serial = record.serial.clone();
    // As CAPF records it once the phone stored it.
    let kept = app::store::phones::KeptCertificate {
        serial: record.serial,
        issuer: record.issuer,
        sha256: record.sha256,
        not_before: record.not_before,
        not_after: record.not_after,
    };
    assert!(app::store::phones::record_capf(
        &db.db,
        &name,
        None,
        &app::store::phones::CapfRecord {
            state: "Success",
            operation: "Install/Upgrade".into(),
            reason: String::new(),
            at: t0(),
            end_operation: true,
            lsc: Some(Some(kept)),
            mic: None,
            attempts: None,
            facts_only: false,
        },
    )
    .await
    .unwrap());
    // Another LSC the CAPF CA issued it (one it replaced, say) is not its current one.
    let replaced = capf_client::issue_mic(&capf_ca, &name, 2048, t0()).unwrap();
    let lsc_der = lsc.der.clone();
    let ok = register(Some(lsc), name.clone()).await;
    assert_eq!(
        (ok.code, ok.reason.as_str()),
        (200, format!("TLS with LSC serial {serial}").as_str())
    );
    let seen = registered(&console, &cookie, &name).await;
    assert_eq!(
        seen["registration"],
        format!("TLS with LSC serial {serial}"),
        "{seen}"
    );
    assert_eq!(seen["transport"], "tls");
    assert_eq!(seen["address"], "127.0.0.1");
    assert_eq!(seen["port"], 40123);

    let refused = register(Some(replaced), name.clone()).await;
    assert_eq!(refused.code, 403);
    assert!(
        refused.reason.starts_with("not the device's current LSC"),
        "{refused:?}"
    );

    // The certificate without its key (copied off the phone): the handshake's signature fails.
    let stolen = Held {
        der: lsc_der,
        key: PKey::from_rsa(openssl::rsa::Rsa::generate(1024).unwrap()).unwrap(),
    };
    assert!(register_tls(addr, &trusted, Some(&stolen), &name, contact)
        .await
        .is_err());

    // No certificate.
    let refused = register(None, name.clone()).await;
    assert_eq!(
        (refused.code, refused.reason.as_str()),
        (403, "no certificate")
    );
    let seen = registered(&console, &cookie, &name).await;
    assert_eq!(seen["refusal"], "no certificate");

    // Another device's LSC.
    let theirs = capf_client::issue_mic(&capf_ca, &other, 2048, t0()).unwrap();
    let refused = register(Some(theirs), name.clone()).await;
    assert_eq!(refused.code, 403);
    assert!(refused.reason.starts_with("name mismatch"), "{refused:?}");

    // A MIC of a maker nobody uploaded, then of the uploaded one (R14).
    let maker = capf_client::new_manufacturer_ca("Maker CA", t0()).unwrap();
    let mic = capf_client::issue_mic(&maker, &name, 2048, t0()).unwrap();
    let same_mic = || Held {
        der: mic.der.clone(),
        key: mic.key.clone(),
    };
    let refused = register(Some(same_mic()), name.clone()).await;
    assert_eq!(refused.code, 403);
    assert!(refused.reason.starts_with("unknown issuer"), "{refused:?}");
    let pem = String::from_utf8(
        openssl::x509::X509::from_der(&maker.der)
            .unwrap()
            .to_pem()
            .unwrap(),
    )
    .unwrap();
    let res = console
        .send(
            "POST",
            "/api/v1/manufacturer-cas",
            Some(&cookie),
            Some(json!({ "pem": pem })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ok = register(Some(same_mic()), name.clone()).await;
    let mic_serial = app::capf::lsc::record(&mic.der).unwrap().serial;
    assert_eq!(
        (ok.code, ok.reason),
        (200, format!("TLS with MIC serial {mic_serial}"))
    );

    // The attacker's own CA and a certificate it issued naming the device: unknown issuer, even
    // with that CA sent along.
    let rogue = capf_client::new_manufacturer_ca("Rogue CA", t0()).unwrap();
    let forged = capf_client::issue_mic(&rogue, &name, 2048, t0()).unwrap();
    let refused = register(Some(forged), name.clone()).await;
    assert!(refused.reason.starts_with("unknown issuer"), "{refused:?}");

    // Over UDP the Encrypted device is refused (R13); a Non-Secure one registers.
    let udp = |device: &str| Register {
        device: device.to_owned(),
        contact_port: Some(5060),
        expires: 3600,
    };
    let peer: SocketAddr = "127.0.0.1:5999".parse().unwrap();
    let answer = registrar::register(&console.state, &internal, &udp(&name), peer, Transport::Udp)
        .await
        .unwrap();
    assert_eq!(answer.code, 403);
    assert!(
        answer.reason.contains("registers over TLS (R13)"),
        "{answer:?}"
    );
    let answer = registrar::register(
        &console.state,
        &internal,
        &udp(&other),
        peer,
        Transport::Udp,
    )
    .await
    .unwrap();
    assert_eq!((answer.code, answer.reason.as_str()), (200, "UDP"));
    let answer = registrar::register(
        &console.state,
        &internal,
        &udp("SEP0000DEADBEEF"),
        peer,
        Transport::Udp,
    )
    .await
    .unwrap();
    assert_eq!(answer.code, 404);

    // Years later the LSC has expired.
    console.clock.advance(chrono::Duration::days(365 * 11));
    let old = capf_client::issue_mic(&capf_ca, &name, 2048, t0()).unwrap();
    let refused = register(Some(old), name.clone()).await;
    assert_eq!(
        (refused.code, refused.reason.as_str()),
        (403, "expired certificate")
    );
    task.abort();
    db.finish().await;
}
