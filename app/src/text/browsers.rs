//! Waiting period by trust (issue 13 item 5): remembered browsers on the account page, the
//! waiting period of an emergency code asked for from an unknown browser, and the console's
//! "Approve now".

pub const BROWSERS_HEADING: &str = "Browsers you signed in with";
pub const BROWSERS_INTRO: &str = "A browser where you signed in with your password and a token is remembered for 180 days. If you ever need an emergency access code, one you ask for from a remembered browser works at once; from any other browser it works only after a waiting period, unless your help desk approves it sooner. Forget a browser you no longer use or do not recognise.";
pub const BROWSERS_NONE: &str = "No browser is remembered yet.";
pub const BROWSER_FIRST_SIGN_IN: &str = "First signed in";
pub const BROWSER_LAST_SIGN_IN: &str = "Last signed in";
pub const BROWSER_ADDRESS: &str = "Address";
pub const BROWSER_FORGET: &str = "Forget";
pub const BROWSER_FORGOTTEN: &str = "The browser is forgotten.";

/// A sign-in with an emergency code still in its waiting period.
pub fn code_not_yet_valid(from: &str) -> String {
    format!(
        "This emergency access code cannot be used yet: it works from {from}. It has a waiting period because it was asked for from a browser that never signed in to your account. Your help desk can approve it sooner."
    )
}

/// Step 4 of the wizard, for a code asked for from a browser the account does not remember.
pub const CODE_WAITING_PREFIX: &str = "Usable from";
pub fn code_waiting_reason(wait: &str) -> String {
    format!(
        "Because you asked from a browser that never signed in to this account, there is a waiting period of {wait}. Your help desk can approve it sooner."
    )
}

/// "24 hours", "90 minutes", "1 hour".
pub fn waiting_period(minutes: i64) -> String {
    if minutes >= 60 && minutes % 60 == 0 {
        let hours = minutes / 60;
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    } else {
        format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
    }
}

// The console.
pub const ACTION_APPROVE: &str = "Approve now";
pub const ACTION_APPROVE_EXPLAINED: &str = "This code is in its waiting period because it was asked for from a browser that never signed in to this account. Approve it only once you are sure the person asking is the account's owner (for example, call them back on a number you already know). It becomes usable at once, and the user is told.";
pub const ACTION_APPROVE_CONFIRM: &str = "Approve the code now";
pub const CODE_STATUS_WAITING: &str = "waiting until";
pub const CODE_STATUS_UNKNOWN_BROWSER: &str = "asked from an unknown browser";
