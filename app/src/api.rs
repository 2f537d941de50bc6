//! Server functions: the only way the browser changes anything. Each one says who may call it,
//! authorises on its first line, validates, makes one call into `identity`, and maps errors.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// What the sign-in page shows after a correct password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAccepted {
    /// The name the account owner chose, to greet them on the next step.
    pub display_name: String,
}

/// Step 1 of signing in: checks the username and password.
///
/// Who may call it: anyone (it is the front door). Unknown users and wrong passwords get the
/// same answer, status and timing. No session is opened by a password alone.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<PasswordAccepted, AppError> {
    let state = crate::ssr::state()?;
    let outcome = crate::ssr::check_password(&state, &username, password).await;
    crate::ssr::respond(outcome.map(|account| PasswordAccepted {
        display_name: account.display_name,
    }))
}
