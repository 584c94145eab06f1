//! `SEP<MAC>.cnf.xml` and `XMLDefault.cnf.xml` (`FORMATS.md`): built from plain values with a
//! fixed element order, so the same store gives the same bytes (R12 compares bytes).

use std::fmt::Write;

use crate::domain::security::{Hardening, SecurityMode};

/// A CallManager of the device pool's group, in priority order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallManagerEntry {
    /// Server name.
    pub name: String,
    /// Its address (`processNodeName`).
    pub address: String,
    /// Ethernet Phone Port (SCCP).
    pub ethernet_phone_port: u16,
    /// SIP port.
    pub sip_port: u16,
    /// SIP over TLS port.
    pub secured_sip_port: u16,
    /// MGCP listen port.
    pub mgcp_listen: u16,
    /// MGCP keep-alive port.
    pub mgcp_keep_alive: u16,
}

/// The SRST section of a device pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrstEntry {
    /// Reference name ("Disable" / "Use Default Gateway" without one).
    pub name: String,
    /// `Disable`, `Use Default Gateway` or `User Specific`.
    pub option: &'static str,
    /// SCCP address and port.
    pub address: Option<(String, u16)>,
    /// SIP address and port.
    pub sip_address: Option<(String, u16)>,
    /// Whether the phone uses it securely (R9).
    pub is_secure: bool,
    /// The gateway's certificate (DER), present exactly when R9 holds.
    pub certificate: Option<Vec<u8>>,
}

/// Everything a device's file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// `SEP` + MAC.
    pub name: String,
    /// Description.
    pub description: String,
    /// `SCCP` or `SIP`.
    pub protocol: &'static str,
    /// Device pool name.
    pub pool: String,
    /// CallManager group name.
    pub group: String,
    /// The group's servers in priority order.
    pub members: Vec<CallManagerEntry>,
    /// SRST.
    pub srst: SrstEntry,
    /// Phone hardening.
    pub hardening: Hardening,
    /// The effective security mode (R8: Non Secure whenever the cluster is).
    pub mode: SecurityMode,
    /// CAPF authentication mode code.
    pub capf_auth_mode: u8,
    /// CAPF phone port.
    pub capf_port: u16,
    /// The publisher's address (where CAPF runs).
    pub capf_node: String,
}

/// The value of a hardening setting in `vendorConfig`: 0 enabled, 1 disabled (the one place
/// that mapping lives).
pub fn hardening_value(enabled: bool) -> u8 {
    if enabled {
        0
    } else {
        1
    }
}

/// `deviceSecurityMode`: 1 Non Secure, 2 Authenticated, 3 Encrypted.
pub fn mode_value(mode: SecurityMode) -> u8 {
    match mode {
        SecurityMode::NonSecure => 1,
        SecurityMode::Authenticated => 2,
        SecurityMode::Encrypted => 3,
    }
}

/// Escapes text for element content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn members(out: &mut String, members: &[CallManagerEntry]) {
    out.push_str("      <members>\n");
    for (priority, m) in members.iter().enumerate() {
        let _ = write!(
            out,
            "        <member priority=\"{priority}\">\n          <callManager>\n            \
             <name>{}</name>\n            <ports>\n              <ethernetPhonePort>{}</ethernetPhonePort>\n              \
             <sipPort>{}</sipPort>\n              <securedSipPort>{}</securedSipPort>\n              \
             <mgcpPorts>\n                <listen>{}</listen>\n                <keepAlive>{}</keepAlive>\n              \
             </mgcpPorts>\n            </ports>\n            <processNodeName>{}</processNodeName>\n          \
             </callManager>\n        </member>\n",
            escape(&m.name),
            m.ethernet_phone_port,
            m.sip_port,
            m.secured_sip_port,
            m.mgcp_listen,
            m.mgcp_keep_alive,
            escape(&m.address),
        );
    }
    out.push_str("      </members>\n");
}

fn srst(out: &mut String, s: &SrstEntry) {
    let (ip, port) = s.address.clone().unwrap_or_default();
    let (sip_ip, sip_port) = s.sip_address.clone().unwrap_or_default();
    let _ = write!(
        out,
        "    <srstInfo>\n      <name>{}</name>\n      <srstOption>{}</srstOption>\n      \
         <userModifiable>false</userModifiable>\n      <ipAddr1>{}</ipAddr1>\n      <port1>{}</port1>\n      \
         <ipAddr2></ipAddr2>\n      <port2>2000</port2>\n      <ipAddr3></ipAddr3>\n      <port3>2000</port3>\n      \
         <sipIpAddr1>{}</sipIpAddr1>\n      <sipPort1>{}</sipPort1>\n      <sipIpAddr2></sipIpAddr2>\n      \
         <sipPort2>5060</sipPort2>\n      <sipIpAddr3></sipIpAddr3>\n      <sipPort3>5060</sipPort3>\n      \
         <isSecure>{}</isSecure>\n",
        escape(&s.name),
        s.option,
        escape(&ip),
        if port == 0 { 2000 } else { port },
        escape(&sip_ip),
        if sip_port == 0 { 5060 } else { sip_port },
        s.is_secure,
    );
    if let Some(der) = &s.certificate {
        let _ = writeln!(
            out,
            "      <certificate>{}</certificate>",
            openssl::base64::encode_block(der)
        );
    }
    out.push_str("    </srstInfo>\n");
}

/// The bytes of `SEP<MAC>.cnf.xml`.
pub fn device_file(d: &DeviceConfig) -> Vec<u8> {
    let mut out = String::with_capacity(3000);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device>\n  <fullConfig>true</fullConfig>\n",
    );
    let _ = write!(
        out,
        "  <deviceProtocol>{}</deviceProtocol>\n  <description>{}</description>\n  <devicePool>\n    \
         <name>{}</name>\n    <callManagerGroup>\n      <name>{}</name>\n",
        d.protocol,
        escape(&d.description),
        escape(&d.pool),
        escape(&d.group),
    );
    members(&mut out, &d.members);
    out.push_str("    </callManagerGroup>\n");
    srst(&mut out, &d.srst);
    out.push_str(
        "    <connectionMonitorDuration>120</connectionMonitorDuration>\n  </devicePool>\n",
    );
    let h = &d.hardening;
    let _ = write!(
        out,
        "  <vendorConfig>\n    <garp>{}</garp>\n    <webAccess>{}</webAccess>\n    \
         <voiceVlanAccess>{}</voiceVlanAccess>\n    <settingsAccess>{}</settingsAccess>\n    \
         <pcPort>{}</pcPort>\n  </vendorConfig>\n",
        hardening_value(h.gratuitous_arp),
        hardening_value(h.web_access),
        hardening_value(h.pc_voice_vlan_access),
        hardening_value(h.settings_access),
        hardening_value(h.pc_port),
    );
    let transport = match (d.protocol, d.mode) {
        ("SIP", SecurityMode::NonSecure) => "TCP",
        ("SIP", _) => "TLS",
        _ => "TCP",
    };
    let _ = write!(
        out,
        "  <deviceSecurityMode>{}</deviceSecurityMode>\n  <transportLayerProtocol>{transport}</transportLayerProtocol>\n  \
         <capfAuthMode>{}</capfAuthMode>\n  <capfList>\n    <capf>\n      <phonePort>{}</phonePort>\n      \
         <processNodeName>{}</processNodeName>\n    </capf>\n  </capfList>\n  <certHash></certHash>\n  \
         <encrConfig>false</encrConfig>\n</device>\n",
        mode_value(d.mode),
        d.capf_auth_mode,
        d.capf_port,
        escape(&d.capf_node),
    );
    out.into_bytes()
}

/// The bytes of `XMLDefault.cnf.xml`: what a phone without its own file (or auto-registering)
/// gets — the first servers of the cluster, Non Secure.
pub fn default_file(servers: &[CallManagerEntry], mode_in_cluster: SecurityMode) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Default>\n  <devicePool>\n    <callManagerGroup>\n",
    );
    members(&mut out, servers);
    let _ = write!(
        out,
        "    </callManagerGroup>\n  </devicePool>\n  <deviceSecurityMode>{}</deviceSecurityMode>\n</Default>\n",
        mode_value(mode_in_cluster)
    );
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(mode: SecurityMode, cert: Option<Vec<u8>>) -> DeviceConfig {
        DeviceConfig {
            name: "SEP001122334455".into(),
            description: "Lobby <A&B>".into(),
            protocol: "SIP",
            pool: "Pool-1".into(),
            group: "CMG-1".into(),
            members: vec![CallManagerEntry {
                name: "CM1".into(),
                address: "10.0.0.1".into(),
                ethernet_phone_port: 2000,
                sip_port: 5060,
                secured_sip_port: 5061,
                mgcp_listen: 2427,
                mgcp_keep_alive: 2428,
            }],
            srst: SrstEntry {
                name: "Branch".into(),
                option: "User Specific",
                address: Some(("10.1.1.1".into(), 2000)),
                sip_address: None,
                is_secure: cert.is_some(),
                certificate: cert,
            },
            hardening: Hardening::default(),
            mode,
            capf_auth_mode: 1,
            capf_port: 3804,
            capf_node: "10.0.0.1".into(),
        }
    }

    #[test]
    fn the_same_data_gives_the_same_bytes_and_text_is_escaped() {
        let a = device_file(&device(SecurityMode::Encrypted, None));
        let b = device_file(&device(SecurityMode::Encrypted, None));
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert!(text.contains("<description>Lobby &lt;A&amp;B&gt;</description>"));
        assert!(text.contains("<deviceSecurityMode>3</deviceSecurityMode>"));
        assert!(text.contains("<transportLayerProtocol>TLS</transportLayerProtocol>"));
        assert!(!text.contains("<certificate>"));
        let with_cert = String::from_utf8(device_file(&device(
            SecurityMode::Encrypted,
            Some(vec![1, 2, 3]),
        )))
        .unwrap();
        assert!(with_cert.contains("<certificate>AQID</certificate>"));
        assert!(with_cert.contains("<isSecure>true</isSecure>"));
    }
}
