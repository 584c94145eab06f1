//! The CAPF wire format (`docs/FORMATS.md`, "CAPF protocol"): an 8-byte header (protocol id
//! `0x55`, command, session id, payload length; big-endian) and a payload of elements (tag,
//! 2-byte length, value). Decoding is strict: a length past [`MAX_PAYLOAD`], a command or tag
//! this side does not speak, an element the sender never sends, or a value of the wrong shape
//! is refused with the reason, never guessed at.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol id, the first byte of every message.
pub const PROTOCOL_ID: u8 = 0x55;
/// The header's length.
pub const HEADER_LEN: usize = 8;
/// The longest payload either side accepts: a certificate of up to 4 KiB, two signatures and
/// the names fit with room to spare.
pub const MAX_PAYLOAD: usize = 12 * 1024;
/// The longest text element (device name, password, reason info), NUL included.
pub const MAX_TEXT: usize = 256;
/// The protocol version both sides speak.
pub const VERSION: u8 = 3;

/// Who sent a message: each side sends only its own elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// CAPF.
    Server,
    /// The phone.
    Phone,
}

impl Sender {
    /// Whether this side sends elements with `tag`.
    fn sends(self, tag: u8) -> bool {
        match self {
            Sender::Server => matches!(tag, 1 | 2 | 3 | 4 | 7 | 8 | 10 | 17 | 18),
            Sender::Phone => matches!(tag, 1 | 2 | 3 | 4 | 6 | 7 | 9 | 11 | 13 | 16 | 20),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Sender::Server => "CAPF",
            Sender::Phone => "a phone",
        }
    }
}

/// The commands this CAPF speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Server: who are you.
    AuthReq,
    /// Phone: name, string or certificate proof.
    AuthResp,
    /// Server: generate a key pair.
    KeyGenReq,
    /// Phone: the public key.
    KeyGenResp,
    /// Server: store this certificate.
    StoreCertReq,
    /// Phone: stored.
    StoreCertResp,
    /// Server: send your certificate.
    FetchCertReq,
    /// Phone: the certificate.
    FetchCertResp,
    /// Server: delete your LSC.
    DeleteCertReq,
    /// Phone: deleted or not.
    DeleteCertResp,
    /// Server: the session is over, with a reason.
    EndSession,
    /// Server: busy, try again later.
    RetryLater,
    /// Phone: still working (key generation).
    RequestInProgress,
}

impl Command {
    /// The command's byte.
    pub fn code(self) -> u8 {
        match self {
            Command::AuthReq => 1,
            Command::AuthResp => 2,
            Command::KeyGenReq => 3,
            Command::KeyGenResp => 4,
            Command::StoreCertReq => 9,
            Command::StoreCertResp => 10,
            Command::FetchCertReq => 11,
            Command::FetchCertResp => 12,
            Command::DeleteCertReq => 13,
            Command::DeleteCertResp => 14,
            Command::EndSession => 15,
            Command::RetryLater => 16,
            Command::RequestInProgress => 17,
        }
    }

    /// The command with that byte, if this side speaks it.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Command::AuthReq,
            2 => Command::AuthResp,
            3 => Command::KeyGenReq,
            4 => Command::KeyGenResp,
            9 => Command::StoreCertReq,
            10 => Command::StoreCertResp,
            11 => Command::FetchCertReq,
            12 => Command::FetchCertResp,
            13 => Command::DeleteCertReq,
            14 => Command::DeleteCertResp,
            15 => Command::EndSession,
            16 => Command::RetryLater,
            17 => Command::RequestInProgress,
            _ => return None,
        })
    }
}

/// Which certificate an element is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertType {
    /// The locally significant certificate CAPF issued.
    Lsc,
    /// The manufacturer's certificate.
    Mic,
}

impl CertType {
    fn code(self) -> u8 {
        match self {
            CertType::Lsc => 1,
            CertType::Mic => 2,
        }
    }

    fn from_code(code: u8) -> Result<Self, CodecError> {
        match code {
            1 => Ok(CertType::Lsc),
            2 => Ok(CertType::Mic),
            other => Err(CodecError::BadElement {
                tag: tag::CERT_TYPE,
                reason: format!("certificate type {other} is neither 1 (LSC) nor 2 (MIC)"),
            }),
        }
    }
}

/// Element tags.
pub mod tag {
    /// Reason (1 byte).
    pub const REASON: u8 = 1;
    /// Reason info (text).
    pub const REASON_INFO: u8 = 2;
    /// Certificate type (1 byte).
    pub const CERT_TYPE: u8 = 3;
    /// Certificate (inner header and DER).
    pub const CERTIFICATE: u8 = 4;
    /// SHA-1 signed data.
    pub const SIGNED_DATA: u8 = 6;
    /// Protocol version (1 byte).
    pub const VERSION: u8 = 7;
    /// Authentication type (1 byte).
    pub const AUTH_TYPE: u8 = 8;
    /// Public key (DER SubjectPublicKeyInfo).
    pub const PUBLIC_KEY: u8 = 9;
    /// Key size (2 bytes).
    pub const KEY_SIZE: u8 = 10;
    /// Authentication string (text).
    pub const PASSWORD: u8 = 11;
    /// Device name (text).
    pub const DEVICE_NAME: u8 = 13;
    /// Secure unique device identifier.
    pub const SUDI: u8 = 16;
    /// Key type (1 byte).
    pub const KEY_TYPE: u8 = 17;
    /// Elliptic curve (1 byte).
    pub const CURVE: u8 = 18;
    /// SHA-2 signed data (hash id, length, signature).
    pub const SHA2_SIGNED_DATA: u8 = 20;
}

/// The SHA-2 hash id of SHA-512 in a SHA2SignedData element.
pub const SHA512_ID: u8 = 3;

/// One element of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// Why (`reason` codes of [`reason`]).
    Reason(u8),
    /// Why, in words.
    ReasonInfo(String),
    /// Which certificate.
    CertType(CertType),
    /// A certificate (DER) and its type.
    Certificate(CertType, Vec<u8>),
    /// A SHA-1 signature.
    SignedData(Vec<u8>),
    /// The protocol version.
    Version(u8),
    /// How the phone authenticates (`<capfAuthMode>` numbers).
    AuthType(u8),
    /// A public key (DER SubjectPublicKeyInfo).
    PublicKey(Vec<u8>),
    /// A key size in bits.
    KeySize(u16),
    /// The authentication string (empty when unused).
    Password(String),
    /// The device's name.
    DeviceName(String),
    /// The secure unique device identifier.
    Sudi(Vec<u8>),
    /// 0 RSA, 1 EC.
    KeyType(u8),
    /// 0 P-256, 1 P-384, 2 P-521.
    Curve(u8),
    /// A SHA-2 signature with its hash id.
    Sha2SignedData(u8, Vec<u8>),
}

/// Reason codes.
pub mod reason {
    /// Nothing to do.
    pub const NO_ACTION: u8 = 0;
    /// Success (or: update the certificate).
    pub const SUCCESS: u8 = 1;
    /// An invalid element, a failed check, an error.
    pub const INVALID: u8 = 7;
    /// The device is not known.
    pub const UNKNOWN_DEVICE: u8 = 9;
}

impl Element {
    fn tag(&self) -> u8 {
        match self {
            Element::Reason(_) => tag::REASON,
            Element::ReasonInfo(_) => tag::REASON_INFO,
            Element::CertType(_) => tag::CERT_TYPE,
            Element::Certificate(..) => tag::CERTIFICATE,
            Element::SignedData(_) => tag::SIGNED_DATA,
            Element::Version(_) => tag::VERSION,
            Element::AuthType(_) => tag::AUTH_TYPE,
            Element::PublicKey(_) => tag::PUBLIC_KEY,
            Element::KeySize(_) => tag::KEY_SIZE,
            Element::Password(_) => tag::PASSWORD,
            Element::DeviceName(_) => tag::DEVICE_NAME,
            Element::Sudi(_) => tag::SUDI,
            Element::KeyType(_) => tag::KEY_TYPE,
            Element::Curve(_) => tag::CURVE,
            Element::Sha2SignedData(..) => tag::SHA2_SIGNED_DATA,
        }
    }

    fn value(&self) -> Result<Vec<u8>, CodecError> {
        let text = |s: &str| {
            let mut v = s.as_bytes().to_vec();
            v.push(0);
            v
        };
        Ok(match self {
            Element::Reason(b)
            | Element::Version(b)
            | Element::AuthType(b)
            | Element::KeyType(b)
            | Element::Curve(b) => vec![*b],
            Element::CertType(t) => vec![t.code()],
            Element::ReasonInfo(s) | Element::Password(s) | Element::DeviceName(s) => text(s),
            Element::Certificate(t, der) => {
                let inner = u16::try_from(der.len() + 2).map_err(|_| CodecError::TooLong {
                    length: der.len(),
                    max: usize::from(u16::MAX) - 2,
                })?;
                let mut v = Vec::with_capacity(der.len() + 5);
                v.push(0x01);
                v.extend_from_slice(&inner.to_be_bytes());
                v.push(0x00);
                v.push(t.code());
                v.extend_from_slice(der);
                v
            }
            Element::SignedData(b) | Element::PublicKey(b) | Element::Sudi(b) => b.clone(),
            Element::KeySize(n) => n.to_be_bytes().to_vec(),
            Element::Sha2SignedData(hash, signature) => {
                let length = u16::try_from(signature.len()).map_err(|_| CodecError::TooLong {
                    length: signature.len(),
                    max: usize::from(u16::MAX),
                })?;
                let mut v = Vec::with_capacity(signature.len() + 3);
                v.push(*hash);
                v.extend_from_slice(&length.to_be_bytes());
                v.extend_from_slice(signature);
                v
            }
        })
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The first byte is not `0x55`.
    #[error("protocol id {0:#04x} is not 0x55")]
    Protocol(u8),
    /// A command this side does not speak.
    #[error("command {0} is not one this CAPF speaks")]
    UnknownCommand(u8),
    /// The payload (or a value) is longer than allowed.
    #[error("{length} bytes is longer than the {max} allowed")]
    TooLong {
        /// The length given.
        length: usize,
        /// The most allowed.
        max: usize,
    },
    /// The bytes end inside a header, element or value.
    #[error("the message ends inside {0}")]
    Truncated(&'static str),
    /// A tag this side does not know.
    #[error("element tag {0} is not known")]
    UnknownElement(u8),
    /// A known tag the sender never sends.
    #[error("element {tag} is never sent by {from}")]
    Unexpected {
        /// The tag.
        tag: u8,
        /// Who sent it.
        from: &'static str,
    },
    /// A value of the wrong shape.
    #[error("element {tag}: {reason}")]
    BadElement {
        /// The tag.
        tag: u8,
        /// What is wrong with it.
        reason: String,
    },
}

/// A message's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The command.
    pub command: Command,
    /// The session id.
    pub session: u32,
    /// The payload's length.
    pub length: usize,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The command.
    pub command: Command,
    /// The session id the server chose.
    pub session: u32,
    /// The payload's elements, in order.
    pub elements: Vec<Element>,
}

impl Message {
    /// A message of `command` in `session` with `elements`.
    pub fn new(command: Command, session: u32, elements: Vec<Element>) -> Self {
        Self {
            command,
            session,
            elements,
        }
    }

    /// The header and payload as one buffer (sent in one write: phones stall on split ones).
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        let mut payload = Vec::new();
        for e in &self.elements {
            let value = e.value()?;
            let length = u16::try_from(value.len()).map_err(|_| CodecError::TooLong {
                length: value.len(),
                max: usize::from(u16::MAX),
            })?;
            payload.push(e.tag());
            payload.extend_from_slice(&length.to_be_bytes());
            payload.extend_from_slice(&value);
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(CodecError::TooLong {
                length: payload.len(),
                max: MAX_PAYLOAD,
            });
        }
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.push(PROTOCOL_ID);
        out.push(self.command.code());
        out.extend_from_slice(&self.session.to_be_bytes());
        // At most MAX_PAYLOAD, checked above.
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Decodes one whole message (header and payload, nothing after) sent by `from`.
    pub fn decode(bytes: &[u8], from: Sender) -> Result<Self, CodecError> {
        let head: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(CodecError::Truncated("the header"))?;
        let header = decode_header(head)?;
        let payload = &bytes[HEADER_LEN..];
        if payload.len() < header.length {
            return Err(CodecError::Truncated("the payload"));
        }
        if payload.len() > header.length {
            return Err(CodecError::BadElement {
                tag: 0,
                reason: format!(
                    "{} bytes follow a payload of {}",
                    payload.len() - header.length,
                    header.length
                ),
            });
        }
        Ok(Self {
            command: header.command,
            session: header.session,
            elements: decode_payload(payload, from)?,
        })
    }

    /// The first element matching `pick`, if any.
    pub fn find<T>(&self, pick: impl Fn(&Element) -> Option<T>) -> Option<T> {
        self.elements.iter().find_map(pick)
    }

    /// The Reason element, if any.
    pub fn reason(&self) -> Option<u8> {
        self.find(|e| match e {
            Element::Reason(r) => Some(*r),
            _ => None,
        })
    }
}

/// Checks a header: the protocol id, a command this side speaks, a length within
/// [`MAX_PAYLOAD`].
pub fn decode_header(head: &[u8; HEADER_LEN]) -> Result<Header, CodecError> {
    if head[0] != PROTOCOL_ID {
        return Err(CodecError::Protocol(head[0]));
    }
    let command = Command::from_code(head[1]).ok_or(CodecError::UnknownCommand(head[1]))?;
    let session = u32::from_be_bytes([head[2], head[3], head[4], head[5]]);
    let length = usize::from(u16::from_be_bytes([head[6], head[7]]));
    if length > MAX_PAYLOAD {
        return Err(CodecError::TooLong {
            length,
            max: MAX_PAYLOAD,
        });
    }
    Ok(Header {
        command,
        session,
        length,
    })
}

/// Decodes a payload sent by `from`: every element whole, known, and one `from` sends.
pub fn decode_payload(mut rest: &[u8], from: Sender) -> Result<Vec<Element>, CodecError> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let [t, l0, l1, tail @ ..] = rest else {
            return Err(CodecError::Truncated("an element's tag and length"));
        };
        let length = usize::from(u16::from_be_bytes([*l0, *l1]));
        if tail.len() < length {
            return Err(CodecError::Truncated("an element's value"));
        }
        let (value, after) = tail.split_at(length);
        out.push(element(*t, value, from)?);
        rest = after;
    }
    Ok(out)
}

fn one_byte(tag: u8, value: &[u8]) -> Result<u8, CodecError> {
    match value {
        [b] => Ok(*b),
        _ => Err(CodecError::BadElement {
            tag,
            reason: format!("{} bytes where 1 is expected", value.len()),
        }),
    }
}

fn text(tag: u8, value: &[u8]) -> Result<String, CodecError> {
    if value.len() > MAX_TEXT {
        return Err(CodecError::TooLong {
            length: value.len(),
            max: MAX_TEXT,
        });
    }
    let body = value.strip_suffix(&[0]).unwrap_or(value);
    if body.contains(&0) {
        return Err(CodecError::BadElement {
            tag,
            reason: "a NUL byte inside the text".to_owned(),
        });
    }
    String::from_utf8(body.to_vec()).map_err(|_| CodecError::BadElement {
        tag,
        reason: "the text is not UTF-8".to_owned(),
    })
}

fn element(tag: u8, value: &[u8], from: Sender) -> Result<Element, CodecError> {
    if !matches!(tag, 1..=4 | 6..=11 | 13 | 16..=18 | 20) {
        return Err(CodecError::UnknownElement(tag));
    }
    if !from.sends(tag) {
        return Err(CodecError::Unexpected {
            tag,
            from: from.label(),
        });
    }
    Ok(match tag {
        tag::REASON => Element::Reason(one_byte(tag, value)?),
        tag::REASON_INFO => Element::ReasonInfo(text(tag, value)?),
        tag::CERT_TYPE => Element::CertType(CertType::from_code(one_byte(tag, value)?)?),
        tag::CERTIFICATE => certificate(value)?,
        tag::SIGNED_DATA => Element::SignedData(value.to_vec()),
        tag::VERSION => Element::Version(one_byte(tag, value)?),
        tag::AUTH_TYPE => Element::AuthType(one_byte(tag, value)?),
        tag::PUBLIC_KEY => Element::PublicKey(value.to_vec()),
        tag::KEY_SIZE => match value {
            [a, b] => Element::KeySize(u16::from_be_bytes([*a, *b])),
            _ => {
                return Err(CodecError::BadElement {
                    tag,
                    reason: format!("{} bytes where 2 are expected", value.len()),
                })
            }
        },
        tag::PASSWORD => Element::Password(text(tag, value)?),
        tag::DEVICE_NAME => Element::DeviceName(text(tag, value)?),
        tag::SUDI => Element::Sudi(value.to_vec()),
        tag::KEY_TYPE => Element::KeyType(one_byte(tag, value)?),
        tag::CURVE => Element::Curve(one_byte(tag, value)?),
        _ => sha2_signed(value)?,
    })
}

fn certificate(value: &[u8]) -> Result<Element, CodecError> {
    let bad = |reason: String| CodecError::BadElement {
        tag: tag::CERTIFICATE,
        reason,
    };
    let [0x01, l0, l1, 0x00, kind, der @ ..] = value else {
        return Err(bad(
            "the certificate's inner header is not 01, length, 00, type".to_owned(),
        ));
    };
    let inner = usize::from(u16::from_be_bytes([*l0, *l1]));
    if inner != der.len() + 2 {
        return Err(bad(format!(
            "the inner length {inner} does not match {} bytes of certificate",
            der.len()
        )));
    }
    if der.is_empty() {
        return Err(bad("the certificate is empty".to_owned()));
    }
    Ok(Element::Certificate(
        CertType::from_code(*kind)?,
        der.to_vec(),
    ))
}

fn sha2_signed(value: &[u8]) -> Result<Element, CodecError> {
    let [hash, l0, l1, signature @ ..] = value else {
        return Err(CodecError::Truncated("a SHA-2 signature's header"));
    };
    let length = usize::from(u16::from_be_bytes([*l0, *l1]));
    if length != signature.len() {
        return Err(CodecError::BadElement {
            tag: tag::SHA2_SIGNED_DATA,
            reason: format!(
                "the signature's length {length} does not match its {} bytes",
                signature.len()
            ),
        });
    }
    Ok(Element::Sha2SignedData(*hash, signature.to_vec()))
}

/// Why reading or writing a message failed.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The connection failed or closed.
    #[error("the connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes were refused.
    #[error("{0}")]
    Codec(#[from] CodecError),
}

/// Reads one message sent by `from`: the header, checked before its payload is read.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R, from: Sender) -> Result<Message, WireError> {
    let mut head = [0u8; HEADER_LEN];
    r.read_exact(&mut head).await?;
    let header = decode_header(&head)?;
    let mut payload = vec![0u8; header.length];
    r.read_exact(&mut payload).await?;
    Ok(Message {
        command: header.command,
        session: header.session,
        elements: decode_payload(&payload, from)?,
    })
}

/// Writes one message in one write, and flushes it.
pub async fn write<W: AsyncWrite + Unpin>(w: &mut W, message: &Message) -> Result<(), WireError> {
    let bytes = message.encode()?;
    w.write_all(&bytes).await?;
    w.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_element() -> Vec<(Sender, Element)> {
        vec![
            (Sender::Server, Element::Reason(reason::SUCCESS)),
            (Sender::Phone, Element::Reason(reason::INVALID)),
            (Sender::Server, Element::ReasonInfo("no LSC".into())),
            (Sender::Phone, Element::CertType(CertType::Mic)),
            (
                Sender::Server,
                Element::Certificate(CertType::Lsc, vec![0x30, 0x03, 1, 2, 3]),
            ),
            (Sender::Phone, Element::SignedData(vec![9; 128])),
            (Sender::Server, Element::Version(VERSION)),
            (Sender::Server, Element::AuthType(2)),
            (Sender::Phone, Element::PublicKey(vec![0x30, 1, 0])),
            (Sender::Server, Element::KeySize(2048)),
            (Sender::Phone, Element::Password("123456".into())),
            (Sender::Phone, Element::DeviceName("SEP0A0000000001".into())),
            (Sender::Phone, Element::Sudi(vec![1, 2])),
            (Sender::Server, Element::KeyType(0)),
            (Sender::Server, Element::Curve(1)),
            (
                Sender::Phone,
                Element::Sha2SignedData(SHA512_ID, vec![7; 256]),
            ),
        ]
    }

    #[test]
    fn every_command_and_element_goes_both_ways() {
        for code in 0..=255u8 {
            if let Some(command) = Command::from_code(code) {
                assert_eq!(command.code(), code);
                for (from, element) in every_element() {
                    let m = Message::new(command, 0xDEAD_BEEF, vec![element.clone()]);
                    let bytes = m.encode().unwrap();
                    assert_eq!(bytes[0], PROTOCOL_ID);
                    assert_eq!(Message::decode(&bytes, from).unwrap(), m);
                }
            }
        }
        let known: Vec<u8> = (0..=255)
            .filter_map(Command::from_code)
            .map(|c| c.code())
            .collect();
        assert_eq!(known, [1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    }

    #[test]
    fn the_layout_is_the_documented_one() {
        let m = Message::new(
            Command::AuthReq,
            0x0102_0304,
            vec![Element::Version(3), Element::AuthType(0)],
        );
        assert_eq!(
            m.encode().unwrap(),
            [0x55, 1, 1, 2, 3, 4, 0, 8, 7, 0, 1, 3, 8, 0, 1, 0]
        );
        let cert = Message::new(
            Command::StoreCertReq,
            1,
            vec![Element::Certificate(CertType::Lsc, vec![0xAA, 0xBB])],
        );
        assert_eq!(
            &cert.encode().unwrap()[8..],
            [4, 0, 7, 0x01, 0, 4, 0x00, 1, 0xAA, 0xBB]
        );
        let name = Message::new(
            Command::AuthResp,
            1,
            vec![Element::DeviceName("SEP1".into())],
        );
        assert_eq!(
            &name.encode().unwrap()[8..],
            [13, 0, 5, b'S', b'E', b'P', b'1', 0]
        );
    }

    #[test]
    fn each_side_refuses_the_other_sides_elements() {
        let password = Message::new(Command::AuthResp, 1, vec![Element::Password("1".into())]);
        let bytes = password.encode().unwrap();
        assert!(Message::decode(&bytes, Sender::Phone).is_ok());
        assert_eq!(
            Message::decode(&bytes, Sender::Server),
            Err(CodecError::Unexpected {
                tag: tag::PASSWORD,
                from: "CAPF"
            })
        );
        let key_size = Message::new(Command::KeyGenReq, 1, vec![Element::KeySize(1024)]);
        assert!(matches!(
            Message::decode(&key_size.encode().unwrap(), Sender::Phone),
            Err(CodecError::Unexpected { tag: 10, .. })
        ));
    }

    #[test]
    fn malformed_messages_are_refused_without_panic() {
        let good = Message::new(
            Command::AuthResp,
            7,
            vec![
                Element::DeviceName("SEP0A0000000001".into()),
                Element::Certificate(CertType::Mic, vec![0x30; 40]),
                Element::Sha2SignedData(SHA512_ID, vec![1; 64]),
            ],
        )
        .encode()
        .unwrap();
        // Every truncation, every single-byte change and every length field pushed past the end
        // is an error or a valid message, never a panic.
        for cut in 0..good.len() {
            assert!(
                Message::decode(&good[..cut], Sender::Phone).is_err(),
                "{cut}"
            );
        }
        for at in 0..good.len() {
            for b in [0u8, 1, 0x7f, 0xff] {
                let mut bad = good.clone();
                bad[at] = b;
                let _ = Message::decode(&bad, Sender::Phone);
            }
        }
        let mut wrong_id = good.clone();
        wrong_id[0] = 0x54;
        assert_eq!(
            Message::decode(&wrong_id, Sender::Phone),
            Err(CodecError::Protocol(0x54))
        );
        let mut unknown = good.clone();
        unknown[1] = 22;
        assert_eq!(
            Message::decode(&unknown, Sender::Phone),
            Err(CodecError::UnknownCommand(22))
        );
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(Message::decode(&trailing, Sender::Phone).is_err());
        // A tag nobody defines, and a value that is not one byte.
        let odd = [0x55, 2, 0, 0, 0, 1, 0, 4, 5, 0, 1, 0];
        assert_eq!(
            Message::decode(&odd, Sender::Phone),
            Err(CodecError::UnknownElement(5))
        );
        let wide = [0x55, 2, 0, 0, 0, 1, 0, 5, 1, 0, 2, 1, 1];
        assert!(matches!(
            Message::decode(&wide, Sender::Phone),
            Err(CodecError::BadElement { tag: 1, .. })
        ));
        // Text that is not UTF-8, or hides a NUL.
        let latin = [0x55, 2, 0, 0, 0, 1, 0, 5, 13, 0, 2, 0xE9, 0];
        assert!(Message::decode(&latin, Sender::Phone).is_err());
        let hidden = [0x55, 2, 0, 0, 0, 1, 0, 6, 13, 0, 3, b'A', 0, b'B'];
        assert!(Message::decode(&hidden, Sender::Phone).is_err());
        // A certificate whose inner length lies.
        let lying = [0x55, 2, 0, 0, 0, 1, 0, 9, 4, 0, 6, 1, 0, 9, 0, 2, 0x30];
        assert!(matches!(
            Message::decode(&lying, Sender::Phone),
            Err(CodecError::BadElement { tag: 4, .. })
        ));
    }

    #[test]
    fn oversized_payloads_are_refused_from_the_header() {
        let head = [0x55, 2, 0, 0, 0, 1, 0xFF, 0xFF];
        assert_eq!(
            decode_header(&head),
            Err(CodecError::TooLong {
                length: 65_535,
                max: MAX_PAYLOAD
            })
        );
        let big = Message::new(
            Command::AuthResp,
            1,
            vec![Element::SignedData(vec![0; MAX_PAYLOAD])],
        );
        assert!(matches!(big.encode(), Err(CodecError::TooLong { .. })));
        let long_name = "S".repeat(MAX_TEXT);
        let m = Message::new(Command::AuthResp, 1, vec![Element::DeviceName(long_name)]);
        assert!(matches!(
            Message::decode(&m.encode().unwrap(), Sender::Phone),
            Err(CodecError::TooLong { .. })
        ));
    }

    #[tokio::test]
    async fn a_message_is_written_in_one_piece_and_read_back() {
        let m = Message::new(
            Command::EndSession,
            9,
            vec![Element::Reason(reason::SUCCESS)],
        );
        let mut buf = Vec::new();
        write(&mut buf, &m).await.unwrap();
        assert_eq!(buf, m.encode().unwrap());
        let read_back = read(&mut buf.as_slice(), Sender::Server).await.unwrap();
        assert_eq!(read_back, m);
        let mut short = &buf[..buf.len() - 1];
        assert!(matches!(
            read(&mut short, Sender::Server).await,
            Err(WireError::Io(_))
        ));
    }
}
