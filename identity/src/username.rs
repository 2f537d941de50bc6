//! Canonical usernames: one spelling per account, decided here once, so that "ALICE", "Alice"
//! and fullwidth "ａｌｉｃｅ" sign in to the same account everywhere (pages, console, CLI,
//! database uniqueness) while look-alikes from other scripts stay distinct accounts. The database
//! only ever sees the canonical form; SQLite's NOCASE is ASCII-only and is never relied upon.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, Result};
use crate::text::{checked_text, is_format_char};

/// Longest canonical username, in Unicode code points.
pub const USERNAME_MAX_CHARS: usize = 64;

/// Inputs longer than this many bytes are refused before any Unicode work is done.
const RAW_MAX_BYTES: usize = 1024;

/// Punctuation allowed besides letters and digits: enough for e-mail-like and dotted names.
const ALLOWED_PUNCTUATION: [char; 5] = ['.', '_', '-', '@', '+'];

/// A username in canonical form: NFKC, then full Unicode case folding, then NFKC again.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Username(String);

impl Username {
    /// Canonicalises and checks what a person typed. Surrounding whitespace is ignored; inside,
    /// only letters, digits (any script), combining marks after them, and `. _ - @ +` are
    /// allowed, at most [`USERNAME_MAX_CHARS`] code points after canonicalisation.
    pub fn parse(raw: &str) -> Result<Self> {
        const FIELD: &str = "username";
        if raw.len() > RAW_MAX_BYTES {
            return Err(too_long());
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid(FIELD, "must not be empty"));
        }
        check_invisible(trimmed)?;

        let first: String = trimmed.nfkc().collect();
        let folded = caseless::default_case_fold_str(&first);
        let canonical: String = folded.nfkc().collect();

        // NFKC turns no-break and ideographic spaces into plain ones, so check after it too.
        check_invisible(&canonical)?;
        if canonical.chars().count() > USERNAME_MAX_CHARS {
            return Err(too_long());
        }
        for (i, c) in canonical.chars().enumerate() {
            let allowed = c.is_alphanumeric()
                || ALLOWED_PUNCTUATION.contains(&c)
                || (i > 0 && is_combining_mark(c));
            if !allowed {
                return Err(DomainError::invalid(
                    FIELD,
                    format!(
                        "may contain only letters, digits and . _ - @ + (found U+{:04X})",
                        c as u32
                    ),
                ));
            }
        }
        Ok(Self(canonical))
    }

    /// Wraps a value the store read back; it was canonical when it was written.
    pub(crate) fn from_canonical(canonical: String) -> Self {
        Self(canonical)
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn too_long() -> DomainError {
    DomainError::invalid(
        "username",
        format!("must be at most {USERNAME_MAX_CHARS} characters"),
    )
}

/// Whitespace, control and format characters get their own messages: they are invisible, so
/// "not allowed: U+200B" alone would leave the person puzzled.
fn check_invisible(s: &str) -> Result<()> {
    for c in s.chars() {
        if c.is_control() {
            return Err(DomainError::invalid(
                "username",
                "must not contain control characters",
            ));
        }
        if is_format_char(c) {
            return Err(DomainError::invalid(
                "username",
                format!(
                    "must not contain invisible formatting characters (found U+{:04X})",
                    c as u32
                ),
            ));
        }
        if c.is_whitespace() {
            return Err(DomainError::invalid("username", "must not contain spaces"));
        }
    }
    Ok(())
}

checked_text!(Username);

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` escapes, so a hostile value cannot forge log lines (AU-3).
        write!(f, "Username({:?})", self.0)
    }
}

impl std::str::FromStr for Username {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Username::parse(s).unwrap().as_str().to_owned()
    }

    fn reason(s: &str) -> String {
        match Username::parse(s) {
            Err(DomainError::InvalidInput { field, reason }) => {
                assert_eq!(field, "username");
                reason
            }
            other => panic!("{s:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn case_and_width_variants_are_one_account() {
        // hostile-inputs.json usernames_same_account; abuse case 12.
        for s in ["alice", "Alice", "ALICE", "ａｌｉｃｅ", "  alice\t"] {
            assert_eq!(canon(s), "alice", "{s:?}");
        }
    }

    #[test]
    fn homoglyphs_and_accents_stay_distinct() {
        // hostile-inputs.json usernames_distinct.
        assert_ne!(canon("alice"), canon("аlice"));
        assert_ne!(canon("resume"), canon("résumé"));
    }

    #[test]
    fn composed_and_decomposed_accents_are_one_account() {
        assert_eq!(canon("re\u{301}sume\u{301}"), canon("résumé"));
        assert_eq!(canon("RÉSUMÉ"), "résumé");
    }

    #[test]
    fn full_case_folding() {
        assert_eq!(canon("Straße"), "strasse");
        assert_eq!(canon("ΣΊΣΥΦΟΣ"), canon("σίσυφος"));
    }

    #[test]
    fn canonical_form_is_stable() {
        for s in [
            "Alice",
            "ａｌｉｃｅ",
            "Straße",
            "résumé",
            "user.name+tag@x",
            "ﬁle",
        ] {
            let once = canon(s);
            assert_eq!(canon(&once), once, "{s:?}");
        }
    }

    #[test]
    fn allowed_punctuation_and_scripts() {
        assert_eq!(
            canon("first.last_1-2@example+tag"),
            "first.last_1-2@example+tag"
        );
        assert_eq!(canon("Пётр"), "пётр");
        assert_eq!(canon("山田"), "山田");
        assert_eq!(canon("١٢٣"), "١٢٣");
    }

    #[test]
    fn hostile_refused_list() {
        // hostile-inputs.json usernames_refused.
        assert!(reason("").contains("empty"));
        assert!(reason(" ").contains("empty"));
        assert!(reason(&"a".repeat(300)).contains("at most 64"));
        assert!(reason("ali\u{0}ce").contains("control"));
        assert!(reason("ali\nce").contains("control"));
        assert!(reason("ali\u{202E}ce").contains("U+202E"));
        assert!(reason("alice\u{200B}").contains("U+200B"));
    }

    #[test]
    fn inner_whitespace_refused_including_nbsp_and_ideographic() {
        assert!(reason("ali ce").contains("spaces"));
        assert!(reason("ali\u{A0}ce").contains("spaces"));
        assert!(reason("ali\u{3000}ce").contains("spaces"));
    }

    #[test]
    fn other_punctuation_refused() {
        for s in ["ali'ce", "a;b", "%", "a\\b", "<b>", "a/b", "💥"] {
            assert!(reason(s).contains("only letters"), "{s:?}");
        }
        // A combining mark cannot start a name.
        assert!(reason("\u{301}a").contains("only letters"));
    }

    #[test]
    fn length_limit_is_on_code_points_after_canonicalisation() {
        assert!(Username::parse(&"é".repeat(64)).is_ok());
        assert!(Username::parse(&"é".repeat(65)).is_err());
        // A megabyte is refused before normalisation.
        assert!(Username::parse(&"a".repeat(1 << 20)).is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        let u: Username = serde_json_like("\"ALICE\"");
        assert_eq!(u.as_str(), "alice");
    }

    // serde_json is not a dependency of this crate; a tiny deserializer over a plain string is
    // enough to show that `Deserialize` canonicalises.
    fn serde_json_like(quoted: &str) -> Username {
        use serde::de::value::{Error, StrDeserializer};
        use serde::de::IntoDeserializer;
        let inner = quoted.trim_matches('"');
        let d: StrDeserializer<'_, Error> = inner.into_deserializer();
        Username::deserialize(d).unwrap()
    }

    #[test]
    fn debug_escapes_control_characters() {
        let u = Username::from_canonical("a\nb".into());
        assert_eq!(format!("{u:?}"), "Username(\"a\\nb\")");
    }
}
