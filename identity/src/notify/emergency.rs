//! What Emergency Access tells people (EC-13, RB-5): the wizard's proof code, and the notices
//! that a code was issued, used, revoked or that recovery finished. Only the proof-code e-mail
//! carries a secret (a 6-digit code for the wizard, never the emergency code itself: EC-7).

use std::time::Duration;

use zeroize::Zeroizing;

use super::{code_email, greeting, link, minutes, one_line, Notice, PRODUCT};
use crate::oob::OobCode;

/// The e-mail with the wizard's step-2 code, to the recovery address: `(subject, body)`.
pub fn emergency_proof_email(
    display_name: &str,
    code: &OobCode,
    ttl: Duration,
) -> (String, Zeroizing<String>) {
    code_email(
        display_name,
        format!("Your {PRODUCT} Emergency Access confirmation code"),
        &format!(
            "Someone who knows your password started Emergency Access for your {PRODUCT} \
             account. The confirmation code for step 2 is:"
        ),
        code,
        &format!(
            "It expires in {ttl}. Never share it: nobody from {PRODUCT} or your help desk will \
             ever ask you for it.",
            ttl = minutes(ttl),
        ),
        "Not you? Then someone else has your password. Do not give this code to anyone, change \
         your password as soon as you can, and tell your help desk.",
    )
}

/// EC-13: an emergency access code was issued (never the code). `valid_from` is set when a
/// waiting period applies; `cancel_url` is the "this was not me" link that revokes it.
pub fn emergency_code_issued_notice(
    display_name: &str,
    by_operator: bool,
    expires: &str,
    valid_from: Option<&str>,
    cancel_url: &str,
) -> Notice {
    let who = if by_operator {
        "your help desk issued"
    } else {
        "someone who knows your password and could read your recovery e-mail requested"
    };
    let wait = match valid_from {
        Some(from) => format!(" It cannot be used before {}.", one_line(from)),
        None => String::new(),
    };
    let cancel = one_line(cancel_url);
    Notice {
        subject: format!("An emergency access code was issued for your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             An emergency access code for your {PRODUCT} account was issued: {who} it. It lets \
             its holder sign in with your password instead of your usual second factor, to \
             remove lost sign-in methods and add new ones. It is valid until {expires}.{wait}\n\
             \n\
             If that was you, there is nothing to do.\n\
             \n\
             This was not me: open {cancel} to cancel the code at once, then change your \
             password and tell your help desk.\n",
            greeting = greeting(display_name),
            expires = one_line(expires),
        ),
        sms: format!(
            "{PRODUCT}: an emergency access code was issued for your account. Not you? Cancel \
             it at {cancel}"
        ),
    }
}

/// EC-13: the emergency access code was used to sign in.
pub fn emergency_code_used_notice(display_name: &str, uses_left: u32, public_url: &str) -> Notice {
    let url = link(public_url);
    let left = match uses_left {
        0 => "It cannot be used again.".to_owned(),
        1 => "It can be used 1 more time.".to_owned(),
        n => format!("It can be used {n} more times."),
    };
    Notice {
        subject: format!("Your {PRODUCT} emergency access code was used"),
        body: format!(
            "{greeting}\n\
             \n\
             Someone signed in to your {PRODUCT} account with your password and your emergency \
             access code. {left}\n\
             \n\
             If that was you, remove the sign-in methods you lost and add new ones now.\n\
             \n\
             Not you? Contact your help desk at once: they can lock the account and cancel the \
             code. Then change your password at {url}\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: your emergency access code was used to sign in. Not you? Call your help \
             desk at once."
        ),
    }
}

/// A new set of recovery codes was made (never the codes): the old set no longer works.
pub fn recovery_codes_created_notice(display_name: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    Notice {
        subject: format!("New recovery codes for your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             A new set of ten recovery codes was made for your {PRODUCT} account. The codes you \
             had before no longer work. Keep the new ones somewhere safe, away from your phone.\n\
             \n\
             Not you? Someone is signed in to your account: sign in at {url}, change your \
             password and tell your help desk.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: new recovery codes were made for your account. Not you? Change your \
             password and call your help desk."
        ),
    }
}

/// A recovery code was used to sign in (never the code). `left`: unused codes of the set;
/// `cancel_url` is the "this was not me" link that undoes what the restricted session did.
pub fn recovery_code_used_notice(display_name: &str, left: i64, cancel_url: &str) -> Notice {
    let cancel = one_line(cancel_url);
    let left = match left {
        0 => "It was your last one: make a new set once you are back in.".to_owned(),
        1 => "You have 1 recovery code left.".to_owned(),
        n => format!("You have {n} recovery codes left."),
    };
    Notice {
        subject: format!("A recovery code was used for your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             Someone signed in to your {PRODUCT} account with your password and one of your \
             printed recovery codes, to remove lost sign-in methods and add new ones. {left}\n\
             \n\
             If that was you, there is nothing to do.\n\
             \n\
             This was not me: open {cancel} to undo it at once (your account is then locked \
             until your help desk has checked it with you).\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: a recovery code was used to sign in to your account. Not you? Undo it \
             at {cancel}"
        ),
    }
}

/// The emergency access code was cancelled (by the "this was not me" link, or by finishing).
pub fn emergency_code_revoked_notice(
    display_name: &str,
    finished: bool,
    public_url: &str,
) -> Notice {
    let url = link(public_url);
    let what = if finished {
        "Recovery of your account was finished: the emergency access code was cancelled, and \
         you sign in with your new sign-in method from now on."
    } else {
        "The emergency access code of your account was cancelled with the \"this was not me\" \
         link, and every session it opened was ended."
    };
    Notice {
        subject: format!("Your {PRODUCT} emergency access code was cancelled"),
        body: format!(
            "{greeting}\n\
             \n\
             {what}\n\
             \n\
             Not you? Sign in at {url}, check your sign-in methods and change your password. If \
             you cannot sign in, contact your help desk.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: the emergency access code of your account was cancelled. Not you? Check \
             your account at {url}"
        ),
    }
}

/// PW-9: the account's password was changed.
pub fn password_changed_notice(display_name: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    Notice {
        subject: format!("Your {PRODUCT} password was changed"),
        body: format!(
            "{greeting}\n\
             \n\
             The password of your {PRODUCT} account was changed.\n\
             \n\
             If that was you, there is nothing to do.\n\
             \n\
             Not you? Someone has taken over your account. Contact your help desk at once: they \
             can lock it. Then sign in at {url} if you still can.\n",
            greeting = greeting(display_name),
        ),
        sms: format!("{PRODUCT}: your password was changed. Not you? Call your help desk at once."),
    }
}

/// "This was not me" (issue 13): what the emergency access made possible was undone and the
/// account locked until the help desk has looked at it. `by_operator`: an operator did it.
pub fn recovery_undone_notice(display_name: &str, by_operator: bool, public_url: &str) -> Notice {
    let url = link(public_url);
    let who = if by_operator {
        "Your help desk has stopped"
    } else {
        "As you asked, we stopped"
    };
    Notice {
        subject: format!("Your {PRODUCT} account is locked for your safety"),
        body: format!(
            "{greeting}\n\
             \n\
             {who} the emergency access to your {PRODUCT} account. Every emergency access code \
             was cancelled, every sign-in method and contact added since it was issued was \
             removed, your recovery address is the one you had before, and everyone was signed \
             out.\n\
             \n\
             Your account is now locked so that nobody can sign in until your help desk has \
             checked it with you. Contact your help desk to unlock it; they will ask you to \
             prove who you are. Until then, sign-in at {url} will not work.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: emergency access to your account was stopped and the account locked for \
             your safety. Contact your help desk to unlock it."
        ),
    }
}

/// "Block my lost phone now" (issue 13): the sign-in methods on a device were blocked with the
/// password alone, and everyone was signed out.
pub fn device_blocked_notice(
    display_name: &str,
    device: &str,
    count: usize,
    public_url: &str,
) -> Notice {
    let url = link(public_url);
    let device = one_line(device);
    let what = if count == 1 {
        "1 sign-in method".to_owned()
    } else {
        format!("{count} sign-in methods")
    };
    Notice {
        subject: format!("A device was blocked on your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             Someone who knows your password blocked the device \"{device}\" ({what}) on your \
             {PRODUCT} account and signed everyone out. Blocked sign-in methods cannot be used to \
             sign in until they are unblocked after a recovery.\n\
             \n\
             If that was you: to get back in, sign in with a sign-in method on another device, or \
             use Emergency Access at {url}/emergency. If the device turns up, you can unblock it \
             on the sign-in methods page once you are signed in.\n\
             \n\
             Not you? Someone knows your password: change it as soon as you can, and tell your \
             help desk.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: the device \"{device}\" was blocked on your account and everyone signed \
             out. Not you? Someone knows your password: change it at {url}"
        ),
    }
}

/// The owner blocked one of their sign-in methods while signed in (issue 14): it cannot sign in
/// until it is unblocked.
pub fn token_blocked_notice(display_name: &str, label: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    let label = one_line(label);
    Notice {
        subject: format!("A sign-in method was blocked on your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             The sign-in method \"{label}\" of your {PRODUCT} account was blocked. It cannot be \
             used to sign in until it is unblocked.\n\
             \n\
             If that was you, there is nothing to do. If the phone turns up, you can unblock it \
             on the sign-in methods page.\n\
             \n\
             Not you? Sign in at {url}, check your sign-in methods and change your password. If \
             you cannot sign in, contact your help desk.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: the sign-in method \"{label}\" was blocked on your account. Not you? \
             Check your account at {url}"
        ),
    }
}

/// A blocked sign-in method was unblocked (it works again).
pub fn token_unblocked_notice(display_name: &str, label: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    let label = one_line(label);
    Notice {
        subject: format!("A sign-in method was unblocked on your {PRODUCT} account"),
        body: format!(
            "{greeting}\n\
             \n\
             The blocked sign-in method \"{label}\" of your {PRODUCT} account was unblocked and \
             works again.\n\
             \n\
             If that was you, there is nothing to do.\n\
             \n\
             Not you? Sign in at {url}, block or remove it, and change your password. If you \
             cannot sign in, contact your help desk.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: the sign-in method \"{label}\" was unblocked. Not you? Check your \
             account at {url}"
        ),
    }
}

/// RL-3, abuse case 16: many wrong passwords for the account's username within minutes, from
/// anywhere. The owner's own sign-in is not slowed by it (delays are per address).
pub fn password_guessing_notice(display_name: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    Notice {
        subject: format!("Someone is trying to guess your {PRODUCT} password"),
        body: format!(
            "{greeting}\n\
             \n\
             In the last few minutes {PRODUCT} refused many wrong passwords for your username. \
             Each address they come from is slowed down more with every wrong password; your \
             own sign-in and Emergency Access keep working as usual.\n\
             \n\
             You do not need to do anything. If your password is short or used elsewhere too, \
             change it at {url}. A password alone never opens your account: your second sign-in \
             step (the code) is still needed.\n",
            greeting = greeting(display_name),
        ),
        sms: format!(
            "{PRODUCT}: many wrong passwords were tried for your account. Your own sign-in still \
             works. Weak or reused password? Change it at {url}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContactValue, Email};

    #[test]
    fn password_guessing_notice_names_no_secret_and_says_sign_in_still_works() {
        let notice = password_guessing_notice("Erin", "https://id.example.org/");
        assert!(notice.subject.contains("guess"), "{}", notice.subject);
        assert!(notice.body.contains("keep working"), "{}", notice.body);
        assert!(
            notice.body.contains("https://id.example.org"),
            "{}",
            notice.body
        );
        assert!(
            notice.sms.chars().count() <= crate::SMS_BODY_MAX_CHARS,
            "{}",
            notice.sms
        );
    }

    #[test]
    fn notices_carry_a_not_you_line_and_no_code() {
        let issued = emergency_code_issued_notice(
            "Erin",
            false,
            "2026-11-29 10:00 UTC",
            Some("2026-11-28 12:00 UTC"),
            "https://id.example.org/emergency/cancel?t=abc",
        );
        assert!(issued.body.contains("This was not me"));
        assert!(issued
            .body
            .contains("https://id.example.org/emergency/cancel?t=abc"));
        assert!(issued
            .body
            .contains("cannot be used before 2026-11-28 12:00 UTC"));
        assert!(issued.sms.contains("/emergency/cancel?t=abc"));
        let used = emergency_code_used_notice("Erin", 2, "https://id.example.org/");
        assert!(used.body.contains("2 more times"));
        assert!(used.body.contains("Not you?"));
        let revoked = emergency_code_revoked_notice("Erin", true, "https://id.example.org");
        assert!(revoked.body.contains("finished"));
        for notice in [issued, used, revoked] {
            let email: ContactValue = Email::parse("erin@example.org").unwrap().into();
            let message = notice.message_to(&email).unwrap();
            assert!(!message.subject().unwrap().contains('\n'));
        }
    }

    #[test]
    fn the_proof_email_carries_the_code_but_not_its_subject() {
        let code = OobCode::normalise("123456").unwrap();
        let (subject, body) = emergency_proof_email("Erin", &code, Duration::from_secs(600));
        assert!(!subject.contains("123456"));
        assert!(body.contains("123456"));
        assert!(body.contains("10 minutes"));
    }
}
