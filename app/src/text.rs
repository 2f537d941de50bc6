//! Every sentence the user reads, in English, in one place so that a translation can replace it.

pub const PRODUCT: &str = "MAYI ID";
pub const SKIP_TO_CONTENT: &str = "Skip to content";
pub const FOOTER: &str = "MAYI ID: sign-in and recovery for your organisation.";

pub const SIGN_IN_TITLE: &str = "Sign in";
pub const SIGN_IN_HEADING: &str = "Sign in to MAYI ID";
pub const SIGN_IN_INTRO: &str =
    "Enter your username and password. Next you confirm it is you with one of your tokens.";
pub const USERNAME: &str = "Username";
pub const PASSWORD: &str = "Password";
pub const SHOW_PASSWORD: &str = "Show password";
pub const SIGN_IN_BUTTON: &str = "Continue";
pub const SIGNING_IN: &str = "Checking…";

pub const NOT_FOUND_TITLE: &str = "Page not found";
pub const NOT_FOUND_BODY: &str =
    "There is no page at this address. Check the address, or start again from the sign-in page.";
pub const GO_TO_SIGN_IN: &str = "Go to sign-in";

pub const ERR_INVALID_CREDENTIALS: &str = "Wrong username or password.";
pub const ERR_BUSY: &str = "MAYI ID is busy right now. Please try again in a moment.";
pub const ERR_INTERNAL: &str = "Something went wrong on our side. Please try again later.";
pub const ERR_BAD_REQUEST: &str =
    "The form could not be read. Please reload the page and try again.";
pub const ERR_UNAUTHORIZED: &str = "Please sign in first.";
pub const ERR_FORBIDDEN: &str = "You are not allowed to do that.";
pub const ERR_INVALID_CODE: &str =
    "That code is not valid. Check your authenticator app and type the code it shows now.";
pub const ERR_SIGN_IN_EXPIRED: &str =
    "Your sign-in has expired. Please enter your username and password again.";

pub const VERIFY_TITLE: &str = "Confirm it is you";
pub const VERIFY_INTRO: &str =
    "Open your authenticator app and type the 6-digit code it shows for MAYI ID.";
pub const VERIFY_CHOOSE_TOKEN: &str = "Which token do you use?";
pub const VERIFY_CODE: &str = "6-digit code";
pub const VERIFY_BUTTON: &str = "Sign in";
pub const VERIFY_NO_TOKEN: &str = "This account has no active token to sign in with, so the password alone cannot let you in. Use an emergency access code: get one with Emergency Access, or ask your help desk.";
pub const START_AGAIN: &str = "Start again";
pub const LOADING: &str = "Loading…";
pub const KIND_TOTP: &str = "Authenticator app";
pub const KIND_SMS: &str = "SMS";
pub const KIND_EMAIL: &str = "Email";

pub const ACCOUNT_TITLE: &str = "Your account";
pub const ACCOUNT_GREETING: &str = "Signed in as";
pub const ACCOUNT_TOKENS: &str = "Your tokens";
pub const ACCOUNT_NO_TOKENS: &str = "You have no active tokens.";
pub const TOKEN_DEVICE: &str = "Device";
pub const TOKEN_ADDED: &str = "Added";
pub const TOKEN_LAST_USED: &str = "Last used";
pub const NEVER: &str = "never";
pub const SIGN_OUT: &str = "Sign out";
pub const ERR_RATE_LIMITED: &str = "Too many attempts.";
pub const ERR_BLOCKED: &str = "This way of signing in is blocked after too many wrong codes. Use another of your tokens, or ask your help desk.";
pub const ERR_UNUSABLE_TOKEN: &str = "That token cannot be used to sign in. Choose another one.";

/// "Try again in 2 minutes." and the like.
pub fn try_again_in(seconds: u64) -> String {
    match seconds {
        0..=1 => "Try again in a second.".to_string(),
        2..=90 => format!("Try again in {seconds} seconds."),
        _ => format!("Try again in {} minutes.", seconds.div_ceil(60)),
    }
}

pub const VERIFY_SEND_CODE: &str = "Send a code";
pub const VERIFY_SEND_AGAIN: &str = "Send a new code";
pub const VERIFY_CODE_SENT: &str = "We sent a code to";
pub const VERIFY_CODE_SENT_HINT: &str =
    "It is valid for 5 minutes. A new code replaces the old one.";
pub const SENDING: &str = "Sending…";

pub const ENROL_HEADING: &str = "Set up your authenticator app";
pub const ENROL_INTRO: &str = "Your account has no token yet. Add MAYI ID to an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator, Aegis or FreeOTP); you will use its codes every time you sign in.";
pub const ENROL_LABEL: &str = "Name of this token";
pub const ENROL_DEVICE: &str = "Phone it is on";
pub const ENROL_DEVICE_EXAMPLE: &str = "e.g. Pixel 9";
pub const ENROL_START: &str = "Set up";
pub const ENROL_SCAN: &str = "Scan this QR code with your authenticator app.";
pub const ENROL_QR_LABEL: &str = "QR code that adds MAYI ID to an authenticator app";
pub const ENROL_ON_THIS_PHONE: &str = "Using the phone the app is on?";
pub const ENROL_OPEN_APP: &str = "Open in authenticator app";
pub const ENROL_TYPE_KEY: &str = "Or type this key in the app:";
pub const ENROL_KEY_LABEL: &str = "Setup key";
pub const ENROL_CODE: &str = "6-digit code the app shows now";
pub const ENROL_FINISH: &str = "Finish and sign in";

pub const HELP_LINK: &str = "Help with signing in";
pub const HELP_SIGN_IN_TITLE: &str = "Signing in to MAYI ID";
pub const HELP_SIGN_IN_INTRO: &str = "Signing in takes two steps: your password, then one of your tokens. A password alone never opens your account.";
pub const HELP_STEP1_HEADING: &str = "1. Username and password";
pub const HELP_STEP1: &str = "Type your username (capital letters do not matter) and your password, then press Continue. If either is wrong, the page says \"Wrong username or password\": for your safety it never says which.";
pub const HELP_STEP2_HEADING: &str = "2. Confirm it is you";
pub const HELP_STEP2: &str = "The next page lists your tokens. Use any one of them:";
pub const HELP_TOTP: &str = "open the app on your phone and type the 6-digit code it shows for MAYI ID. Each code works once; if it was just used, wait for the next one.";
pub const HELP_SMS: &str = "press \"Send a code\", then type the 6-digit code from the text message. It is valid for 5 minutes; a new code replaces the old one.";
pub const HELP_EMAIL: &str =
    "press \"Send a code\", then type the 6-digit code from the email. It is valid for 5 minutes.";
pub const HELP_FIRST_HEADING: &str = "Your first sign-in";
pub const HELP_FIRST: &str = "If your account has no token yet, MAYI ID asks you to set up an authenticator app: scan the QR code with the app (or, on the phone itself, press \"Open in authenticator app\", or type the setup key), then type the code the app shows. From then on you sign in with that app.";
pub const HELP_TROUBLE_HEADING: &str = "If something goes wrong";
pub const HELP_TROUBLE_CODE: &str = "\"That code is not valid\": check that the app shows MAYI ID and that your phone's clock is right, then type the current code.";
pub const HELP_TROUBLE_WAIT: &str = "\"Too many attempts\": after several wrong tries you must wait a little before the next one. The wait grows with each wrong try and ends by itself.";
pub const HELP_TROUBLE_LOST: &str = "Lost the phone that holds your tokens? Sign in with another of your tokens if you have one; otherwise ask your help desk for an emergency access code.";

pub const TOKENS_TITLE: &str = "Your tokens";
pub const TOKENS_INTRO: &str = "These are the ways you confirm it is you when you sign in, grouped by the phone or device they are on. Lost a phone? Remove every token on it at once.";
pub const TOKENS_ON: &str = "Tokens on";
pub const NO_DEVICE: &str = "Not on a device";
pub const REMOVE: &str = "Remove";
pub const REMOVE_CONFIRM: &str = "Yes, remove";
pub const TOKEN_REMOVED: &str = "Removed";
pub const LOST_DEVICE: &str = "I lost this device";
pub const LOST_DEVICE_CONFIRM: &str = "Yes, I lost";
pub const MANAGE_TOKENS: &str = "Manage your tokens";
pub const BACK_TO_ACCOUNT: &str = "Back to your account";
pub const ERR_LAST_TOKEN: &str = "This would remove your last token, and you could no longer sign in. Add another token first, then remove this one.";
pub const ERR_NOT_FOUND: &str = "That token no longer exists. The list has been refreshed.";

/// The confirmation that names the token being removed.
pub fn remove_explained(label: &str, kind: &str, place: &str) -> String {
    if place.is_empty() {
        format!("Remove \u{201c}{label}\u{201d} ({kind})? It stops working at once and cannot be used to sign in again.")
    } else {
        format!("Remove \u{201c}{label}\u{201d} ({kind}, {place})? It stops working at once and cannot be used to sign in again.")
    }
}

/// What "I lost this device" will do.
pub fn lost_device_explained(device: &str, count: usize) -> String {
    let tokens = if count == 1 {
        "the token".to_string()
    } else {
        format!("all {count} tokens")
    };
    format!("This removes {tokens} on {device} at once, signs you out everywhere except here, and tells you by email and SMS. Then add new tokens on your new phone.")
}

/// What "I lost this device" did.
pub fn lost_device_done(device: &str, removed: u32, sessions: u64) -> String {
    let tokens = if removed == 1 {
        "1 token".to_string()
    } else {
        format!("{removed} tokens")
    };
    let sessions = match sessions {
        0 => String::new(),
        1 => " and signed out 1 other session".to_string(),
        n => format!(" and signed out {n} other sessions"),
    };
    format!("Removed {tokens} on {device}{sessions}.")
}

pub const ERR_NOT_RECENT: &str = "For your safety, adding a token needs a recent sign-in. Sign out, sign in again, and add it within 10 minutes.";
pub const ADD_TOTP_HEADING: &str = "Add an authenticator app";
pub const ADD_TOTP_INTRO: &str = "Set up MAYI ID in an authenticator app on the phone you have now. You can do this on the phone itself.";
pub const ADD_TOTP_START: &str = "Set up a new app";
pub const ADD_TOTP_FINISH: &str = "Finish";
pub const TOKEN_ADDED_DONE: &str = "Added";

pub const UNKNOWN_BROWSER: &str = "Unknown browser";
pub const SESSIONS_HEADING: &str = "Where you are signed in";
pub const THIS_DEVICE: &str = "this browser";
pub const SESSION_SIGNED_IN: &str = "Signed in";
pub const SESSION_LAST_SEEN: &str = "Last active";
pub const SESSION_ADDRESS: &str = "Address";
pub const SESSION_END: &str = "Sign out";
pub const SESSIONS_END_OTHERS: &str = "Sign out everywhere else";
pub const SESSIONS_ONLY_THIS: &str = "You are signed in only here.";

pub const RENAME: &str = "Rename";
pub const RENAME_SAVE: &str = "Save";

mod emergency;
pub use emergency::*;
