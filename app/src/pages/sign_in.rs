use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::SignIn,
    pages::{CredentialsFields, FormError},
    text,
};

/// Step 1 of signing in: username and password.
///
/// The form is a plain HTML form posting to the `sign_in` server function, so it works before
/// (or without) WebAssembly; once hydrated, it submits without reloading the page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let pending = sign_in.pending();
    let error = move || sign_in.value().get().and_then(|result| result.err());

    let query = leptos_router::hooks::use_query_map();
    let recovered = move || query.with(|q| q.get("recovered").is_some());

    view! {
        <Title text=text::SIGN_IN_TITLE />
        <section class="card" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">{text::SIGN_IN_HEADING}</h1>
            {move || recovered().then(|| view! {
                <p class="success" role="status">{text::RECOVERED_NOTICE}</p>
            })}
            <p class="lead">{text::SIGN_IN_INTRO}</p>
            <ActionForm action=sign_in>
                <CredentialsFields error_id="sign-in-error" has_error=Signal::derive(move || error().is_some()) show_password=true />
                <FormError error=Signal::derive(error) id="sign-in-error" />
                <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                    {move || if pending.get() { text::SIGNING_IN } else { text::SIGN_IN_BUTTON }}
                </button>
            </ActionForm>
            <p class="emergency-link">
                <a href="/emergency">{text::LOST_PHONE_LINK}</a>
            </p>
            <p class="freeze-link">
                <a href="/freeze">{text::FREEZE_LINK}</a>
            </p>
            <p class="help-link">
                <a href="/help/signing-in">{text::HELP_LINK}</a>
            </p>
        </section>
    }
}
