//! "Block my lost phone now".

/// "Pixel 7 (2 sign-in methods)".
pub fn freeze_device_line(device: &str, tokens: u32) -> String {
    tr!(freeze.freeze_device_line, count = tokens, device = device).to_string()
}

/// The sign-in methods that are on no named device.
pub fn freeze_without_device(count: u32) -> String {
    tr!(freeze.freeze_without_device, count = count).to_string()
}

/// "Authenticator app on Pixel 7, blocked 2026-12-04 15:00 UTC".
pub fn blocked_line(label: &str, device: Option<&str>, blocked: &str) -> String {
    match device {
        Some(device) => tr!(
            freeze.blocked_line_device,
            label = label,
            device = device,
            when = blocked
        )
        .to_string(),
        None => tr!(freeze.blocked_line, label = label, when = blocked).to_string(),
    }
}
