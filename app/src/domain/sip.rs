//! Resetting SIP phones over the network (FORMATS.md, "Resetting SIP phones over the network"): the
//! service-control NOTIFY the console sends to a phone's registered contact, the retransmission
//! timers of that non-INVITE client transaction over UDP (RFC 3261 §17.1.2.2), and the small
//! parsers both ends need — the console reads the phone's response, the phone simulator reads the
//! request and answers it. Pure: no I/O, and no input bytes make it panic (parsers return `None`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The RFC 3261 §8.1.1.7 magic cookie every Via branch starts with.
const MAGIC_COOKIE: &str = "z9hG4bK";
/// The protocol version of every request and status line.
const SIP_VERSION: &str = "SIP/2.0";
/// The event package of a reset or restart.
const SERVICE_CONTROL: &str = "service-control";
/// The user part of the console's From and Contact URIs.
const CONSOLE_USER: &str = "ccmadmin";

/// What a device is asked to do (PAGES.md: Reset = full reboot and config fetch, Restart = reload
/// config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceAction {
    /// The device powers down and reboots: fetches its config file and CTL again, re-registers.
    Reset,
    /// The device re-registers and reloads its configuration without a full reboot.
    Restart,
}

impl DeviceAction {
    /// The value of the body's `action=` line: `reset` or `restart`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Restart => "restart",
        }
    }

    /// The action whose [`key`](Self::key) is exactly `s` (lowercase), else `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reset" => Some(Self::Reset),
            "restart" => Some(Self::Restart),
            _ => None,
        }
    }

    /// The name shown on pages: `Reset` or `Restart`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reset => "Reset",
            Self::Restart => "Restart",
        }
    }
}

/// Timers of a non-INVITE client transaction over UDP (RFC 3261 §17.1.2.2).
///
/// The request is sent at once; after send number `n` (0 = the first send) the next retransmission
/// follows [`retransmit_after(n)`](Self::retransmit_after) later (Timer E), until a final response
/// arrives or [`timeout`](Self::timeout) has passed since the first send (Timer F). Once a
/// provisional (1xx) response has arrived, the RFC keeps retransmitting every T2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// T1, the round-trip time estimate: the first retransmission interval.
    pub t1: Duration,
    /// T2, the longest retransmission interval.
    pub t2: Duration,
}

impl Timers {
    /// The RFC 3261 defaults: T1 = 500 ms, T2 = 4 s.
    pub const RFC3261: Timers = Timers {
        t1: Duration::from_millis(500),
        t2: Duration::from_secs(4),
    };

    /// Timers with the given T1 and T2 = 8 × T1 (the RFC's ratio), capped at 4 s but never below T1.
    pub fn with_t1(t1: Duration) -> Self {
        Timers {
            t1,
            t2: t1.saturating_mul(8).min(Self::RFC3261.t2).max(t1),
        }
    }

    /// Timer F = 64 × T1: the transaction ends without a final response after this long.
    pub fn timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Delay between send number `n` (0 = the first send) and the next retransmission:
    /// min(T1 × 2^n, T2). Saturating, never panics for large n.
    pub fn retransmit_after(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n).unwrap_or(u32::MAX);
        self.t1.saturating_mul(factor).min(self.t2)
    }
}

/// Which addresses a device's contact may be, so that nobody can aim the console's NOTIFYs (and
/// the retransmissions of each) at a host that did not ask for them.
///
/// A contact is never "this network" (`0.0.0.0/8`), multicast, broadcast or reserved
/// (`240.0.0.0/4`), and loopback only while the console itself listens on loopback (tests, the
/// phone simulator). A device registers the address its registration comes from, unless it
/// comes from a trusted proxy, which may register any contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPolicy {
    /// Whether the console listens on loopback (its HTTPS and SIP addresses are loopback
    /// addresses): loopback contacts are accepted then.
    pub loopback: bool,
    /// Senders allowed to register a contact other than their own address.
    pub trusted_proxies: Vec<IpAddr>,
}

impl ContactPolicy {
    /// A policy for a console listening on loopback, with no trusted proxy.
    pub fn on_loopback() -> Self {
        Self {
            loopback: true,
            trusted_proxies: Vec::new(),
        }
    }

    /// Why `contact` cannot be a device's contact, or None when it can.
    pub fn refusal(&self, contact: Ipv4Addr) -> Option<String> {
        let [first, ..] = contact.octets();
        let reason = if first == 0 {
            "names no host (0.0.0.0/8)"
        } else if contact.is_broadcast() {
            "is the broadcast address"
        } else if contact.is_multicast() {
            "is a multicast address"
        } else if first >= 240 {
            "is a reserved address (240.0.0.0/4)"
        } else if contact.is_loopback() && !self.loopback {
            "is a loopback address, accepted only while the console itself listens on loopback"
        } else {
            return None;
        };
        Some(format!("{contact} {reason}"))
    }

    /// Why a registration that came from `sender` (None: not known) cannot name `contact`, or
    /// None when it can: the contact must be the sender's own address unless the sender is a
    /// trusted proxy, and pass [`refusal`](Self::refusal).
    pub fn registration_refusal(
        &self,
        contact: Ipv4Addr,
        sender: Option<IpAddr>,
    ) -> Option<String> {
        let Some(sender) = sender.map(|ip| ip.to_canonical()) else {
            return Some(
                "cannot be checked: the address the registration comes from is not known"
                    .to_owned(),
            );
        };
        let trusted = self
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.to_canonical() == sender);
        if !trusted && sender != IpAddr::V4(contact) {
            return Some(format!(
                "{contact} is not the address the registration comes from ({sender}); a device registers its own address"
            ));
        }
        self.refusal(contact)
    }
}

/// What one NOTIFY says and where it goes.
#[derive(Debug, Clone)]
pub struct Notify<'a> {
    /// The device name, e.g. `SEP001122334455`: user part of the Request-URI and of To.
    pub device: &'a str,
    /// The device's registered contact (host:port of the Request-URI and of To).
    pub contact: SocketAddr,
    /// The console's UDP socket (Via sent-by, host of From and Contact).
    pub local: SocketAddr,
    /// The Via branch; the magic cookie `z9hG4bK` is prefixed unless already present.
    pub branch: &'a str,
    /// The Call-ID.
    pub call_id: &'a str,
    /// The From tag.
    pub from_tag: &'a str,
    /// The CSeq number.
    pub cseq: u32,
    /// What the device is asked to do.
    pub action: DeviceAction,
    /// The Call-ID of the device's registration (body line `RegisterCallId={…}`).
    pub register_call_id: &'a str,
    /// The version stamp of the device's configuration (body line `ConfigVersionStamp={…}`).
    pub config_version_stamp: &'a str,
}

/// The NOTIFY request text (CRLF line ends, correct Content-Length in bytes).
pub fn notify(n: &Notify<'_>) -> String {
    let body = format!(
        "action={}\r\nRegisterCallId={{{}}}\r\nConfigVersionStamp={{{}}}\r\n",
        n.action.key(),
        n.register_call_id,
        n.config_version_stamp
    );
    let cookie = if n.branch.starts_with(MAGIC_COOKIE) {
        ""
    } else {
        MAGIC_COOKIE
    };
    format!(
        "NOTIFY sip:{device}@{contact} {SIP_VERSION}\r\n\
         Via: {SIP_VERSION}/UDP {local};branch={cookie}{branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{CONSOLE_USER}@{local}>;tag={from_tag}\r\n\
         To: <sip:{device}@{contact}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} NOTIFY\r\n\
         Contact: <sip:{CONSOLE_USER}@{local}>\r\n\
         Event: {SERVICE_CONTROL}\r\n\
         Subscription-State: active\r\n\
         Content-Type: text/plain\r\n\
         Content-Length: {length}\r\n\
         \r\n\
         {body}",
        device = n.device,
        contact = n.contact,
        local = n.local,
        branch = n.branch,
        from_tag = n.from_tag,
        call_id = n.call_id,
        cseq = n.cseq,
        length = body.len(),
    )
}

/// A SIP response as the console reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code (100–699).
    pub code: u16,
    /// The branch parameter of the top Via, as on the wire (magic cookie included).
    pub branch: String,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq number.
    pub cseq: u32,
    /// The CSeq method, e.g. `NOTIFY`.
    pub method: String,
}

/// Parses a response datagram (`SIP/2.0 200 OK` status line, headers Via (top one; its branch
/// parameter), Call-ID, CSeq). Header names case-insensitive, compact forms accepted (v = Via,
/// i = Call-ID). None for anything that is not a well-formed response.
pub fn parse_response(bytes: &[u8]) -> Option<Response> {
    let (start, headers, body) = split_message(bytes)?;
    let (version, rest) = start.split_once(' ')?;
    if !version.eq_ignore_ascii_case(SIP_VERSION) {
        return None;
    }
    let code_text = rest.split_once(' ').map_or(rest, |(code, _)| code);
    let code = parse_digits::<u16>(code_text)
        .filter(|code| code_text.len() == 3 && (100..=699).contains(code))?;
    // A datagram shorter than its Content-Length was truncated.
    limit_body(&headers, body)?;
    let via = find_header(&headers, "Via")?;
    let top_via = via.split_once(',').map_or(via, |(top, _)| top);
    let branch = via_branch(top_via)?;
    let call_id = find_header(&headers, "Call-ID").filter(|id| !id.is_empty())?;
    let (cseq, method) = parse_cseq(find_header(&headers, "CSeq")?)?;
    Some(Response {
        code,
        branch: branch.to_owned(),
        call_id: call_id.to_owned(),
        cseq,
        method: method.to_owned(),
    })
}

/// A SIP request as the device (simulator) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, e.g. `NOTIFY`.
    pub method: String,
    /// The user part of the Request-URI, e.g. `SEP001122334455`.
    pub uri_user: String,
    /// Every header in order, names as written, values trimmed (folded lines joined).
    pub headers: Vec<(String, String)>,
    /// The body, limited to Content-Length when present.
    pub body: String,
}

impl Request {
    /// First value of a header, by name, case-insensitive, accepting compact forms (v Via,
    /// i Call-ID, f From, t To, l Content-Length, c Content-Type, o Event, m Contact). The value
    /// is the whole header line's, comma-separated lists included.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Parses a request datagram: request line `METHOD sip:user@host[:port] SIP/2.0`, headers until
/// the blank line, body = the rest limited to Content-Length when present (refuse (None) if
/// Content-Length is larger than the bytes there). Tolerates LF-only line ends. None for anything
/// malformed (including non-UTF-8).
pub fn parse_request(bytes: &[u8]) -> Option<Request> {
    let (start, headers, body) = split_message(bytes)?;
    let mut parts = start.split(' ');
    let (method, uri, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_token(method) || !version.eq_ignore_ascii_case(SIP_VERSION) {
        return None;
    }
    // A REGISTER's Request-URI names the registrar's domain, without a user.
    let uri_user = match sip_uri_user(uri) {
        Some(user) => user,
        None if method == "REGISTER" && sip_uri_host(uri) => "",
        None => return None,
    };
    let body = std::str::from_utf8(limit_body(&headers, body)?).ok()?;
    Some(Request {
        method: method.to_owned(),
        uri_user: uri_user.to_owned(),
        headers,
        body: body.to_owned(),
    })
}

/// The action of a service-control NOTIFY (method NOTIFY, Event header `service-control` ignoring
/// parameters/case, a body line `action=reset|restart`), else None. The first `action` line
/// decides.
pub fn action_of(req: &Request) -> Option<DeviceAction> {
    let event = req.header("Event")?;
    let package = event.split_once(';').map_or(event, |(package, _)| package);
    if req.method != "NOTIFY" || !package.trim().eq_ignore_ascii_case(SERVICE_CONTROL) {
        return None;
    }
    req.body
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("action")
                .then(|| value.trim())
        })
        .and_then(DeviceAction::parse)
}

/// A response to `req`: status line `SIP/2.0 <code> <reason>`, copies every Via in order, From,
/// Call-ID, CSeq; To copied with `;tag=<to_tag>` appended when it has no tag (and `to_tag` is not
/// empty); `Content-Length: 0`; CRLF line ends. Headers missing from `req` are left out.
pub fn response_to(req: &Request, code: u16, reason: &str, to_tag: &str) -> String {
    let mut out = format!("{SIP_VERSION} {code} {reason}\r\n");
    for via in req
        .headers
        .iter()
        .filter(|(name, _)| same_header(name, "Via"))
    {
        push_header(&mut out, "Via", &via.1);
    }
    if let Some(from) = req.header("From") {
        push_header(&mut out, "From", from);
    }
    if let Some(to) = req.header("To") {
        if has_tag(to) || to_tag.is_empty() {
            push_header(&mut out, "To", to);
        } else {
            push_header(&mut out, "To", &format!("{to};tag={to_tag}"));
        }
    }
    for name in ["Call-ID", "CSeq"] {
        if let Some(value) = req.header(name) {
            push_header(&mut out, name, value);
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// Appends one `Name: value` line.
fn push_header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.push_str(value);
    out.push_str("\r\n");
}

/// Whether the params of a To/From value (after the `>` of a bracketed URI, else after the first
/// `;`) hold a `tag`.
fn has_tag(value: &str) -> bool {
    let params = match value.rfind('>') {
        Some(close) => value.get(close + 1..).unwrap_or(""),
        None => value.split_once(';').map_or("", |(_, params)| params),
    };
    params.split(';').any(|param| {
        let name = param.split_once('=').map_or(param, |(name, _)| name);
        name.trim().eq_ignore_ascii_case("tag")
    })
}

/// The header section (UTF-8) and the bytes after the blank line that ends it; a line ends with
/// LF, optionally preceded by CR. None without a blank line.
fn split_head(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let mut line_start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if byte != b'\n' {
            continue;
        }
        let line = bytes.get(line_start..i)?;
        if line.is_empty() || line == b"\r" {
            let head = std::str::from_utf8(bytes.get(..line_start)?).ok()?;
            return Some((head, bytes.get(i + 1..)?));
        }
        line_start = i + 1;
    }
    None
}

/// The start line, the headers and the bytes after the blank line of a message.
/// A message split into its start line, its headers and its body.
type Split<'a> = (&'a str, Vec<(String, String)>, &'a [u8]);

fn split_message(bytes: &[u8]) -> Option<Split<'_>> {
    let (head, rest) = split_head(bytes)?;
    let mut lines = head
        .split_terminator('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let start = lines.next().filter(|line| !line.contains('\r'))?;
    Some((start, parse_headers(lines)?, rest))
}

/// `Name: value` lines; a line starting with a space or tab continues the previous value
/// (RFC 3261 §7.3.1). None on a line without a colon, an invalid name or a stray CR.
fn parse_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Option<Vec<(String, String)>> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.contains('\r') {
            return None;
        }
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut()?;
            let more = line.trim();
            if !more.is_empty() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(more);
            }
            continue;
        }
        let (name, value) = line.split_once(':')?;
        let name = name.trim_end_matches([' ', '\t']);
        if !is_token(name) {
            return None;
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Some(headers)
}

/// The full name of a compact header name (RFC 3261 §7.3.3), else the name itself.
fn full_name(name: &str) -> &str {
    let compact = match name.as_bytes() {
        [letter] => letter.to_ascii_lowercase(),
        _ => return name,
    };
    match compact {
        b'v' => "Via",
        b'i' => "Call-ID",
        b'f' => "From",
        b't' => "To",
        b'l' => "Content-Length",
        b'c' => "Content-Type",
        b'o' => "Event",
        b'm' => "Contact",
        _ => name,
    }
}

/// Whether two header names are the same header (case-insensitive, compact forms expanded).
fn same_header(a: &str, b: &str) -> bool {
    full_name(a).eq_ignore_ascii_case(full_name(b))
}

/// The value of the first header called `name`.
fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(header, _)| same_header(header, name))
        .map(|(_, value)| value.as_str())
}

/// The body limited to Content-Length when present; None when that header is not a number or is
/// larger than the bytes there.
fn limit_body<'b>(headers: &[(String, String)], body: &'b [u8]) -> Option<&'b [u8]> {
    match find_header(headers, "Content-Length") {
        Some(length) => body.get(..parse_digits::<usize>(length)?),
        None => Some(body),
    }
}

/// A number written with ASCII digits only (no sign, no spaces).
fn parse_digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Whether `text` is a non-empty RFC 3261 token (method, header name).
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

/// Whether `uri` is `sip:host[:port][;params]` (or `sips:`), without a user part.
fn sip_uri_host(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let hostport = rest
        .split_once([';', '?'])
        .map_or(rest, |(hostport, _)| hostport);
    (scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips"))
        && !rest.contains('@')
        && valid_hostport(hostport)
}

/// The port of `sip:user@host:port…` (or `sips:`), when it has one.
pub(crate) fn sip_uri_port(uri: &str) -> Option<u16> {
    sip_uri_user(uri)?;
    let (_, hostport) = uri.split_once('@')?;
    let hostport = hostport
        .split_once([';', '?', '>'])
        .map_or(hostport, |(hostport, _)| hostport);
    let port = match hostport.strip_prefix('[') {
        Some(rest) => rest.split_once("]:")?.1,
        None => hostport.rsplit_once(':')?.1,
    };
    parse_digits(port)
}

/// The user part of `sip:user[:password]@host[:port][;params][?headers]` (or `sips:`), when the
/// host and port are well formed.
pub(crate) fn sip_uri_user(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
        return None;
    }
    let (userinfo, hostport) = rest.split_once('@')?;
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    let hostport = hostport
        .split_once([';', '?'])
        .map_or(hostport, |(hostport, _)| hostport);
    (!user.is_empty() && valid_hostport(hostport)).then_some(user)
}

/// Whether `text` is `host[:port]`, an IPv6 host in brackets.
fn valid_hostport(text: &str) -> bool {
    let split = match text.strip_prefix('[') {
        Some(rest) => rest.split_once(']').and_then(|(host, after)| match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        }),
        None => Some(match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }),
    };
    split.is_some_and(|(host, port)| {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:%".contains(&b))
            && port.is_none_or(|port| parse_digits::<u16>(port).is_some())
    })
}

/// The non-empty `branch` parameter of one Via value.
fn via_branch(via: &str) -> Option<&str> {
    via.split(';')
        .skip(1)
        .find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("branch")
                .then(|| value.trim())
        })
        .filter(|branch| !branch.is_empty())
}

/// `<number> <method>` of a CSeq value.
fn parse_cseq(value: &str) -> Option<(u32, &str)> {
    let mut parts = value.split_whitespace();
    let (number, method) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_token(method) {
        return None;
    }
    Some((parse_digits(number)?, method))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(action: DeviceAction) -> Notify<'static> {
        Notify {
            device: "SEP001122334455",
            contact: "127.0.0.1:5070".parse().unwrap(),
            local: "127.0.0.1:5060".parse().unwrap(),
            branch: "abc123",
            call_id: "c1@127.0.0.1",
            from_tag: "f1",
            cseq: 101,
            action,
            register_call_id: "reg-1",
            config_version_stamp: "stamp-1",
        }
    }

    const BODY: &str = "action=reset\r\nRegisterCallId={reg-1}\r\nConfigVersionStamp={stamp-1}\r\n";

    #[test]
    fn contacts_that_would_aim_notifies_elsewhere_are_refused() {
        let strict = ContactPolicy::default();
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        for bad in [
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "127.0.0.1",
            "127.0.0.2",
        ] {
            assert!(strict.refusal(ip(bad)).is_some(), "{bad}");
        }
        assert_eq!(strict.refusal(ip("10.1.2.3")), None);
        let local = ContactPolicy::on_loopback();
        assert_eq!(local.refusal(ip("127.0.0.1")), None);
        for bad in ["0.0.0.0", "255.255.255.255", "224.0.0.1"] {
            assert!(local.refusal(ip(bad)).is_some(), "{bad} on loopback");
        }
    }

    #[test]
    fn a_registration_names_its_senders_address_unless_a_trusted_proxy_sends_it() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let v4 = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        let mut policy = ContactPolicy::default();
        assert_eq!(
            policy.registration_refusal(v4("10.1.2.3"), Some(ip("10.1.2.3"))),
            None
        );
        assert_eq!(
            policy.registration_refusal(v4("10.1.2.3"), Some(ip("::ffff:10.1.2.3"))),
            None,
            "an IPv4-mapped sender is its IPv4 address"
        );
        assert!(policy
            .registration_refusal(v4("10.9.9.9"), Some(ip("10.1.2.3")))
            .is_some());
        assert!(policy.registration_refusal(v4("10.1.2.3"), None).is_some());
        assert!(
            policy
                .registration_refusal(v4("224.0.0.1"), Some(ip("224.0.0.1")))
                .is_some(),
            "a multicast sender cannot register itself either"
        );
        policy.trusted_proxies = vec![ip("10.0.0.1")];
        assert_eq!(
            policy.registration_refusal(v4("10.9.9.9"), Some(ip("10.0.0.1"))),
            None
        );
        assert!(policy
            .registration_refusal(v4("255.255.255.255"), Some(ip("10.0.0.1")))
            .is_some());
        assert!(policy
            .registration_refusal(v4("127.0.0.1"), Some(ip("10.0.0.1")))
            .is_some());
    }

    #[test]
    fn formats_device_action_keys_parse_back_exactly() {
        for action in [DeviceAction::Reset, DeviceAction::Restart] {
            assert_eq!(DeviceAction::parse(action.key()), Some(action));
        }
        assert_eq!(DeviceAction::Reset.key(), "reset");
        assert_eq!(DeviceAction::Restart.key(), "restart");
        assert_eq!(DeviceAction::Reset.label(), "Reset");
        assert_eq!(DeviceAction::Restart.label(), "Restart");
        assert_eq!(DeviceAction::parse("Reset"), None);
        assert_eq!(DeviceAction::parse(" reset"), None);
        assert_eq!(DeviceAction::parse("reboot"), None);
    }

    #[test]
    fn rfc3261_timer_e_doubles_up_to_t2() {
        let t = Timers::RFC3261;
        let delays: Vec<Duration> = (0..6).map(|n| t.retransmit_after(n)).collect();
        let expected = [500, 1000, 2000, 4000, 4000, 4000].map(Duration::from_millis);
        assert_eq!(delays, expected);
    }

    #[test]
    fn rfc3261_timer_f_is_64_t1() {
        assert_eq!(Timers::RFC3261.timeout(), Duration::from_secs(32));
        let fast = Timers::with_t1(Duration::from_millis(50));
        assert_eq!(fast.timeout(), Duration::from_millis(3200));
        assert_eq!(fast.t2, Duration::from_millis(400));
        assert_eq!(fast.retransmit_after(0), Duration::from_millis(50));
        assert_eq!(fast.retransmit_after(3), Duration::from_millis(400));
        assert_eq!(fast.retransmit_after(9), Duration::from_millis(400));
    }

    #[test]
    fn rfc3261_with_t1_keeps_t2_at_most_4s_and_at_least_t1() {
        assert_eq!(Timers::with_t1(Duration::from_millis(500)), Timers::RFC3261);
        assert_eq!(
            Timers::with_t1(Duration::from_secs(1)).t2,
            Duration::from_secs(4)
        );
        assert_eq!(
            Timers::with_t1(Duration::from_secs(10)).t2,
            Duration::from_secs(10)
        );
    }

    #[test]
    fn rfc3261_timers_saturate_instead_of_panicking() {
        let t = Timers::RFC3261;
        assert_eq!(t.retransmit_after(u32::MAX), t.t2);
        assert_eq!(t.retransmit_after(31), t.t2);
        assert_eq!(t.retransmit_after(32), t.t2);
        let huge = Timers {
            t1: Duration::MAX,
            t2: Duration::MAX,
        };
        assert_eq!(huge.retransmit_after(u32::MAX), Duration::MAX);
        assert_eq!(huge.timeout(), Duration::MAX);
        assert_eq!(Timers::with_t1(Duration::MAX).t2, Duration::MAX);
    }

    #[test]
    fn formats_notify_text_is_exact() {
        let expected = format!(
            "NOTIFY sip:SEP001122334455@127.0.0.1:5070 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc123\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:ccmadmin@127.0.0.1:5060>;tag=f1\r\n\
             To: <sip:SEP001122334455@127.0.0.1:5070>\r\n\
             Call-ID: c1@127.0.0.1\r\n\
             CSeq: 101 NOTIFY\r\n\
             Contact: <sip:ccmadmin@127.0.0.1:5060>\r\n\
             Event: service-control\r\n\
             Subscription-State: active\r\n\
             Content-Type: text/plain\r\n\
             Content-Length: 68\r\n\
             \r\n\
             {BODY}"
        );
        assert_eq!(BODY.len(), 68);
        assert_eq!(notify(&sample(DeviceAction::Reset)), expected);
    }

    #[test]
    fn rfc3261_branch_magic_cookie_is_not_doubled() {
        let mut n = sample(DeviceAction::Reset);
        n.branch = "z9hG4bKxyz";
        let text = notify(&n);
        assert!(text.contains(";branch=z9hG4bKxyz\r\n"), "{text}");
    }

    #[test]
    fn formats_notify_round_trips_through_parse_request_for_both_actions() {
        for action in [DeviceAction::Reset, DeviceAction::Restart] {
            let text = notify(&sample(action));
            let req = parse_request(text.as_bytes()).unwrap();
            assert_eq!(req.method, "NOTIFY");
            assert_eq!(req.uri_user, "SEP001122334455");
            assert_eq!(action_of(&req), Some(action));
            assert_eq!(
                req.header("Content-Length").unwrap(),
                req.body.len().to_string()
            );
            assert!(req
                .body
                .starts_with(&format!("action={}\r\n", action.key())));
            assert!(req.body.contains("RegisterCallId={reg-1}\r\n"));
            assert!(req.body.contains("ConfigVersionStamp={stamp-1}\r\n"));
            assert_eq!(req.header("event"), Some("service-control"));
            assert_eq!(req.header("Subscription-State"), Some("active"));
            assert_eq!(req.header("c"), Some("text/plain"));
            assert_eq!(req.header("i"), Some("c1@127.0.0.1"));
            assert_eq!(req.header("CSeq"), Some("101 NOTIFY"));
        }
    }

    #[test]
    fn rfc3261_ipv6_addresses_are_bracketed_and_parse() {
        let mut n = sample(DeviceAction::Restart);
        n.contact = "[::1]:5070".parse().unwrap();
        n.local = "[2001:db8::1]:5060".parse().unwrap();
        let text = notify(&n);
        assert!(text.starts_with("NOTIFY sip:SEP001122334455@[::1]:5070 SIP/2.0\r\n"));
        assert!(text.contains("Via: SIP/2.0/UDP [2001:db8::1]:5060;branch="));
        assert!(text.contains("From: <sip:ccmadmin@[2001:db8::1]:5060>;tag=f1\r\n"));
        let req = parse_request(text.as_bytes()).unwrap();
        assert_eq!(action_of(&req), Some(DeviceAction::Restart));
    }

    #[test]
    fn rfc3261_response_to_round_trips_through_parse_response() {
        let req = parse_request(notify(&sample(DeviceAction::Reset)).as_bytes()).unwrap();
        let text = response_to(&req, 200, "OK", "t9");
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
        assert!(text.contains("To: <sip:SEP001122334455@127.0.0.1:5070>;tag=t9\r\n"));
        assert!(text.contains("From: <sip:ccmadmin@127.0.0.1:5060>;tag=f1\r\n"));
        let resp = parse_response(text.as_bytes()).unwrap();
        assert_eq!(
            resp,
            Response {
                code: 200,
                branch: "z9hG4bKabc123".to_owned(),
                call_id: "c1@127.0.0.1".to_owned(),
                cseq: 101,
                method: "NOTIFY".to_owned(),
            }
        );
    }

    #[test]
    fn rfc3261_response_copies_every_via_in_order_and_keeps_an_existing_to_tag() {
        let text = "NOTIFY sip:SEP1@10.0.0.2 SIP/2.0\r\n\
                    Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKtop\r\n\
                    v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsecond\r\n\
                    f: <sip:a@10.0.0.1>;tag=1\r\n\
                    t: \"Phone\" <sip:SEP1@10.0.0.2>;tag=already\r\n\
                    i: id-1\r\n\
                    CSeq: 5 NOTIFY\r\n\
                    \r\n";
        let req = parse_request(text.as_bytes()).unwrap();
        let out = response_to(&req, 481, "Call/Transaction Does Not Exist", "new");
        assert_eq!(
            out,
            "SIP/2.0 481 Call/Transaction Does Not Exist\r\n\
             Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKtop\r\n\
             Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsecond\r\n\
             From: <sip:a@10.0.0.1>;tag=1\r\n\
             To: \"Phone\" <sip:SEP1@10.0.0.2>;tag=already\r\n\
             Call-ID: id-1\r\n\
             CSeq: 5 NOTIFY\r\n\
             Content-Length: 0\r\n\
             \r\n"
        );
        let resp = parse_response(out.as_bytes()).unwrap();
        assert_eq!(resp.code, 481);
        assert_eq!(resp.branch, "z9hG4bKtop");
        assert!(has_tag("sip:a@b;tag=x"));
        assert!(!has_tag("<sip:a@b;tag=x>"));
    }

    #[test]
    fn rfc3261_compact_header_forms_parse() {
        let resp = parse_response(
            b"SIP/2.0 200 OK\r\n\
              v: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKx, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKy\r\n\
              I: abc\r\n\
              cseq: 7 NOTIFY\r\n\
              l: 0\r\n\
              \r\n",
        )
        .unwrap();
        assert_eq!(resp.branch, "z9hG4bKx");
        assert_eq!(resp.call_id, "abc");
        assert_eq!((resp.cseq, resp.method.as_str()), (7, "NOTIFY"));

        let req = parse_request(
            b"NOTIFY sip:SEP1@10.0.0.2:5060;transport=udp SIP/2.0\r\n\
              v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
              i: id\r\n\
              f: <sip:a@10.0.0.1>;tag=1\r\n\
              t: <sip:SEP1@10.0.0.2>\r\n\
              CSeq: 1 NOTIFY\r\n\
              o: Service-Control;x=y\r\n\
              c: text/plain\r\n\
              m: <sip:a@10.0.0.1>\r\n\
              l: 14\r\n\
              \r\n\
              action=restartIGNORED",
        )
        .unwrap();
        assert_eq!(req.uri_user, "SEP1");
        assert_eq!(
            req.header("Via"),
            Some("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1")
        );
        assert_eq!(req.header("CALL-ID"), Some("id"));
        assert_eq!(req.header("From"), Some("<sip:a@10.0.0.1>;tag=1"));
        assert_eq!(req.header("To"), Some("<sip:SEP1@10.0.0.2>"));
        assert_eq!(req.header("Content-Type"), Some("text/plain"));
        assert_eq!(req.header("Contact"), Some("<sip:a@10.0.0.1>"));
        assert_eq!(req.header("Content-Length"), Some("14"));
        assert_eq!(req.header("Event"), Some("Service-Control;x=y"));
        assert_eq!(req.body, "action=restart");
        assert_eq!(action_of(&req), Some(DeviceAction::Restart));
    }

    #[test]
    fn rfc3261_lf_only_line_ends_and_folded_headers_are_tolerated() {
        let req = parse_request(
            b"NOTIFY sip:SEP1@host.example SIP/2.0\n\
              Event: service-control\n\
              Subject: one\n  \t two\n\
              \n\
              action=reset\n",
        )
        .unwrap();
        assert_eq!(req.header("subject"), Some("one two"));
        assert_eq!(req.body, "action=reset\n");
        assert_eq!(action_of(&req), Some(DeviceAction::Reset));
    }

    #[test]
    fn formats_action_of_needs_notify_service_control_and_a_known_action() {
        let build = |method: &str, event: &str, body: &str| {
            let text = format!(
                "{method} sip:SEP1@10.0.0.2 SIP/2.0\r\nEvent: {event}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            parse_request(text.as_bytes()).unwrap()
        };
        let ok = build(
            "NOTIFY",
            "SERVICE-CONTROL ; a=b",
            "x=1\r\naction = reset\r\n",
        );
        assert_eq!(action_of(&ok), Some(DeviceAction::Reset));
        assert_eq!(
            action_of(&build("INFO", "service-control", "action=reset")),
            None
        );
        assert_eq!(
            action_of(&build("NOTIFY", "check-sync", "action=reset")),
            None
        );
        assert_eq!(
            action_of(&build("NOTIFY", "service-control", "action=reboot")),
            None
        );
        assert_eq!(
            action_of(&build("NOTIFY", "service-control", "action=Reset")),
            None
        );
        assert_eq!(action_of(&build("NOTIFY", "service-control", "")), None);
        let no_event = parse_request(b"NOTIFY sip:SEP1@h SIP/2.0\r\n\r\naction=reset").unwrap();
        assert_eq!(action_of(&no_event), None);
    }

    #[test]
    fn rfc3261_malformed_requests_and_responses_are_none() {
        let bad: &[&[u8]] = &[
            b"",
            b"\r\n\r\n",
            b"\n\n",
            b"garbage",
            b"\xff\xfe\x00\x01",
            b"NOTIFY sip:a@b SIP/2.0\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",
            b"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: +1\r\n\r\nx",
            b"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\nx",
            b"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\n: empty name\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\n folded-first\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\nX: a\rb\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0\r\n\r\n\xff",
            b"NOTIFY sip:a@b SIP/2.0\r\nl: 1\r\n\r\n\xc3\xa9",
            b"NOTIFY sip:b SIP/2.0\r\n\r\n",
            b"NOTIFY sip:@b SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@ SIP/2.0\r\n\r\n",
            b"NOTIFY http:a@b SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@b SIP/3.0\r\n\r\n",
            b"NOTIFY sip:a@b:99999 SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@b: SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@[::1 SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@[::1]x SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@::1 SIP/2.0\r\n\r\n",
            b"NOTIFY  sip:a@b SIP/2.0\r\n\r\n",
            b"NOTIFY sip:a@b SIP/2.0 extra\r\n\r\n",
            b"NOT/IFY sip:a@b SIP/2.0\r\n\r\n",
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
        ];
        for (i, input) in bad.iter().enumerate() {
            assert_eq!(parse_request(input), None, "request #{i}");
        }
        let bad_responses: &[&[u8]] = &[
            b"",
            b"SIP/2.0 200 OK",
            b"SIP/2.0 200 OK\r\n\r\n",
            b"SIP/2.0 200 OK\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni:\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: x NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY x\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 99999999999 NOTIFY\r\n\r\n",
            b"SIP/2.0 20 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 2000 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 099 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 700 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 +20 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 abc OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/3.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: \xff\r\nCSeq: 1 NOTIFY\r\n\r\n",
            b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\nl: 5\r\n\r\nab",
            b"NOTIFY sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
        ];
        for (i, input) in bad_responses.iter().enumerate() {
            assert_eq!(parse_response(input), None, "response #{i}");
        }
        // A missing reason phrase and a non-UTF-8 body without Content-Length are fine.
        assert!(parse_response(
            b"SIP/2.0 200\r\nv: SIP/2.0/UDP h;branch=b\r\ni: x\r\nCSeq: 1 NOTIFY\r\n\r\n\xff"
        )
        .is_some());
    }

    #[test]
    fn rfc3261_every_truncation_of_a_datagram_is_none() {
        let request = notify(&sample(DeviceAction::Reset));
        let bytes = request.as_bytes();
        for end in 0..bytes.len() {
            assert_eq!(parse_request(&bytes[..end]), None, "request prefix {end}");
        }
        let req = parse_request(bytes).unwrap();
        let response = response_to(&req, 200, "OK", "t");
        let bytes = response.as_bytes();
        assert!(parse_response(bytes).is_some());
        for end in 0..bytes.len() {
            assert_eq!(parse_response(&bytes[..end]), None, "response prefix {end}");
        }
    }

    #[test]
    fn rfc3261_no_byte_mutation_panics() {
        let request = notify(&sample(DeviceAction::Restart)).into_bytes();
        let req = parse_request(&request).unwrap();
        let response = response_to(&req, 200, "OK", "t").into_bytes();
        for original in [request, response] {
            for at in 0..original.len() {
                for byte in [0x00, 0xff, 0xc3, b'\r', b'\n', b' ', b':', b';', b'[', b'@'] {
                    let mut mutated = original.clone();
                    mutated[at] = byte;
                    if let Some(req) = parse_request(&mutated) {
                        let _ = action_of(&req);
                        let _ = response_to(&req, 200, "OK", "t");
                    }
                    let _ = parse_response(&mutated);
                }
            }
        }
    }
}
