//! Rules for accounts: user IDs and passwords.

use crate::error::AppError;

/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// The longest password accepted (argon2 would take more, but nobody types more).
pub const PASSWORD_MAX_CHARS: usize = 128;
/// The longest user ID accepted.
pub const USER_ID_MAX_CHARS: usize = 128;

/// The built-in super user created on the first start.
pub const BOOTSTRAP_USER: &str = "CCMAdministrator";

/// Checks a user ID: 1 to 128 characters, letters, digits and `._-@` only.
pub fn validate_user_id(field: &str, name: &str) -> Result<(), AppError> {
    if name.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if name.chars().count() > USER_ID_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("must be at most {USER_ID_MAX_CHARS} characters"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(AppError::invalid(
            field,
            format!("may not contain {bad:?}; use letters, digits and . _ - @"),
        ));
    }
    Ok(())
}

/// Checks a new password: 12 to 128 characters, no composition rules.
pub fn validate_new_password(field: &str, password: &str) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(AppError::invalid(
            field,
            format!("must be at least {PASSWORD_MIN_CHARS} characters (it has {chars})"),
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("must be at most {PASSWORD_MAX_CHARS} characters (it has {chars})"),
        ));
    }
    Ok(())
}

/// Checks a password change as a whole: the confirmation matches and the password is new.
pub fn validate_password_change(current: &str, new: &str, confirm: &str) -> Result<(), AppError> {
    if current.is_empty() {
        return Err(AppError::invalid("Current Password", "is required"));
    }
    validate_new_password("New Password", new)?;
    if new != confirm {
        return Err(AppError::invalid(
            "Confirm Password",
            "does not match the new password",
        ));
    }
    if new == current {
        return Err(AppError::invalid(
            "New Password",
            "must differ from the current password",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_accepts_the_bootstrap_user() {
        assert!(validate_user_id("User ID", BOOTSTRAP_USER).is_ok());
    }

    #[test]
    fn user_id_refusals_name_the_field() {
        for bad in ["", "has space", "semi;colon", &"x".repeat(129)] {
            let err = validate_user_id("User ID", bad).unwrap_err();
            assert_eq!(err.field(), Some("User ID"), "{bad:?}");
        }
    }

    #[test]
    fn password_length_bounds_count_characters_not_bytes() {
        assert!(validate_new_password("New Password", &"é".repeat(12)).is_ok());
        assert!(validate_new_password("New Password", &"a".repeat(11)).is_err());
        assert!(validate_new_password("New Password", &"a".repeat(128)).is_ok());
        assert!(validate_new_password("New Password", &"a".repeat(129)).is_err());
    }

    #[test]
    fn password_change_names_the_failing_field() {
        let long = "correct horse battery";
        let cases = [
            ("", long, long, "Current Password"),
            ("old password", "short", "short", "New Password"),
            (
                "old password",
                long,
                "different one here",
                "Confirm Password",
            ),
            (long, long, long, "New Password"),
        ];
        for (current, new, confirm, field) in cases {
            let err = validate_password_change(current, new, confirm).unwrap_err();
            assert_eq!(err.field(), Some(field));
        }
        assert!(validate_password_change("old password", long, long).is_ok());
    }
}
