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
