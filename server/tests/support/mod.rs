//! The one test kit of the server's tests and benches:
//! - [`client`]: requests as the hydrated pages and plain HTML forms send them (server function
//!   posts, sign-in, the second step), readers for the cookies and JSON they get back, and
//!   `send` to the real router in this process;
//! - [`remote`]: the very same requests over real TCP (reqwest) to `mayi-id` started as its own
//!   process, for the tests and benches that run the binary;
//! - [`fixtures`]: what the store is given (accounts, authenticator apps, sessions) and what is
//!   read back from it (codes queued in the outbox, TOTP codes of now);
//! - [`harness`]: the real router (`server::http::router`) over a fresh store, on SQLite and on
//!   PostgreSQL (`on_both_backends!`);
//! - [`peers`]: real delivery peers on loopback, an SMTP server and an SMS gateway.
//!
//! Tests include it with `mod support;`, benches with
//! `#[path = "../tests/support/mod.rs"] mod support;`; each uses a part.
#![allow(dead_code, unused_imports, unused_macros)]

#[macro_use]
pub mod harness;
pub mod client;
pub mod fixtures;
pub mod peers;
pub mod remote;

pub use peers::{Mail, SmsGateway, SmtpServer};
