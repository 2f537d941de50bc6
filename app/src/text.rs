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
pub const KIND_WEBAUTHN: &str = "Passkey or security key";
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

// Passkeys and security keys (issue 17).
pub const PASSKEY_DEFAULT_NAME: &str = "Passkey";
pub const PASSKEY_LABEL: &str = "Name of this passkey or key";
pub const PASSKEY_DEVICE: &str = "Device or key it is on";
pub const PASSKEY_DEVICE_HINT: &str = "A passkey kept by this phone or computer is lost with it: name the device. For a security key, name the key.";
pub const PASSKEY_DEVICE_EXAMPLE: &str = "e.g. YubiKey on my key ring";
pub const PASSKEY_ADD_HEADING: &str = "Add a passkey or security key";
pub const PASSKEY_ADD_INTRO: &str = "A security key on your key ring, or a passkey kept by this phone or computer (or your password manager), signs you in with a touch, a fingerprint or a PIN. A security key is not lost with your phone: it is a good second way in.";
pub const PASSKEY_ADD_BUTTON: &str = "Add a passkey or security key";
pub const PASSKEY_ADDED: &str = "Passkey added:";
pub const PASSKEY_WAITING: &str = "Waiting for your passkey…";
pub const PASSKEY_USE_BUTTON: &str = "Use a passkey or security key";
pub const PASSKEY_SIGN_IN_INTRO: &str = "Your browser asks for your passkey or security key: touch the key, or confirm with your fingerprint, face or PIN.";
pub const PASSKEY_NEEDS_JS: &str = "Passkeys and security keys need JavaScript, which is off in this browser. Turn it on, or use one of your other sign-in methods on this page.";
pub const PASSKEY_UNSUPPORTED: &str = "This browser cannot use passkeys or security keys. Use another browser, or another sign-in method.";
pub const PASSKEY_CANCELLED: &str =
    "The passkey prompt was closed or timed out. Try again when you are ready.";
pub const PASSKEY_ALREADY_ADDED: &str = "This passkey or security key is already on your account.";
pub const PASSKEY_FAILED: &str = "Your browser could not use the passkey or security key. Try again, or use another sign-in method.";
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
pub const HELP_WEBAUTHN: &str = "press \"Use a passkey or security key\", then touch your security key or confirm with your fingerprint, face or PIN when your browser asks. This needs JavaScript; without it, use another token.";
pub const HELP_FIRST_HEADING: &str = "Your first sign-in";
pub const HELP_FIRST: &str = "If your account has no token yet, MAYI ID asks you to set up an authenticator app: scan the QR code with the app (or, on the phone itself, press \"Open in authenticator app\", or type the setup key), then type the code the app shows. From then on you sign in with that app.";
pub const HELP_TROUBLE_HEADING: &str = "If something goes wrong";
pub const HELP_TROUBLE_CODE: &str = "\"That code is not valid\": check that the app shows MAYI ID and that your phone's clock is right, then type the current code.";
pub const HELP_TROUBLE_WAIT: &str = "\"Too many attempts\": after several wrong tries you must wait a little before the next one. The wait grows with each wrong try and ends by itself.";
pub const HELP_TROUBLE_LOST: &str = "Lost the phone that holds your tokens? Sign in with another of your tokens if you have one; otherwise ask your help desk for an emergency access code.";

pub const TOKENS_TITLE: &str = "Your tokens";
pub const TOKENS_INTRO: &str = "These are the ways you confirm it is you when you sign in, grouped by the phone or device they are on. Lost a phone? Block or remove every token on it at once.";
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
    let tokens = tokens_on_device(count);
    format!("This removes {tokens} on {device} at once, signs you out everywhere except here, and tells you by email and SMS. Then add new tokens on your new phone.")
}

/// What "I lost this device" did.
pub fn lost_device_done(device: &str, removed: u32, sessions: u64) -> String {
    let (tokens, sessions) = device_result(removed, sessions);
    format!("Removed {tokens} on {device}{sessions}.")
}

/// "the token" or "all N tokens", for the device confirmations.
fn tokens_on_device(count: usize) -> String {
    if count == 1 {
        "the token".to_string()
    } else {
        format!("all {count} tokens")
    }
}

/// "1 token" or "N tokens", and " and signed out N other sessions", for the device results.
fn device_result(tokens: u32, sessions: u64) -> (String, String) {
    let tokens = if tokens == 1 {
        "1 token".to_string()
    } else {
        format!("{tokens} tokens")
    };
    let sessions = match sessions {
        0 => String::new(),
        1 => " and signed out 1 other session".to_string(),
        n => format!(" and signed out {n} other sessions"),
    };
    (tokens, sessions)
}

pub const BLOCK: &str = "Block";
pub const BLOCK_CONFIRM: &str = "Yes, block";
pub const TOKEN_BLOCKED: &str = "Blocked";
pub const BLOCK_DEVICE: &str = "Block this device";
pub const BLOCK_DEVICE_CONFIRM: &str = "Yes, block";

/// The confirmation that names the token being blocked.
pub fn block_explained(label: &str) -> String {
    format!("Block \u{201c}{label}\u{201d}? It stops working at once, but is kept: if the phone turns up, unblock it; otherwise remove it.")
}

/// What "Block this device" will do.
pub fn block_device_explained(device: &str, count: usize) -> String {
    let tokens = tokens_on_device(count);
    format!("This blocks {tokens} on {device} at once, signs you out everywhere except here, and tells you by email and SMS. They are kept: if the phone turns up, unblock them; otherwise remove them.")
}

/// What "Block this device" did.
pub fn block_device_done(device: &str, blocked: u32, sessions: u64) -> String {
    let (tokens, sessions) = device_result(blocked, sessions);
    format!("Blocked {tokens} on {device}{sessions}.")
}

pub const ERR_NOT_RECENT: &str =
    "For your safety, this needs a recent sign-in. Confirm your password to continue.";
pub const ADD_TOTP_HEADING: &str = "Add an authenticator app";
pub const ADD_TOTP_INTRO: &str = "Set up MAYI ID in an authenticator app on the phone you have now. You can do this on the phone itself.";
pub const ADD_TOTP_START: &str = "Set up a new app";
/// Another session of the account is setting up an authenticator app (issue 13: its secret is
/// shown only there).
pub const ADD_TOTP_ELSEWHERE: &str = "An authenticator app is being set up in another \
     browser or session of this account. Its key is shown only there. If that was not you, \
     change your password and sign out everywhere else.";
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

pub const ENROL_COPY_KEY: &str = "Copy the setup key";

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
// Self-service: SMS and email tokens, contacts, password re-entry (issue 4).
pub const ERR_WRONG_PASSWORD: &str = "That password is not right.";
pub const ERR_PASSKEYS_UNAVAILABLE: &str =
    "Passkeys and security keys cannot be used on this server. Use another sign-in method.";
pub const ERR_PASSKEY_REFUSED: &str =
    "That passkey or security key was not accepted. Try again, or use another sign-in method.";
pub const ERR_CODE_USED_UP: &str = "Too many wrong codes. Start again to get a new code.";
pub const ERR_CONTACT_NOT_FOUND: &str =
    "That email address or phone number is no longer there. The list has been refreshed.";
pub const REAUTH_HEADING: &str = "Confirm your password to continue";
pub const REAUTH_INTRO: &str = "For your safety, adding a token or changing your email addresses and phone numbers needs a recent sign-in. Enter your password again; then you have 10 minutes.";
pub const REAUTH_BUTTON: &str = "Confirm password";
pub const ADD_SMS_HEADING: &str = "Add a phone for SMS codes";
pub const ADD_SMS_INTRO: &str =
    "A code is sent to this number by text message each time you sign in with it.";
pub const SMS_WEAKER: &str = "SMS is weaker than an authenticator app: text messages can be intercepted, and a thief can move your number to another SIM card. Prefer an authenticator app, and keep SMS as a backup.";
pub const ADD_EMAIL_HEADING: &str = "Add an email address for codes";
pub const ADD_EMAIL_INTRO: &str = "A code is sent to this address each time you sign in with it.";
pub const PHONE_NUMBER: &str = "Phone number";
pub const PHONE_NUMBER_HINT: &str =
    "International form, starting with + and the country code, e.g. +420 601 123 456.";
pub const EMAIL_ADDRESS: &str = "Email address";
pub const SEND_CODE: &str = "Send a code";
pub const CODE_RECEIVED: &str = "6-digit code you received";
pub const CONFIRM: &str = "Confirm";
pub const OOB_CODE_SENT_HINT: &str =
    "It is valid for 5 minutes. Type it here to finish; until then this token cannot be used.";
pub const ENROL_DEVICE_SUGGESTED: &str =
    "Suggested from this browser; change it to the name of your phone if you like.";
pub const TOKENS_HELP_LINK: &str = "Help with tokens";
pub const ADD_TOKEN_DONE: &str = "Added";
pub const CONTACTS_HEADING: &str = "Your email addresses and phone numbers";
pub const CONTACTS_INTRO: &str = "We tell you about changes to your account at every confirmed address and number. Your recovery address is where the proof that it is you goes if you ever lose all your tokens.";
pub const CONTACTS_NONE: &str = "You have no email address or phone number yet.";
pub const CONTACT_CONFIRMED: &str = "confirmed";
pub const CONTACT_UNCONFIRMED: &str = "not confirmed yet";
pub const CONTACT_RECOVERY: &str = "recovery address";
pub const CONTACT_KIND_EMAIL: &str = "Email";
pub const CONTACT_KIND_PHONE: &str = "Phone";
pub const CONTACT_CODE_FOR: &str = "Code sent to";
pub const CONTACT_RESEND: &str = "Send a new code to";
pub const CONTACT_MAKE_RECOVERY: &str = "Use as recovery address:";
pub const CONTACT_REMOVE_CONFIRM: &str = "Yes, remove";
pub const ADD_CONTACT_EMAIL: &str = "Add an email address";
pub const ADD_CONTACT_PHONE: &str = "Add a phone number";
pub const CONTACT_ADD_BUTTON: &str = "Add and send a code";
pub const CONTACTS_LIST: &str = "Your contacts";
pub const CONTACT_ADDED: &str =
    "We sent a code to the new address or number. Type it below to confirm it.";
pub const CONTACT_CONFIRMED_DONE: &str = "Confirmed.";
pub const CONTACT_REMOVED_DONE: &str = "Removed.";
pub const CONTACT_RECOVERY_DONE: &str = "Your recovery address was changed.";
pub const CODE_RESENT: &str = "We sent a new code. The old one no longer works.";

/// What removing a contact does.
pub fn remove_contact_explained(value: &str, is_recovery: bool) -> String {
    if is_recovery {
        format!("Remove {value}? We will no longer send anything there, and you will have no recovery address until you choose another.")
    } else {
        format!("Remove {value}? We will no longer send anything there.")
    }
}

pub const HELP_TOKENS_TITLE: &str = "Your tokens";
pub const HELP_TOKENS_INTRO: &str = "A token is what you use, after your password, to prove it is you. You can have several, and sign in with any one of them.";
pub const HELP_TOKENS_KINDS_HEADING: &str = "Kinds of token";
pub const HELP_TOKENS_TOTP: &str = "an app on your phone (Google Authenticator, Microsoft Authenticator, Aegis, FreeOTP…) shows a new 6-digit code every 30 seconds. The safest choice.";
pub const HELP_TOKENS_SMS: &str = "a 6-digit code comes by text message. Weaker than an app: texts can be intercepted and numbers moved to another SIM card. Good as a backup.";
pub const HELP_TOKENS_EMAIL: &str = "a 6-digit code comes by email. As safe as your mailbox.";
pub const HELP_TOKENS_WEBAUTHN: &str = "a security key (a small USB or NFC key, for example a YubiKey) or a passkey kept by your phone, computer or password manager. You touch the key or confirm with your fingerprint, face or PIN; nothing to type, and it cannot be phished. A security key on your key ring is not lost with your phone.";
pub const HELP_TOKENS_PASSKEY_HEADING: &str = "Adding a passkey or security key";
pub const HELP_TOKENS_PASSKEY: &str = "Open \"Manage your tokens\" and find \"Add a passkey or security key\". Give it a name, and name the device or key it is on (a passkey kept by a phone is lost with that phone; a security key is its own device). Press the button, then follow your browser: insert or touch the key, or confirm with your fingerprint, face or PIN. You can do this in the restricted session after an emergency sign-in too: a security key is a good way back in the next time a phone is lost. Passkeys need JavaScript and a browser that supports them (every current browser does).";
pub const HELP_TOKENS_NEW_PHONE_HEADING: &str = "Setting up a new phone";
pub const HELP_TOKENS_NEW_PHONE: &str = "Sign in, open \"Manage your tokens\" and add the tokens on the new phone. You can do it on the new phone itself. For an authenticator app, press \"Open in authenticator app\" (or scan the QR code from another screen, or type the setup key), then type the code the app shows. For SMS or email, type the number or address, press \"Send a code\", and type the code you receive. A token works only once its first code is confirmed, and an unfinished set-up expires after 10 minutes.";
pub const HELP_TOKENS_LOST_HEADING: &str = "If you lose a phone";
pub const HELP_TOKENS_LOST: &str = "Sign in with another token (for example your email), open \"Manage your tokens\" and press \"I lost this device\" on the lost phone. Every token on it stops working at once, you are signed out everywhere else, and you are told by email and SMS. Then add new tokens on your new phone. If the phone may turn up again, press \"Block this device\" instead: its tokens stop working the same way but are kept, and you can unblock them later (or remove them). \"Block\" on a single token does the same for that token. If the lost phone held all your tokens, ask your help desk for an emergency access code.";
pub const HELP_TOKENS_RECENT_HEADING: &str = "\"Confirm your password to continue\"";
pub const HELP_TOKENS_RECENT: &str = "Adding a token or changing your email addresses and phone numbers needs a sign-in less than 10 minutes old. If yours is older, MAYI ID asks for your password again. Every such change is reported to the addresses and numbers you already had, so you would notice if someone else made it.";

// The operational console (issue 6).
mod console;
pub use console::*;
