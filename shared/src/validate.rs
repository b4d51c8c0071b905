//! Field validation that collects every problem, so one 422 lists them all (API.md).

use crate::{error::FieldError, ApiError};

#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.fail(field, message);
        }
    }

    /// A text field: trimmed, `min..=max` characters, no control characters. Returns the
    /// trimmed value (empty when invalid, with the problem recorded).
    pub fn text(&mut self, field: &str, raw: &str, min: usize, max: usize) -> String {
        let value = raw.trim();
        let chars = value.chars().count();
        if value.chars().any(char::is_control) {
            self.fail(field, "must not contain control characters");
        } else if chars < min || chars > max {
            let message = if min == 0 {
                format!("must be at most {max} characters")
            } else {
                format!("must be {min} to {max} characters")
            };
            self.fail(field, &message);
        }
        value.to_string()
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// Emails are trimmed and lower-cased before anything else looks at them.
pub fn normalise_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no spaces or control characters, at most 254 characters.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalise_email("  Ana.Lopez@Gym.EXAMPLE "),
            "ana.lopez@gym.example"
        );
    }

    #[test]
    fn email_validation() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "plain",
            "@b.co",
            "a@",
            "a@b",
            "a b@c.de",
            "a@@b.co",
            "a@-b.co",
            long.as_str(),
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn text_counts_characters_after_trimming() {
        let mut v = Validator::new();
        assert_eq!(v.text("name", "  Zoë  ", 1, 3), "Zoë");
        assert!(v.finish().is_ok());
        let mut v = Validator::new();
        v.text("name", "   ", 1, 100);
        v.text("bio", "tab\there", 0, 100);
        let err = v.finish().unwrap_err();
        assert_eq!(err.errors.len(), 2);
        assert_eq!(err.errors[1].message, "must not contain control characters");
    }
}
