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
            </ul>
            <h2>{text::HELP_FIRST_HEADING}</h2>
            <p>{text::HELP_FIRST}</p>
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
