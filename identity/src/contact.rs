//! Contact channels: e-mail addresses and phone numbers in one canonical form each, so that the
//! same address is recognised as the same, and nothing that could break a mail header or an SMS
//! gateway request (CR/LF, control characters) ever reaches the outbox.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Result};
use crate::text::{checked_text, is_format_char};

/// RFC 5321's limits: a forward path of 254 bytes, a local part of 64.
const EMAIL_MAX_BYTES: usize = 254;
const EMAIL_LOCAL_MAX_BYTES: usize = 64;

/// E.164: at most 15 digits; fewer than 8 is no real subscriber number anywhere.
const PHONE_MIN_DIGITS: usize = 8;
const PHONE_MAX_DIGITS: usize = 15;

/// An e-mail address: trimmed, one `@`, the domain lower-cased. The local part keeps its case,
/// as RFC 5321 leaves its meaning to the receiving server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Email(String);

impl Email {
    /// Checks and canonicalises a typed address. The rules are deliberately simple: the real
    /// check is the confirmation code sent to it.
    pub fn parse(raw: &str) -> Result<Self> {
        const FIELD: &str = "email";
        let s = raw.trim();
        if s.len() > EMAIL_MAX_BYTES {
            return Err(DomainError::invalid(
                FIELD,
                format!("must be at most {EMAIL_MAX_BYTES} bytes"),
            ));
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(DomainError::invalid(
                FIELD,
                "must not contain spaces, line breaks or control characters",
            ));
        }
        if s.chars()
            .any(|c| is_format_char(c) || "<>,;\"()[]\\".contains(c))
        {
            return Err(DomainError::invalid(
                FIELD,
                "contains a character that is not allowed in an address",
            ));
        }
        let (local, domain) = match s.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            Some(_) => return Err(DomainError::invalid(FIELD, "must contain exactly one @")),
            None => return Err(DomainError::invalid(FIELD, "must contain an @")),
        };
        if local.is_empty() {
            return Err(DomainError::invalid(FIELD, "needs a name before the @"));
        }
        if local.len() > EMAIL_LOCAL_MAX_BYTES {
            return Err(DomainError::invalid(
                FIELD,
                format!("the part before the @ must be at most {EMAIL_LOCAL_MAX_BYTES} bytes"),
            ));
        }
        if domain.is_empty() {
            return Err(DomainError::invalid(FIELD, "needs a domain after the @"));
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(DomainError::invalid(
                FIELD,
                "the domain must look like example.com",
            ));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The canonical address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

checked_text!(Email);

/// A phone number in E.164 form: `+` and 8 to 15 digits, the first not 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Checks a typed number. It must be international (start with `+`); spaces, hyphens and
    /// parentheses are allowed for readability and dropped.
    pub fn parse(raw: &str) -> Result<Self> {
        const FIELD: &str = "phone number";
        let s = raw.trim();
        // Bound the work on absurd inputs before looking at characters.
        if s.len() > 64 {
            return Err(DomainError::invalid(FIELD, "is too long"));
        }
        let Some(rest) = s.strip_prefix('+') else {
            return Err(DomainError::invalid(
                FIELD,
                "must be in international form, starting with + and the country code",
            ));
        };
        let mut digits = String::with_capacity(PHONE_MAX_DIGITS);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' => {}
                _ => {
                    return Err(DomainError::invalid(
                        FIELD,
                        "may contain only digits, spaces, hyphens and parentheses after the +",
                    ))
                }
            }
        }
        if digits.starts_with('0') {
            return Err(DomainError::invalid(
                FIELD,
                "the country code cannot start with 0",
            ));
        }
        if !(PHONE_MIN_DIGITS..=PHONE_MAX_DIGITS).contains(&digits.len()) {
            return Err(DomainError::invalid(
                FIELD,
                format!("must have {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits"),
            ));
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The E.164 form, `+` and digits only: what is stored and sent to the SMS gateway.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked for a person who has only passed the password step: the country code and the
    /// last three digits, e.g. `+420 ••• ••• 456`.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let country = &digits[..country_code_len(digits)];
        let tail = &digits[digits.len().saturating_sub(3)..];
        format!("+{country} ••• ••• {tail}")
    }

    /// A readable form for pages and mails: the country code, then the rest in groups of three
    /// (the last group may have four), e.g. `+420 601 123 456`, `+1 415 555 2671`.
    pub fn formatted(&self) -> String {
        let digits = &self.0[1..];
        let cc_len = country_code_len(digits);
        let (cc, mut rest) = digits.split_at(cc_len);
        let mut out = format!("+{cc}");
        while !rest.is_empty() {
            let take = if rest.len() > 4 { 3 } else { rest.len() };
            let (group, tail) = rest.split_at(take);
            out.push(' ');
            out.push_str(group);
            rest = tail;
        }
        out
    }
}

/// Length of the ITU country code a number starts with (1, 2 or 3 digits).
fn country_code_len(digits: &str) -> usize {
    let b = digits.as_bytes();
    match b[0] {
        b'1' | b'7' => 1,
        b'2' => match b[1] {
            b'0' | b'7' => 2,
            _ => 3,
        },
        b'3' => match b[1] {
            b'0'..=b'4' | b'6' | b'9' => 2,
            _ => 3,
        },
        b'4' => match b[1] {
            b'2' => 3,
            _ => 2,
        },
        b'5' => match b[1] {
            b'1'..=b'8' => 2,
            _ => 3,
        },
        b'6' => match b[1] {
            b'0'..=b'6' => 2,
            _ => 3,
        },
        b'8' => match b[1] {
            b'1' | b'2' | b'4' | b'6' => 2,
            _ => 3,
        },
        b'9' => match b[1] {
            b'0'..=b'5' | b'8' => 2,
            _ => 3,
        },
        _ => 3,
    }
}

checked_text!(PhoneNumber);

pub use mayi_types::ContactKind;

/// A checked contact value of either kind: the only way a contact reaches the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContactValue {
    /// An e-mail address.
    Email(Email),
    /// A phone number.
    Phone(PhoneNumber),
}

impl ContactValue {
    /// Which kind it is.
    pub fn kind(&self) -> ContactKind {
        match self {
            Self::Email(_) => ContactKind::Email,
            Self::Phone(_) => ContactKind::Phone,
        }
    }

    /// The canonical text, as stored.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Email(e) => e.as_str(),
            Self::Phone(p) => p.as_str(),
        }
    }
}

impl From<Email> for ContactValue {
    fn from(e: Email) -> Self {
        Self::Email(e)
    }
}

impl From<PhoneNumber> for ContactValue {
    fn from(p: PhoneNumber) -> Self {
        Self::Phone(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_ok() {
        // hostile-inputs.json emails_ok.
        assert_eq!(
            Email::parse("a@example.com").unwrap().as_str(),
            "a@example.com"
        );
        assert_eq!(
            Email::parse("first.last+tag@sub.example.org")
                .unwrap()
                .as_str(),
            "first.last+tag@sub.example.org"
        );
    }

    #[test]
    fn email_domain_lowercased_local_part_kept() {
        assert_eq!(
            Email::parse("  Jane.Doe@Example.COM ").unwrap().as_str(),
            "Jane.Doe@example.com"
        );
    }

    #[test]
    fn emails_refused() {
        // hostile-inputs.json emails_refused; OOB header injection.
        let long = format!("{}@example.com", "a".repeat(300));
        for s in [
            "a@",
            "@example.com",
            "a@b@c",
            "a@example.com\r\nBcc: x@y.z",
            long.as_str(),
            "",
            "plain",
            "a@localhost",
            "a@example..com",
            "a@.example.com",
            "a b@example.com",
            "a\u{200B}@example.com",
            "<a@example.com>",
            "a@example.com,b@example.com",
        ] {
            assert!(
                matches!(
                    Email::parse(s),
                    Err(DomainError::InvalidInput { field: "email", .. })
                ),
                "{s:?}"
            );
        }
    }

    #[test]
    fn email_length_limits() {
        let local = "a".repeat(64);
        let domain = format!("{}.com", "b".repeat(254 - 64 - 1 - 4));
        let max = format!("{local}@{domain}");
        assert_eq!(max.len(), 254);
        assert!(Email::parse(&max).is_ok());
        assert!(Email::parse(&format!("{local}@b{domain}")).is_err());
        assert!(Email::parse(&format!("a{local}@example.com")).is_err());
    }

    #[test]
    fn phone_numbers_ok() {
        // hostile-inputs.json phone_numbers_ok.
        assert_eq!(
            PhoneNumber::parse("+420601123456").unwrap().as_str(),
            "+420601123456"
        );
        assert_eq!(
            PhoneNumber::parse("+1 415 555 2671").unwrap().as_str(),
            "+14155552671"
        );
        assert_eq!(
            PhoneNumber::parse("+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            PhoneNumber::parse(" +1 (415) 555-2671 ").unwrap().as_str(),
            "+14155552671"
        );
    }

    #[test]
    fn phone_numbers_refused() {
        // hostile-inputs.json phone_numbers_refused.
        for s in [
            "601123456",
            "+999",
            "+42060112345678901234",
            "+420-abc",
            "tel:+420601123456",
            "+0420601123456",
            "+",
            "",
            "+420601123456\r\nX-Evil: 1",
            "+４２０６０１１２３４５６",
        ] {
            assert!(
                matches!(
                    PhoneNumber::parse(s),
                    Err(DomainError::InvalidInput {
                        field: "phone number",
                        ..
                    })
                ),
                "{s:?}"
            );
        }
        assert!(PhoneNumber::parse("+1234567").is_err());
        assert!(PhoneNumber::parse("+12345678").is_ok());
        assert!(PhoneNumber::parse("+123456789012345").is_ok());
        assert!(PhoneNumber::parse("+1234567890123456").is_err());
    }

    #[test]
    fn masking_shows_the_same_country_code_as_the_readable_form() {
        for number in [
            "+420601123456",
            "+14155552671",
            "+442079460958",
            "+79161234567",
            "+3531234567",
            "+2125551234",
            "+8001234567",
            "+9715012345",
        ] {
            let phone = PhoneNumber::parse(number).unwrap();
            let formatted = phone.formatted();
            let country = formatted.split(' ').next().unwrap();
            let masked = phone.masked();
            assert!(
                masked.starts_with(&format!("{country} ")),
                "{masked} vs {formatted}"
            );
            assert!(masked.ends_with(&number[number.len() - 3..]), "{masked}");
            assert_eq!(masked.matches('•').count(), 6, "{masked}");
        }
    }

    #[test]
    fn phone_formatted() {
        let f = |s: &str| PhoneNumber::parse(s).unwrap().formatted();
        assert_eq!(f("+420601123456"), "+420 601 123 456");
        assert_eq!(f("+14155552671"), "+1 415 555 2671");
        assert_eq!(f("+442079460958"), "+44 207 946 0958");
        assert_eq!(f("+4915112345678"), "+49 151 123 456 78");
    }

    #[test]
    fn contact_kind_round_trip() {
        for k in [ContactKind::Email, ContactKind::Phone] {
            assert_eq!(ContactKind::parse(k.as_str()).unwrap(), k);
        }
        assert!(ContactKind::parse("fax").is_err());
    }

    #[test]
    fn contact_value_kind() {
        let e: ContactValue = Email::parse("a@example.com").unwrap().into();
        assert_eq!(e.kind(), ContactKind::Email);
        let p: ContactValue = PhoneNumber::parse("+420601123456").unwrap().into();
        assert_eq!(
            (p.kind(), p.as_str()),
            (ContactKind::Phone, "+420601123456")
        );
    }
}
