use leptos::prelude::*;
use leptos_meta::Title;

/// Help: signing in, step by step, in the words the pages use.
#[component]
pub fn HelpSignIn() -> impl IntoView {
    view! {
        <Title text=tr!(tokens.help_sign_in_title) />
        <article class="card help" aria-labelledby="help-heading">
            <h1 id="help-heading">{tr!(tokens.help_sign_in_title)}</h1>
            <p>{tr!(tokens.help_sign_in_intro)}</p>
            <h2>{tr!(tokens.help_step1_heading)}</h2>
            <p>{tr!(tokens.help_step1)}</p>
            <h2>{tr!(tokens.help_step2_heading)}</h2>
            <p>{tr!(tokens.help_step2)}</p>
            <ul>
                <li><strong>{tr!(common.kind_totp)}</strong>": "{tr!(tokens.help_totp)}</li>
                <li><strong>{tr!(common.kind_sms)}</strong>": "{tr!(tokens.help_sms)}</li>
                <li><strong>{tr!(common.kind_email)}</strong>": "{tr!(tokens.help_email)}</li>
                <li><strong>{tr!(common.kind_webauthn)}</strong>": "{tr!(tokens.help_webauthn)}</li>
            </ul>
            <h2>{tr!(tokens.help_first_heading)}</h2>
            <p>{tr!(tokens.help_first)}</p>
            <h2>{tr!(emergency.help_lost_heading)}</h2>
            <p>{tr!(emergency.help_lost_text)}</p>
            <crate::pages::HelpPicture name="login" description=tr!(emergency.help_login_picture) />
            <h2 id="other-applications">{tr!(oidc.help_apps_heading)}</h2>
            <p>{tr!(oidc.help_apps)}</p>
            <ul>
                <li>{tr!(oidc.help_apps_consent)}</li>
                <li>{tr!(oidc.help_apps_recovery)}</li>
                <li>{tr!(oidc.help_apps_take_back)}</li>
            </ul>
            <h2>{tr!(tokens.help_trouble_heading)}</h2>
            <ul>
                <li>{tr!(tokens.help_trouble_code)}</li>
                <li>{tr!(tokens.help_trouble_wait)}</li>
                <li>{tr!(tokens.help_trouble_lost)}</li>
            </ul>
            <p>
                <a class="button" href="/login">{tr!(common.go_to_sign_in)}</a>
            </p>
        </article>
    }
}

/// Help: tokens, how to set them up on a new phone, and what to do when a phone is lost.
#[component]
pub fn HelpTokens() -> impl IntoView {
    view! {
        <Title text=tr!(selfservice.help_tokens_title) />
        <article class="card help" aria-labelledby="help-tokens-heading">
            <h1 id="help-tokens-heading">{tr!(selfservice.help_tokens_title)}</h1>
            <p>{tr!(selfservice.help_tokens_intro)}</p>
            <h2>{tr!(selfservice.help_tokens_kinds_heading)}</h2>
            <ul>
                <li><strong>{tr!(common.kind_totp)}</strong>": "{tr!(selfservice.help_tokens_totp)}</li>
                <li><strong>{tr!(common.kind_sms)}</strong>": "{tr!(selfservice.help_tokens_sms)}</li>
                <li><strong>{tr!(common.kind_email)}</strong>": "{tr!(selfservice.help_tokens_email)}</li>
                <li><strong>{tr!(common.kind_webauthn)}</strong>": "{tr!(selfservice.help_tokens_webauthn)}</li>
            </ul>
            <h2>{tr!(selfservice.help_tokens_passkey_heading)}</h2>
            <p>{tr!(selfservice.help_tokens_passkey)}</p>
            <crate::pages::HelpPicture name="passkey" description=tr!(emergency.help_passkey_picture) />
            <h2>{tr!(selfservice.help_tokens_new_phone_heading)}</h2>
            <p>{tr!(selfservice.help_tokens_new_phone)}</p>
            <h2>{tr!(selfservice.help_tokens_lost_heading)}</h2>
            <p>{tr!(selfservice.help_tokens_lost)}</p>
            <crate::pages::HelpPicture name="tokens" description=tr!(emergency.help_tokens_picture) />
            <h2>{tr!(selfservice.help_tokens_recent_heading)}</h2>
            <p>{tr!(selfservice.help_tokens_recent)}</p>
            <p>
                <a class="button" href="/tokens">{tr!(tokens.manage_tokens)}</a>
            </p>
        </article>
    }
}
