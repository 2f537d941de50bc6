//! Identity's errors as the web layer's [`AppError`], and the HTTP status they set.

use super::*;

/// Sets the HTTP status for an error result, so that scripts and tests see 4xx/5xx.
///
/// A plain HTML form post (no JavaScript) keeps the redirect back to its page that carries the
/// error, so its status is left alone.
pub fn respond<T, E: Into<AppError>>(result: Result<T, E>) -> Result<T, AppError> {
    let result = result.map_err(Into::into);
    let is_form_post = request_parts()
        .and_then(|parts| {
            parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|accept| accept.contains("text/html"))
        })
        .unwrap_or(false);
    if is_form_post {
        return result;
    }
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
                response.set_status(status);
            }
            match error {
                AppError::Busy => {
                    response.insert_header(header::RETRY_AFTER, HeaderValue::from_static("2"));
                }
                AppError::RateLimited(seconds) => {
                    response.insert_header(header::RETRY_AFTER, HeaderValue::from(*seconds));
                }
                _ => {}
            }
        }
    }
    result
}

/// The one mapping of identity's error to what the browser may see: each kind has one
/// message, whatever the underlying reason; internal detail goes to the log only.
impl From<DomainError> for AppError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidInput { .. } | DomainError::Conflict(_) => {
                AppError::Invalid(error.to_string())
            }
            DomainError::Invalid(message) => AppError::Invalid(message),
            DomainError::NotFound(_) => AppError::NotFound,
            DomainError::InvalidCredentials => AppError::InvalidCredentials,
            DomainError::InvalidCode => AppError::InvalidCode,
            DomainError::UnusableToken => AppError::UnusableToken,
            DomainError::NotYetValid { valid_from } => {
                AppError::CodeNotYetValid(format_utc(valid_from.as_millis()))
            }
            DomainError::AttemptExpired => AppError::SignInExpired,
            DomainError::RateLimited { retry_after_secs } => {
                AppError::RateLimited(retry_after_secs)
            }
            DomainError::Blocked => AppError::Blocked,
            DomainError::NotSignedIn => AppError::Unauthorized,
            DomainError::NotRecent => AppError::NotRecent,
            DomainError::WrongPassword => AppError::WrongPassword,
            DomainError::Restricted | DomainError::NotEmergency | DomainError::Forbidden => {
                AppError::Forbidden
            }
            DomainError::LastToken => AppError::LastToken,
            DomainError::UsedUp => AppError::CodeUsedUp,
            DomainError::WizardExpired => AppError::WizardExpired,
            DomainError::WrongStep(_) => AppError::WizardStep,
            DomainError::NoRecoveryAddress => AppError::NoRecoveryAddress,
            DomainError::RecoveryStepsLeft => AppError::RecoveryStepsLeft,
            DomainError::Busy => AppError::Busy,
            DomainError::PasskeysUnavailable => AppError::PasskeysUnavailable,
            DomainError::PasskeyRefused => AppError::PasskeyRefused,
            DomainError::Storage(_)
            | DomainError::Migration(_)
            | DomainError::Config(_)
            | DomainError::Crypto(_)
            | DomainError::Internal(_) => {
                tracing::error!(error = %error.detail(), "request failed");
                AppError::Internal
            }
        }
    }
}

/// Maps an error of a contact operation: "not found" names a contact, not a token.
pub fn map_contact(error: DomainError) -> AppError {
    match error {
        DomainError::NotFound(_) => AppError::ContactNotFound,
        other => other.into(),
    }
}
