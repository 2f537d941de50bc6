//! Signing in to other applications through MAYI ID (issue 18): the consent page, the step back
//! to the application, and the applications listed on the account page.

pub const AUTHORIZE_TITLE: &str = "Sign in to an application";
pub fn consent_heading(application: &str) -> String {
    format!("Sign in to {application}?")
}
pub fn consent_intro(application: &str, username: &str) -> String {
    format!("{application} asks to sign you in with your MAYI ID account {username}.")
}
pub const CONSENT_RECEIVES: &str = "If you allow it, it receives:";
pub const CONSENT_SCOPES_LABEL: &str = "What the application receives";
pub const SCOPE_OPENID: &str = "An identifier for your account";
pub const SCOPE_PROFILE: &str = "Your name and username";
pub const SCOPE_EMAIL: &str = "Your email address";
pub const CONSENT_NOT_OURS: &str = "This application is not run by your organisation. Allow it only if you trust it. You can take this back on your account page at any time.";
pub fn consent_destination(host: &str) -> String {
    format!("Either way, you then go back to {host}.")
}
pub const CONSENT_ALLOW: &str = "Allow";
pub const CONSENT_DENY: &str = "Do not allow";
pub const AUTHORIZE_WORKING: &str = "Please wait…";
pub fn authorize_continue_heading(application: &str) -> String {
    format!("Back to {application}")
}
pub const AUTHORIZE_CONTINUE_TEXT: &str =
    "You are on your way back to the application. If nothing happens, use the link.";
pub fn authorize_continue_link(application: &str) -> String {
    format!("Continue to {application}")
}
pub const AUTHORIZE_AN_APPLICATION: &str = "the application";
pub const AUTHORIZE_REFUSED_HEADING: &str = "This sign-in cannot go on";
pub const AUTHORIZE_RECOVERY_HEADING: &str = "Finish your recovery first";
pub const AUTHORIZE_RECOVERY_TEXT: &str = "You are signed in with an emergency access code. Finish recovery on your token page, then sign in again to use other applications.";
pub const AUTHORIZE_GO_TO_TOKENS: &str = "Go to your tokens";
pub const AUTHORIZE_SIGN_IN_TEXT: &str = "Sign in to MAYI ID first; you then come back here.";
pub const AUTHORIZE_SIGN_IN_LINK: &str = "Sign in";
pub const AUTHORIZE_GO_TO_ACCOUNT: &str = "Go to your account";

pub const APPLICATIONS_HEADING: &str = "Applications you allowed";
pub const APPLICATIONS_INTRO: &str = "These applications, not run by your organisation, may sign you in with your MAYI ID account. Removing one stops its access now; it asks again next time.";
pub const APPLICATIONS_NONE: &str = "You have not allowed any application.";
pub const APPLICATIONS_LABEL: &str = "Applications you allowed";
pub fn application_allowed(scopes: &str, when: &str) -> String {
    format!("Receives {scopes}. Allowed {when}.")
}
pub const APPLICATION_REMOVE: &str = "Remove access";
pub fn application_remove_caption(application: &str) -> String {
    format!("Remove access of {application}")
}
pub const APPLICATION_REMOVED: &str = "Access removed.";

/// The description of a scope a person allows.
pub fn scope_description(scope: &str) -> &'static str {
    match scope {
        "profile" => SCOPE_PROFILE,
        "email" => SCOPE_EMAIL,
        _ => SCOPE_OPENID,
    }
}

/// The scopes in a sentence: "your account identifier, your name and username".
pub fn scopes_sentence(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|s| scope_description(s).to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

pub const HELP_APPS_HEADING: &str = "Signing in to other applications";
pub const HELP_APPS: &str = "Some of your organisation's applications (a wiki, a learning system) send you to MAYI ID to sign in. You sign in here as usual, with your password and a token, and go straight back to the application. If you are already signed in to MAYI ID, you go back at once.";
pub const HELP_APPS_CONSENT: &str = "An application not run by your organisation asks first: MAYI ID shows its name and what it would receive (an identifier for your account, your name, your email address). Allow it only if you trust it.";
pub const HELP_APPS_RECOVERY: &str = "Signed in with an emergency access code, you cannot use other applications yet: finish your recovery on the token page first, then sign in again.";
pub const HELP_APPS_TAKE_BACK: &str = "Your account page lists the applications you allowed. \"Remove access\" stops an application's access at once; it asks again next time.";
