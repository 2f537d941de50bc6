//! The `mayi-id` server: configuration, the command line, and the HTTP wiring.

#![forbid(unsafe_code)]

pub mod assets;
pub mod cli;
pub mod config;
pub mod console_csv;
pub mod delivery;
pub mod http;
pub mod observe;
pub mod oidc;
pub mod runtime;
