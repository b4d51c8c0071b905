//! Email addresses in the one form the auth service stores, compares and counts failures
//! by (API.md, Auth service): trimmed, NFKC-normalised, lower-cased, the domain in its IDNA
//! ASCII form. Uniqueness is decided on that form, so a fullwidth `ＶＩＣＴＩＭ@x.io`, a
//! decomposed `cafe\u{301}@x.io` or a `Bücher.example` domain name the same account as
//! their plain spellings. Addresses that only serve to impersonate or to inject are
//! refused: a local part or domain label mixing Latin with Cyrillic or Greek (a Cyrillic
//! `і` among Latin letters), whitespace, control or invisible characters, and the markup
//! and separator characters `<`, `>`, `(`, `)`, `[`, `]`, `,`, `;`, `:`, `\` and `"`.
//!
//! Pure: no I/O. Normalisation uses ICU4X's data (`icu_normalizer`, `icu_properties`)
//! and the `idna` crate (UTS #46), the same crates `url` and the SDK's HTTP stack use.

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::{props::Script, CodePointMapData};

/// The longest address (RFC 5321's path limit less the brackets).
pub const MAX_LENGTH: usize = 254;
const MAX_LOCAL_LENGTH: usize = 64;

/// Characters that have no place in an address we accept: they quote, comment, separate
/// addresses or open markup.
const REFUSED: &[char] = &['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"'];

/// Why an address is refused, in words for the 422's `errors[].message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Malformed,
    TooLong,
    ForbiddenCharacters,
    MixedScripts,
}

impl EmailProblem {
    pub fn message(self) -> &'static str {
        match self {
            EmailProblem::Malformed => "must be a valid email address",
            EmailProblem::TooLong => "must be at most 254 characters",
            EmailProblem::ForbiddenCharacters => {
                "must not contain spaces, invisible characters or any of < > ( ) [ ] , ; : \\ \""
            }
            EmailProblem::MixedScripts => {
                "must not mix Latin letters with Cyrillic or Greek ones in one part"
            }
        }
    }
}

/// The stored form of `raw`, or why it is refused.
pub fn parse(raw: &str) -> Result<String, EmailProblem> {
    let folded = fold(raw);
    if folded.chars().any(|c| {
        c.is_whitespace() || REFUSED.contains(&c) || gymit_shared::validate::is_forbidden_char(c)
    }) {
        return Err(EmailProblem::ForbiddenCharacters);
    }
    let (local, domain) = folded.rsplit_once('@').ok_or(EmailProblem::Malformed)?;
    if local.is_empty() || local.contains('@') || domain.is_empty() {
        return Err(EmailProblem::Malformed);
    }
    if mixes_scripts(local) || domain.split('.').any(mixes_scripts) {
        return Err(EmailProblem::MixedScripts);
    }
    let domain = idna::domain_to_ascii(domain).map_err(|_| EmailProblem::Malformed)?;
    let email = format!("{local}@{domain}");
    if email.chars().count() > MAX_LENGTH {
        return Err(EmailProblem::TooLong);
    }
    if local.chars().count() > MAX_LOCAL_LENGTH || !gymit_shared::validate::is_valid_email(&email) {
        return Err(EmailProblem::Malformed);
    }
    Ok(email)
}

/// The form a login looks an address up by: what `parse` stores for every address it
/// accepts; `None` for one it would refuse (no account can have it).
pub fn normalise(raw: &str) -> Option<String> {
    parse(raw).ok()
}

/// Trimmed, NFKC-normalised and lower-cased (and normalised again: lower-casing can undo
/// NFKC for a few characters).
fn fold(raw: &str) -> String {
    let nfkc = ComposingNormalizerBorrowed::new_nfkc();
    let lower = nfkc.normalize(raw.trim()).to_lowercase();
    nfkc.normalize(&lower).into_owned()
}

/// Whether `part` has letters of more than one of Latin, Cyrillic and Greek (the scripts
/// whose letters look alike). Digits, punctuation and combining marks belong to none.
fn mixes_scripts(part: &str) -> bool {
    let scripts = CodePointMapData::<Script>::new();
    let mut seen: Option<Script> = None;
    for c in part.chars() {
        let script = scripts.get(c);
        if ![Script::Latin, Script::Cyrillic, Script::Greek].contains(&script) {
            continue;
        }
        match seen {
            Some(s) if s != script => return true,
            _ => seen = Some(script),
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_folded_and_their_domains_made_ascii() {
        assert_eq!(
            parse("  Ana.Lopez@Gym.EXAMPLE ").unwrap(),
            "ana.lopez@gym.example"
        );
        assert_eq!(
            parse("ＶＩＣＴＩＭ@ｘ.ｉｏ").unwrap(),
            "victim@x.io",
            "fullwidth"
        );
        assert_eq!(
            parse("café@x.io").unwrap(),
            parse("cafe\u{301}@x.io").unwrap()
        );
        assert_eq!(parse("CAFÉ@x.io").unwrap(), "café@x.io");
        assert_eq!(
            parse("reader@Bücher.example").unwrap(),
            "reader@xn--bcher-kva.example"
        );
        assert_eq!(
            parse("first.last+tag@sub.example.org").unwrap(),
            "first.last+tag@sub.example.org"
        );
        assert_eq!(
            parse("иван@пример.рф").unwrap(),
            "иван@xn--e1afmkfd.xn--p1ai"
        );
    }

    #[test]
    fn look_alikes_mixing_scripts_are_refused() {
        // A Cyrillic і (U+0456) among Latin letters, a Greek ο (U+03BF), in the domain too.
        for raw in [
            "v\u{456}ctim@x.io",
            "r\u{3bf}ot@x.io",
            "victim@g\u{43e}\u{43e}gle.com",
        ] {
            assert_eq!(parse(raw), Err(EmailProblem::MixedScripts), "{raw}");
        }
    }

    #[test]
    fn markup_and_separators_are_refused() {
        for raw in [
            "<img/src=x/onerror=alert(1)>@x.io",
            "a b@x.io",
            "\"quoted\"@x.io",
            "a,b@x.io",
            "a;b@x.io",
            "a:b@x.io",
            "a\\b@x.io",
            "a[1]@x.io",
            "a\u{200B}b@x.io",
            "a\u{202E}b@x.io",
        ] {
            assert_eq!(parse(raw), Err(EmailProblem::ForbiddenCharacters), "{raw}");
        }
    }

    #[test]
    fn malformed_and_long_addresses_are_refused() {
        for raw in [
            "", "plain", "@b.co", "a@", "a@b", "a@@b.co", "a@-b.co", "a@b..co",
        ] {
            assert!(parse(raw).is_err(), "{raw}");
        }
        let local = "a".repeat(65);
        assert_eq!(
            parse(&format!("{local}@x.io")),
            Err(EmailProblem::Malformed)
        );
        let long = format!("a@{}.io", vec!["b".repeat(60); 5].join("."));
        assert_eq!(parse(&long), Err(EmailProblem::TooLong));
        assert_eq!(normalise(" A@X.io "), Some("a@x.io".into()));
        assert_eq!(normalise("not an email"), None);
    }
}
