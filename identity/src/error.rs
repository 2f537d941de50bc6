//! The one error type of the domain, shaped for the callers' decisions: what to tell the user,
//! which HTTP status to answer, what to log. Messages of the variants a user may see never carry
//! secrets or database text; the detail of storage and internal failures stays in the value for
//! the logs (see [`DomainError::detail`]).

use std::time::Duration;

/// Everything an `identity` operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The caller gave a value that breaks a rule; `reason` is plain English, safe to show, and
    /// never repeats a secret the caller typed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which input: "username", "password", "email"...
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The change collides with existing data (a taken username, a contact already present).
    #[error("{0}")]
    Conflict(String),
    /// The thing the operation is about does not exist.
    #[error("{0}")]
    NotFound(String),
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
