//! Reading stored values strictly: a value that is none of those its column may hold is an
//! error that names it, never read as a weaker setting.

/// A stored value that is none of the values its column may hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored {what} '{value}' is not a known value")]
pub struct UnknownValue {
    /// What the value is, as the pages name it.
    pub what: String,
    /// The value (its first 64 characters).
    pub value: String,
}

/// `parse` of a stored value, or the error naming it.
pub fn known<T>(
    what: impl Into<String>,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, UnknownValue> {
    parse(value).ok_or_else(|| UnknownValue {
        what: what.into(),
        value: value.chars().take(64).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_value_is_named_and_cut_to_64_characters() {
        let parse = |v: &str| (v == "on").then_some(true);
        assert_eq!(known("Switch", "on", parse), Ok(true));
        let e = known("Switch", &"x".repeat(500), parse).unwrap_err();
        assert_eq!(e.value.len(), 64);
        assert!(e.to_string().starts_with("stored Switch 'xxx"), "{e}");
    }
}
