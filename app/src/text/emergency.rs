//! Emergency Access's words: the wizard, signing in with a code, the restricted session.

/// A help section: heading, paragraphs, links to the real pages (`(href, label)`) and pictures
/// of them (`(name, description)`: `public/help/{name}-phone.png` and `-desktop.png`, made by
/// `make help-pictures`).
pub type HelpSection = (
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, &'static str)>,
    Vec<(&'static str, &'static str)>,
);

/// `/help/emergency-access`.
pub fn help_emergency() -> Vec<HelpSection> {
    vec![
        (
            tr!(emergency.help_emergency_1),
            vec![tr!(emergency.help_emergency_2)],
            vec![
                ("/login", tr!(emergency.help_emergency_3)),
                ("/emergency", tr!(emergency.help_emergency_4)),
            ],
            vec![("login", tr!(emergency.help_emergency_5))],
        ),
        (
            tr!(emergency.help_emergency_6),
            vec![tr!(emergency.help_emergency_7)],
            vec![("/emergency", tr!(emergency.help_emergency_8))],
            vec![("wizard-1", tr!(emergency.help_emergency_9))],
        ),
        (
            tr!(emergency.help_emergency_10),
            vec![
                tr!(emergency.help_emergency_11),
                tr!(emergency.help_emergency_12),
            ],
            vec![],
            vec![("wizard-2", tr!(emergency.help_emergency_13))],
        ),
        (
            tr!(emergency.help_emergency_14),
            vec![tr!(emergency.help_emergency_15)],
            vec![],
            vec![("wizard-3", tr!(emergency.help_emergency_16))],
        ),
        (
            tr!(emergency.help_emergency_17),
            vec![
                tr!(emergency.help_emergency_18),
                tr!(emergency.help_emergency_19),
                tr!(emergency.help_emergency_20),
            ],
            vec![("/help/emergency-sign-in", tr!(emergency.help_emergency_21))],
            vec![("wizard-4", tr!(emergency.help_emergency_22))],
        ),
        (
            tr!(emergency.help_emergency_23),
            vec![tr!(emergency.help_emergency_24)],
            vec![("/help/emergency-sign-in", tr!(emergency.help_emergency_25))],
            vec![],
        ),
    ]
}

/// The section of [`help_emergency`] for people without a recovery address
/// (`/help/emergency-access#help-desk`).
pub const HELP_EMERGENCY_HELP_DESK: usize = 5;

/// `/help/emergency-sign-in`.
pub fn help_emergency_sign_in() -> Vec<HelpSection> {
    vec![
        (
            tr!(emergency.help_emergency_sign_in_1),
            vec![tr!(emergency.help_emergency_sign_in_2)],
            vec![("/login", tr!(emergency.help_emergency_sign_in_3))],
            vec![],
        ),
        (
            tr!(emergency.help_emergency_sign_in_4),
            vec![tr!(emergency.help_emergency_sign_in_5)],
            vec![],
            vec![("emergency-sign-in", tr!(emergency.help_emergency_sign_in_6))],
        ),
        (
            tr!(emergency.help_emergency_sign_in_7),
            vec![
                tr!(emergency.help_emergency_sign_in_8),
                tr!(emergency.help_emergency_sign_in_9),
            ],
            vec![("/tokens", tr!(emergency.help_emergency_sign_in_10))],
            vec![(
                "restricted-tokens",
                tr!(emergency.help_emergency_sign_in_11),
            )],
        ),
        (
            tr!(emergency.help_emergency_sign_in_12),
            vec![tr!(emergency.help_emergency_sign_in_13)],
            vec![],
            vec![(
                "restricted-stolen",
                tr!(emergency.help_emergency_sign_in_14),
            )],
        ),
        (
            tr!(emergency.help_emergency_sign_in_15),
            vec![tr!(emergency.help_emergency_sign_in_16)],
            vec![("/help/tokens", tr!(emergency.help_emergency_sign_in_17))],
            vec![],
        ),
        (
            tr!(emergency.help_emergency_sign_in_18),
            vec![tr!(emergency.help_emergency_sign_in_19)],
            vec![],
            vec![],
        ),
        (
            tr!(emergency.help_emergency_sign_in_20),
            vec![tr!(emergency.help_emergency_sign_in_21)],
            vec![],
            vec![],
        ),
    ]
}

/// `/help/lost-phone`.
pub fn help_lost_phone() -> Vec<HelpSection> {
    vec![
        (
            tr!(emergency.help_lost_phone_1),
            vec![tr!(emergency.help_lost_phone_2)],
            vec![
                ("/account", tr!(emergency.help_lost_phone_3)),
                ("/tokens", tr!(emergency.help_lost_phone_4)),
            ],
            vec![("readiness", tr!(emergency.help_lost_phone_5))],
        ),
        (
            tr!(emergency.help_lost_phone_6),
            vec![
                tr!(emergency.help_lost_phone_7),
                tr!(emergency.help_lost_phone_8),
            ],
            vec![("/freeze", tr!(emergency.help_lost_phone_9))],
            vec![],
        ),
        (
            tr!(emergency.help_lost_phone_10),
            vec![tr!(emergency.help_lost_phone_11)],
            vec![
                ("/login", tr!(emergency.help_lost_phone_12)),
                ("/tokens", tr!(emergency.help_lost_phone_13)),
                ("/help/tokens", tr!(emergency.help_lost_phone_14)),
            ],
            vec![("tokens", tr!(emergency.help_lost_phone_15))],
        ),
        (
            tr!(emergency.help_lost_phone_16),
            vec![
                tr!(emergency.help_lost_phone_17),
                tr!(emergency.help_lost_phone_18),
                tr!(emergency.help_lost_phone_19),
                tr!(emergency.help_lost_phone_20),
                tr!(emergency.help_lost_phone_21),
            ],
            vec![
                ("/emergency", tr!(emergency.help_lost_phone_22)),
                ("/help/emergency-access", tr!(emergency.help_lost_phone_23)),
                ("/help/emergency-sign-in", tr!(emergency.help_lost_phone_24)),
            ],
            vec![("login", tr!(emergency.help_lost_phone_25))],
        ),
        (
            tr!(emergency.help_lost_phone_26),
            vec![
                tr!(emergency.help_lost_phone_27),
                tr!(emergency.help_lost_phone_28),
            ],
            vec![("/account", tr!(emergency.help_lost_phone_29))],
            vec![("recovery-codes", tr!(emergency.help_lost_phone_30))],
        ),
        (
            tr!(emergency.help_lost_phone_31),
            vec![tr!(emergency.help_lost_phone_32)],
            vec![],
            vec![],
        ),
    ]
}

/// Pictures shown outside the sections above (the sign-in help page).
pub const HELP_EXTRA_PICTURES: &[&str] = &[
    "login",
    "tokens",
    "passkey",
    "console-search",
    "console-user",
];

/// The help center's pages: `(href, title, summary)`.
pub fn help_index() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "/help/signing-in",
            tr!(emergency.help_index_1),
            tr!(emergency.help_index_2),
        ),
        (
            "/help/tokens",
            tr!(emergency.help_index_3),
            tr!(emergency.help_index_4),
        ),
        (
            "/help/lost-phone",
            tr!(emergency.help_index_5),
            tr!(emergency.help_index_6),
        ),
        (
            "/help/emergency-access",
            tr!(emergency.help_index_7),
            tr!(emergency.help_index_8),
        ),
        (
            "/help/emergency-sign-in",
            tr!(emergency.help_index_9),
            tr!(emergency.help_index_10),
        ),
        (
            "/help/console",
            tr!(emergency.help_index_11),
            tr!(emergency.help_index_12),
        ),
    ]
}
