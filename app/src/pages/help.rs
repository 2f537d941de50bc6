use leptos::prelude::*;
use leptos_meta::Title;

use crate::text;

/// Help: signing in, step by step, in the words the pages use.
#[component]
pub fn HelpSignIn() -> impl IntoView {
    view! {
        <Title text=text::HELP_SIGN_IN_TITLE />
        <article class="card help" aria-labelledby="help-heading">
            <h1 id="help-heading">{text::HELP_SIGN_IN_TITLE}</h1>
            <p>{text::HELP_SIGN_IN_INTRO}</p>
            <h2>{text::HELP_STEP1_HEADING}</h2>
            <p>{text::HELP_STEP1}</p>
            <h2>{text::HELP_STEP2_HEADING}</h2>
            <p>{text::HELP_STEP2}</p>
            <ul>
                <li><strong>{text::KIND_TOTP}</strong>": "{text::HELP_TOTP}</li>
                <li><strong>{text::KIND_SMS}</strong>": "{text::HELP_SMS}</li>
                <li><strong>{text::KIND_EMAIL}</strong>": "{text::HELP_EMAIL}</li>
                <li><strong>{text::KIND_WEBAUTHN}</strong>": "{text::HELP_WEBAUTHN}</li>
            </ul>
            <h2>{text::HELP_FIRST_HEADING}</h2>
            <p>{text::HELP_FIRST}</p>
            <h2>{text::HELP_LOST_HEADING}</h2>
            <p>{text::HELP_LOST_TEXT}</p>
            <crate::pages::HelpPicture name="login" description=text::HELP_LOGIN_PICTURE />
            <h2 id="other-applications">{text::HELP_APPS_HEADING}</h2>
            <p>{text::HELP_APPS}</p>
            <ul>
                <li>{text::HELP_APPS_CONSENT}</li>
                <li>{text::HELP_APPS_RECOVERY}</li>
                <li>{text::HELP_APPS_TAKE_BACK}</li>
            </ul>
            <h2>{text::HELP_TROUBLE_HEADING}</h2>
            <ul>
                <li>{text::HELP_TROUBLE_CODE}</li>
                <li>{text::HELP_TROUBLE_WAIT}</li>
                <li>{text::HELP_TROUBLE_LOST}</li>
            </ul>
            <p>
                <a class="button" href="/login">{text::GO_TO_SIGN_IN}</a>
            </p>
        </article>
    }
}

/// Help: tokens, how to set them up on a new phone, and what to do when a phone is lost.
#[component]
pub fn HelpTokens() -> impl IntoView {
    view! {
        <Title text=text::HELP_TOKENS_TITLE />
        <article class="card help" aria-labelledby="help-tokens-heading">
            <h1 id="help-tokens-heading">{text::HELP_TOKENS_TITLE}</h1>
            <p>{text::HELP_TOKENS_INTRO}</p>
            <h2>{text::HELP_TOKENS_KINDS_HEADING}</h2>
            <ul>
                <li><strong>{text::KIND_TOTP}</strong>": "{text::HELP_TOKENS_TOTP}</li>
                <li><strong>{text::KIND_SMS}</strong>": "{text::HELP_TOKENS_SMS}</li>
                <li><strong>{text::KIND_EMAIL}</strong>": "{text::HELP_TOKENS_EMAIL}</li>
                <li><strong>{text::KIND_WEBAUTHN}</strong>": "{text::HELP_TOKENS_WEBAUTHN}</li>
            </ul>
            <h2>{text::HELP_TOKENS_PASSKEY_HEADING}</h2>
            <p>{text::HELP_TOKENS_PASSKEY}</p>
            <crate::pages::HelpPicture name="passkey" description=text::HELP_PASSKEY_PICTURE />
            <h2>{text::HELP_TOKENS_NEW_PHONE_HEADING}</h2>
            <p>{text::HELP_TOKENS_NEW_PHONE}</p>
            <h2>{text::HELP_TOKENS_LOST_HEADING}</h2>
            <p>{text::HELP_TOKENS_LOST}</p>
            <crate::pages::HelpPicture name="tokens" description=text::HELP_TOKENS_PICTURE />
            <h2>{text::HELP_TOKENS_RECENT_HEADING}</h2>
            <p>{text::HELP_TOKENS_RECENT}</p>
            <p>
                <a class="button" href="/tokens">{text::MANAGE_TOKENS}</a>
            </p>
        </article>
    }
}
