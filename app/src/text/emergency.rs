//! Emergency Access's words: the wizard, signing in with a code, the restricted session.

pub const ERR_WIZARD_EXPIRED: &str =
    "Your Emergency Access session has expired or was not started. Please start again.";
pub const ERR_WIZARD_STEP: &str =
    "This step is not open now. Continue with the step the wizard shows.";
pub const ERR_NO_RECOVERY_ADDRESS: &str =
    "Your account has no confirmed recovery email address, so no code can be sent. Ask your help desk for an emergency access code.";
pub const ERR_RECOVERY_STEPS_LEFT: &str =
    "Do the remaining steps of the checklist first: then you can finish recovery.";

pub const LOST_PHONE_LINK: &str = "Lost your phone? Use Emergency Access";
pub const EMERGENCY_TITLE: &str = "Emergency Access";
pub const EMERGENCY_INTRO: &str = "Lost the phone that holds all your sign-in methods? Emergency Access gives you a one-off emergency access code. You type it instead of the code from your app, then remove the lost tokens and add new ones.";
pub const EMERGENCY_STEPS_LABEL: &str = "Emergency Access steps";
pub const STEP_WHO: &str = "Who you are";
pub const STEP_PROVE: &str = "Prove it";
pub const STEP_WHY: &str = "Why";
pub const STEP_CODE: &str = "Your code";
pub const STEP_OF: &str = "Step";
pub const STEP_CURRENT: &str = "(current step)";
pub const STEP_DONE: &str = "(done)";
pub const EMERGENCY_START_BUTTON: &str = "Continue";
pub const EMERGENCY_STARTING: &str = "Checking…";
pub const EMERGENCY_HELP_LINK: &str = "Help with Emergency Access";
pub const EMERGENCY_SIGN_IN_HELP_LINK: &str = "Help with signing in with an emergency code";
pub const LOST_PHONE_HELP_LINK: &str = "What to do when your phone is lost";
pub const EMERGENCY_EXPIRES_NOTE: &str =
    "For your safety, this wizard must be finished within 15 minutes.";

pub const PROVE_INTRO: &str =
    "To make sure it is really you, we sent a 6-digit confirmation code to:";
pub const PROVE_CODE_LABEL: &str = "Confirmation code from the email";
pub const PROVE_BUTTON: &str = "Confirm";
pub const PROVE_CHECKING: &str = "Checking…";
pub const PROVE_SEND_AGAIN: &str = "Send a new code";
pub const PROVE_SEND: &str = "Send the code";
pub const PROVE_NOT_SENT: &str = "No code is waiting: press the button to send one.";
pub const PROVE_SENT_HINT: &str =
    "It can take a minute to arrive. Check your spam folder too. The code is valid for 10 minutes.";
pub const NO_CHANNEL_HEADING: &str = "We cannot send you a code";
pub const NO_CHANNEL_TEXT: &str = "Your account has no confirmed recovery email address, so Emergency Access cannot confirm that it is you on its own. Your help desk can: contact them, prove who you are (for example with an ID card at the desk), and they will give you an emergency access code from the operational console. Then sign in with your password and that code.";
pub const NO_CHANNEL_SIGN_IN: &str = "I have a code from the help desk: sign in";

pub const REASON_INTRO: &str = "Why do you need an emergency access code? This is recorded with the code and helps your help desk if something looks wrong.";
pub const REASON_LEGEND: &str = "Reason";
pub const REASON_LOST_PHONE: &str = "I lost my phone (or it broke)";
pub const REASON_STOLEN_PHONE: &str = "My phone was stolen";
pub const REASON_NEW_NUMBER: &str = "My phone number changed";
pub const REASON_NEW_EMAIL: &str = "My email address changed";
pub const REASON_OTHER: &str = "Something else";
pub const REASON_DETAILS: &str =
    "Details (required for \"Something else\", at most 200 characters)";
pub const REASON_BUTTON: &str = "Get my emergency access code";
pub const REASON_WORKING: &str = "Creating your code…";

pub const CODE_INTRO: &str = "This is your emergency access code. It is shown only once: write it down, print it or copy it now.";
pub const CODE_LABEL: &str = "Your emergency access code";
pub const CODE_USES: &str = "Uses left";
pub const CODE_EXPIRES: &str = "Valid until";
pub const CODE_VALID_FROM: &str = "Usable from";
pub const CODE_COPY: &str = "Copy the code";
pub const CODE_COPIED: &str = "Copied";
pub const CODE_PRINT: &str = "Print";
pub const CODE_SIGN_IN: &str = "Sign in now";
pub const CODE_HOW: &str = "To sign in: type your username and password, then type this code where the 6-digit code goes (or under \"Lost your phone?\" on the same page). After signing in, remove the tokens of the lost phone and add new ones right away: the code has a limited number of uses.";
pub const CODE_ALREADY_SHOWN: &str = "Your emergency access code was already shown once and cannot be shown again. If you did not note it, start Emergency Access again: a new code replaces this one.";
pub const CODE_NOTICE_SENT: &str = "We told your contacts that a code was issued. If it was not you, the message they got has a link that cancels it.";
pub const START_AGAIN_EMERGENCY: &str = "Start Emergency Access again";

pub const CANCEL_TITLE: &str = "This was not me";
pub const CANCEL_INTRO: &str = "You received a message that an emergency access code was issued for your account. If that was not you, stop it now: every emergency access code is cancelled, every sign-in method and contact added since it was issued is removed, your recovery address goes back to the one you had, everyone is signed out, and your account is locked until your help desk has checked it with you.";
pub const CANCEL_BUTTON: &str = "Stop it and lock my account";
pub const CANCEL_DONE: &str = "Done. Every emergency access code is cancelled, everything added since it was issued is removed, your recovery address is restored and everyone is signed out.";
pub const CANCEL_LOCKED: &str = "Your account is now locked so that nobody can sign in. Contact your help desk to unlock it: they will check that it is you, then help you set a new password and sign-in method.";
pub const CANCEL_ALREADY: &str = "This link was already used: your account is locked for review. Contact your help desk to unlock it.";
pub const CANCEL_NOTHING: &str = "This link is not valid, or it is more than a week old. If you think someone else is using your account, contact your help desk.";

pub const USE_EMERGENCY_HEADING: &str = "Lost your phone?";
pub const USE_EMERGENCY_INTRO: &str =
    "Use an emergency access code instead of a code from your app.";
pub const USE_EMERGENCY_LABEL: &str = "Emergency access code";
/// Under the 6-digit code field of sign-in's second step, which takes an emergency code too.
pub const CODE_FIELD_EMERGENCY_HINT: &str =
    "Lost your phone? An emergency access code works here too.";
pub const USE_EMERGENCY_BUTTON: &str = "Sign in with the emergency code";
pub const USE_EMERGENCY_GET: &str = "No code yet? Get one with Emergency Access";

pub const BANNER_HEADING: &str = "Emergency access";
pub const BANNER_USES: &str = "uses left";
pub const BANNER_UNTIL: &str = "valid until";
pub const BANNER_RECOVERY_CODE: &str = "Signed in with a recovery code";
pub const BANNER_LIMITS: &str = "This restricted session can only manage your sign-in methods and contacts, and ends after 15 minutes without activity.";
pub const CHECK_REMOVE: &str = "Block or remove the tokens of the lost phone";
pub const CHECK_REMOVE_STOLEN: &str = "Block or remove the tokens of the stolen phone";
pub const CHECK_PASSWORD: &str = "Choose a new password: whoever has your phone may know it";
pub const CHECK_SIGN_OUT: &str = "Sign out every other session (Finish recovery does it too)";
pub const CHECK_REMOVE_SMS: &str = "Block or remove the SMS token of your old number";
pub const CHECK_ADD_SMS: &str = "Add an SMS token for your new number";
pub const CHECK_REMOVE_EMAIL: &str = "Block or remove the email token of your old address";
pub const CHECK_ADD_EMAIL: &str = "Add an email token for your new address";
pub const CHECK_ENROL: &str = "Add at least one new token";
pub const CHECK_OPTIONAL: &str = "optional";
pub const CHECK_FINISH: &str = "Finish recovery";
pub const CHECK_DONE: &str = "done";
pub const CHECK_TODO: &str = "to do";
pub const FINISH_END_OTHERS: &str = "Also sign out every other session of my account";
pub const FINISH_BUTTON: &str = "Finish recovery";
pub const FINISH_WORKING: &str = "Finishing…";
pub const FINISH_NEEDS_STEPS: &str =
    "Finish recovery becomes available once the steps above that are not optional are done.";
pub const FINISH_ENDS_OTHERS: &str = "Finishing signs out every other session of your account.";
pub const STOLEN_HEADING: &str = "Your phone was stolen: lock the thief out";
pub const STOLEN_INTRO: &str = "Whoever has your phone may also know your password and be signed in. Change your password and sign out every other session now; this restricted session stays open.";
pub const SIGN_OUT_OTHERS_BUTTON: &str = "Sign out every other session";
pub const SIGN_OUT_OTHERS_WORKING: &str = "Signing out…";
pub const SIGN_OUT_OTHERS_NONE: &str = "No other session is signed in.";
pub const RECOVERED_NOTICE: &str = "Recovery is finished and your emergency access code is cancelled. Sign in with your new token.";

pub const HELP_EMERGENCY_TITLE: &str = "Emergency Access";
pub const HELP_EMERGENCY_SIGN_IN_TITLE: &str = "Signing in with an emergency access code";
pub const HELP_LOST_PHONE_TITLE: &str = "Lost phone with all tokens";

/// A help section: heading, paragraphs, links to the real pages (`(href, label)`) and pictures
/// of them (`(name, description)`: `public/help/{name}-phone.png` and `-desktop.png`, made by
/// `make help-pictures`).
pub type HelpSection = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

pub const HELP_EMERGENCY_INTRO: &str = "Emergency Access is for the day your phone is gone together with every sign-in method on it. In four short steps it gives you an emergency access code: you type it instead of the code from your app, and then you replace your lost tokens.";
pub const HELP_EMERGENCY: &[HelpSection] = &[
    ("Where to start", &["On the sign-in page, choose \"Lost your phone? Use Emergency Access\". The wizard shows its four steps at the top; you must finish within 15 minutes."], &[("/login", "Sign-in page"), ("/emergency", "Emergency Access")], &[("login", "The sign-in page. The link \"Lost your phone? Use Emergency Access\" (marked) opens the wizard.")]),
    ("Step 1: Who you are", &["Type your username and password, exactly as when you sign in. If either is wrong the page says so without saying which, and too many tries make you wait."], &[("/emergency", "Step 1")], &[("wizard-1", "Step 1 of Emergency Access: username and password, with the four steps shown at the top.")]),
    ("Step 2: Prove it", &["We send a 6-digit confirmation code to your recovery email address (and to your other confirmed email addresses that are not sign-in methods). Type it in. It is valid for 10 minutes; \"Send a new code\" replaces it.", "Your password alone can never produce an emergency access code: this second proof makes sure someone who only knows your password cannot use Emergency Access."], &[], &[("wizard-2", "Step 2: the confirmation code from the email to your recovery address.")]),
    ("Step 3: Why", &["Choose the reason: lost phone, stolen phone, new phone number, new email address or something else (then say in a few words what happened). The reason is kept with the code, and the checklist you see after signing in with it follows it: for a lost phone, block or remove its tokens and add a new one; for a stolen phone, also choose a new password and sign out every other session; for a new phone number, replace the SMS token; for a new email address, replace the email token."], &[], &[("wizard-3", "Step 3: the reason for the code.")]),
    ("Step 4: Your code", &["Your code has 16 characters in four groups, like ABCD-EFGH-JKMN-PQRS. It is shown only once: write it down, print it or copy it. The page also says how many times it can be used (3 unless your organisation chose otherwise) and until when it is valid (24 hours unless configured otherwise).", "Getting a new code cancels the previous one. Every contact of your account is told that a code was issued, never the code itself; the message has a \"this was not me\" link that cancels it.", "Ask from a browser where you signed in to your account before, with your password and a token (your own laptop, say): the code works at once. From any other browser it has a waiting period (24 hours unless your organisation chose otherwise): the page says from when it can be used, signing in with it earlier says so too, and your help desk can approve it sooner. Your account page lists the browsers it remembers."], &[("/help/emergency-sign-in", "Signing in with the code")], &[("wizard-4", "Step 4: the emergency access code (an example), its uses left and its expiry, with Copy, Print and Sign in now.")]),
    ("No recovery email address?", &["Then the wizard cannot confirm that it is you on its own. Contact your help desk: after checking who you are (for example your ID card at the desk), an operator gives you an emergency access code from the operational console. You then sign in with your password and that code, as described on the next help page."], &[("/help/emergency-sign-in", "Signing in with the code")], &[]),
];

pub const HELP_EMERGENCY_SIGN_IN_INTRO: &str = "An emergency access code replaces the code from your authenticator app for a short, restricted visit: just enough to remove the tokens you lost and add new ones.";
pub const HELP_EMERGENCY_SIGN_IN: &[HelpSection] = &[
    ("1. Password first", &["On the sign-in page type your username and password and press Continue. The code is never enough on its own."], &[("/login", "Sign-in page")], &[]),
    ("2. The code instead of the OTP", &["On the next page, type the emergency access code where the 6-digit code goes and press \"Sign in\", or type it under \"Lost your phone?\" and press \"Sign in with the emergency code\": both work. Capital letters, spaces and hyphens do not matter. A recovery code (10 characters, from the set you printed) works the same way, once."], &[], &[("emergency-sign-in", "The second sign-in step with the \"Lost your phone?\" form (marked) for the emergency access code.")]),
    ("3. Remove the lost tokens", &["You land on your token list with a banner: \"Emergency access: N uses left, valid until …\" and a checklist made for the reason you gave in the wizard. Press \"Block this device\" or \"I lost this device\" on the lost phone (or block or remove its tokens one by one). In this restricted session you may block or remove every token. Steps marked \"optional\" are not needed to finish.", "New phone number: block or remove the SMS token of the old number and add one for the new number. New email address: the same with the email token."], &[("/tokens", "Your tokens")], &[("restricted-tokens", "The token list in the restricted session: the banner with uses left and the checklist, and \"I lost this device\".")]),
    ("If your phone was stolen", &["If you chose \"My phone was stolen\" in the wizard, the banner also offers \"Change your password\" and \"Sign out every other session\": whoever has your phone may know your password and be signed in. Type your current password and the new one twice; this restricted session stays open. Only a code asked for because the phone was stolen allows this. If it was not you, the \"this was not me\" link in the message about the code puts your old password back and locks the account for your help desk."], &[], &[("restricted-stolen", "The checklist after a stolen phone, with \"Change your password\" and \"Sign out every other session\" (marked).")]),
    ("4. Enrol new tokens", &["Add an authenticator app on your new phone (on the phone itself, \"Open in authenticator app\" does it without scanning), and a new phone number or email address if yours changed."], &[("/help/tokens", "Tokens help")], &[]),
    ("5. Finish recovery", &["Once the checklist's steps that are not optional are done, press \"Finish recovery\". It cancels the emergency code, signs you out (and, if you leave the box ticked, signs out every other session too; after a stolen phone always) and you sign in again with your new token."], &[], &[]),
    ("Limits of the restricted session", &["It can only manage your sign-in methods and contacts (and, after a stolen phone, your password and other sessions); everything else says you are not allowed. It ends after 15 minutes without activity, and at once when the code expires or is cancelled. Each sign-in with the code uses one of its uses, so do everything on the first visit."], &[], &[]),
];

pub const HELP_LOST_PHONE_INTRO: &str = "If you lose the phone that holds your tokens, remove them from MAYI ID at once so that nobody who finds the phone can use them. Then enrol new tokens on your new phone. There are two ways, depending on what you still have.";
pub const HELP_LOST_PHONE: &[HelpSection] = &[
    ("Before it happens", &["While every sign-in method of yours is on one phone, or you have no recovery address and no recovery codes, your account page and token list say \"You are one lost phone away from needing the help desk\", with the two things that fix it: add a sign-in method on another device (a tablet, a second phone, an email address), and make recovery codes to print and keep away from the phone."], &[("/account", "Your account"), ("/tokens", "Your tokens")], &[("readiness", "The account page warns that the account is one lost phone away from needing the help desk, with \"Add a sign-in method on another device\" and \"Make recovery codes\" (marked).")]),
    ("First, if the phone was stolen: block it", &["Whoever has your phone may be able to read its codes. On the sign-in page, follow \"Phone lost or stolen? Block it now\", enter your username and password and choose the phone: every sign-in method on it is blocked at once and everyone signed in to your account is signed out. This does not sign you in and unlocks nothing. If the phone turns up, you can unblock its sign-in methods on your token list once you are back in.", "Then continue below to get back in."], &[("/freeze", "Block a lost or stolen phone")], &[]),
    ("If you can still sign in", &["You have another token that was not on the lost phone (a second phone, a tablet, an email or SMS token to a number you still have). Sign in with it, open your tokens and press \"I lost this device\" on the lost phone: every token of that phone is removed in one step and every other session is signed out. Then enrol the tokens again on the new phone."], &[("/login", "Sign in"), ("/tokens", "Your tokens"), ("/help/tokens", "Tokens help")], &[("tokens", "The token list, grouped by phone. \"I lost this device (Old phone)\" (marked) removes every token of that phone at once.")]),
    ("If the lost phone held all your tokens", &["1. On the sign-in page, open Emergency Access.", "2. Go through its four steps and get an emergency access code.", "3. Sign in with your password and the emergency access code instead of the code from your app.", "4. In your token list, remove the tokens of the lost phone and enrol new ones on the new phone. The code has a limited number of uses: do it all on the first visit.", "5. Press \"Finish recovery\" and sign in with your new token."], &[("/emergency", "Emergency Access"), ("/help/emergency-access", "Emergency Access help"), ("/help/emergency-sign-in", "Signing in with the code")], &[("login", "The sign-in page. The link \"Lost your phone? Use Emergency Access\" (marked) opens the wizard.")]),
    ("If you kept your recovery codes", &["Recovery codes are ten one-time codes you printed or downloaded from your account page before the phone was lost. On the sign-in page type your username and password, then one recovery code where the 6-digit code goes. It opens the same restricted session as an emergency access code, at once and without the help desk or your recovery mailbox: block or remove the lost phone's tokens, add new ones, and press \"Finish recovery\". Each code works once; your contacts are told every time one is used, with a \"this was not me\" link.", "Once you are back in, your account page shows how many codes are left and warns when three or fewer remain: make a new set there (the old codes stop working)."], &[("/account", "Your account")], &[("recovery-codes", "A new set of recovery codes, shown once, with \"Download as a text file\" and \"Print\".")]),
    ("If you have no recovery email address", &["Your help desk can issue the emergency access code in the operational console after checking who you are. Then continue from step 3 above."], &[], &[]),
];

/// Pictures shown outside the sections above (the sign-in help page).
pub const HELP_EXTRA_PICTURES: &[&str] = &[
    "login",
    "tokens",
    "passkey",
    "console-search",
    "console-user",
];
pub const HELP_PASSKEY_PICTURE: &str = "\"Add a passkey or security key\" on the token list: a name, the device or key it is on, and the button that opens the browser's prompt. The key added before (\"Key ring\" on \"YubiKey\") is in the list above.";
pub const HELP_TOKENS_PICTURE: &str = "The token list, grouped by phone. \"I lost this device (Old phone)\" (marked) removes every token of that phone at once.";

pub const HELP_INDEX_TITLE: &str = "Help";
pub const HELP_INDEX_INTRO: &str =
    "Everything MAYI ID asks of you, step by step, with pictures of the pages you will see.";
/// The help center's pages: `(href, title, summary)`.
pub const HELP_INDEX: &[(&str, &str, &str)] = &[
    (
        "/help/signing-in",
        "Signing in",
        "Your password, then a code from one of your tokens.",
    ),
    (
        "/help/tokens",
        "Tokens",
        "Authenticator apps, SMS and email codes: adding them on a new phone, removing a lost one.",
    ),
    (
        "/help/lost-phone",
        "Lost phone with all tokens",
        "The two ways back in, depending on what you still have.",
    ),
    (
        "/help/emergency-access",
        "Emergency Access",
        "Getting an emergency access code when the lost phone held every token.",
    ),
    (
        "/help/emergency-sign-in",
        "Signing in with an emergency access code",
        "What the code can do, how many uses it has, and what to do first.",
    ),
    (
        "/help/console",
        "The operational console (for operators)",
        "Finding a user, fixing their tokens, issuing an emergency access code, the audit log.",
    ),
];

pub const HELP_LOST_HEADING: &str = "Lost your phone?";
pub const HELP_LOST_TEXT: &str = "If the phone with your tokens is gone, use the link \"Lost your phone? Use Emergency Access\" under the sign-in form (see the picture below), or read what to do when your phone is lost.";
pub const HELP_LOGIN_PICTURE: &str = "The sign-in page. The link \"Lost your phone? Use Emergency Access\" (marked) opens the wizard.";

pub const PASSWORD_CHANGE_HEADING: &str = "Change your password";
pub const PASSWORD_CHANGE_CURRENT: &str = "Current password";
pub const PASSWORD_CHANGE_NEW: &str =
    "New password (at least 8 characters; a few unrelated words make a good one)";
pub const PASSWORD_CHANGE_AGAIN: &str = "New password again";
pub const PASSWORD_CHANGE_END_OTHERS: &str = "Also sign out every other session";
pub const PASSWORD_CHANGE_BUTTON: &str = "Change password";
pub const PASSWORD_CHANGE_WORKING: &str = "Changing…";
pub const PASSWORD_CHANGE_DONE: &str = "Your password was changed. We told your contacts.";
pub const PASSWORD_CHANGE_MISMATCH: &str = "The two new passwords differ.";
