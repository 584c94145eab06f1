//! Numbers typed into a form field, read the same way by the pages and by the server.

/// `text` as a whole number; anything else becomes a value every range refuses.
pub fn whole_number(text: &str) -> i64 {
    text.trim().parse().unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_but_a_whole_number_falls_outside_every_range() {
        assert_eq!(whole_number(" 5060 "), 5060);
        assert_eq!(whole_number("50.5"), i64::MIN);
        assert_eq!(whole_number(""), i64::MIN);
    }
}
