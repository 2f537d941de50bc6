//! Recovery codes (issue 14 item 4): ten printable one-time codes, 10 Crockford base32
//! characters each (50 bits), made from a full session and shown once. Only keyed hashes are
//! stored, bound to the account; a new set replaces the old. Each signs in like an emergency
//! access code (password first, instead of the OTP, limited like a second factor) and opens a
//! restricted session, once: spending it issues a one-use emergency code that carries the
//! session, the recovery checklist and the "this was not me" link. Every use is told to the
//! contacts. With them, a person whose phone held every token recovers without the help desk and
//! without the recovery mailbox.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::code::{parse_crockford, CROCKFORD_ALPHABET};
use super::{cancel_url, CodeIssuer, EmergencyAccess, NewEmergencyCode};
use crate::oob::CodeHasher;
use crate::{
    notify, Account, AccountId, AuditAction, AuditOutcome, Client, DomainError, Factor,
    FullSession, NewAuditEvent, SessionToken, SignedIn, ThrottleKey,
};

/// Characters of a recovery code (50 bits).
pub const RECOVERY_CODE_CHARS: usize = 10;

/// Codes in a set.
pub const RECOVERY_CODES_PER_SET: usize = 10;

/// The account page warns when this many or fewer are left.
pub const RECOVERY_CODES_LOW: i64 = 3;

/// The [`crate::SeedCipher::derive_key`] label of the key that hashes recovery codes.
pub const RECOVERY_CODE_KEY_LABEL: &str = "recovery-code";

/// The reason recorded on the one-use emergency code a recovery code's sign-in issues (its
/// checklist is the lost phone's).
pub const RECOVERY_CODE_REASON: &str = "recovery_code";

/// One recovery code. Not printable (`Debug` shows `RecoveryCode(***)`), not serialisable, not
/// clonable, wiped on drop. Shown once ([`Self::grouped`]); the store sees only [`Self::hash`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// A fresh code from the operating system's RNG.
    pub fn generate() -> Self {
        Self::from_rng(&mut OsRng)
    }

    fn from_rng(rng: &mut impl RngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; RECOVERY_CODE_CHARS]);
        rng.fill_bytes(bytes.as_mut());
        // 32 divides 256: the low five bits of a uniform byte are uniform.
        Self(
            bytes
                .iter()
                .map(|b| char::from(CROCKFORD_ALPHABET[usize::from(b & 0x1f)]))
                .collect(),
        )
    }

    /// Reads a code a person typed: case, spaces and hyphens do not matter, O reads as 0 and I
    /// or L as 1. Anything else, or another length, is `None`.
    pub fn parse(input: &str) -> Option<Self> {
        parse_crockford(input, RECOVERY_CODE_CHARS).map(|code| Self(code.to_string()))
    }

    /// As printed: two groups of five, `ABCDE-FGHJK`.
    pub fn grouped(&self) -> Zeroizing<String> {
        let (first, second) = self.0.split_at(RECOVERY_CODE_CHARS / 2);
        Zeroizing::new(format!("{first}-{second}"))
    }

    /// The keyed hash the store keeps, bound to the account.
    pub fn hash(&self, hasher: &CodeHasher, account: AccountId) -> [u8; 32] {
        hasher.hash(&self.0, &account.0.to_be_bytes())
    }
}

/// Where an account's recovery codes stand, for its account page (never the codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryCodesStatus {
    /// Codes in the current set (0: none made yet).
    pub total: i64,
    /// Codes of it not used yet.
    pub left: i64,
    /// When the set was made.
    pub created_at: Option<crate::Timestamp>,
    /// A set exists and [`RECOVERY_CODES_LOW`] or fewer are left: the page warns.
    pub low: bool,
    /// This session may make a new set now (a full session that signed in recently).
    pub may_create: bool,
    /// A full session that must confirm its password first.
    pub needs_password: bool,
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(***)")
    }
}

/// What a sealed new set is bound to: the account and the session that made it.
fn reveal_aad(account: AccountId, session: crate::SessionId) -> Vec<u8> {
    format!("recovery-codes:{}:{}", account.0, session.0).into_bytes()
}

impl EmergencyAccess {
    /// Makes a new set of [`RECOVERY_CODES_PER_SET`] codes for the caller's account, replacing
    /// the old set, and returns it (the only time the codes exist in clear). Needs a full
    /// session that signed in (or re-entered its password) recently; the contacts are told
    /// and it is audited.
    pub async fn create_recovery_codes(
        &self,
        caller: &FullSession,
        client: &Client,
    ) -> Result<Vec<RecoveryCode>, DomainError> {
        if !caller.session().authenticated_recently(self.now()) {
            return Err(DomainError::NotRecent);
        }
        let account = caller.account();
        let mut codes: Vec<RecoveryCode> = Vec::with_capacity(RECOVERY_CODES_PER_SET);
        let mut hashes: Vec<[u8; 32]> = Vec::with_capacity(RECOVERY_CODES_PER_SET);
        while codes.len() < RECOVERY_CODES_PER_SET {
            let code = RecoveryCode::generate();
            let hash = code.hash(&self.recovery, account.id);
            if !hashes.contains(&hash) {
                hashes.push(hash);
                codes.push(code);
            }
        }
        let notice =
            notify::recovery_codes_created_notice(&account.display_name, self.public_url());
        let event = NewAuditEvent::own(
            AuditAction::RecoveryCodesCreated,
            AuditOutcome::Success,
            account.id,
            client,
        )
        .details(serde_json::json!({ "count": RECOVERY_CODES_PER_SET }));
        let plain: Zeroizing<String> = Zeroizing::new(
            codes
                .iter()
                .map(|c| c.0.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let session = caller.session_id();
        let sealed = self
            .cipher
            .encrypt(plain.as_bytes(), &reveal_aad(account.id, session))?;
        self.store
            .replace_recovery_codes(account.id, session, &hashes, &sealed, &notice, &event)
            .await?;
        Ok(codes)
    }

    /// The set this session made, and when, once ([`Self::create_recovery_codes`]): for the
    /// page that shows it (with JavaScript or without). `None` when it was taken already or never
    /// made.
    pub async fn take_new_recovery_codes(
        &self,
        caller: &FullSession,
    ) -> Result<Option<(Vec<RecoveryCode>, crate::Timestamp)>, DomainError> {
        let session = caller.session_id();
        let Some((sealed, made)) = self.store.take_recovery_code_reveal(session).await? else {
            return Ok(None);
        };
        let plain = self
            .cipher
            .decrypt(&sealed, &reveal_aad(caller.account_id(), session))?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| DomainError::Internal("sealed recovery codes are not text".into()))?;
        let codes = text.lines().filter_map(RecoveryCode::parse).collect();
        Ok(Some((codes, made)))
    }

    /// How many recovery codes the caller's account has left, and whether this session may make
    /// a new set now (any session may ask: the restricted session's account page shows it too).
    pub async fn recovery_codes(
        &self,
        caller: &SignedIn,
    ) -> Result<RecoveryCodesStatus, DomainError> {
        let info = self.store.recovery_codes_info(caller.account_id()).await?;
        let full = !caller.is_restricted();
        let recent = caller.session().authenticated_recently(self.now());
        Ok(RecoveryCodesStatus {
            total: info.total,
            left: info.left,
            created_at: info.created_at,
            low: info.total > 0 && info.left <= RECOVERY_CODES_LOW,
            may_create: full && recent,
            needs_password: full && !recent,
        })
    }

    /// Signing in with a recovery code instead of the OTP (password first). Checked only against
    /// the attempt's own account, spent by one conditional update, limited like the emergency
    /// code (the same per-account factor limit: one guess budget for both). Opens a restricted
    /// session whose checklist is the lost phone's, and tells every contact, with the "this was
    /// not me" link.
    pub(crate) async fn sign_in_with_recovery_code(
        &self,
        attempt: &crate::Attempt,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        let account = attempt.account().clone();
        let key = ThrottleKey::account_factor(account.id, Factor::EmergencyCode);
        self.auth.gate(&key, &account, client).await?;
        let used = match RecoveryCode::parse(code) {
            Some(code) => {
                let now = self.now();
                let cancel = SessionToken::generate();
                let link = cancel_url(self.public_url(), &cancel);
                let mut carrier = [0u8; 32];
                OsRng.fill_bytes(&mut carrier);
                let new = NewEmergencyCode {
                    account_id: account.id,
                    // Never shown and never typed: the session's carrier only.
                    code_hash: carrier,
                    issuer: CodeIssuer::SelfService,
                    issued_by: None,
                    reason: RECOVERY_CODE_REASON.into(),
                    reason_text: None,
                    verification: None,
                    valid_from: now,
                    expires_at: now.plus(self.policy.lifetime),
                    max_uses: 1,
                    cancel_hash: Some(cancel.hash()),
                    unknown_browser: false,
                };
                let name = account.display_name.clone();
                self.store
                    .use_recovery_code(
                        account.id,
                        code.hash(&self.recovery, account.id),
                        &new,
                        |left| notify::recovery_code_used_notice(&name, left, &link),
                    )
                    .await?
            }
            None => None,
        };
        // The "code used" notice went with the code's use, counting what is left.
        self.recovery_code_outcome(attempt, account, &key, used, client)
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_ten_crockford_characters_and_read_back_as_typed() {
        let mut seen = HashSet::new();
        for _ in 0..5_000 {
            let code = RecoveryCode::generate();
            assert_eq!(code.0.len(), RECOVERY_CODE_CHARS);
            assert!(code.0.bytes().all(|b| CROCKFORD_ALPHABET.contains(&b)));
            assert!(seen.insert(code.0.clone()), "duplicate");
            let grouped = code.grouped();
            assert_eq!(grouped.len(), 11);
            assert_eq!(&grouped[5..6], "-");
            let typed = grouped.to_lowercase().replace('-', " ");
            assert_eq!(RecoveryCode::parse(&typed).unwrap().0, code.0);
        }
        let used: HashSet<u8> = seen.iter().flat_map(|c| c.bytes()).collect();
        assert_eq!(used.len(), 32, "every character of the alphabet appears");
        assert_eq!(RecoveryCode::parse("0ILO1-abcde").unwrap().0, "01101ABCDE");
        for wrong in [
            "ABCDE-FGHJ",
            "ABCDE-FGHJKM",
            "ABCDE-FGHJU",
            "",
            "ABCD-EFGH-JKMN-PQRS",
        ] {
            assert!(RecoveryCode::parse(wrong).is_none(), "{wrong}");
        }
        assert_eq!(
            format!("{:?}", RecoveryCode::generate()),
            "RecoveryCode(***)"
        );
    }
}
