//! The username canonicaliser (NFKC, case folding, checks): never panics, and what it accepts is
//! bounded, free of control characters, and a fixed point (one canonical form).
#![no_main]

use identity::{Username, USERNAME_MAX_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(name) = Username::parse(text) {
        let canonical = name.as_str();
        assert!(!canonical.is_empty());
        assert!(canonical.chars().count() <= USERNAME_MAX_CHARS);
        assert!(!canonical.chars().any(|c| c.is_control() || c.is_whitespace()));
        let again = Username::parse(canonical).expect("a canonical name parses");
        assert_eq!(again.as_str(), canonical, "idempotent");
    }
});
