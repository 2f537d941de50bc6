//! The operational console's words (issue 6).

pub fn application_disabled_at(when: &str) -> String {
    tr!(console.application_disabled_at, when = when).to_string()
}
pub fn application_disable_summary(name: &str) -> String {
    tr!(console.application_disable_summary, name = name).to_string()
}

/// The lifetimes offered when issuing a code, in minutes, and how they read.
pub fn lifetimes() -> Vec<(u32, &'static str)> {
    vec![
        (15, tr!(console.lifetimes_1)),
        (60, tr!(console.lifetimes_2)),
        (240, tr!(console.lifetimes_3)),
        (480, tr!(console.lifetimes_4)),
        (1440, tr!(console.lifetimes_5)),
        (4320, tr!(console.lifetimes_6)),
        (10080, tr!(console.lifetimes_7)),
    ]
}
/// The lifetime chosen unless the operator picks another (8 hours).
pub const LIFETIME_DEFAULT: u32 = 480;

/// What an action did, from the `done` word of the redirect.
pub fn console_done(what: &str) -> Option<&'static str> {
    Some(match what {
        "token" => tr!(console.done_token),
        "block" => tr!(console.done_block),
        "unblock" => tr!(console.done_unblock),
        "device" => tr!(console.done_device),
        "sessions" => tr!(console.done_sessions),
        "locked" => tr!(console.done_locked),
        "unlocked" => tr!(console.done_unlocked),
        "revoked" => tr!(console.done_revoked),
        "approved" => tr!(console.done_approved),
        "undone" => tr!(console.done_undone),
        "role" => tr!(console.done_role),
        _ => return None,
    })
}

/// The help page: (heading, paragraphs).
pub fn help_console_sections() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            tr!(console.help_console_sections_1),
            vec![
                tr!(console.help_console_sections_2),
                tr!(console.help_console_sections_3),
            ],
        ),
        (
            tr!(console.help_console_sections_4),
            vec![tr!(console.help_console_sections_5)],
        ),
        (
            tr!(console.help_console_sections_6),
            vec![
                tr!(console.help_console_sections_7),
                tr!(console.help_console_sections_8),
            ],
        ),
        (
            tr!(console.help_console_sections_9),
            vec![
                tr!(console.help_console_sections_10),
                tr!(console.help_console_sections_11),
                tr!(console.help_console_sections_12),
            ],
        ),
        (
            tr!(console.help_console_sections_13),
            vec![tr!(console.help_console_sections_14)],
        ),
        (
            tr!(console.help_console_sections_15),
            vec![
                tr!(console.help_console_sections_16),
                tr!(console.help_console_sections_17),
            ],
        ),
        (
            tr!(console.help_console_sections_18),
            vec![tr!(console.help_console_sections_19)],
        ),
        (
            tr!(console.help_console_sections_20),
            vec![tr!(console.help_console_sections_21)],
        ),
    ]
}

pub fn help_console_pictures() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            tr!(console.help_console_pictures_1),
            "console-search",
            tr!(console.help_console_pictures_2),
        ),
        (
            tr!(console.help_console_pictures_3),
            "console-user",
            tr!(console.help_console_pictures_4),
        ),
    ]
}
