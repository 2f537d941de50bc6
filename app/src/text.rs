//! The sentences that need code around them (a choice, a plural, a value): each builds its text
//! from `locales/` in the page's language. Plain sentences are named where they are used, with
//! [`tr!`](crate::tr).

/// "Try again in 2 minutes." and the like.
pub fn try_again_in(seconds: u64) -> String {
    match seconds {
        0..=1 => tr!(common.try_again_in_a_second).to_string(),
        2..=90 => tr!(common.try_again_in_seconds, count = seconds).to_string(),
        _ => tr!(common.try_again_in_minutes, count = seconds.div_ceil(60)).to_string(),
    }
}

/// A name in the language's quotation marks: “Pixel 7” or „Pixel 7“.
pub fn quoted(text: &str) -> String {
    tr!(common.quoted, text = text).to_string()
}

/// The confirmation that names the token being removed.
pub fn remove_explained(label: &str, kind: &str, place: &str) -> String {
    if place.is_empty() {
        tr!(tokens.remove_explained, label = label, kind = kind).to_string()
    } else {
        tr!(
            tokens.remove_explained_place,
            label = label,
            kind = kind,
            place = place
        )
        .to_string()
    }
}

/// What "I lost this device" will do.
pub fn lost_device_explained(device: &str, count: usize) -> String {
    tr!(tokens.lost_device_explained, count = count, device = device).to_string()
}

/// What "I lost this device" did.
pub fn lost_device_done(device: &str, removed: u32, sessions: u64) -> String {
    let done = tr!(tokens.lost_device_done, count = removed, device = device).to_string();
    with_signed_out(done, sessions)
}

/// "… Signed out N other sessions." after a device result, when there were any.
fn with_signed_out(done: String, sessions: u64) -> String {
    if sessions == 0 {
        done
    } else {
        format!("{done} {}", tr!(tokens.signed_out_others, count = sessions))
    }
}

/// The confirmation that names the token being blocked.
pub fn block_explained(label: &str) -> String {
    tr!(tokens.block_explained, label = label).to_string()
}

/// What "Block this device" will do.
pub fn block_device_explained(device: &str, count: usize) -> String {
    tr!(
        tokens.block_device_explained,
        count = count,
        device = device
    )
    .to_string()
}

/// What "Block this device" did.
pub fn block_device_done(device: &str, blocked: u32, sessions: u64) -> String {
    let done = tr!(tokens.block_device_done, count = blocked, device = device).to_string();
    with_signed_out(done, sessions)
}

/// What removing a contact does.
pub fn remove_contact_explained(value: &str, is_recovery: bool) -> String {
    if is_recovery {
        tr!(selfservice.remove_contact_explained_recovery, value = value).to_string()
    } else {
        tr!(selfservice.remove_contact_explained, value = value).to_string()
    }
}

// The help pages' sections (issue 7 and later).
mod emergency;
pub use emergency::*;
// Waiting period by trust (issue 13 item 5).
mod browsers;
pub use browsers::*;
mod freeze;
pub use freeze::*;
mod recovery;
pub use recovery::*;
mod oidc;
pub use oidc::*;
// The operational console (issue 6).
mod console;
pub use console::*;
