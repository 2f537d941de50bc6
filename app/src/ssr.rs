//! Server-side glue for the server functions: the shared state and error mapping.

use std::sync::Arc;

use axum::extract::FromRef;
use identity::{Account, DomainError, Password, PasswordHasher, Store, Username};
use leptos::prelude::*;

use crate::AppError;

/// Everything a request handler needs, handed to server functions by `leptos_routes`.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub hasher: PasswordHasher,
    pub settings: Arc<Settings>,
}

/// The parts of the configuration that pages and server functions need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public base URL (used in links sent by mail; never taken from the Host header).
    pub public_url: String,
    /// Development mode: plain-http cookies on localhost, undelivered messages in the log.
    pub dev: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The application state, provided as context by `leptos_routes`.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// Sets the HTTP status for an error result, so that scripts and tests see 4xx/5xx.
///
/// A plain HTML form post (no JavaScript) keeps the redirect back to its page that carries the
/// error, so its status is left alone.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let is_form_post = use_context::<axum::http::request::Parts>()
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
            if matches!(error, AppError::Busy) {
                response.insert_header(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
            }
        }
    }
    result
}

/// Maps a domain error to what the browser may see; internal detail goes to the log only.
pub fn map_domain(error: DomainError) -> AppError {
    match error {
        DomainError::InvalidInput { .. } => AppError::Invalid(error.to_string()),
        DomainError::Busy => AppError::Busy,
        DomainError::NotFound { .. } => AppError::InvalidCredentials,
        other => {
            tracing::error!(error = ?other, "request failed");
            AppError::Internal
        }
    }
}

/// Verifies a username and password with uniform failure: an unknown or malformed username
/// costs the same argon2 run as a wrong password and gets the same error.
pub async fn check_password(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<Account, AppError> {
    // Over-long passwords are refused before any hashing (PW-2): this says nothing about the user.
    let password = match Password::new(password) {
        Ok(password) => password,
        Err(DomainError::InvalidInput { .. }) => {
            return Err(AppError::InvalidCredentials);
        }
        Err(other) => return Err(map_domain(other)),
    };
    let account = match Username::parse(username) {
        Ok(username) => state
            .store
            .account_by_username(&username)
            .await
            .map_err(map_domain)?,
        Err(_) => None,
    };
    match account {
        Some(account) => {
            let ok = state
                .hasher
                .verify(&password, &account.password_hash)
                .await
                .map_err(map_domain)?;
            if ok && account.state == identity::AccountState::Active {
                Ok(account)
            } else {
                Err(AppError::InvalidCredentials)
            }
        }
        None => {
            state
                .hasher
                .verify_dummy(&password)
                .await
                .map_err(map_domain)?;
            Err(AppError::InvalidCredentials)
        }
    }
}
