//! The code parsers: emergency access codes, sign-in codes, TOTP codes. Whatever a person (or an
//! attacker) types, parsing never panics, and what it accepts is exactly the canonical form.
#![no_main]

use identity::{EmergencyCode, OobCode, TotpSecret, CROCKFORD_ALPHABET};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(code) = EmergencyCode::parse(text) {
        let grouped = code.grouped();
        assert_eq!(grouped.len(), 19, "four groups of four");
        assert!(grouped
            .bytes()
            .enumerate()
            .all(|(i, b)| if i % 5 == 4 { b == b'-' } else { CROCKFORD_ALPHABET.contains(&b) }));
        let again = EmergencyCode::parse(&grouped).expect("the shown form parses");
        assert_eq!(again.grouped().as_str(), grouped.as_str(), "canonical");
    }
    if let Some(code) = OobCode::normalise(text) {
        assert_eq!(code.as_str().len(), 6);
        assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    let secret = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").expect("RFC secret");
    if let Some(step) = secret.verify(text, 1_111_111_109, None) {
        // Only the steps within ±1 of T = 1111111109 / 30 can match.
        assert!((37_037_035..=37_037_037).contains(&step), "{step}");
    }
});
