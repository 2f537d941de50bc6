//! Emergency Access: for a person whose lost phone held every token (the seed's second path).
//!
//! The self-service wizard has four steps, each kept on the server ([`WizardStep`]): 1 the
//! password (sign-in's checks and uniform answers), 2 an independent proof (a code sent to the
//! confirmed recovery address, RB-3), 3 the reason, 4 the code, shown once (EC-7). The code is
//! 80 bits of Crockford base32 ([`EmergencyCode`]), stored as a keyed hash bound to the account
//! (EC-3), with limited uses counted atomically (EC-4), an expiry (EC-5) and one live code per
//! account (EC-9). Signing in with it (password first, then the code instead of the OTP) opens a
//! restricted session (EC-11) that can only manage tokens and contacts, idles out after 15
//! minutes, and dies with its code. "Finish recovery" revokes the code once a new token exists.
//! Every issue, use and revocation notifies every confirmed contact (EC-13) with a "this was
//! not me" link that revokes the code (RB-5).

mod checklist;
mod code;
mod operator;
mod recovery_codes;

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};

pub use checklist::{ChecklistItem, KindCounts, RecoveryStatus, TokenChanges};
pub use code::{EmergencyCode, CROCKFORD_ALPHABET, EMERGENCY_CODE_CHARS, EMERGENCY_CODE_KEY_LABEL};
pub use operator::{OperatorIssue, OPERATOR_NOTE_MAX_CHARS};
pub use recovery_codes::{
    RecoveryCode, RecoveryCodesStatus, RECOVERY_CODES_LOW, RECOVERY_CODES_PER_SET,
    RECOVERY_CODE_CHARS, RECOVERY_CODE_KEY_LABEL, RECOVERY_CODE_REASON,
};

use crate::store::{UndoFrom, UndoRefused, Undone};
use crate::{
    auth::notice_messages, notify, Account, AccountId, AuditAction, AuditOutcome, Authenticator,
    Client, CodeHasher, ContactKind, DomainError, Email, EmergencySession, Factor, NewAuditEvent,
    NewOutboxMessage, OobCode, Scope, SecuritySession, SeedCipher, SessionScope, SessionToken,
    SignedIn, Store, ThrottleKey, Timestamp, Wizard,
};

/// How long the wizard lives after step 1.
pub const WIZARD_TTL: Duration = Duration::from_secs(15 * 60);

/// How long the step-2 code sent to the recovery address is valid.
pub const PROOF_CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// A restricted (emergency) session ends after this long without a request (EC-11).
pub const EMERGENCY_SESSION_IDLE: Duration = Duration::from_secs(15 * 60);

/// Longest free-text reason ("other"), in characters.
pub const REASON_TEXT_MAX_CHARS: usize = 200;

/// The [`SeedCipher::derive_key`] label of the key that hashes the wizard's step-2 codes.
pub const PROOF_CODE_KEY_LABEL: &str = "emergency-proof";

pub use mayi_types::{CodeIssuer, EmergencyReason, RecoveryStep, WizardStep};

/// An emergency access code's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmergencyCodeId(pub i64);

/// What is known of an issued code: metadata only, never the code or its hash (EC-8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyCodeInfo {
    pub id: EmergencyCodeId,
    pub account_id: AccountId,
    pub issuer: CodeIssuer,
    /// The operator who issued it.
    pub issued_by: Option<AccountId>,
    /// An [`EmergencyReason`] name (or an operator's reason).
    pub reason: String,
    pub reason_text: Option<String>,
    /// How an operator verified the person (RB-4).
    pub verification: Option<String>,
    pub created_at: Timestamp,
    pub valid_from: Timestamp,
    pub expires_at: Timestamp,
    pub uses: u32,
    pub max_uses: u32,
    pub revoked_at: Option<Timestamp>,
    /// `replaced`, `not_me`, `finished`, or an operator's reason.
    pub revoked_why: Option<String>,
    /// Self-service, asked for from a browser that never completed a full sign-in to the
    /// account: the longer waiting period applied (issue 13 item 5).
    pub unknown_browser: bool,
    /// When a restricted session of this code changed the password (stolen phone, issue 14
    /// item 3).
    pub password_changed_at: Option<Timestamp>,
}

impl EmergencyCodeInfo {
    /// Uses left (0 when used up).
    pub fn uses_left(&self) -> u32 {
        self.max_uses.saturating_sub(self.uses)
    }

    /// Where the code stands at `now`: the one definition of "live", "waiting", "used up",
    /// "expired" and "revoked" (the console, the wizard and the sign-in read it from here).
    pub fn status(&self, now: Timestamp) -> CodeStatus {
        if let Some(why) = &self.revoked_why {
            CodeStatus::Revoked { why: why.clone() }
        } else if self.revoked_at.is_some() {
            CodeStatus::Revoked { why: String::new() }
        } else if self.uses >= self.max_uses {
            CodeStatus::UsedUp
        } else if now >= self.expires_at {
            CodeStatus::Expired
        } else if now < self.valid_from {
            CodeStatus::Waiting {
                until: self.valid_from,
                unknown_browser: self.unknown_browser,
            }
        } else {
            CodeStatus::Live
        }
    }

    /// Whether it is live but still in its waiting period at `now` (an operator may approve it).
    pub fn is_waiting(&self, now: Timestamp) -> bool {
        matches!(self.status(now), CodeStatus::Waiting { .. })
    }

    /// Whether it can be used at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.status(now) == CodeStatus::Live
    }

    /// Whether revoking it at `now` still does something: it is neither revoked nor expired,
    /// so it may still be used or still hold the restricted sessions it opened (a used-up code
    /// keeps its sessions until it expires; the store's session check reads it the same way).
    pub fn is_revocable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Where an emergency access code stands ([`EmergencyCodeInfo::status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeStatus {
    /// Revoked (finished, replaced, revoked by an operator, "this was not me"): `why` names it.
    Revoked { why: String },
    /// Every use is spent.
    UsedUp,
    /// Past its expiry.
    Expired,
    /// Issued, in its waiting period until `until` (asked for from a browser the account does
    /// not remember when `unknown_browser`).
    Waiting {
        until: Timestamp,
        unknown_browser: bool,
    },
    /// Usable now.
    Live,
}

/// A code to store: its keyed hash and metadata.
#[derive(Clone)]
pub struct NewEmergencyCode {
    pub account_id: AccountId,
    pub code_hash: [u8; 32],
    pub issuer: CodeIssuer,
    pub issued_by: Option<AccountId>,
    pub reason: String,
    pub reason_text: Option<String>,
    pub verification: Option<String>,
    pub valid_from: Timestamp,
    pub expires_at: Timestamp,
    pub max_uses: u32,
    /// SHA-256 of the "this was not me" link's token.
    pub cancel_hash: Option<[u8; 32]>,
    /// Asked for from a browser the account does not remember (the longer wait applies).
    pub unknown_browser: bool,
}

impl std::fmt::Debug for NewEmergencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewEmergencyCode")
            .field("account_id", &self.account_id)
            .field("issuer", &self.issuer)
            .field("expires_at", &self.expires_at)
            .field("max_uses", &self.max_uses)
            .finish_non_exhaustive()
    }
}

/// A wizard as stored (its cookie's token is not here, only its hash is kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WizardRow {
    pub id: i64,
    pub account_id: AccountId,
    pub step: WizardStep,
    /// When the step-2 code sent last expires (none sent yet: `None`).
    pub proof_expires_at: Option<Timestamp>,
    pub reason: Option<String>,
    pub code_id: Option<EmergencyCodeId>,
    /// The issued code waits to be shown.
    pub code_waiting: bool,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The numbers of a kind of emergency code: uses, lifetime, and a waiting period before it is
/// valid. Checked against [`EmergencyPolicy::check`]'s bounds at start and on every issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmergencyPolicy {
    pub max_uses: u32,
    pub lifetime: Duration,
    /// The waiting period of every self-service code (`MAYI_EMERGENCY_WAIT_MINUTES`): the
    /// minimum, also for a browser the account remembers.
    pub wait: Duration,
    /// The waiting period of a self-service code asked for from a browser that never completed
    /// a full sign-in to the account (`MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN`, issue 13 item 5);
    /// never shorter than `wait` in effect. An operator may approve such a code sooner. The
    /// code stays usable as long after its wait as a remembered browser's would
    /// (`lifetime - wait`), so its expiry moves back by the extra wait.
    pub wait_unknown: Duration,
}

impl EmergencyPolicy {
    /// Self-service codes: 3 uses, 24 hours, no waiting from a remembered browser, 24 hours
    /// from any other.
    pub const SELF_SERVICE_DEFAULT: Self = Self {
        max_uses: 3,
        lifetime: Duration::from_secs(24 * 3600),
        wait: Duration::ZERO,
        wait_unknown: Duration::from_secs(24 * 3600),
    };
    /// Codes an operator issues: 3 uses, 8 hours.
    pub const OPERATOR_DEFAULT: Self = Self {
        max_uses: 3,
        lifetime: Duration::from_secs(8 * 3600),
        wait: Duration::ZERO,
        wait_unknown: Duration::ZERO,
    };
    pub const MIN_USES: u32 = 1;
    pub const MAX_USES: u32 = 10;
    pub const MIN_LIFETIME: Duration = Duration::from_secs(15 * 60);
    pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
    /// The longest waiting period (3 days).
    pub const MAX_WAIT: Duration = Duration::from_secs(3 * 24 * 3600);

    /// Refuses numbers outside the bounds: uses 1 to 10, lifetime 15 minutes to 7 days, wait
    /// at most 3 days and shorter than the lifetime, the unknown browser's wait at most 3 days.
    pub fn check(&self) -> crate::Result<()> {
        if !(Self::MIN_USES..=Self::MAX_USES).contains(&self.max_uses) {
            return Err(DomainError::invalid(
                "uses",
                format!("must be {} to {}", Self::MIN_USES, Self::MAX_USES),
            ));
        }
        if self.lifetime < Self::MIN_LIFETIME || self.lifetime > Self::MAX_LIFETIME {
            return Err(DomainError::invalid(
                "lifetime",
                "must be 15 minutes to 7 days",
            ));
        }
        if self.wait > Self::MAX_WAIT || self.wait >= self.lifetime {
            return Err(DomainError::invalid(
                "waiting period",
                "must be at most 3 days and shorter than the lifetime",
            ));
        }
        if self.wait_unknown > Self::MAX_WAIT {
            return Err(DomainError::invalid(
                "waiting period for an unknown browser",
                "must be at most 3 days",
            ));
        }
        Ok(())
    }

    /// The waiting period of a self-service code: `wait` from a remembered browser, the longer
    /// of `wait` and `wait_unknown` from any other.
    pub fn wait_for(&self, remembered_browser: bool) -> Duration {
        if remembered_browser {
            self.wait
        } else {
            self.wait.max(self.wait_unknown)
        }
    }
}

impl Default for EmergencyPolicy {
    fn default() -> Self {
        Self::SELF_SERVICE_DEFAULT
    }
}

/// The audit event of a sign-in with a code (`action`: an emergency or a recovery code) that
/// opened a restricted session: the code, and its uses left after this one.
fn code_used(
    action: AuditAction,
    account: &Account,
    after: &EmergencyCodeInfo,
    client: &Client,
) -> NewAuditEvent {
    NewAuditEvent::own(action, AuditOutcome::Success, account.id, client)
        .details(serde_json::json!({ "code_id": after.id.0, "uses_left": after.uses_left() }))
}

impl DomainError {
    /// A sign-in step's refusal as the wizard tells it: every unusable code is "not valid", a
    /// lost attempt or session is an expired wizard.
    pub(crate) fn in_wizard(self) -> Self {
        match self {
            Self::UnusableToken | Self::NotYetValid { .. } => Self::InvalidCode,
            Self::AttemptExpired | Self::NotSignedIn | Self::NotRecent => Self::WizardExpired,
            Self::Restricted => Self::NotEmergency,
            other => other,
        }
    }
}

/// What a wizard page shows.
#[derive(Clone, Debug)]
pub struct WizardView {
    pub step: WizardStep,
    pub display_name: String,
    /// Where step 2's code goes, masked (`e•••@example.org`).
    pub proof_channels: Vec<String>,
    /// A step-2 code was sent and is still valid.
    pub proof_sent: bool,
    /// The issued code's metadata (steps 4).
    pub code: Option<EmergencyCodeInfo>,
    pub expires_at: Timestamp,
    /// When this was read (whether the code still waits is relative to it).
    pub now: Timestamp,
}

/// Emergency Access: the wizard, signing in with a code, and finishing recovery. Cheap to clone.
#[derive(Clone)]
pub struct EmergencyAccess {
    auth: Authenticator,
    store: Store,
    cipher: Arc<SeedCipher>,
    codes: Arc<CodeHasher>,
    proofs: Arc<CodeHasher>,
    /// Hashes recovery codes (issue 14 item 4).
    recovery: Arc<CodeHasher>,
    policy: EmergencyPolicy,
}

impl std::fmt::Debug for EmergencyAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmergencyAccess")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl EmergencyAccess {
    /// Refuses a `policy` outside the bounds ([`EmergencyPolicy::check`]).
    pub fn new(
        auth: Authenticator,
        cipher: Arc<SeedCipher>,
        policy: EmergencyPolicy,
    ) -> crate::Result<Self> {
        policy.check()?;
        Ok(Self {
            store: auth.store().clone(),
            codes: Arc::new(CodeHasher::from_cipher(&cipher, EMERGENCY_CODE_KEY_LABEL)),
            proofs: Arc::new(CodeHasher::from_cipher(&cipher, PROOF_CODE_KEY_LABEL)),
            recovery: Arc::new(CodeHasher::from_cipher(&cipher, RECOVERY_CODE_KEY_LABEL)),
            auth,
            cipher,
            policy,
        })
    }

    /// The store (for the account's readiness, `crate::readiness`).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The self-service policy in force.
    pub fn policy(&self) -> EmergencyPolicy {
        self.policy
    }

    fn now(&self) -> Timestamp {
        self.auth.clock().now()
    }

    fn public_url(&self) -> &str {
        self.auth.public_url()
    }

    async fn audit(
        &self,
        action: AuditAction,
        outcome: AuditOutcome,
        account: Option<AccountId>,
        client: &Client,
        details: serde_json::Value,
    ) -> crate::Result<()> {
        let mut event = NewAuditEvent::new(action, outcome)
            .with_client(client)
            .details(details);
        if let Some(account) = account {
            event = event.actor(account).subject(account);
        }
        self.store.audit(event).await?;
        Ok(())
    }

    /// Counts one event on a windowed key and refuses when it is over its limit.
    async fn hit(
        &self,
        key: &ThrottleKey,
        account: Option<AccountId>,
        client: &Client,
    ) -> Result<(), DomainError> {
        if let Some(error) = DomainError::from_throttle(self.store.throttle_hit(key).await?) {
            self.auth
                .audit_rate_limited(account, client, key.as_str())
                .await
                .map_err(DomainError::in_wizard)?;
            return Err(DomainError::in_wizard(error));
        }
        Ok(())
    }

    /// Where step 2's code goes (RB-3): the confirmed recovery address only, never every
    /// confirmed e-mail contact, so that an old mailbox that is still on the account is no way
    /// into it. Empty without a recovery address: the page then explains how the help desk
    /// helps.
    async fn proof_addresses(&self, account: AccountId) -> crate::Result<Vec<Email>> {
        let mut out = Vec::new();
        for contact in self.store.contacts(account).await? {
            if contact.kind == ContactKind::Email && contact.confirmed && contact.is_recovery {
                out.push(Email::parse(&contact.value)?);
            }
        }
        Ok(out)
    }

    /// The [`Wizard`] capability for the wizard cookie `token`: the wizard is open (unexpired,
    /// at any step) and its account active, or [`DomainError::WizardExpired`] (the same for a
    /// token that never was a wizard's).
    pub async fn open_wizard(&self, token: &SessionToken) -> Result<Wizard, DomainError> {
        let row = self
            .store
            .wizard(token)
            .await?
            .ok_or(DomainError::WizardExpired)?;
        let account = self
            .store
            .account_by_id(row.account_id)
            .await?
            .filter(|a| a.state == crate::AccountState::Active)
            .ok_or(DomainError::WizardExpired)?;
        Ok(Wizard::new(token.clone(), row, account))
    }

    /// Step 1: the username and password, with sign-in's limits and uniform answers, plus limits
    /// on wizard starts per address and per account (RL-7). Opens the wizard (its cookie's
    /// token) at step 2, and sends step 2's code when the account has a recovery address.
    pub async fn start(
        &self,
        username: &str,
        password: String,
        client: &Client,
    ) -> Result<SessionToken, DomainError> {
        if let Some(ip) = &client.ip {
            self.hit(&ThrottleKey::ip(ip, Scope::Wizard), None, client)
                .await?;
        }
        let account = self
            .auth
            .verify_password(username, password, client)
            .await
            .map_err(DomainError::in_wizard)?;
        self.hit(
            &ThrottleKey::account_wizard(account.id),
            Some(account.id),
            client,
        )
        .await?;
        let token = self
            .store
            .create_wizard(account.id, self.now().plus(WIZARD_TTL))
            .await?;
        self.audit(
            AuditAction::EmergencyWizardStarted,
            AuditOutcome::Success,
            Some(account.id),
            client,
            serde_json::json!({}),
        )
        .await?;
        let wizard = self.open_wizard(&token).await?;
        match self.send_proof(&wizard, client).await {
            Ok(()) | Err(DomainError::NoRecoveryAddress) => Ok(token),
            // The wizard is open; the page offers to send again.
            Err(DomainError::RateLimited { .. }) => Ok(token),
            Err(other) => Err(other),
        }
    }

    /// What the wizard's pages show.
    pub async fn wizard(&self, wizard: &Wizard) -> Result<WizardView, DomainError> {
        let (row, account) = (wizard.row(), wizard.account());
        let now = self.now();
        let proof_channels = self
            .proof_addresses(account.id)
            .await?
            .iter()
            .map(|e| mask_email(e.as_str()))
            .collect();
        let code = match row.code_id {
            Some(id) => self.store.emergency_code(id).await?,
            None => None,
        };
        Ok(WizardView {
            step: row.step,
            display_name: account.display_name.clone(),
            proof_channels,
            proof_sent: row.proof_expires_at.is_some_and(|t| t > now),
            code,
            expires_at: row.expires_at,
            now,
        })
    }

    /// Step 2: sends a fresh code (replacing the previous one) to every proof address. Limited
    /// per account and per address like sign-in codes (RL-7).
    pub async fn send_proof(&self, wizard: &Wizard, client: &Client) -> Result<(), DomainError> {
        let (row, account) = (wizard.row(), wizard.account());
        if row.step != WizardStep::Prove {
            return Err(DomainError::WrongStep(row.step));
        }
        let addresses = self.proof_addresses(account.id).await?;
        if addresses.is_empty() {
            return Err(DomainError::NoRecoveryAddress);
        }
        self.hit(
            &ThrottleKey::account_sends(account.id),
            Some(account.id),
            client,
        )
        .await?;
        if let Some(ip) = &client.ip {
            self.hit(
                &ThrottleKey::ip(ip, Scope::CodeSend),
                Some(account.id),
                client,
            )
            .await?;
        }
        let code = OobCode::generate();
        let hash = self.proofs.hash(code.as_str(), &wizard.token().hash());
        let (subject, body) =
            notify::emergency_proof_email(&account.display_name, &code, PROOF_CODE_TTL);
        let messages = addresses
            .iter()
            .map(|email| NewOutboxMessage::email(email, &subject, &body))
            .collect::<crate::Result<Vec<_>>>()?;
        let expires = self.now().plus(PROOF_CODE_TTL);
        if !self
            .store
            .set_wizard_proof(wizard.token(), hash, expires, &messages)
            .await?
        {
            return Err(DomainError::WizardExpired);
        }
        let sent = NewAuditEvent::own(
            AuditAction::CodeSent,
            AuditOutcome::Success,
            account.id,
            client,
        );
        let details = serde_json::json!({
            "channel": "email",
            "purpose": "emergency_proof",
            "recipients": messages.len(),
        });
        self.store.audit(sent.details(details)).await?;
        Ok(())
    }

    /// Step 2: checks the code sent to the recovery address; counted per account like a second
    /// factor (RL-1, RL-6).
    pub async fn prove(
        &self,
        wizard: &Wizard,
        code: &str,
        client: &Client,
    ) -> Result<(), DomainError> {
        let (row, account) = (wizard.row(), wizard.account());
        if row.step != WizardStep::Prove {
            return Err(DomainError::WrongStep(row.step));
        }
        let key = ThrottleKey::account_factor(account.id, Factor::RecoveryProof);
        self.auth
            .gate(&key, account, client)
            .await
            .map_err(DomainError::in_wizard)?;
        let passed = match OobCode::normalise(code) {
            Some(code) => {
                let hash = self.proofs.hash(code.as_str(), &wizard.token().hash());
                self.store.pass_wizard_proof(wizard.token(), hash).await?
            }
            None => false,
        };
        let outcome = if passed {
            AuditOutcome::Success
        } else {
            AuditOutcome::Failure
        };
        self.audit(
            AuditAction::EmergencyProof,
            outcome,
            Some(account.id),
            client,
            serde_json::json!({}),
        )
        .await?;
        if !passed {
            return Err(DomainError::InvalidCode);
        }
        self.store.throttle_clear(&key).await?;
        Ok(())
    }

    /// Step 3: the reason. Issues the code (revoking any earlier one), tells every confirmed
    /// contact with a "this was not me" link (EC-13, RB-5), and keeps the code sealed in the
    /// wizard until step 4 shows it. Asked for from a browser the account remembers (its
    /// device cookie, `client.browser`), the code waits [`EmergencyPolicy::wait`]; from any
    /// other browser [`EmergencyPolicy::wait_for`] the unknown one (issue 13 item 5), unless an
    /// operator approves it sooner.
    pub async fn choose_reason(
        &self,
        wizard: &Wizard,
        reason: &str,
        text: &str,
        client: &Client,
    ) -> Result<(), DomainError> {
        let (row, account) = (wizard.row(), wizard.account());
        if row.step != WizardStep::Reason {
            return Err(DomainError::WrongStep(row.step));
        }
        let reason = EmergencyReason::parse(reason).map_err(DomainError::from)?;
        let text = crate::text::single_line("reason", text, REASON_TEXT_MAX_CHARS, true)?;
        if reason == EmergencyReason::Other && text.is_empty() {
            return Err(DomainError::Invalid(
                "invalid reason: say in a few words what happened".into(),
            ));
        }
        let remembered = match &client.browser {
            Some(browser) => self
                .store
                .remembered_browser(account.id, browser)
                .await?
                .is_some(),
            None => false,
        };
        let code = EmergencyCode::generate();
        let cancel = SessionToken::generate();
        let now = self.now();
        let wait = self.policy.wait_for(remembered);
        let valid_from = now.plus(wait);
        // Usable for as long after its wait as a remembered browser's code would be.
        let expires_at = now.plus(self.policy.lifetime + (wait - self.policy.wait));
        let new = NewEmergencyCode {
            account_id: account.id,
            code_hash: code.hash(&self.codes, account.id),
            issuer: CodeIssuer::SelfService,
            issued_by: None,
            reason: reason.as_str().to_owned(),
            reason_text: (!text.is_empty()).then_some(text),
            verification: None,
            valid_from,
            expires_at,
            max_uses: self.policy.max_uses,
            cancel_hash: Some(cancel.hash()),
            unknown_browser: !remembered,
        };
        let notice = notify::emergency_code_issued_notice(
            &account.display_name,
            false,
            &format_utc(expires_at),
            (valid_from > now)
                .then(|| format_utc(valid_from))
                .as_deref(),
            &cancel_url(self.public_url(), &cancel),
        );
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        let sealed = self
            .cipher
            .encrypt(code.as_str().as_bytes(), &wizard.token().hash())?;
        let id = self
            .store
            .finish_wizard(wizard.token(), reason.as_str(), &new, &sealed, &notices)
            .await?
            .ok_or(DomainError::WizardExpired)?;
        self.audit(
            AuditAction::EmergencyCodeIssued,
            AuditOutcome::Success,
            Some(account.id),
            client,
            serde_json::json!({
                "code_id": id.0,
                "issuer": "self_service",
                "reason": reason.as_str(),
                "max_uses": self.policy.max_uses,
                "valid_from": valid_from.as_millis(),
                "expires_at": expires_at.as_millis(),
                "browser": if remembered { "remembered" } else { "unknown" },
            }),
        )
        .await?;
        Ok(())
    }

    /// Step 4: the issued code, the first time only (EC-7); `None` afterwards.
    pub async fn take_code(&self, wizard: &Wizard) -> Result<Option<EmergencyCode>, DomainError> {
        let Some(sealed) = self.store.take_wizard_code(wizard.token()).await? else {
            return Ok(None);
        };
        let plain = self.cipher.decrypt(&sealed, &wizard.token().hash())?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| DomainError::Internal("sealed emergency code is not text".into()))?;
        Ok(EmergencyCode::parse(text))
    }

    /// "This was not me": undoes what emergency access made possible since the code whose
    /// notice carried `link_token` was issued (see [`Store::undo_emergency_access`]): every
    /// later code revoked, every token and contact added since then removed, the recovery
    /// address restored, everyone signed out, the account locked for help-desk review, every
    /// remaining contact told. The link works for [`crate::store::CANCEL_LINK_TTL`] after its
    /// code was issued, whether that code is still live, was replaced or was finished, and once.
    pub async fn cancel(
        &self,
        link_token: &str,
        client: &Client,
    ) -> Result<CancelOutcome, DomainError> {
        let Some(token) = SessionToken::parse(link_token) else {
            return Ok(CancelOutcome::Unknown);
        };
        let account = match self.store.account_by_cancel_link(token.hash()).await? {
            Some(account) => account,
            None => return Ok(CancelOutcome::Unknown),
        };
        let notice =
            notify::recovery_undone_notice(&account.display_name, false, self.public_url());
        let undone = self
            .store
            .undo_emergency_access(UndoFrom::Link(token.hash()), &notice, |undone| {
                undo_events(undone, None, client, "not_me")
            })
            .await?;
        Ok(match undone {
            Ok(undone) => CancelOutcome::Undone(undone),
            Err(UndoRefused::AlreadyUsed) => CancelOutcome::AlreadyUsed,
            Err(_) => CancelOutcome::Unknown,
        })
    }

    /// Sign-in's second step with whatever the person typed in the code field of the token they
    /// chose: an emergency access code, recognised by its form (16 Crockford characters, any
    /// case, spaces or hyphens: no one-time code of a token has that form), is used as by
    /// [`Self::sign_in`] and opens a restricted session (the seed: "type it instead of the
    /// OTP"); anything else is that token's code ([`Authenticator::verify`]) and opens a full
    /// one. Returns the scope of the session opened.
    pub async fn second_step(
        &self,
        attempt: &crate::Attempt,
        kind: crate::TokenKind,
        token: crate::TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken, SessionScope), DomainError> {
        if EmergencyCode::parse(code).is_some() || RecoveryCode::parse(code).is_some() {
            let (account, session) = self.sign_in(attempt, code, client).await?;
            return Ok((account, session, SessionScope::Emergency));
        }
        let (account, session) = self.auth.verify(attempt, kind, token, code, client).await?;
        Ok((account, session, SessionScope::Full))
    }

    /// Signing in with an emergency code instead of the OTP (password first: the code is never
    /// enough alone). Checked only against the attempt's own account (EC-10), counted
    /// atomically (EC-4), limited like a second factor (RL-1). Opens a restricted session.
    pub async fn sign_in(
        &self,
        attempt: &crate::Attempt,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        if RecoveryCode::parse(code).is_some() {
            return self.sign_in_with_recovery_code(attempt, code, client).await;
        }
        let account = attempt.account().clone();
        let key = ThrottleKey::account_factor(account.id, Factor::EmergencyCode);
        self.auth.gate(&key, &account, client).await?;
        let Some(hash) = EmergencyCode::parse(code).map(|code| code.hash(&self.codes, account.id))
        else {
            return Err(self
                .code_sign_in_failed(&account, &key, AuditAction::EmergencyCodeUsed, client)
                .await);
        };
        // The code as it stands, read; its use is counted by the transaction that opens the
        // session, only if the count read is still the count (EC-4). A sign-in that raced
        // another use of the code reads it again: the count only grows, up to its maximum, so
        // a code is read at most that many times over.
        for _ in 0..=EmergencyPolicy::MAX_USES {
            let Some(live) = self.store.live_emergency_code(account.id, hash).await? else {
                break;
            };
            let after = EmergencyCodeInfo {
                uses: live.uses + 1,
                ..live.clone()
            };
            let audit = code_used(AuditAction::EmergencyCodeUsed, &account, &after, client);
            let notice = notify::emergency_code_used_notice(
                &account.display_name,
                after.uses_left(),
                self.public_url(),
            );
            let notices = crate::auth::notice_messages(&self.store, account.id, &notice).await?;
            if let Some(session) = self
                .auth
                .open_emergency_code_session(
                    attempt.token(),
                    &key,
                    &account,
                    &live,
                    audit,
                    &notices,
                    client,
                )
                .await?
            {
                return Ok((account, session));
            }
        }
        // The right code in its waiting period: refused, saying from when it works (the guess
        // was counted by the gate like any other; it is no failure of the owner's).
        if let Some(waiting) = self.store.waiting_emergency_code(account.id, hash).await? {
            self.audit(
                AuditAction::EmergencyCodeUsed,
                AuditOutcome::Denied,
                Some(account.id),
                client,
                serde_json::json!({
                    "code_id": waiting.id.0,
                    "why": "not_yet_valid",
                    "valid_from": waiting.valid_from.as_millis(),
                }),
            )
            .await?;
            return Err(DomainError::NotYetValid {
                valid_from: waiting.valid_from,
            });
        }
        Err(self
            .code_sign_in_failed(&account, &key, AuditAction::EmergencyCodeUsed, client)
            .await)
    }

    /// A sign-in with an emergency or a recovery code that matched no live code: audited as
    /// `action`'s failure and counted against the factor's limit. The error to return (or the
    /// store's, if writing either failed).
    async fn code_sign_in_failed(
        &self,
        account: &Account,
        key: &ThrottleKey,
        action: AuditAction,
        client: &Client,
    ) -> DomainError {
        let failed = async {
            self.audit(
                action,
                AuditOutcome::Failure,
                Some(account.id),
                client,
                serde_json::json!({}),
            )
            .await?;
            self.auth.second_factor_failed(key, account, client).await
        };
        match failed.await {
            Ok(error) | Err(error) => error,
        }
    }

    /// How a sign-in with a recovery code ends: no `used` code is a failure
    /// ([`Self::code_sign_in_failed`]); a used one (its use, and the "code used" notice, were
    /// written with it) opens the restricted session, linked to the emergency code the use
    /// created, with the audit event, in one transaction.
    async fn recovery_code_outcome(
        &self,
        attempt: &crate::Attempt,
        account: Account,
        key: &ThrottleKey,
        used: Option<EmergencyCodeInfo>,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        let Some(info) = used else {
            return Err(self
                .code_sign_in_failed(&account, key, AuditAction::RecoveryCodeUsed, client)
                .await);
        };
        let audit = code_used(AuditAction::RecoveryCodeUsed, &account, &info, client);
        let session = self
            .auth
            .open_session(
                attempt.token(),
                key,
                &account,
                SessionScope::Emergency,
                Some(info.id),
                None,
                audit,
                &[],
                client,
            )
            .await?;
        Ok((account, session))
    }

    /// The banner and checklist of a restricted session; `None` for any other session.
    pub async fn status(&self, caller: &SignedIn) -> Result<Option<RecoveryStatus>, DomainError> {
        if !caller.is_restricted() {
            return Ok(None);
        }
        let session = caller.session();
        let Some(code) = self.store.emergency_session_code(session.id).await? else {
            return Ok(None);
        };
        let changes = self
            .store
            .token_changes_since(session.account_id, code.created_at)
            .await?;
        let other_sessions = self
            .store
            .sessions(session.account_id)
            .await?
            .iter()
            .filter(|s| s.id != session.id)
            .count();
        Ok(Some(RecoveryStatus {
            code,
            changes,
            other_sessions,
        }))
    }

    /// `caller` as one who may change the password and end the account's other sessions
    /// ([`SecuritySession`]): a full session, or a restricted one whose code was asked for
    /// because the phone was stolen. Any other restricted session is refused with
    /// [`DomainError::Restricted`] and an `access.denied` audit event naming `what` (EC-11).
    pub async fn require_security(
        &self,
        caller: SignedIn,
        what: &str,
        client: &Client,
    ) -> Result<SecuritySession, DomainError> {
        let emergency = match caller.emergency() {
            Ok(emergency) => emergency,
            Err(full) => {
                let full = self.auth.require_full(full, what, client).await?;
                return Ok(full.into());
            }
        };
        // Only the session's code is read: its reason decides.
        if let Some(code) = self
            .store
            .emergency_session_code(emergency.session_id())
            .await?
        {
            if code.may_secure_account() {
                return Ok(SecuritySession::stolen_phone(emergency, code.id));
            }
        }
        // Refused and audited as for any full-session operation.
        let refused = self
            .auth
            .require_full((*emergency).clone(), what, client)
            .await;
        refused.map(SecuritySession::from)
    }

    /// "Finish recovery": once the checklist's required steps are done
    /// ([`RecoveryStatus::may_finish`]), revokes the code (which ends every session it opened,
    /// this one included) and, if asked, every other session of the account too (RB-10; always
    /// for a stolen phone). Tells every confirmed contact.
    pub async fn finish(
        &self,
        caller: &EmergencySession,
        end_other_sessions: bool,
        client: &Client,
    ) -> Result<(), DomainError> {
        let account = caller.account();
        let status = self
            .status(caller)
            .await?
            .ok_or(DomainError::NotEmergency)?;
        if !status.may_finish() {
            return Err(DomainError::RecoveryStepsLeft);
        }
        let notice =
            notify::emergency_code_revoked_notice(&account.display_name, true, self.public_url());
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        self.store
            .revoke_emergency_code(account.id, "finished", &notices)
            .await?;
        let ended = if end_other_sessions || status.may_secure_account() {
            self.store.end_sessions(account.id, None).await?
        } else {
            0
        };
        self.audit(
            AuditAction::EmergencyFinished,
            AuditOutcome::Success,
            Some(account.id),
            client,
            serde_json::json!({
                "code_id": status.code.id.0,
                "reason": status.reason().as_str(),
                "removed": status.changes.removed.total(),
                "added": status.changes.added.total(),
                "other_sessions_ended": ended,
            }),
        )
        .await?;
        Ok(())
    }
}

/// `e•••@example.org`: enough to recognise one's own address, not to learn it.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
impl crate::testing::Authenticates for EmergencyAccess {
    fn authenticator(&self) -> &Authenticator {
        &self.auth
    }
}

/// The "this was not me" link (built from the configured public URL only, CS-8).
fn cancel_url(public_url: &str, token: &SessionToken) -> String {
    format!(
        "{}/emergency/cancel?t={}",
        public_url.trim_end_matches('/'),
        token.as_str()
    )
}

/// What a "this was not me" link did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Undone now: the account is locked for help-desk review.
    Undone(Undone),
    /// The link was used before: the account was locked then.
    AlreadyUsed,
    /// No such link, or it is too old.
    Unknown,
}

/// The audit events of an undo: the codes revoked and the account locked. `operator`: who did
/// it from the console (else the owner, by the link).
pub(crate) fn undo_events(
    undone: &Undone,
    operator: Option<AccountId>,
    client: &Client,
    why: &str,
) -> Vec<NewAuditEvent> {
    let event = |action| {
        let mut e = NewAuditEvent::new(action, AuditOutcome::Success)
            .subject(undone.account)
            .client(client.ip.clone(), client.user_agent.clone());
        if let Some(operator) = operator {
            e = e.actor(operator);
        }
        e
    };
    let codes: Vec<i64> = undone.codes.iter().map(|c| c.0).collect();
    vec![
        event(AuditAction::EmergencyCodeRevoked).details(serde_json::json!({
            "codes": codes,
            "why": why,
            "tokens_removed": undone.tokens_removed,
            "contacts_removed": undone.contacts_removed,
            "recovery_restored": undone.recovery_restored,
            "sessions_ended": undone.sessions_ended,
            "password_restored": undone.password_restored,
        })),
        event(AuditAction::AccountLocked).details(serde_json::json!({ "why": why })),
    ]
}

/// `YYYY-MM-DD HH:MM UTC`, for notices.
pub fn format_utc(t: Timestamp) -> String {
    mayi_types::UtcMinute::from_millis(t.as_millis()).iso_utc()
}

#[cfg(test)]
mod reason_tests;
#[cfg(test)]
mod recovery_codes_tests;
#[cfg(test)]
mod tests;
