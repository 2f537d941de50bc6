//! Waiting period by trust (issue 13 item 5): remembered browsers on the account page, the
//! waiting period of an emergency code asked for from an unknown browser, and the console's
//! "Approve now".

/// A sign-in with an emergency code still in its waiting period.
pub fn code_not_yet_valid(from: &str) -> String {
    tr!(browsers.code_not_yet_valid, from = from).to_string()
}

/// Why a new code waits: it was asked for from an unknown browser.
pub fn code_waiting_reason(wait: &str) -> String {
    tr!(browsers.code_waiting_reason, wait = wait).to_string()
}

/// "24 hours", "90 minutes", "1 hour".
pub fn waiting_period(minutes: i64) -> String {
    if minutes >= 60 && minutes % 60 == 0 {
        tr!(browsers.waiting_hours, count = minutes / 60).to_string()
    } else {
        tr!(browsers.waiting_minutes, count = minutes).to_string()
    }
}
