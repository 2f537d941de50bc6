//! Shared checks for short free text that people type and other people read back: display
//! names, token labels, device names. Such text ends up in the operator console and in mails, so
//! it must be one line (no CR/LF header injection, AU-3 log injection), bounded (CS-6), and free
//! of invisible characters that could make two different strings look alike (bidi overrides).

use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, Result};

/// The conversions of a checked text type `$name(String)` whose only constructor is the check
/// `$name::parse`: shown as its text, serialised as that string (`#[serde(into = "String")]`),
/// and read back only through the check (`#[serde(try_from = "String")]`).
macro_rules! checked_text {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::DomainError;

            fn try_from(s: String) -> $crate::error::Result<Self> {
                Self::parse(&s)
            }
        }
    };
}
pub(crate) use checked_text;

/// Longest display name, in code points.
pub const DISPLAY_NAME_MAX_CHARS: usize = 100;
/// Longest token label or device name, in code points.
pub const LABEL_MAX_CHARS: usize = 64;

/// Checks an account's display name: one line, at most [`DISPLAY_NAME_MAX_CHARS`] characters,
/// trimmed and NFC-normalised; empty is allowed (pages then show the username). The store
/// applies the same check; callers use this to refuse bad input before writing anything.
pub fn display_name(raw: &str) -> Result<String> {
    single_line("display name", raw, DISPLAY_NAME_MAX_CHARS, true)
}

/// Checks a token's label ("Work phone"): one line, 1 to [`LABEL_MAX_CHARS`] characters.
pub fn token_label(raw: &str) -> Result<String> {
    single_line("label", raw, LABEL_MAX_CHARS, false)
}

/// Checks a device name: one line, at most [`LABEL_MAX_CHARS`] characters; empty means "no
/// device" (`None`).
pub fn device_name(raw: &str) -> Result<Option<String>> {
    single_line("device", raw, LABEL_MAX_CHARS, true).map(|d| Some(d).filter(|d| !d.is_empty()))
}

/// Invisible "format" characters (Unicode category Cf) that matter for spoofing: soft hyphen,
/// zero-width characters, bidi embeddings/overrides/isolates, word joiners, BOM, tags. The
/// username allow-list already refuses them; this set exists to name them in error messages and
/// to refuse them in free text.
pub(crate) fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{061C}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{08E2}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}')
}

/// Bidi controls: they reorder what an operator sees and never belong in a label.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Cleans one line of free text: trims it, normalises it to NFC, refuses control characters,
/// bidi controls and more than `max_chars` characters. Empty text is refused unless
/// `allow_empty`. Zero-width joiners stay allowed: emoji sequences and several scripts need them.
pub(crate) fn single_line(
    field: &'static str,
    value: &str,
    max_chars: usize,
    allow_empty: bool,
) -> Result<String> {
    // Bound the work before normalising: NFC never shrinks a string by more than a few bytes per
    // character, so anything this long is over the limit anyway.
    if value.len() > max_chars * 4 + 64 {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let trimmed = value.trim();
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must be a single line without control characters",
        ));
    }
    if trimmed.chars().any(is_bidi_control) {
        return Err(DomainError::invalid(
            field,
            "must not contain bidirectional control characters",
        ));
    }
    let clean: String = trimmed.nfc().collect();
    if clean.is_empty() && !allow_empty {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if clean.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_ordinary_text() {
        assert_eq!(
            single_line("label", "  Work phone  ", 64, false).unwrap(),
            "Work phone"
        );
        // Markup is stored as plain text; escaping is the renderer's job.
        assert_eq!(
            single_line("label", "<script>alert(1)</script>", 64, false).unwrap(),
            "<script>alert(1)</script>"
        );
    }

    #[test]
    fn refuses_crlf_header_injection() {
        // hostile-inputs.json header_injection; AU-3.
        assert!(single_line("label", "label\r\nX-Evil: 1", 64, false).is_err());
        assert!(single_line("label", "Phone\r\nBcc: victim@example.com", 64, false).is_err());
        assert!(single_line("label", "a\0b", 64, false).is_err());
    }

    #[test]
    fn refuses_bidi_override() {
        assert!(single_line("label", "abc\u{202E}def", 64, false).is_err());
    }

    #[test]
    fn enforces_length_and_emptiness() {
        assert!(single_line("label", &"x".repeat(65), 64, false).is_err());
        assert!(single_line("label", &"x".repeat(64), 64, false).is_ok());
        assert!(single_line("label", &"x".repeat(10_000), 64, false).is_err());
        assert!(single_line("label", "   ", 64, false).is_err());
        assert_eq!(single_line("label", "   ", 64, true).unwrap(), "");
    }

    #[test]
    fn public_checks_name_their_field() {
        assert_eq!(display_name("  Ann  ").unwrap(), "Ann");
        assert_eq!(display_name("").unwrap(), "");
        assert!(matches!(
            display_name("a\nb"),
            Err(DomainError::InvalidInput {
                field: "display name",
                ..
            })
        ));
        assert_eq!(token_label(" Work phone ").unwrap(), "Work phone");
        assert!(matches!(
            token_label(""),
            Err(DomainError::InvalidInput { field: "label", .. })
        ));
        assert_eq!(device_name("  ").unwrap(), None);
        assert_eq!(device_name("Pixel 8").unwrap().as_deref(), Some("Pixel 8"));
        assert!(device_name(&"d".repeat(65)).is_err());
    }

    #[test]
    fn format_chars_are_recognised() {
        for c in ['\u{200B}', '\u{202E}', '\u{FEFF}', '\u{00AD}', '\u{2066}'] {
            assert!(is_format_char(c), "{c:?}");
        }
        assert!(!is_format_char('a'));
    }
}
