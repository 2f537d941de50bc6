//! MAYI ID's domain: the rules that keep accounts safe, independent of any web page.
//!
//! This crate owns canonical usernames, password policy and hashing, contact channels, TOTP and
//! the encryption of its seeds at rest, session tokens, and the store (SQLite or PostgreSQL) that
//! keeps accounts, contacts, tokens, sign-in attempts and sessions. It knows nothing of Leptos or
//! HTTP, so every rule here is tested on its own and is the same whichever page, server function
//! or CLI command calls it.
//!
//! Cargo feature `testing`: the `identity::testing` module, throw-away SQLite and PostgreSQL
//! stores (and a manual clock) for other crates' tests. Enable it in `[dev-dependencies]` only.

#![forbid(unsafe_code)]

/// A closed enum stored as text (see [`mayi_types::named_enum`]): the vocabularies of this
/// crate that never leave the server (audit actions and outcomes). The shared ones are
/// `mayi_types`'.
macro_rules! stored_enum {
    ($($body:tt)*) => {
        ::mayi_types::named_enum!($($body)*);
    };
}

/// Test-only: each `async fn(TestStore)` named becomes `sqlite::<name>` and `postgres::<name>`
/// (the PostgreSQL one is skipped when no server is reachable, except under `CI=true`). With
/// `store:` before the names, each is an `async fn(&Store)` given the test store's [`Store`].
#[cfg(test)]
macro_rules! on_both_backends {
    (store: $($name:ident),+ $(,)?) => {
        on_both_backends!(@with |db| &db.store; $($name),+);
    };
    ($($name:ident),+ $(,)?) => {
        on_both_backends!(@with |db| db; $($name),+);
    };
    (@with |$db:ident| $arg:expr; $($name:ident),+) => {
        mod sqlite {
            $(
                // Multi-threaded like the server, so concurrent tests really run in parallel.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $db = crate::testing::sqlite().await;
                    super::$name($arg).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($db) = crate::testing::postgres().await else {
                        return;
                    };
                    super::$name($arg).await;
                }
            )+
        }
    };
}

mod access;
mod audit;
mod auth;
mod block;
mod browsers;
mod console;
mod contact;
mod delivery;
mod emergency;
mod enrol;
mod error;
mod guard;
mod housekeeping;
mod limits;
mod notify;
pub mod oidc;
mod oob;
mod passkey;
mod password;
mod provision;
mod readiness;
mod secret;
mod services;
mod session;
mod store;
mod telemetry;
mod text;
mod throttle;
mod time;
mod tokens;
mod totp;
mod username;

#[cfg(any(test, feature = "testing"))]
mod probe;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod abuse_tests;
#[cfg(test)]
mod password_change_tests;
#[cfg(test)]
mod recovery_abuse_tests;

pub use access::{Attempt, EmergencySession, FullSession, SecuritySession, SignedIn, Wizard};
pub use audit::{
    is_secret_key, AuditAction, AuditEvent, AuditEventId, AuditOutcome, AuditQuery, NewAuditEvent,
    AUDIT_DETAILS_MAX_CHARS, AUDIT_IP_MAX_CHARS, AUDIT_QUERY_DEFAULT_LIMIT, AUDIT_QUERY_MAX_LIMIT,
    AUDIT_USER_AGENT_MAX_CHARS,
};
pub use auth::{
    masked_target, Authenticator, Client, PasswordOk, Pending, ENROLMENT_TTL,
    SECOND_FACTOR_NOTICE_AFTER,
};
pub use contact::{ContactKind, ContactValue, Email, PhoneNumber};
pub use delivery::Outbox;
pub use emergency::{
    format_utc, mask_email, CancelOutcome, ChecklistItem, CodeIssuer, CodeStatus, EmergencyAccess,
    EmergencyCode, EmergencyCodeId, EmergencyCodeInfo, EmergencyPolicy, EmergencyReason,
    KindCounts, NewEmergencyCode, RecoveryCode, RecoveryCodesStatus, RecoveryStatus, RecoveryStep,
    TokenChanges, WizardRow, WizardStep, WizardView, CROCKFORD_ALPHABET, EMERGENCY_CODE_CHARS,
    EMERGENCY_CODE_KEY_LABEL, EMERGENCY_SESSION_IDLE, PROOF_CODE_TTL, REASON_TEXT_MAX_CHARS,
    RECOVERY_CODES_LOW, RECOVERY_CODES_PER_SET, RECOVERY_CODE_CHARS, RECOVERY_CODE_REASON,
    WIZARD_TTL,
};
pub use enrol::{Enrolment, TokenPage, RECENT_SIGN_IN};
pub use error::{DomainError, Result};
pub use limits::{
    within, CANCEL_LINK_TOKEN_MAX_BYTES, TYPED_CODE_MAX_BYTES, TYPED_DEVICE_MAX_BYTES,
    TYPED_EMERGENCY_CODE_MAX_BYTES,
};
pub use notify::{device_notice, DeviceChange};
pub use notify::{
    emergency_code_issued_notice, emergency_code_revoked_notice, emergency_code_used_notice,
    emergency_proof_email, recovery_code_used_notice, recovery_codes_created_notice,
};
pub use notify::{
    second_factor_failures_notice, sign_in_code_email, sign_in_code_message, sign_in_code_sms,
    token_added_notice, token_removed_notice, totp_replay_notice, Channel, NewOutboxMessage,
    Notice, EMAIL_BODY_MAX_CHARS, SMS_BODY_MAX_CHARS, SUBJECT_MAX_CHARS,
};
pub use oob::{CodeHasher, OobCode, OOB_CODE_DIGITS, OOB_CODE_KEY_LABEL, OOB_CODE_TTL};
pub use passkey::{
    Asserted, AuthenticationState, CeremonyState, Challenge, Credential as PasskeyCredential,
    Refusal as PasskeyRefusal, Registered as PasskeyRegistered, RegistrationState, RelyingParty,
    CEREMONY_TTL as PASSKEY_CEREMONY_TTL, MAX_RESPONSE_BYTES as PASSKEY_MAX_RESPONSE_BYTES,
};
pub use password::{
    Password, PasswordHash, PasswordHasher, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS,
};
pub use readiness::Readiness;
pub use secret::SeedCipher;
pub use services::Identity;
pub use session::{
    SessionToken, LOGIN_ATTEMPT_TTL, SESSION_ABSOLUTE, SESSION_IDLE, SESSION_TOKEN_CHARS,
    SESSION_TOUCH_INTERVAL,
};
pub use store::{
    outbox_backoff, OutboxId, OutboxMessage, OutboxState, OUTBOX_BACKOFF_BASE, OUTBOX_BACKOFF_MAX,
    OUTBOX_CLAIM_MAX, OUTBOX_MAX_ATTEMPTS,
};
pub use store::{
    Account, AccountId, AccountState, Contact, ContactId, EnrolBinding, LoginAttempt,
    LoginAttemptId, NewAccount, NewContact, NewSession, NewToken, Role, Session, SessionId,
    SessionScope, Store, Token, TokenId, TokenKind, TokenState,
};
pub use telemetry::{
    ARGON2_BUSY, ARGON2_QUEUE_WAIT, EMERGENCY_CODES_ISSUED, EMERGENCY_CODES_USED,
    RATE_LIMIT_REFUSALS, SIGN_IN_STEPS,
};
pub use text::{device_name, display_name, token_label, DISPLAY_NAME_MAX_CHARS, LABEL_MAX_CHARS};
pub use throttle::{
    ConsecutiveLimit, Factor, Scope, ThrottleKey, ThrottlePolicy, ThrottleRecord, ThrottleRule,
    ThrottleState, WindowLimit,
};
pub use time::{Clock, SystemClock, Timestamp};
pub use tokens::{LostDevice, TokenService};
pub use totp::{TotpSecret, TOTP_DIGITS, TOTP_MIN_IMPORTED_SECRET_BYTES, TOTP_STEP_SECS};
pub use username::{Username, USERNAME_MAX_CHARS};

// Self-service enrolment of SMS and e-mail tokens and contacts (issue 4).
pub use enrol::{
    parse_target, shown_contact, shown_stored_contact, NewOobToken, CONFIRMATION_CODE_KEY_LABEL,
};
pub use notify::{
    confirmation_code_message, contact_added_notice, contact_removed_notice,
    recovery_address_notice,
};
pub use store::CONFIRMATION_MAX_FAILURES;
pub use store::{Blocked, UndoFrom, UndoRefused, Undone, CANCEL_LINK_TTL};

// The operational console (issue 6).
pub use console::{
    operator_notice, search_key, Console, Operator, Overview, SearchPage, TokenAction, UserDetail,
    ACTION_REASON_MAX_CHARS, OVERVIEW_DAYS, SEARCH_MAX_CHARS, SEARCH_PAGE_SIZE,
};
pub use emergency::{OperatorIssue, OPERATOR_NOTE_MAX_CHARS};
pub use store::SearchMode;

// Waiting period by trust: remembered browsers (issue 13 item 5).
pub use browsers::BrowserList;
pub use store::{RememberedBrowser, RememberedBrowserId, REMEMBERED_BROWSER_TTL};

// Provisioning from the command line, audited, and housekeeping (issue 16 item 1).
pub use housekeeping::{Housekeeping, OUTBOX_KEEP};
pub use provision::{ImportedToken, NewAccountRequest, Provisioning};
