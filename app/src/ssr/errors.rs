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

/// Maps a domain error to what the browser may see; internal detail goes to the log only.
impl From<DomainError> for AppError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidInput { .. } => AppError::Invalid(error.to_string()),
            DomainError::Busy => AppError::Busy,
            other => {
                tracing::error!(error = %other.detail(), "request failed");
                AppError::Internal
            }
        }
    }
}

/// Maps a sign-in error: each kind has one message, whatever the underlying reason.
impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => AppError::InvalidCredentials,
            AuthError::InvalidCode => AppError::InvalidCode,
            AuthError::UnusableToken => AppError::UnusableToken,
            AuthError::RateLimited { retry_after_secs } => AppError::RateLimited(retry_after_secs),
            AuthError::Blocked => AppError::Blocked,
            AuthError::AttemptExpired => AppError::SignInExpired,
            AuthError::NotRecent => AppError::NotRecent,
            AuthError::NotSignedIn => AppError::Unauthorized,
            AuthError::Restricted => AppError::Forbidden,
            AuthError::NotYetValid { valid_from } => {
                AppError::CodeNotYetValid(format_utc(valid_from.as_millis()))
            }
            AuthError::Domain(error) => error.into(),
        }
    }
}

/// Maps a token self-service error.
impl From<TokenError> for AppError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::NotFound => AppError::NotFound,
            TokenError::LastToken => AppError::LastToken,
            TokenError::NotRecent => AppError::NotRecent,
            TokenError::Invalid(message) => AppError::Invalid(message),
            TokenError::Domain(error) => error.into(),
        }
    }
}

/// Maps an enrolment error.
impl From<EnrolError> for AppError {
    fn from(error: EnrolError) -> Self {
        match error {
            EnrolError::NotRecent => AppError::NotRecent,
            EnrolError::NotFound => AppError::NotFound,
            EnrolError::InvalidCode => AppError::InvalidCode,
            EnrolError::Invalid(message) => AppError::Invalid(message),
            EnrolError::WrongPassword => AppError::WrongPassword,
            EnrolError::RateLimited { retry_after_secs } => AppError::RateLimited(retry_after_secs),
            EnrolError::UsedUp => AppError::CodeUsedUp,
            EnrolError::Domain(error) => error.into(),
        }
    }
}

/// Maps an error of a contact operation: "not found" names a contact, not a token.
pub fn map_contact(error: EnrolError) -> AppError {
    match error {
        EnrolError::NotFound => AppError::ContactNotFound,
        other => other.into(),
    }
}

/// Maps an Emergency Access error.
impl From<EmergencyError> for AppError {
    fn from(error: EmergencyError) -> Self {
        match error {
            EmergencyError::InvalidCredentials => AppError::InvalidCredentials,
            EmergencyError::InvalidCode => AppError::InvalidCode,
            EmergencyError::RateLimited { retry_after_secs } => {
                AppError::RateLimited(retry_after_secs)
            }
            EmergencyError::Blocked => AppError::Blocked,
            EmergencyError::Expired => AppError::WizardExpired,
            EmergencyError::WrongStep(_) => AppError::WizardStep,
            EmergencyError::NoRecoveryAddress => AppError::NoRecoveryAddress,
            EmergencyError::Invalid(message) => AppError::Invalid(message),
            EmergencyError::NoNewToken => AppError::NoNewToken,
            EmergencyError::NotEmergency => AppError::Forbidden,
            EmergencyError::Domain(error) => error.into(),
        }
    }
}

/// Maps a console error.
impl From<identity::ConsoleError> for AppError {
    fn from(error: identity::ConsoleError) -> Self {
        match error {
            identity::ConsoleError::Forbidden => AppError::Forbidden,
            identity::ConsoleError::NotFound => AppError::NotFound,
            identity::ConsoleError::Invalid(message) => AppError::Invalid(message),
            identity::ConsoleError::Domain(error) => error.into(),
        }
    }
}
