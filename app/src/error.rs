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
    #[error("{}", text::ERR_INVALID_CREDENTIALS)]
    InvalidCredentials,
    /// A one-time code that is wrong, expired or already used: one message for all.
    #[error("{}", text::ERR_INVALID_CODE)]
    InvalidCode,
    /// Too many tries: wait this many seconds.
    #[error("{} {}", text::ERR_RATE_LIMITED, text::try_again_in(*.0))]
    RateLimited(u64),
    /// This second factor failed too often and is blocked.
    #[error("{}", text::ERR_BLOCKED)]
    Blocked,
    /// The chosen token cannot be used here.
    #[error("{}", text::ERR_UNUSABLE_TOKEN)]
    UnusableToken,
    /// Removing this would leave a full session's account without any token.
    #[error("{}", text::ERR_LAST_TOKEN)]
    LastToken,
    /// Adding or removing a way into the account needs a recent sign-in (RB-1).
    #[error("{}", text::ERR_NOT_RECENT)]
    NotRecent,
    /// The thing asked for does not exist (or is not the caller's).
    #[error("{}", text::ERR_NOT_FOUND)]
    NotFound,
    /// The password step is too old or unknown: start again.
    #[error("{}", text::ERR_SIGN_IN_EXPIRED)]
    SignInExpired,
    /// Bad input, with a message written for the user (from a domain validation rule).
    #[error("{0}")]
    Invalid(String),
    /// The password hashing pool is full; the client should retry after a moment.
    #[error("{}", text::ERR_BUSY)]
    Busy,
    #[error("{}", text::ERR_UNAUTHORIZED)]
    Unauthorized,
    #[error("{}", text::ERR_FORBIDDEN)]
    Forbidden,
    /// The Emergency Access wizard is unknown or expired: start again.
    #[error("{}", text::ERR_WIZARD_EXPIRED)]
    WizardExpired,
    /// The wizard is at another step than this request is for.
    #[error("{}", text::ERR_WIZARD_STEP)]
    WizardStep,
    /// The account has no confirmed recovery address.
    #[error("{}", text::ERR_NO_RECOVERY_ADDRESS)]
    NoRecoveryAddress,
    /// Finishing recovery needs the checklist's required steps first.
    #[error("{}", text::ERR_RECOVERY_STEPS_LEFT)]
    RecoveryStepsLeft,
    /// The request itself could not be decoded.
    #[error("{}", text::ERR_BAD_REQUEST)]
    BadRequest,
    /// Anything else. The detail is logged on the server, never sent.
    #[error("{}", text::ERR_INTERNAL)]
    Internal,
    /// The re-entered password is wrong.
    #[error("{}", text::ERR_WRONG_PASSWORD)]
    WrongPassword,
    /// Too many wrong confirmation codes: start again.
    #[error("{}", text::ERR_CODE_USED_UP)]
    CodeUsedUp,
    /// The contact does not exist (or is not the caller's).
    #[error("{}", text::ERR_CONTACT_NOT_FOUND)]
    ContactNotFound,
    /// The emergency access code is right but in its waiting period: it works from this time
    /// (UTC) on (issue 13 item 5).
    #[error("{}", text::code_not_yet_valid(.0))]
    CodeNotYetValid(String),
    /// Passkeys cannot be used on this server (its public URL does not allow them).
    #[error("{}", text::ERR_PASSKEYS_UNAVAILABLE)]
    PasskeysUnavailable,
    /// The browser's passkey answer was refused (or the prompt had expired): try again.
    #[error("{}", text::ERR_PASSKEY_REFUSED)]
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
