//! Server-side glue for the server functions, by concern: state, client, cookies, guards,
//! errors, headers. Everything is re-exported here (`use crate::ssr::*`).

use std::sync::Arc;

use axum::{
    extract::FromRef,
    http::{header, request::Parts, HeaderMap, HeaderValue},
};
use identity::{
    Clock, DomainError, EmergencyPolicy, EmergencySession, FullSession, Identity, PasswordHasher,
    SecuritySession, SeedCipher, SessionToken, SignedIn, Store,
};
use leptos::prelude::*;

use crate::AppError;

mod client;
mod cookies;
mod errors;
mod guards;
mod headers;
mod state;

pub use client::*;
pub use cookies::*;
pub use errors::*;
pub use guards::*;
pub use headers::*;
pub use state::*;

/// The request being handled (present in server functions and during server rendering).
fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// Sends the browser to `path`: a 302 for a plain form post or a server-rendered page, a
/// client-side navigation for a hydrated page.
pub fn redirect(path: &str) {
    leptos_axum::redirect(path);
}

/// Formats unix milliseconds as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
pub fn format_utc(millis: i64) -> String {
    crate::i18n::format_utc(
        crate::i18n::locale(),
        mayi_types::UtcMinute::from_millis(millis),
    )
}

#[cfg(test)]
mod tests {
    use super::format_utc;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_111_111_109_000), "2005-03-18 01:58 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(20_000_000_000_000), "2603-10-11 11:33 UTC");
    }
}
