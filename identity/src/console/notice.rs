//! The notice a user gets when an operator acts on their account (AU-6, RB-5): what was done,
//! the operator's reason, and who to call if they did not ask for it. No secrets.

use crate::notify::Notice;

const PRODUCT: &str = "MAYI ID";

/// "Your help desk {what}." with the reason; `what` is written by the console ("locked your
/// account"), `reason` typed by the operator (one line, cut to 200 characters here).
pub fn operator_notice(display_name: &str, what: &str, reason: &str, public_url: &str) -> Notice {
    let name = one_line(display_name, 100);
    let greeting = if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {name},")
    };
    let what = one_line(what, 300);
    let reason = one_line(reason, 200);
    let url = one_line(public_url, 200).trim_end_matches('/').to_owned();
    Notice {
        subject: format!("Your help desk changed your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             Your help desk {what}.\n\
             Reason given: {reason}\n\
             \n\
             If you asked for this, there is nothing to do.\n\
             \n\
             Not you? Contact your help desk at once, and check your account at {url}\n"
        ),
        sms: format!("{PRODUCT}: your help desk {what}. Not you? Call your help desk at once."),
    }
}

/// Text as one line: control characters dropped, trimmed, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}
