//! Encryption of secrets at rest (OTP-9): TOTP seeds must be usable by the server yet worthless
//! in a stolen database dump or backup, so they are sealed with AES-256-GCM under a key that lives
//! outside the database, in a key file (or the configuration).
//!
//! Key file format: 64 hexadecimal characters (the 32-byte key), optionally followed by a line
//! break. Hex rather than raw bytes so that an operator can copy it into a secret store or an
//! environment variable and compare copies by eye. The file must be readable by its owner only.
//!
//! Sealed format: a random 96-bit nonce, then the ciphertext with its 128-bit tag. The caller's
//! associated data binds a ciphertext to where it belongs (for TOTP seeds: the account id), so a
//! blob copied to another row does not decrypt.
//!
//! The same key also roots the MAC keys of short codes (OOB-7, EC-3): [`SeedCipher::derive_key`]
//! gives HMAC-SHA-256(key, "mayi-id/" + label), one independent key per purpose, so the key
//! itself never leaves this type.

use std::fmt;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{DomainError, Result};

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// Prefix of every derived key's label, so that no other use of HMAC under this key can collide.
const DERIVE_PREFIX: &str = "mayi-id/";

/// The AES-256-GCM cipher for secrets at rest. It cannot be printed (its `Debug` is redacted),
/// serialised or cloned, and its key schedule is wiped on drop.
pub struct SeedCipher {
    cipher: Aes256Gcm,
    /// The key itself, kept only to derive purpose keys from; wiped on drop, never handed out.
    root: Zeroizing<[u8; KEY_BYTES]>,
}

impl SeedCipher {
    /// A cipher over a key the caller already holds. The caller's copy is its own to wipe.
    pub fn from_key_bytes(key: [u8; KEY_BYTES]) -> Self {
        let mut key = Zeroizing::new(key);
        let cipher = Aes256Gcm::new((&*key).into());
        let root = Zeroizing::new(*key);
        key.zeroize();
        Self { cipher, root }
    }

    /// A 32-byte key for one purpose (`label`, e.g. "oob-code"): HMAC-SHA-256(key, "mayi-id/" +
    /// label). Different labels give independent keys; none reveals the seed key or another
    /// label's key. Wiped when dropped.
    pub fn derive_key(&self, label: &str) -> Zeroizing<[u8; KEY_BYTES]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.root.as_ref())
            .expect("HMAC accepts keys of any length");
        mac.update(DERIVE_PREFIX.as_bytes());
        mac.update(label.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// A cipher over a key written as 64 hexadecimal characters (surrounding whitespace ignored),
    /// as in the key file or a configuration value.
    pub fn from_hex(hex: &str) -> Result<Self> {
        let key = decode_hex_key(hex.trim().as_bytes()).ok_or_else(|| {
            DomainError::Config(
                "the seed key must be 64 hexadecimal characters (a 32-byte key)".into(),
            )
        })?;
        Ok(Self::from_key_bytes(*key))
    }

    /// Reads the key file at `path`, or creates it (and its parent directories) with a fresh
    /// random key and mode 0600 when it does not exist. Refuses a file that group or others may
    /// access, or that does not hold exactly one key in the documented format.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match fs::File::open(path) {
            Ok(file) => Self::load(path, file),
            Err(e) if e.kind() == ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(DomainError::Config(format!(
                "cannot read the seed key file {}: {e}",
                path.display()
            ))),
        }
    }

    fn load(path: &Path, mut file: fs::File) -> Result<Self> {
        let meta = file.metadata().map_err(|e| {
            DomainError::Config(format!(
                "cannot inspect the seed key file {}: {e}",
                path.display()
            ))
        })?;
        if !meta.is_file() {
            return Err(DomainError::Config(format!(
                "the seed key path {} is not a regular file",
                path.display()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(DomainError::Config(format!(
                    "the seed key file {} is accessible by group or others (mode {mode:o}); \
                     run `chmod 600 {}`",
                    path.display(),
                    path.display()
                )));
            }
        }
        // Read a little more than a key's worth, so a wrong file is reported, not truncated.
        let mut content = Zeroizing::new(Vec::with_capacity(128));
        (&mut file)
            .take(256)
            .read_to_end(&mut content)
            .map_err(|e| {
                DomainError::Config(format!(
                    "cannot read the seed key file {}: {e}",
                    path.display()
                ))
            })?;
        let text = trim_ascii(&content);
        let key = decode_hex_key(text).ok_or_else(|| {
            DomainError::Config(format!(
                "the seed key file {} must hold exactly 64 hexadecimal characters (a 32-byte key)",
                path.display()
            ))
        })?;
        Ok(Self::from_key_bytes(*key))
    }

    fn create(path: &Path) -> Result<Self> {
        let config_err = |what: &str, e: std::io::Error| {
            DomainError::Config(format!(
                "cannot {what} the seed key file {}: {e}",
                path.display()
            ))
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(parent)
                .map_err(|e| config_err("create the directory of", e))?;
        }
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        OsRng.fill_bytes(key.as_mut());
        let mut text = Zeroizing::new(data_encoding::HEXLOWER.encode(key.as_ref()));
        text.push('\n');

        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| config_err("write", e))?;
                tracing::info!(path = %path.display(), "created a new seed key file");
                Ok(Self::from_key_bytes(*key))
            }
            // Another process created it between our open and create: use theirs.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let file = fs::File::open(path).map_err(|e| config_err("read", e))?;
                Self::load(path, file)
            }
            Err(e) => Err(config_err("create", e)),
        }
    }

    /// Seals `plaintext`, bound to `aad`: returns nonce ‖ ciphertext ‖ tag.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| DomainError::Internal("AES-GCM encryption failed".into()))?;
        let mut blob = Vec::with_capacity(NONCE_BYTES + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Opens a blob made by [`Self::encrypt`] with the same `aad`. Fails with
    /// [`DomainError::Crypto`] on a wrong key, a wrong `aad` or any change to the blob.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if blob.len() < NONCE_BYTES + TAG_BYTES {
            return Err(DomainError::Crypto("sealed secret is too short".into()));
        }
        let (nonce, sealed) = blob.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map(Zeroizing::new)
            .map_err(|_| {
                DomainError::Crypto("authentication failed (wrong key, data or binding)".into())
            })
    }
}

impl fmt::Debug for SeedCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeedCipher(***)")
    }
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn decode_hex_key(text: &[u8]) -> Option<Zeroizing<[u8; KEY_BYTES]>> {
    if text.len() != KEY_BYTES * 2 {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    data_encoding::HEXLOWER_PERMISSIVE
        .decode_mut(text, key.as_mut())
        .ok()?;
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(byte: u8) -> SeedCipher {
        SeedCipher::from_key_bytes([byte; 32])
    }

    #[test]
    fn round_trip_with_matching_aad() {
        let c = cipher(1);
        let blob = c.encrypt(b"seed bytes", b"account:7").unwrap();
        assert_eq!(blob.len(), 12 + 10 + 16);
        assert_eq!(&*c.decrypt(&blob, b"account:7").unwrap(), b"seed bytes");
    }

    #[test]
    fn ec3_oob7_derived_keys_are_per_label_and_per_key() {
        let c = cipher(1);
        let a = c.derive_key("oob-code");
        assert_eq!(*a, *cipher(1).derive_key("oob-code"));
        assert_ne!(*a, *c.derive_key("emergency-code"));
        assert_ne!(*a, *cipher(2).derive_key("oob-code"));
        // Neither the key itself nor anything trivially related to it.
        assert_ne!(*a, [1; 32]);
        // HMAC-SHA-256(32 × 0x01, "mayi-id/oob-code"): the documented construction, pinned.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[1; 32]).unwrap();
        mac.update(b"mayi-id/oob-code");
        assert_eq!(a.as_slice(), mac.finalize().into_bytes().as_slice());
    }

    #[test]
    fn nonces_are_fresh() {
        let c = cipher(1);
        let a = c.encrypt(b"same", b"").unwrap();
        let b = c.encrypt(b"same", b"").unwrap();
        assert_ne!(a, b);
        assert_ne!(a[..12], b[..12]);
    }

    #[test]
    fn wrong_key_aad_or_tampering_fails() {
        let c = cipher(1);
        let blob = c.encrypt(b"seed bytes", b"account:7").unwrap();
        assert!(matches!(
            cipher(2).decrypt(&blob, b"account:7"),
            Err(DomainError::Crypto(_))
        ));
        assert!(matches!(
            c.decrypt(&blob, b"account:8"),
            Err(DomainError::Crypto(_))
        ));
        let mut tampered = blob.clone();
        tampered[20] ^= 1;
        assert!(matches!(
            c.decrypt(&tampered, b"account:7"),
            Err(DomainError::Crypto(_))
        ));
        assert!(matches!(
            c.decrypt(&blob[..20], b"account:7"),
            Err(DomainError::Crypto(_))
        ));
    }

    #[test]
    fn from_hex_accepts_64_hex_chars_only() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let a = SeedCipher::from_hex(hex).unwrap();
        let b = SeedCipher::from_hex(&format!("  {hex}\n")).unwrap();
        let blob = a.encrypt(b"x", b"").unwrap();
        assert_eq!(&*b.decrypt(&blob, b"").unwrap(), b"x");
        assert!(matches!(
            SeedCipher::from_hex(&hex[..62]),
            Err(DomainError::Config(_))
        ));
        assert!(SeedCipher::from_hex(&format!("{}zz", &hex[..62])).is_err());
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(format!("{:?}", cipher(9)), "SeedCipher(***)");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_created_with_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/seed.key");
        let first = SeedCipher::load_or_create(&path).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim_end().len(), 64);
        assert!(text.trim_end().bytes().all(|b| b.is_ascii_hexdigit()));

        let blob = first.encrypt(b"seed", b"aad").unwrap();
        let second = SeedCipher::load_or_create(&path).unwrap();
        assert_eq!(&*second.decrypt(&blob, b"aad").unwrap(), b"seed");
        // The same key, written by hand as the docs say, works too.
        let third = SeedCipher::from_hex(&text).unwrap();
        assert_eq!(&*third.decrypt(&blob, b"aad").unwrap(), b"seed");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.key");
        SeedCipher::load_or_create(&path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = SeedCipher::load_or_create(&path).unwrap_err();
            assert!(matches!(err, DomainError::Config(_)));
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(SeedCipher::load_or_create(&path).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn key_file_with_wrong_content_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.key");
        for content in [
            &b"abc"[..],
            &[7u8; 32][..],
            &[b'a'; 65][..],
            &[b'a'; 1000][..],
            b"",
        ] {
            fs::write(&path, content).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            let err = SeedCipher::load_or_create(&path).unwrap_err();
            assert!(err.to_string().contains("64 hexadecimal"), "{err}");
        }
    }

    #[test]
    fn key_path_that_is_a_directory_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            SeedCipher::load_or_create(dir.path()),
            Err(DomainError::Config(_))
        ));
    }
}
