//! Input limits checked before any work is done: a longer value than these is refused at once,
//! with the same answer as a wrong one, before it is hashed, normalised, counted or stored.
//! The web layer and the domain read them from here, so each limit is written once.

/// A one-time code as typed (a TOTP, SMS or e-mail code, or a confirmation code): six to eight
/// digits with room for spaces and hyphens.
pub const TYPED_CODE_MAX_BYTES: usize = 32;

/// An emergency access code as typed: 16 Crockford characters with room for the spaces,
/// hyphens and any case the person uses.
pub const TYPED_EMERGENCY_CODE_MAX_BYTES: usize = 80;

/// The token of a "this was not me" cancel link (longer than any token MAYI ID makes).
pub const CANCEL_LINK_TOKEN_MAX_BYTES: usize = 64;

/// A device name sent by a form ("I lost this device", "Block my lost phone now", the
/// console): larger than any stored name ([`crate::LABEL_MAX_CHARS`] characters of up to four
/// bytes), so a real one always passes and the domain then checks it fully.
pub const TYPED_DEVICE_MAX_BYTES: usize = 4 * crate::LABEL_MAX_CHARS;

/// Whether `typed` is within `max_bytes` (the limits above).
pub fn within(typed: &str, max_bytes: usize) -> bool {
    typed.len() <= max_bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_well_formed_value_fits_its_limit() {
        assert!(within("123 456", TYPED_CODE_MAX_BYTES));
        assert!(within("12345678", TYPED_CODE_MAX_BYTES));
        assert!(within(
            "abcd-efgh-jkmn-pqrs",
            TYPED_EMERGENCY_CODE_MAX_BYTES
        ));
        assert!(within(
            "a b c d e f g h j k m n p q r s",
            TYPED_EMERGENCY_CODE_MAX_BYTES
        ));
        let longest_device = "é".repeat(crate::LABEL_MAX_CHARS);
        assert!(crate::device_name(&longest_device).is_ok());
        assert!(within(&longest_device, TYPED_DEVICE_MAX_BYTES));
        let token = crate::SessionToken::generate();
        assert!(within(token.as_str(), CANCEL_LINK_TOKEN_MAX_BYTES));
    }

    #[test]
    fn one_byte_more_is_refused() {
        assert!(!within(
            &"1".repeat(TYPED_CODE_MAX_BYTES + 1),
            TYPED_CODE_MAX_BYTES
        ));
        assert!(within(
            &"1".repeat(TYPED_CODE_MAX_BYTES),
            TYPED_CODE_MAX_BYTES
        ));
        assert_eq!(TYPED_DEVICE_MAX_BYTES, 256);
    }
}
