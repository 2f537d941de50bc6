use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::SignIn,
    pages::{CredentialsFields, FormError},
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
        <Title text=tr!(common.sign_in_title) />
        <section class="card" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">{tr!(common.sign_in_heading)}</h1>
            {move || recovered().then(|| view! {
                <p class="success" role="status">{tr!(emergency.recovered_notice)}</p>
            })}
            <p class="lead">{tr!(common.sign_in_intro)}</p>
            <ActionForm action=sign_in>
                <CredentialsFields error_id="sign-in-error" has_error=Signal::derive(move || error().is_some()) show_password=true />
                <FormError error=Signal::derive(error) id="sign-in-error" />
                <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                    {move || if pending.get() { tr!(common.signing_in) } else { tr!(common.sign_in_button) }}
                </button>
            </ActionForm>
            <p class="emergency-link">
                <a href="/emergency">{tr!(emergency.lost_phone_link)}</a>
            </p>
            <p class="freeze-link">
                <a href="/freeze">{tr!(freeze.freeze_link)}</a>
            </p>
            <p class="help-link">
                <a href="/help/signing-in">{tr!(tokens.help_link)}</a>
            </p>
        </section>
    }
}
