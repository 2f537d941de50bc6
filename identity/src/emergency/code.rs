//! The emergency access code itself (EC-1..EC-3): 16 characters of Crockford base32 drawn from
//! the operating system's RNG (80 bits), read back tolerantly, stored only as a keyed hash bound
//! to the account, and never printable.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::oob::CodeHasher;
use crate::store::AccountId;

/// Characters in an emergency access code: 16 × 5 bits = 80 bits (EC-2).
pub const EMERGENCY_CODE_CHARS: usize = 16;

/// Crockford's base32 alphabet: digits and capitals without I, L, O and U.
pub const CROCKFORD_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The [`crate::SeedCipher::derive_key`] label of the key that hashes emergency codes (EC-3).
pub const EMERGENCY_CODE_KEY_LABEL: &str = "emergency-code";

/// Longest input [`EmergencyCode::parse`] looks at (16 characters with generous separators).
const INPUT_MAX_BYTES: usize = 80;

/// An emergency access code. Not printable (`Debug` shows `EmergencyCode(***)`), not
/// serialisable, not clonable, wiped on drop. Its text is shown once, to the person it was issued
/// for ([`Self::grouped`]); the store sees only [`Self::hash`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct EmergencyCode(String);

/// Reads `chars` Crockford base32 characters a person typed or pasted: case, spaces and hyphens
/// do not matter, and the letters people confuse with digits read as Crockford says (O as 0, I
/// and L as 1). Anything else, or another length, is `None`. Shared by emergency access codes
/// and recovery codes.
pub(crate) fn parse_crockford(input: &str, chars: usize) -> Option<Zeroizing<String>> {
    if input.len() > INPUT_MAX_BYTES {
        return None;
    }
    let mut code = Zeroizing::new(String::with_capacity(chars));
    for c in input.chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD_ALPHABET.contains(&(c as u8)) || code.len() == chars {
            return None;
        }
        code.push(c);
    }
    (code.len() == chars).then_some(code)
}

impl EmergencyCode {
    /// A fresh code from the operating system's RNG (EC-1).
    pub fn generate() -> Self {
        Self::from_rng(&mut OsRng)
    }

    pub(crate) fn from_rng(rng: &mut impl RngCore) -> Self {
        // 10 bytes = 80 bits = 16 groups of 5 bits: every character is uniform, no bias.
        let mut bytes = Zeroizing::new([0u8; 10]);
        rng.fill_bytes(bytes.as_mut());
        let mut code = Self(String::with_capacity(EMERGENCY_CODE_CHARS));
        let mut acc: u16 = 0;
        let mut bits = 0;
        for byte in bytes.iter() {
            acc = (acc << 8) | u16::from(*byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                let index = ((acc >> bits) & 0x1f) as usize;
                code.0.push(char::from(CROCKFORD_ALPHABET[index]));
            }
        }
        acc.zeroize();
        code
    }

    /// Reads a code a person typed or pasted: case, spaces and hyphens do not matter, and the
    /// letters people confuse with digits read as Crockford says (O as 0, I and L as 1). Anything
    /// else, or another length, is `None`, before any hashing or database access.
    pub fn parse(input: &str) -> Option<Self> {
        parse_crockford(input, EMERGENCY_CODE_CHARS).map(|code| Self(code.to_string()))
    }

    /// The code as shown once: four groups of four, `ABCD-EFGH-JKMN-PQRS`. Never log or store it.
    pub fn grouped(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(EMERGENCY_CODE_CHARS + 3));
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The canonical 16 characters (for sealing until shown). Never log or store them in clear.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The keyed hash the store keeps, bound to the account it was issued for (EC-3, EC-10: the
    /// same characters mean nothing for another account).
    pub fn hash(&self, hasher: &CodeHasher, account: AccountId) -> [u8; 32] {
        hasher.hash(&self.0, &account.0.to_be_bytes())
    }
}

impl fmt::Debug for EmergencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmergencyCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::SeedCipher;

    #[test]
    fn codes_carry_80_bits_from_the_alphabet() {
        // EC-2: length × log2(alphabet) ≥ 80.
        assert_eq!(CROCKFORD_ALPHABET.len(), 32);
        const { assert!(EMERGENCY_CODE_CHARS * 5 >= 80) };
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let code = EmergencyCode::generate();
            assert_eq!(code.as_str().len(), EMERGENCY_CODE_CHARS);
            assert!(code
                .as_str()
                .bytes()
                .all(|b| CROCKFORD_ALPHABET.contains(&b)));
            assert!(seen.insert(code.as_str().to_string()), "duplicate code");
        }
        // Every character of the alphabet turns up somewhere in 160,000 draws.
        let used: HashSet<u8> = seen.iter().flat_map(|c| c.bytes()).collect();
        assert_eq!(used.len(), 32);
    }

    #[test]
    fn encodes_bits_in_order() {
        struct Fixed(u8);
        impl RngCore for Fixed {
            fn next_u32(&mut self) -> u32 {
                unreachable!("only fill_bytes is used")
            }
            fn next_u64(&mut self) -> u64 {
                unreachable!("only fill_bytes is used")
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                dest.fill(self.0);
            }
            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
                dest.fill(self.0);
                Ok(())
            }
        }
        assert_eq!(
            EmergencyCode::from_rng(&mut Fixed(0)).as_str(),
            "0000000000000000"
        );
        assert_eq!(
            EmergencyCode::from_rng(&mut Fixed(0xff)).as_str(),
            "ZZZZZZZZZZZZZZZZ"
        );
        // 0x84 0x21 0x08 0x42 0x10 = 10000 10000 10000 10000 10000 10000 10000 10000: "G" × 8.
        struct Pattern;
        impl RngCore for Pattern {
            fn next_u32(&mut self) -> u32 {
                unreachable!()
            }
            fn next_u64(&mut self) -> u64 {
                unreachable!()
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                for (i, b) in dest.iter_mut().enumerate() {
                    *b = [0x84, 0x21, 0x08, 0x42, 0x10][i % 5];
                }
            }
            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
                self.fill_bytes(dest);
                Ok(())
            }
        }
        assert_eq!(
            EmergencyCode::from_rng(&mut Pattern).as_str(),
            "GGGGGGGGGGGGGGGG"
        );
    }

    #[test]
    fn parsing_tolerates_case_spaces_and_hyphens() {
        let canonical = "ABCD0123EFGH4567";
        for typed in [
            "ABCD0123EFGH4567",
            "abcd0123efgh4567",
            "ABCD-0123-EFGH-4567",
            " abcd 0123 efgh 4567 ",
            "ABCD-0123 efgh-4567\n",
            "ABCD\u{00a0}0123EFGH4567",
        ] {
            let code = EmergencyCode::parse(typed).unwrap_or_else(|| panic!("{typed:?} refused"));
            assert_eq!(code.as_str(), canonical, "{typed:?}");
        }
        // Crockford's readings of look-alike letters.
        assert_eq!(
            EmergencyCode::parse("OIL0-0000-0000-0000")
                .unwrap()
                .as_str(),
            "0110000000000000"
        );
        assert_eq!(
            EmergencyCode::parse("ABCD-0123-EFGH-4567")
                .unwrap()
                .grouped()
                .as_str(),
            "ABCD-0123-EFGH-4567"
        );
    }

    #[test]
    fn parsing_refuses_wrong_lengths_and_characters() {
        for typed in [
            "",
            "ABCD-0123-EFGH-456",
            "ABCD-0123-EFGH-45678",
            "ABCD-0123-EFGH-456U",
            "ABCD_0123_EFGH_4567",
            "ABCD-0123-EFGH-45６7",
            "123456",
            &"A".repeat(200),
        ] {
            assert!(EmergencyCode::parse(typed).is_none(), "{typed:?} accepted");
        }
    }

    #[test]
    fn hashes_are_keyed_and_bound_to_the_account() {
        let cipher = SeedCipher::from_key_bytes([3; 32]);
        let hasher = CodeHasher::from_cipher(&cipher, EMERGENCY_CODE_KEY_LABEL);
        let code = EmergencyCode::parse("ABCD-0123-EFGH-4567").unwrap();
        let a = code.hash(&hasher, AccountId(1));
        assert_eq!(a, code.hash(&hasher, AccountId(1)));
        assert_ne!(a, code.hash(&hasher, AccountId(2)), "bound to the account");
        let other_key = CodeHasher::from_cipher(
            &SeedCipher::from_key_bytes([4; 32]),
            EMERGENCY_CODE_KEY_LABEL,
        );
        assert_ne!(a, code.hash(&other_key, AccountId(1)), "keyed");
        let oob_label = CodeHasher::for_oob_codes(&cipher);
        assert_ne!(
            a,
            code.hash(&oob_label, AccountId(1)),
            "one key per purpose"
        );
        assert_eq!(format!("{code:?}"), "EmergencyCode(***)");
    }
}
