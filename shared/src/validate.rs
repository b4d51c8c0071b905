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

    /// A text field: trimmed, `min..=max` characters, no control or invisible formatting
    /// characters (Unicode Cc, Cf, Zl, Zp: see [`is_forbidden_char`]). Returns the trimmed
    /// value (empty when invalid, with the problem recorded).
    pub fn text(&mut self, field: &str, raw: &str, min: usize, max: usize) -> String {
        let value = raw.trim();
        let chars = value.chars().count();
        if value.chars().any(is_forbidden_char) {
            self.fail(
                field,
                "must not contain control or invisible formatting characters",
            );
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

    /// A timestamp field ([`crate::time::parse`]: RFC 3339, years 2000 to 2100), as the
    /// RFC 3339 UTC string it is stored as; `None` when invalid, with the problem recorded.
    pub fn timestamp(&mut self, field: &str, raw: &str) -> Option<String> {
        match crate::time::parse(raw) {
            Ok(at) => Some(crate::time::rfc3339(at)),
            Err(refused) => {
                self.fail(field, refused.message());
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// The Unicode format characters (general category Cf, Unicode 15.1), as ranges.
const FORMAT_CHARS: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Characters refused in every name, description and reason (API.md): control characters
/// (Cc), invisible formatting characters such as U+202E RIGHT-TO-LEFT OVERRIDE or U+200B
/// ZERO WIDTH SPACE (Cf), and the line and paragraph separators U+2028 / U+2029 (Zl, Zp).
pub fn is_forbidden_char(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || u == 0x2028
        || u == 0x2029
        || FORMAT_CHARS.iter().any(|&(lo, hi)| (lo..=hi).contains(&u))
}

/// Emails are trimmed and lower-cased before anything else looks at them.
pub fn normalise_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no spaces or control characters, at most 254 characters.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 254
        || email
            .chars()
            .any(|c| c.is_whitespace() || is_forbidden_char(c))
    {
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
        assert_eq!(
            err.errors[1].message,
            "must not contain control or invisible formatting characters"
        );
    }

    #[test]
    fn invisible_formatting_characters_are_refused() {
        // Cf (RLO, ZWSP, ZWJ, BOM, soft hyphen, a tag), Zl, Zp, Cc.
        for c in [
            '\u{202E}',
            '\u{200B}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
            '\u{2028}',
            '\u{2029}',
            '\u{0007}',
            '\u{0085}',
        ] {
            let mut v = Validator::new();
            v.text("name", &format!("Ana{c}Lopez"), 1, 100);
            assert!(v.finish().is_err(), "U+{:04X}", c as u32);
            assert!(
                !is_valid_email(&format!("a{c}b@gym.example")),
                "U+{:04X}",
                c as u32
            );
        }
        // Visible letters, marks and spaces of other scripts stay allowed.
        for ok in [
            "José Müller",
            "Łukasz",
            "李小龍",
            "محمد",
            "Zoë\u{0301}",
            "Ana\u{00A0}Lopez",
        ] {
            let mut v = Validator::new();
            v.text("name", ok, 1, 100);
            assert!(v.finish().is_ok(), "{ok}");
        }
    }
}
