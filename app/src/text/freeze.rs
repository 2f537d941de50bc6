//! "Block my lost phone now".

pub const FREEZE_LINK: &str = "Phone lost or stolen? Block it now";
pub const FREEZE_TITLE: &str = "Block a lost or stolen phone";
pub const FREEZE_INTRO: &str = "Enter your username and password, then choose the phone. Every sign-in method on it is blocked at once and everyone signed in to your account is signed out, so whoever has the phone cannot use it to get in.";
pub const FREEZE_CONTINUE: &str = "Continue";
pub const FREEZE_NOT_SIGN_IN: &str = "This does not sign you in. To get back in afterwards, use a sign-in method on another device or Emergency Access.";
pub const FREEZE_HELP_LINK: &str = "Help: I lost my phone";
pub const FREEZE_CHOOSE_HEADING: &str = "Which phone do you want to block?";
pub const FREEZE_CHOOSE_INTRO: &str = "Blocking takes effect at once. A blocked sign-in method can be unblocked later, after you are back in, if the phone turns up.";
pub const FREEZE_DEVICES_LABEL: &str = "Your devices";
pub const FREEZE_NO_DEVICES: &str =
    "None of your sign-in methods is on a named device, so there is nothing to choose here.";
pub const FREEZE_BUTTON: &str = "Block";
pub const FREEZE_START_AGAIN: &str = "Start again";
pub const FREEZE_DONE_HEADING: &str = "The phone is blocked";
pub const FREEZE_DONE: &str = "Every sign-in method on that phone is blocked, and everyone signed in to your account was signed out. We told your contacts.";
pub const FREEZE_NEXT: &str = "To get back in:";
pub const FREEZE_NEXT_SIGN_IN: &str = "Sign in with a sign-in method on another device";
pub const FREEZE_NEXT_EMERGENCY: &str = "Use Emergency Access if you have none";

/// "Pixel 7 (2 sign-in methods)".
pub fn freeze_device_line(device: &str, tokens: u32) -> String {
    if tokens == 1 {
        format!("{device} (1 sign-in method)")
    } else {
        format!("{device} ({tokens} sign-in methods)")
    }
}

/// The sign-in methods that are on no named device.
pub fn freeze_without_device(count: u32) -> String {
    if count == 1 {
        "1 sign-in method is on no named device and cannot be chosen here.".to_owned()
    } else {
        format!("{count} sign-in methods are on no named device and cannot be chosen here.")
    }
}

pub const BLOCKED_HEADING: &str = "Blocked sign-in methods";
pub const BLOCKED_INTRO: &str = "These were blocked because their phone was lost or stolen. They cannot be used to sign in. If the phone turns up, unblock them; otherwise remove them.";
pub const UNBLOCK: &str = "Unblock";
pub const TOKEN_UNBLOCKED: &str = "Unblocked";

/// "Authenticator app on Pixel 7, blocked 2026-12-04 15:00 UTC".
pub fn blocked_line(label: &str, device: Option<&str>, blocked: &str) -> String {
    match device {
        Some(device) => format!("{label} on {device}, blocked {blocked}"),
        None => format!("{label}, blocked {blocked}"),
    }
}
