//! The tag-length-value encoding of signed files and CTL files: a 1-byte tag, a 2-byte big-endian
//! length, the value; tag 13 alone is one byte of padding.

/// The padding tag: a bare byte without length.
pub const PADDING: u8 = 13;

/// Appends one element.
pub fn put(out: &mut Vec<u8>, tag: u8, value: &[u8]) -> Result<(), FormatError> {
    let len = u16::try_from(value.len()).map_err(|_| FormatError::TooLong(tag, value.len()))?;
    out.push(tag);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    Ok(())
}

/// A text value as the formats carry it: the bytes and a terminating NUL.
pub fn c_string(text: &str) -> Vec<u8> {
    let mut v = text.as_bytes().to_vec();
    v.push(0);
    v
}

/// The text of a NUL-terminated value.
pub fn text_of(value: &[u8]) -> String {
    let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

/// One element read back: its tag, the range of the whole element and of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The tag.
    pub tag: u8,
    /// Where the element starts (its tag byte).
    pub start: usize,
    /// Where its value starts.
    pub value_start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
}

/// Reads the elements of `bytes[from..to]` (padding bytes are skipped).
pub fn elements(bytes: &[u8], from: usize, to: usize) -> Result<Vec<Element>, FormatError> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let tag = bytes[at];
        if tag == PADDING {
            at += 1;
            continue;
        }
        if at + 3 > to {
            return Err(FormatError::Truncated(at));
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 1], bytes[at + 2]]));
        let end = at + 3 + len;
        if end > to {
            return Err(FormatError::Truncated(at));
        }
        out.push(Element {
            tag,
            start: at,
            value_start: at + 3,
            end,
        });
        at = end;
    }
    Ok(out)
}

/// Why a file cannot be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// An element's value is longer than 65,535 bytes.
    #[error("element {0} is {1} bytes long; at most 65535 fit")]
    TooLong(u8, usize),
    /// An element runs past the end of its header or record.
    #[error("the element at byte {0} runs past the end of the header")]
    Truncated(usize),
    /// A required element is missing.
    #[error("the header has no {0} element")]
    Missing(&'static str),
    /// The header is not what the format says.
    #[error("{0}")]
    Malformed(String),
}
