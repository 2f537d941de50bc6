//! Server functions: the only way the browser changes anything. Each one says who may call it,
//! authorises on its first line, validates, makes one call into `identity`, and maps errors.

mod account;
mod contacts;
pub mod emergency;
mod reauth;
mod sign_in;
mod tokens;
// "Block my lost phone now" (issue 13).
pub mod freeze;
// The operational console (issue 6).
pub mod console;
// Waiting period by trust: remembered browsers (issue 13 item 5).
pub mod browsers;

pub use account::*;
pub use contacts::*;
pub use reauth::*;
pub use sign_in::*;
pub use tokens::*;
