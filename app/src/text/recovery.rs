//! Recovery codes (issue 14 item 4): the account page's section and the page that shows a new
//! set once.

pub const RECOVERY_HEADING: &str = "Recovery codes";
pub const RECOVERY_INTRO: &str = "Ten one-time codes on paper for the day your phone is gone with every token on it: after your password, type one where the 6-digit code goes. Each works once and opens a restricted session in which you replace your tokens, without the help desk and without your recovery mailbox. Keep them somewhere safe, away from your phone.";
pub const RECOVERY_NONE: &str = "You have no recovery codes yet. Make them now: it takes a minute, and a lost phone will not lock you out.";
pub const RECOVERY_LOW: &str =
    "Only a few recovery codes are left. Make a new set (the old codes stop working).";
pub const RECOVERY_MAKE: &str = "Make recovery codes";
pub const RECOVERY_MAKE_NEW: &str = "Make a new set";
pub const RECOVERY_MAKE_NEW_HINT: &str =
    "A new set replaces the old one: the codes you have now stop working.";
pub const RECOVERY_WORKING: &str = "Making…";
pub const RECOVERY_RESTRICTED: &str =
    "You can make a new set once recovery is finished and you have signed in with your new token.";
pub const RECOVERY_NEW_TITLE: &str = "Your new recovery codes";
pub const RECOVERY_SHOWN_ONCE: &str = "These codes are shown only this once. Print them or download them now and keep them away from your phone. Each code works once; your old codes no longer work.";
pub const RECOVERY_LIST_LABEL: &str = "Your recovery codes";
pub const RECOVERY_DOWNLOAD: &str = "Download as a text file";
pub const RECOVERY_PRINT: &str = "Print";
pub const RECOVERY_PRINT_NO_JS: &str =
    "To print them, use your browser's Print command: only the codes and these lines are printed.";
pub const RECOVERY_DONE: &str = "I have kept them";
pub const RECOVERY_ALREADY_SHOWN: &str = "This set was shown once and is never shown again. If you did not keep it, make a new set on your account page.";
pub const RECOVERY_BACK: &str = "Back to your account";
pub const RECOVERY_HELP_LINK: &str = "Help: recovery codes";
pub const RECOVERY_FILE_NAME: &str = "mayi-id-recovery-codes.txt";

/// "You have 7 of 10 recovery codes left (made 2026-12-05 12:00 UTC)."
pub fn recovery_left(left: i64, total: i64, made: &str) -> String {
    let codes = if total == 1 {
        "recovery code"
    } else {
        "recovery codes"
    };
    format!("You have {left} of {total} {codes} left (made {made}).")
}

/// The downloaded file: who it is for, how to use it, and the codes, one per line.
pub fn recovery_file(username: &str, made: &str, codes: &[String]) -> String {
    let mut text = format!(
        "MAYI ID recovery codes for {username}, made {made}.\n\
         After your password, type one where the 6-digit code goes. Each code works once.\n\
         Keep this file away from your phone.\n\n"
    );
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text
}

// Readiness (issue 14 item 5).
pub const READINESS_HEADING: &str = "You are one lost phone away from needing the help desk";
pub const READINESS_NO_FALLBACK: &str = "You have no recovery address and no recovery codes.";
pub const READINESS_ADD_DEVICE: &str = "Add a sign-in method on another device";
pub const READINESS_MAKE_CODES: &str = "Make recovery codes";
pub const OVERVIEW_AT_RISK: &str = "Accounts one lost phone away from needing the help desk";
pub const OVERVIEW_AT_RISK_HINT: &str = "Active accounts whose every sign-in method is on one device, or that have no recovery address and no recovery codes.";

/// "Every sign-in method is on Pixel 7." (or "on one device" when it has no name).
pub fn readiness_one_device(device: Option<&str>) -> String {
    match device {
        Some(device) => format!("Every sign-in method is on {device}."),
        None => "Every sign-in method is on one device.".to_owned(),
    }
}
