//! A device's SIP REGISTER (R13): what the registrar reads of one — the device (the user of the
//! To address of record), the port of its Contact, the expiry — and the request a phone sends.
//! How the registration is judged (the transport, the certificate) is the registrar's; the
//! contact's address is always the connection's, never the message's. Pure: no I/O, no panic on
//! any input.

use std::net::SocketAddr;

use super::sip::{sip_uri_port, sip_uri_user, Request};

/// The longest REGISTER read, over UDP or TLS.
pub const MAX_REGISTER_BYTES: usize = 8 * 1024;
/// The expiry granted when the device asks for none (seconds).
pub const DEFAULT_EXPIRES: u32 = 3600;

/// What a REGISTER says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    /// The device (the user part of To).
    pub device: String,
    /// The port of its Contact, when the Contact names one.
    pub contact_port: Option<u16>,
    /// Seconds asked for (0: the device unregisters).
    pub expires: u32,
}

/// The URI inside `<…>` of a header value, or the value up to its parameters.
fn uri_of(value: &str) -> &str {
    match (value.find('<'), value.find('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value.split(';').next().unwrap_or(value).trim(),
    }
}

/// The REGISTER `req` says, or why it is not one the registrar takes.
pub fn register_of(req: &Request) -> Result<Register, String> {
    if req.method != "REGISTER" {
        return Err(format!("{} is not REGISTER", req.method));
    }
    let to = req.header("To").ok_or("no To header")?;
    let device = sip_uri_user(uri_of(to))
        .ok_or("the To header names no device")?
        .to_ascii_uppercase();
    if device.len() > 64 || !device.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("the device name is not letters and digits".to_owned());
    }
    let contact = req.header("Contact").ok_or("no Contact header")?;
    let contact_port = sip_uri_port(uri_of(contact));
    let expires = match req.header("Expires") {
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("Expires {v:?} is not a number of seconds"))?,
        None => DEFAULT_EXPIRES,
    };
    Ok(Register {
        device,
        contact_port,
        expires,
    })
}

/// What a phone's REGISTER carries.
#[derive(Debug, Clone)]
pub struct RegisterRequest<'a> {
    /// The device name.
    pub device: &'a str,
    /// The registrar (host:port of the Request-URI, To and From).
    pub registrar: SocketAddr,
    /// The phone's SIP address (Via and Contact).
    pub contact: SocketAddr,
    /// `UDP` or `TLS`.
    pub transport: &'a str,
    /// The Via branch (after the magic cookie).
    pub branch: &'a str,
    /// The Call-ID.
    pub call_id: &'a str,
    /// The From tag.
    pub tag: &'a str,
}

/// The REGISTER text (CRLF line ends, no body).
pub fn register(r: &RegisterRequest<'_>) -> String {
    format!(
        "REGISTER sip:{registrar} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {contact};branch=z9hG4bK{branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{device}@{registrar}>;tag={tag}\r\n\
         To: <sip:{device}@{registrar}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:{device}@{contact};transport={lower}>\r\n\
         Expires: {DEFAULT_EXPIRES}\r\n\
         Content-Length: 0\r\n\
         \r\n",
        registrar = r.registrar,
        transport = r.transport,
        lower = r.transport.to_ascii_lowercase(),
        contact = r.contact,
        branch = r.branch,
        device = r.device,
        tag = r.tag,
        call_id = r.call_id,
    )
}

/// The length of the first whole SIP message of a stream (TLS), headers and Content-Length body,
/// when `buffer` holds it all; `Err` when its head is longer than [`MAX_REGISTER_BYTES`] or its
/// Content-Length is not a number.
pub fn message_length(buffer: &[u8]) -> Result<Option<usize>, String> {
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buffer.len() > MAX_REGISTER_BYTES {
            return Err(format!("no message head within {MAX_REGISTER_BYTES} bytes"));
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buffer[..end]).map_err(|_| "the head is not UTF-8")?;
    let mut length = 0usize;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("Content-Length") || name == "l" {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| "Content-Length is not a number".to_owned())?;
            }
        }
    }
    let total = (end + 4).saturating_add(length);
    if total > MAX_REGISTER_BYTES {
        return Err(format!(
            "a message of {total} bytes is longer than {MAX_REGISTER_BYTES}"
        ));
    }
    Ok((buffer.len() >= total).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sip::parse_request;

    fn sample() -> String {
        register(&RegisterRequest {
            device: "SEP0A0000000001",
            registrar: "127.0.0.1:5061".parse().unwrap(),
            contact: "127.0.0.1:40000".parse().unwrap(),
            transport: "TLS",
            branch: "abc",
            call_id: "c1",
            tag: "t1",
        })
    }

    /// R13: the registrar reads the device from To and only the port from the Contact.
    #[test]
    fn r13_a_register_names_its_device_and_contact_port() {
        let text = sample();
        assert!(text.starts_with("REGISTER sip:127.0.0.1:5061 SIP/2.0\r\n"));
        let req = parse_request(text.as_bytes()).unwrap();
        assert_eq!(
            register_of(&req),
            Ok(Register {
                device: "SEP0A0000000001".into(),
                contact_port: Some(40000),
                expires: 3600,
            })
        );
        assert_eq!(message_length(text.as_bytes()), Ok(Some(text.len())));
        assert_eq!(message_length(&text.as_bytes()[..20]), Ok(None));
    }

    #[test]
    fn malformed_registers_are_refused_with_the_reason() {
        let bad = |replace: (&str, &str)| {
            let text = sample().replace(replace.0, replace.1);
            parse_request(text.as_bytes()).map(|r| register_of(&r))
        };
        assert!(matches!(
            bad(("To: <sip:SEP0A0000000001@", "To: <sip:@")),
            Some(Err(_))
        ));
        assert!(matches!(
            bad(("Expires: 3600", "Expires: soon")),
            Some(Err(_))
        ));
        assert!(matches!(
            bad(("To: <sip:SEP0A0000000001", "To: <sip:SEP%20")),
            Some(Err(_))
        ));
        let no_contact = sample().replace(
            "Contact: <sip:SEP0A0000000001@127.0.0.1:40000;transport=tls>\r\n",
            "",
        );
        let req = parse_request(no_contact.as_bytes()).unwrap();
        assert_eq!(register_of(&req), Err("no Contact header".to_owned()));
        let huge = format!("REGISTER sip:x SIP/2.0\r\n{}", "X: y\r\n".repeat(2000));
        assert!(message_length(huge.as_bytes()).is_err());
        let lying = "REGISTER sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\n";
        assert!(message_length(lying.as_bytes()).is_err());
        let overflowing = format!(
            "REGISTER sip:x SIP/2.0\r\nContent-Length: {}\r\n\r\n",
            usize::MAX
        );
        assert!(message_length(overflowing.as_bytes()).is_err());
        let whole = sample();
        for cut in 0..whole.len() {
            let bytes = &whole.as_bytes()[..cut];
            let _ = message_length(bytes);
            if let Some(req) = parse_request(bytes) {
                let _ = register_of(&req);
            }
        }
    }
}
