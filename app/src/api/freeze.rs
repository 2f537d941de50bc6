//! "Block my lost phone now" (issue 13 item 5): the username and password alone block every
//! sign-in method of one device and sign everyone out. Nothing is unlocked by it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// A device the person may block, with how many sign-in methods are on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceToBlock {
    pub name: String,
    pub tokens: u32,
}

/// What the device step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeChoice {
    /// Devices with active sign-in methods, in the order of their first one.
    pub devices: Vec<DeviceToBlock>,
    /// Active sign-in methods that are on no named device (they cannot be chosen here).
    pub without_device: u32,
}

/// Step 1: the username and password, with sign-in's limits and uniform answers. When right, it
/// opens a short sign-in attempt (the same cookie as sign-in: it opens no session) and goes to
/// the device step.
///
/// Who may call it: anyone (a front door like sign-in).
#[server(prefix = "/api", endpoint = "freeze_start")]
pub async fn freeze_start(username: String, password: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    open_attempt(&state, &username, password, "/freeze/device").await
}

/// The devices the attempt's account has active sign-in methods on.
///
/// Who may call it: the holder of a sign-in attempt (the password was right).
#[server(prefix = "/api", endpoint = "freeze_devices")]
pub async fn freeze_devices() -> Result<FreezeChoice, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    no_store();
    let pending = respond(state.auth.pending(&attempt).await)?;
    Ok(freeze_choice(&pending.tokens))
}

/// The devices `tokens` are on, each with how many, and how many are on none.
#[cfg(feature = "ssr")]
fn freeze_choice(tokens: &[identity::Token]) -> FreezeChoice {
    let mut choice = FreezeChoice {
        devices: Vec::new(),
        without_device: 0,
    };
    for token in tokens {
        match &token.device {
            Some(name) => match choice.devices.iter_mut().find(|d| &d.name == name) {
                Some(device) => device.tokens += 1,
                None => choice.devices.push(DeviceToBlock {
                    name: name.clone(),
                    tokens: 1,
                }),
            },
            None => choice.without_device += 1,
        }
    }
    choice
}

/// Step 2: blocks every active sign-in method on `device`, ends every session, this attempt
/// included, and tells the contacts; then shows what to do next.
///
/// Who may call it: the holder of a sign-in attempt, for a device of that account.
#[server(prefix = "/api", endpoint = "freeze_device")]
pub async fn freeze_device(device: String) -> Result<u32, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    super::typed_device(&device)?;
    let blocked = respond(state.auth.freeze_device(&attempt, &device, &client()).await)?;
    let Some(blocked) = blocked else {
        return respond(Err(AppError::NotFound));
    };
    clear_cookie(&state.settings, attempt_cookie(&state.settings));
    redirect("/freeze/done");
    Ok(blocked.tokens.len() as u32)
}
