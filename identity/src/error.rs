//! The one error type of the domain, shaped for the callers' decisions: what to tell the user,
//! which HTTP status to answer, what to log. Messages of the variants a user may see never carry
//! secrets or database text; the detail of storage and internal failures stays in the value for
//! the logs (see [`DomainError::detail`]).

use std::time::Duration;

/// Everything an `identity` operation can fail with: one error for every service, so that a
/// caller maps each kind once (the web layer: `app::ssr::errors`). The variants a person may
/// see say what happened and never why in more detail than is safe (one answer for "unknown
/// user" and "wrong password", one for every wrong code).
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    // ----- the caller's input -----
    /// The caller gave a value that breaks a rule; `reason` is plain English, safe to show, and
    /// never repeats a secret the caller typed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which input: "username", "password", "email"...
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A request breaks a rule of the operation (not of one field); the text is a whole
    /// sentence for people and says which.
    #[error("{0}")]
    Invalid(String),
    /// The change collides with existing data (a taken username, a contact already present);
    /// the text is written for people.
    #[error("{0}")]
    Conflict(String),
    /// The thing the operation is about does not exist (for this caller: another account's
    /// token, contact or code is "not found" too, AC-2).
    #[error("{0}")]
    NotFound(String),

    // ----- signing in -----
    /// Unknown user, wrong password, or an account that may not sign in: one answer for all.
    #[error("wrong username or password")]
    InvalidCredentials,
    /// A one-time code (sign-in, confirmation, proof, emergency) is wrong, expired or already
    /// used: one answer for all.
    #[error("the code is not valid")]
    InvalidCode,
    /// The chosen token cannot be used here (not the attempt's, not active, wrong kind).
    #[error("this token cannot be used to sign in")]
    UnusableToken,
    /// The emergency access code is right but in its waiting period: it works from
    /// `valid_from` (issue 13 item 5).
    #[error("the code cannot be used yet")]
    NotYetValid {
        /// When the code starts to work.
        valid_from: crate::Timestamp,
    },
    /// The sign-in attempt is unknown or has expired: start again with the password.
    #[error("the sign-in has expired")]
    AttemptExpired,
    /// Too many tries: wait this many seconds (RL-3: increasing delays, not a lock).
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited {
        /// How long to wait.
        retry_after_secs: u64,
    },
    /// This factor has failed too often (RL-1) and is refused until recovery or an operator
    /// clears it; other factors and Emergency Access still work.
    #[error("this factor is blocked after too many failures")]
    Blocked,

    // ----- the caller's session -----
    /// The session is unknown, expired or ended.
    #[error("not signed in")]
    NotSignedIn,
    /// The session's sign-in (or password re-entry) is too old for this change (RB-1): confirm
    /// the password first.
    #[error("confirm your password to continue")]
    NotRecent,
    /// The re-entered password is wrong (re-authentication inside a session).
    #[error("the password is not right")]
    WrongPassword,
    /// A restricted emergency session asked for what only a full session may do (EC-11).
    #[error("this needs a full sign-in")]
    Restricted,
    /// An operation of the restricted emergency session was asked for from another session.
    #[error("not an emergency session")]
    NotEmergency,
    /// The caller is not an operator (or not an admin where one is needed).
    #[error("you are not allowed to do this")]
    Forbidden,

    // ----- tokens and recovery -----
    /// In a full session, the removal would leave the account without any active token, and the
    /// person could not sign in again.
    #[error("this would leave you with no way to sign in: add another sign-in method first")]
    LastToken,
    /// Too many wrong confirmation codes: this one accepts no more; start again.
    #[error("too many wrong codes")]
    UsedUp,
    /// The Emergency Access wizard is unknown or older than its lifetime: start again.
    #[error("the Emergency Access session expired")]
    WizardExpired,
    /// The request is for another wizard step than the one the wizard is at.
    #[error("this step is not open")]
    WrongStep(mayi_types::WizardStep),
    /// The account has no confirmed recovery address: an operator must help.
    #[error("no recovery address")]
    NoRecoveryAddress,
    /// Passkeys are not set up on this server (its public URL is not a domain name over https
    /// or localhost: see [`crate::RelyingParty::from_public_url`]).
    #[error("passkeys and security keys cannot be used on this server")]
    PasskeysUnavailable,
    /// The browser's answer to a passkey prompt was refused (made for another site, an old or
    /// already answered prompt, an unknown or copied credential): told as one answer; the reason
    /// is in the audit log.
    #[error("the passkey or security key was not accepted")]
    PasskeyRefused,
    /// Finishing recovery needs the checklist's required steps first (a new active token, and
    /// for a stolen phone a new password and no other session).
    #[error("do the remaining steps of the recovery checklist first")]
    RecoveryStepsLeft,

    // ----- the system -----
    /// Every password-hashing slot stayed busy for the bounded wait: the server answers 503 with
    /// `Retry-After` ([`DomainError::BUSY_RETRY_AFTER`]) instead of queueing without bound.
    #[error("the server is busy, please try again in a moment")]
    Busy,
    /// The database failed. Shown as a generic message; the detail is for the logs only.
    #[error("storage error")]
    Storage(String),
    /// A migration could not be applied: start-up must stop, and the operator needs the reason.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The configuration or a file it names is unusable (key file, database URL, pepper). Meant
    /// for the operator at start-up; never contains key material.
    #[error("{0}")]
    Config(String),
    /// A stored secret could not be decrypted (wrong key, corrupted or moved ciphertext).
    #[error("a stored secret could not be decrypted")]
    Crypto(String),
    /// A bug or an unexpected library failure. Generic message; detail for the logs.
    #[error("internal error")]
    Internal(String),
}

impl DomainError {
    /// How long a client should wait after [`DomainError::Busy`] before trying again.
    pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(2);

    /// The full description for logs. [`std::fmt::Display`] hides the detail of storage,
    /// crypto and internal failures from users; this does not (it never holds secrets either).
    pub fn detail(&self) -> String {
        match self {
            Self::Storage(d) => format!("storage error: {d}"),
            Self::Crypto(d) => format!("decryption failed: {d}"),
            Self::Internal(d) => format!("internal error: {d}"),
            other => other.to_string(),
        }
    }

    /// Whether the caller's input was refused ([`Self::InvalidInput`] or [`Self::Invalid`]).
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::InvalidInput { .. } | Self::Invalid(_))
    }

    /// Whether this is [`Self::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound(_))
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

impl From<mayi_types::UnknownName> for DomainError {
    fn from(error: mayi_types::UnknownName) -> Self {
        Self::invalid(error.field, error.reason())
    }
}

/// The result of every fallible `identity` operation.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_display_hides_detail_but_detail_keeps_it() {
        // CS-7: no database text to clients.
        let e = DomainError::Storage("relation \"accounts\" does not exist".into());
        assert_eq!(e.to_string(), "storage error");
        assert!(e.detail().contains("relation"));
    }

    #[test]
    fn invalid_input_names_the_field() {
        let e = DomainError::invalid("username", "must not be empty");
        assert_eq!(e.to_string(), "invalid username: must not be empty");
    }
}
