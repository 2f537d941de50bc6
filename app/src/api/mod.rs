//! Server functions: the only way the browser changes anything. Each one says who may call it,
//! authorises on its first line, validates, makes one call into `identity`, and maps errors.

mod account;
mod contacts;
pub mod emergency;
mod reauth;
pub mod recovery;
mod sign_in;
mod tokens;
// Passkeys and security keys (issue 17).
mod passkeys;
// "Block my lost phone now" (issue 13).
pub mod freeze;
// The operational console (issue 6).
pub mod console;
// Waiting period by trust: remembered browsers (issue 13 item 5).
pub mod browsers;
// Signing in to other applications (issue 18).
pub mod oidc;

pub use account::*;
pub use contacts::*;
pub use passkeys::*;
pub use reauth::*;
pub use sign_in::*;
pub use tokens::*;

/// A typed one-time code no longer than `max_bytes` (a longer one is refused unread as a wrong
/// code); the refusal sets the answer's status like any other error.
#[cfg(feature = "ssr")]
fn typed_code(code: &str, max_bytes: usize) -> Result<(), crate::AppError> {
    if identity::within(code, max_bytes) {
        Ok(())
    } else {
        crate::ssr::respond(Err(crate::AppError::InvalidCode))
    }
}

/// A typed device name no longer than any device's (a longer one names none: `NotFound`).
#[cfg(feature = "ssr")]
fn typed_device(device: &str) -> Result<(), crate::AppError> {
    if identity::within(device, identity::TYPED_DEVICE_MAX_BYTES) {
        Ok(())
    } else {
        crate::ssr::respond(Err(crate::AppError::NotFound))
    }
}
