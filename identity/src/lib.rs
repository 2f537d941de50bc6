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

mod auth;
mod contact;
mod error;
mod password;
mod secret;
mod session;
pub mod store;
mod text;
mod time;
mod totp;
mod username;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use auth::{AuthError, Authenticator, PasswordOk};
pub use contact::{ContactKind, ContactValue, Email, PhoneNumber};
pub use error::{DomainError, Result};
pub use password::{
    Password, PasswordHash, PasswordHasher, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS,
};
pub use secret::SeedCipher;
pub use session::{
    SessionToken, LOGIN_ATTEMPT_TTL, SESSION_ABSOLUTE, SESSION_IDLE, SESSION_TOKEN_CHARS,
    SESSION_TOUCH_INTERVAL,
};
pub use store::{
    Account, AccountId, AccountState, Contact, ContactId, LoginAttempt, LoginAttemptId, NewAccount,
    NewContact, NewSession, NewToken, Role, Session, SessionId, SessionScope, Store, Token,
    TokenId, TokenKind, TokenState,
};
pub use text::{device_name, display_name, token_label, DISPLAY_NAME_MAX_CHARS, LABEL_MAX_CHARS};
pub use time::{Clock, SystemClock, Timestamp};
pub use totp::{TotpSecret, TOTP_DIGITS, TOTP_MIN_IMPORTED_SECRET_BYTES, TOTP_STEP_SECS};
pub use username::{Username, USERNAME_MAX_CHARS};
