//! Recovery codes (issue 14 item 4): the account page's section and the page that shows a new
//! set once; readiness (issue 14 item 5).

/// "You have 7 of 10 recovery codes left (made 2026-12-05 12:00 UTC)."
pub fn recovery_left(left: i64, total: i64, made: &str) -> String {
    tr!(
        recovery.recovery_left,
        count = total,
        left = left,
        made = made
    )
    .to_string()
}

/// The downloaded file: who it is for, how to use it, and the codes, one per line.
pub fn recovery_file(username: &str, made: &str, codes: &[String]) -> String {
    let mut text = tr!(
        recovery.recovery_file_header,
        username = username,
        made = made
    )
    .to_string();
    text.push_str("\n\n");
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text
}

/// "Every sign-in method is on Pixel 7." (or "on one device" when it has no name).
pub fn readiness_one_device(device: Option<&str>) -> String {
    match device {
        Some(device) => tr!(recovery.readiness_one_device_named, device = device).to_string(),
        None => tr!(recovery.readiness_one_device).to_string(),
    }
}
