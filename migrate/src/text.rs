//! Legacy text that breaks today's rules (API.md), cleaned by one stated rule: control and
//! invisible formatting characters are stripped, the rest is trimmed and cut at the field's
//! limit in characters. Every change is said in words for the import report.

use gymit_shared::validate::is_forbidden_char;

/// `raw` cleaned for a field of at most `max` characters, and what was changed, if anything.
pub fn clean(raw: &str, max: usize) -> (String, Option<String>) {
    let stripped: String = raw.chars().filter(|c| !is_forbidden_char(*c)).collect();
    let mut changes = Vec::new();
    if stripped.chars().count() != raw.chars().count() {
        changes.push("control or invisible characters stripped".to_string());
    }
    let trimmed = stripped.trim();
    let value: String = if trimmed.chars().count() > max {
        changes.push(format!("cut at {max} characters"));
        trimmed
            .chars()
            .take(max)
            .collect::<String>()
            .trim_end()
            .to_string()
    } else {
        trimmed.to_string()
    };
    let change = (!changes.is_empty()).then(|| changes.join(", "));
    (value, change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_passes_unchanged() {
        assert_eq!(clean("  Anna Berg ", 100), ("Anna Berg".to_string(), None));
    }

    #[test]
    fn invisible_characters_are_stripped_and_reported() {
        let (v, why) = clean("Ev\u{202E}il\u{200B} Name\u{0007}", 100);
        assert_eq!(v, "Evil Name");
        assert_eq!(
            why.as_deref(),
            Some("control or invisible characters stripped")
        );
    }

    #[test]
    fn long_text_is_cut_at_the_limit_in_characters() {
        let (v, why) = clean(&"ü".repeat(130), 120);
        assert_eq!(v.chars().count(), 120);
        assert_eq!(why.as_deref(), Some("cut at 120 characters"));
    }
}
