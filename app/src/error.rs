//! The errors a server function may return to the browser. Every message is safe to show: no
//! database text, no stack trace, nothing that tells whether an account exists.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

use crate::text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Unknown user or wrong password: one message for both.
    #[error("{}", tr!(common.err_invalid_credentials))]
    InvalidCredentials,
    /// A one-time code that is wrong, expired or already used: one message for all.
    #[error("{}", tr!(common.err_invalid_code))]
    InvalidCode,
    /// Too many tries: wait this many seconds.
    #[error("{} {}", tr!(common.err_rate_limited), text::try_again_in(*.0))]
    RateLimited(u64),
    /// This second factor failed too often and is blocked.
    #[error("{}", tr!(common.err_blocked))]
    Blocked,
    /// The chosen token cannot be used here.
    #[error("{}", tr!(common.err_unusable_token))]
    UnusableToken,
    /// Removing this would leave a full session's account without any token.
    #[error("{}", tr!(tokens.err_last_token))]
    LastToken,
    /// Adding or removing a way into the account needs a recent sign-in (RB-1).
    #[error("{}", tr!(tokens.err_not_recent))]
    NotRecent,
    /// The thing asked for does not exist (or is not the caller's).
    #[error("{}", tr!(tokens.err_not_found))]
    NotFound,
    /// The password step is too old or unknown: start again.
    #[error("{}", tr!(common.err_sign_in_expired))]
    SignInExpired,
    /// Bad input, with a message written for the user (from a domain validation rule).
    #[error("{0}")]
    Invalid(String),
    /// The password hashing pool is full; the client should retry after a moment.
    #[error("{}", tr!(common.err_busy))]
    Busy,
    #[error("{}", tr!(common.err_unauthorized))]
    Unauthorized,
    #[error("{}", tr!(common.err_forbidden))]
    Forbidden,
    /// The Emergency Access wizard is unknown or expired: start again.
    #[error("{}", tr!(emergency.err_wizard_expired))]
    WizardExpired,
    /// The wizard is at another step than this request is for.
    #[error("{}", tr!(emergency.err_wizard_step))]
    WizardStep,
    /// The account has no confirmed recovery address.
    #[error("{}", tr!(emergency.err_no_recovery_address))]
    NoRecoveryAddress,
    /// Finishing recovery needs the checklist's required steps first.
    #[error("{}", tr!(emergency.err_recovery_steps_left))]
    RecoveryStepsLeft,
    /// The request itself could not be decoded.
    #[error("{}", tr!(common.err_bad_request))]
    BadRequest,
    /// Anything else. The detail is logged on the server, never sent.
    #[error("{}", tr!(common.err_internal))]
    Internal,
    /// The re-entered password is wrong.
    #[error("{}", tr!(selfservice.err_wrong_password))]
    WrongPassword,
    /// Too many wrong confirmation codes: start again.
    #[error("{}", tr!(selfservice.err_code_used_up))]
    CodeUsedUp,
    /// The contact does not exist (or is not the caller's).
    #[error("{}", tr!(selfservice.err_contact_not_found))]
    ContactNotFound,
    /// The emergency access code is right but in its waiting period: it works from this time
    /// (UTC) on (issue 13 item 5).
    #[error("{}", text::code_not_yet_valid(.0))]
    CodeNotYetValid(String),
    /// Passkeys cannot be used on this server (its public URL does not allow them).
    #[error("{}", tr!(selfservice.err_passkeys_unavailable))]
    PasskeysUnavailable,
    /// The browser's passkey answer was refused (or the prompt had expired): try again.
    #[error("{}", tr!(selfservice.err_passkey_refused))]
    PasskeyRefused,
}

impl AppError {
    /// The HTTP status a server function answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::InvalidCredentials
            | AppError::InvalidCode
            | AppError::SignInExpired
            | AppError::Unauthorized => 401,
            AppError::Invalid(_) | AppError::BadRequest | AppError::UnusableToken => 400,
            AppError::RateLimited(_) => 429,
            AppError::Blocked => 403,
            AppError::Busy => 503,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::LastToken => 409,
            AppError::NotRecent => 403,
            AppError::WizardExpired => 401,
            AppError::WizardStep | AppError::RecoveryStepsLeft => 409,
            AppError::NoRecoveryAddress => 409,
            AppError::Internal => 500,
            AppError::WrongPassword => 401,
            AppError::CodeUsedUp => 409,
            AppError::ContactNotFound => 404,
            AppError::CodeNotYetValid(_) => 403,
            AppError::PasskeysUnavailable => 409,
            AppError::PasskeyRefused => 401,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Request(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => AppError::BadRequest,
            _ => AppError::Internal,
        }
    }
}
