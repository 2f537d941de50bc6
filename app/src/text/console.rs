//! The operational console's words (issue 6).

pub const CONSOLE_TITLE: &str = "Operational console";
pub const CONSOLE_NAV_LABEL: &str = "Console";
pub const CONSOLE_NAV_SEARCH: &str = "Find a user";
pub const CONSOLE_NAV_OVERVIEW: &str = "Overview";
pub const CONSOLE_NAV_AUDIT: &str = "Audit log";
pub const CONSOLE_NAV_APPLICATIONS: &str = "Applications";
pub const APPLICATIONS_TITLE: &str = "Applications";
pub const APPLICATIONS_CONSOLE_INTRO: &str = "The applications that sign their users in through MAYI ID. Register one with `mayi-id client create` on the server (README, \"Connecting an application\").";
pub const APPLICATIONS_CONSOLE_NONE: &str = "No application is registered.";
pub const APPLICATIONS_CONSOLE_LABEL: &str = "Registered applications";
pub const APPLICATION_CLIENT_ID: &str = "Client ID";
pub const APPLICATION_KIND: &str = "Kind";
pub const APPLICATION_PUBLIC: &str = "Public (no secret, PKCE)";
pub const APPLICATION_CONFIDENTIAL: &str = "Confidential (with a secret)";
pub const APPLICATION_FIRST_PARTY: &str = "Run by the organisation: no consent asked";
pub const APPLICATION_THIRD_PARTY: &str =
    "Not run by the organisation: people are asked to allow it";
pub const APPLICATION_REDIRECTS: &str = "Return addresses";
pub const APPLICATION_CREATED: &str = "Registered";
pub const APPLICATION_STATE: &str = "State";
pub const APPLICATION_ACTIVE: &str = "Active";
pub fn application_disabled_at(when: &str) -> String {
    format!("Disabled {when}")
}
pub fn application_disable_summary(name: &str) -> String {
    format!("Disable {name}")
}
pub const APPLICATION_DISABLE_EXPLAINED: &str = "Nobody can sign in to it through MAYI ID any more, and the tokens it holds stop working at once. This cannot be undone: register it again to start over.";
pub const APPLICATION_DISABLE_BUTTON: &str = "Disable the application";
pub const APPLICATION_DISABLED_DONE: &str = "The application is disabled.";
pub const APPLICATION_REASON_LABEL: &str = "Reason (required, kept in the audit log)";
pub const CONSOLE_HELP_LINK: &str = "Console help";
pub const CONSOLE_FORBIDDEN_TITLE: &str = "Not allowed";
pub const CONSOLE_FORBIDDEN_BODY: &str = "The operational console is for help desk operators. Your account does not have that role. If you need it, ask an administrator.";
pub const CONSOLE_BACK_TO_ACCOUNT: &str = "Back to your account";
pub const CONSOLE_NO_SUCH_USER: &str = "There is no account with that username.";
pub const CONSOLE_BAD_ACTION: &str = "Choose an action from the list.";
pub const CONSOLE_BAD_DATE: &str = "Type dates as YYYY-MM-DD.";

pub const SEARCH_LABEL: &str = "Username, name, email or phone number";
pub const SEARCH_HINT: &str =
    "Upper and lower case do not matter. Phone numbers may be typed with spaces.";
pub const SEARCH_MODE_LEGEND: &str = "Match";
pub const SEARCH_MODE_PREFIX: &str = "Starts with";
pub const SEARCH_MODE_CONTAINS: &str = "Contains";
pub const SEARCH_BUTTON: &str = "Search";
pub const SEARCH_RESULTS: &str = "Results";
pub const SEARCH_NONE: &str = "No account matches.";
pub const SEARCH_PREVIOUS: &str = "Previous page";
pub const SEARCH_NEXT: &str = "Next page";
pub const COL_USERNAME: &str = "Username";
pub const COL_NAME: &str = "Name";
pub const COL_STATE: &str = "State";
pub const COL_ROLE: &str = "Role";

pub const USER_PROFILE: &str = "Profile";
pub const USER_CREATED: &str = "Created";
pub const USER_CONTACTS: &str = "Contacts";
pub const USER_NO_CONTACTS: &str = "No email address or phone number.";
pub const USER_CONFIRMED: &str = "confirmed";
pub const USER_UNCONFIRMED: &str = "not confirmed";
pub const USER_RECOVERY: &str = "recovery address";
pub const USER_TOKENS: &str = "Tokens";
pub const USER_NO_TOKENS: &str = "No token.";
pub const COL_KIND: &str = "Kind";
pub const COL_LABEL: &str = "Label";
pub const COL_DEVICE: &str = "Device";
pub const COL_CREATED: &str = "Created";
pub const COL_LAST_USED: &str = "Last used";
pub const COL_ACTION: &str = "Action";
pub const REMOVED_ON: &str = "removed";
pub const BLOCKED_ON: &str = "blocked";
pub const USER_SESSIONS: &str = "Sessions";
pub const USER_NO_SESSIONS: &str = "Not signed in anywhere.";
pub const COL_SCOPE: &str = "Kind";
pub const COL_BROWSER: &str = "Browser";
pub const COL_IP: &str = "Address";
pub const COL_SIGNED_IN: &str = "Signed in";
pub const COL_LAST_SEEN: &str = "Last seen";
pub const USER_CODES: &str = "Emergency access codes";
pub const USER_NO_CODES: &str = "No code was ever issued.";
pub const COL_ISSUER: &str = "Issued by";
pub const COL_REASON: &str = "Reason";
pub const COL_VERIFICATION: &str = "Identity verified by";
pub const COL_EXPIRES: &str = "Expires";
pub const COL_USES: &str = "Uses";
pub const COL_STATUS: &str = "Status";
pub const ISSUER_SELF: &str = "the user (Emergency Access)";
pub const USER_EVENTS: &str = "Recent events";
pub const USER_NO_EVENTS: &str = "No event.";
pub const COL_AT: &str = "When";
pub const COL_ACTOR: &str = "By";
pub const COL_SUBJECT: &str = "About";
pub const COL_OUTCOME: &str = "Outcome";
pub const COL_DETAILS: &str = "Details";
pub const USER_ACCOUNT_ACTIONS: &str = "Account";

pub const REASON_LABEL: &str = "Reason (required, the user is told)";
pub const CONFIRM_HINT: &str = "Check the account and the reason: this is done at once.";
pub const ACTION_REMOVE_TOKEN: &str = "Remove";
pub const ACTION_REMOVE_TOKEN_CONFIRM: &str = "Remove this token";
pub const ACTION_BLOCK_TOKEN: &str = "Block";
pub const ACTION_BLOCK_TOKEN_CONFIRM: &str = "Block this token";
pub const ACTION_UNBLOCK_TOKEN: &str = "Unblock";
pub const ACTION_UNBLOCK_TOKEN_CONFIRM: &str = "Unblock this token";
pub const ACTION_REMOVE_DEVICE: &str = "Remove every token of a device";
pub const ACTION_REMOVE_DEVICE_CONFIRM: &str = "Remove the tokens on";
pub const ACTION_END_SESSION: &str = "Sign out";
pub const ACTION_END_SESSION_CONFIRM: &str = "Sign out this session";
pub const ACTION_END_ALL: &str = "Sign out everywhere";
pub const ACTION_END_ALL_CONFIRM: &str = "Sign out every session";
pub const ACTION_LOCK: &str = "Lock the account";
pub const ACTION_LOCK_CONFIRM: &str = "Lock the account now";
pub const ACTION_LOCK_EXPLAINED: &str = "Locking signs the user out everywhere at once. A locked account cannot sign in or use Emergency Access until it is unlocked.";
pub const ACTION_UNLOCK: &str = "Unlock the account";
pub const ACTION_UNLOCK_CONFIRM: &str = "Unlock the account now";
pub const ACTION_MAKE_OPERATOR: &str = "Make operator";
pub const ACTION_MAKE_OPERATOR_CONFIRM: &str = "Give this account the operator role";
pub const ACTION_REMOVE_OPERATOR: &str = "Remove the operator role";
pub const ACTION_REMOVE_OPERATOR_CONFIRM: &str = "Make this account an ordinary user";
pub const ACTION_ISSUE: &str = "Issue an emergency access code";
pub const ACTION_ISSUE_EXPLAINED: &str = "Only after you verified who the person is. The code replaces any earlier one. It is shown once, on the next page, for you to hand over; the user's contacts are told that a code was issued (never the code).";
pub const ACTION_ISSUE_CONFIRM: &str = "Issue the code";
pub const ACTION_ISSUE_SELF: &str =
    "You cannot issue a code for yourself or lock your own account: ask another operator.";
pub const VERIFICATION_LABEL: &str = "How you verified the person's identity (required)";
pub const VERIFICATION_PLACEHOLDER: &str = "ID card checked at the desk";
pub const USES_LABEL: &str = "Uses (1 to 10)";
pub const LIFETIME_LABEL: &str = "Valid for";
pub const ACTION_REVOKE: &str = "Revoke the live code";
pub const ACTION_REVOKE_CONFIRM: &str = "Revoke the code now";
pub const ACTION_UNDO: &str = "Undo emergency access and lock";
pub const ACTION_UNDO_EXPLAINED: &str = "For a user who tells you that an emergency access code of the last 7 days was not theirs. Every code issued since the first of them is revoked, every token and contact added since then is removed, the recovery address goes back to the one the account had then, everyone is signed out and the account is locked until you unlock it. The tokens the user had before stay. The user is told on the contacts that remain.";
pub const ACTION_UNDO_CONFIRM: &str = "Undo emergency access and lock now";

/// The lifetimes offered when issuing a code, in minutes, and how they read.
pub const LIFETIMES: &[(u32, &str)] = &[
    (15, "15 minutes"),
    (60, "1 hour"),
    (240, "4 hours"),
    (480, "8 hours"),
    (1440, "1 day"),
    (4320, "3 days"),
    (10080, "7 days"),
];
/// The lifetime chosen unless the operator picks another (8 hours).
pub const LIFETIME_DEFAULT: u32 = 480;

/// What an action did, from the `done` word of the redirect.
pub fn console_done(what: &str) -> Option<&'static str> {
    Some(match what {
        "token" => "The token was removed. The user was told.",
        "block" => "The token is blocked: it cannot be used to sign in until it is unblocked. The user was told.",
        "unblock" => "The token is unblocked and works again. The user was told.",
        "device" => "Every token of the device was removed and the user was signed out everywhere. The user was told.",
        "sessions" => "Signed out. The user was told.",
        "locked" => "The account is locked and every session ended. The user was told.",
        "unlocked" => "The account is unlocked. The user was told.",
        "revoked" => "The code was revoked. The user was told.",
        "approved" => "The code is approved: it can be used now. The user was told.",
        "undone" => "Emergency access was undone: the codes are revoked, the tokens and contacts added since then are removed, the recovery address is restored, every session ended and the account is locked. The user was told.",
        "role" => "The role was changed. It applies from the account's next request.",
        _ => return None,
    })
}

pub const CODE_PAGE_TITLE: &str = "Emergency access code issued";
pub const CODE_PAGE_FOR: &str = "For";
pub const CODE_PAGE_INTRO: &str = "Hand this code to the person now. It is shown only once: print it or write it down. They sign in with their password, choose \"Lost your phone?\" and type the code.";
pub const CODE_PAGE_GONE: &str =
    "The code was already shown. If it was lost, issue a new one: that revokes this one.";
pub const CODE_PAGE_BACK: &str = "Back to the user";
pub const CODE_PAGE_PRINT: &str = "Print";
pub const CODE_PAGE_CODE: &str = "Emergency access code";
pub const CODE_PAGE_USES: &str = "Uses";
pub const CODE_PAGE_EXPIRES: &str = "Valid until";
pub const CODE_PAGE_HOW: &str = "Sign in at the usual address with your username and password. On the second step choose \"Lost your phone? Use an emergency access code\" and type this code. Then remove the lost tokens and add a new one.";

pub const AUDIT_TITLE: &str = "Audit log";
pub const AUDIT_FILTERS: &str = "Filters";
pub const AUDIT_USER: &str = "About user (username)";
pub const AUDIT_ACTOR: &str = "By user (username)";
pub const AUDIT_ACTION: &str = "Action";
pub const AUDIT_ANY_ACTION: &str = "Any action";
pub const AUDIT_SINCE: &str = "From (date, UTC)";
pub const AUDIT_UNTIL: &str = "To (date, UTC)";
pub const AUDIT_APPLY: &str = "Show events";
pub const AUDIT_CSV: &str = "Download as CSV";
pub const AUDIT_OLDER: &str = "Older events";
pub const AUDIT_NEWEST: &str = "Newest events";
pub const AUDIT_NONE: &str = "No event matches.";
pub const AUDIT_EVENTS: &str = "Events, newest first";

pub const OVERVIEW_TITLE: &str = "Overview: the last 7 days";
pub const OVERVIEW_CODES_SELF: &str = "Codes issued by Emergency Access (self-service)";
pub const OVERVIEW_CODES_OPERATOR: &str = "Codes issued by operators";
pub const OVERVIEW_CODES_USED: &str = "Sign-ins with an emergency code";
pub const OVERVIEW_LOCKED: &str = "Accounts locked";
pub const OVERVIEW_FAILURES: &str = "Failed sign-ins (password or second factor)";
pub const OVERVIEW_TOTAL: &str = "Total";

pub const HELP_CONSOLE_TITLE: &str = "The operational console";
/// The help page: (heading, paragraphs).
pub const HELP_CONSOLE_SECTIONS: &[(&str, &[&str])] = &[
    ("Who can use it", &[
        "The console at /admin is for help desk operators and administrators. You sign in like everyone, with your password and a second factor; there is no other way in. An ordinary user who opens it sees \"Not allowed\", and the attempt is recorded.",
        "The first administrator is made on the server with the command `mayi-id user set-role --username NAME --role admin`. Administrators make and remove operators on a user's page in the console. A role change applies from that account's next request.",
    ]),
    ("Finding a user", &[
        "Type part of a username, name, email address or phone number on \"Find a user\". \"Starts with\" is fastest; \"Contains\" also finds text in the middle. Upper and lower case do not matter, and phone numbers may be typed with spaces. Results come 20 a page.",
    ]),
    ("The user's page", &[
        "It shows the profile and state, the contacts (confirmed or not, and which is the recovery address), every token with when it was added, last used or removed, the places the user is signed in, the emergency access codes ever issued (who issued them, why, until when, how many uses; never the code itself), and the latest events about the account.",
        "Every action asks for a reason and takes effect at once. The user is told by email and SMS on their confirmed contacts, with your reason, and the action is recorded in the audit log under your name.",
    ]),
    ("Someone lost their phone and has no recovery address", &[
        "Verify who they are first: an ID card at the desk, a video call with a photo ID, a call back to a number on file. Then open their page, fill in how you verified them and why, keep 3 uses and 8 hours unless there is a reason not to, and press \"Issue the code\".",
        "The code is shown once, on its own page: print it (the printout shows only the code, its uses and expiry and how to use it) or read it out. It replaces any earlier code. The person signs in with their password, chooses \"Lost your phone? Use an emergency access code\", types the code, removes the lost tokens and adds a new one. Their page in the console shows how many uses are left.",
        "You cannot issue a code for yourself, and only an administrator can issue one for an operator or administrator; that raises an alert in the audit log.",
    ]),
    ("Tokens and sessions", &[
        "\"Remove\" takes one token away; \"Remove every token of a device\" takes all the tokens of a lost phone and signs the user out everywhere. \"Sign out\" ends one session, \"Sign out everywhere\" all of them.",
    ]),
    ("Locking", &[
        "Lock an account that is being misused: every session ends at once, and nobody can sign in or use Emergency Access on it until it is unlocked. Revoke a code that was issued by mistake or that the user no longer needs.",
        "When a user tells you that an emergency access code of the last 7 days was not theirs (someone else knew their password and could read their recovery address), use \"Undo emergency access and lock\" under the codes: it does what the \"this was not me\" link in the user's notices does. Every code issued since the first of them is revoked, every token and contact added since then is removed, the recovery address goes back to the earlier one, everyone is signed out and the account is locked. Unlock it once you have checked with the user who they are, and help them set a new password.",
    ]),
    ("Audit log and overview", &[
        "The audit log lists every event, newest first, and can be filtered by the user it is about, the user who did it, the action and the dates; \"Download as CSV\" exports what the filters select (up to 500 events). The overview counts, for each of the last 7 days, the codes issued (self-service and by operators), the sign-ins with a code, the accounts locked and the failed sign-ins.",
    ]),
    ("Applications", &[
        "\"Applications\" lists the applications that sign their users in through MAYI ID, with their client ID, kind and return addresses. They are registered on the server with `mayi-id client create`. An administrator can disable one (a reason is required): nobody can sign in to it through MAYI ID any more and the tokens it holds stop at once.",
    ]),
];

/// Pictures on the console's help page: `(section heading, picture name, description)`.
pub const HELP_CONSOLE_PICTURES: &[(&str, &str, &str)] = &[
    ("Finding a user", "console-search", "The console's search: part of a username, name, email address or phone number, and the matching accounts."),
    ("Someone lost their phone and has no recovery address", "console-user", "A user's page: tokens, sessions and codes, and the form that issues an emergency access code (marked), with how you verified the person and why."),
];
