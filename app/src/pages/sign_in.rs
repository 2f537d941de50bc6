use leptos::prelude::*;
use leptos_meta::Title;

use crate::{api::SignIn, text};

/// Step 1 of signing in: username and password.
///
/// The form is a plain HTML form posting to the `sign_in` server function, so it works before
/// (or without) WebAssembly; once hydrated, it submits without reloading the page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let pending = sign_in.pending();
    let error = move || sign_in.value().get().and_then(|result| result.err());

    // Controls that need the browser appear only once the page is hydrated, so nothing on the
    // page is a button that does nothing when JavaScript is off.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let show_password = RwSignal::new(false);
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
                <div class="field">
                    <label for="username">{text::USERNAME}</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="256"
                        aria-describedby=move || error().map(|_| "sign-in-error")
                    />
                </div>
                <div class="field">
                    <label for="password">{text::PASSWORD}</label>
                    <input
                        id="password"
                        name="password"
                        type=move || if show_password.get() { "text" } else { "password" }
                        autocomplete="current-password"
                        required
                        aria-describedby=move || error().map(|_| "sign-in-error")
                    />
                    <Show when=move || hydrated.get()>
                        <label class="checkbox">
                            <input
                                type="checkbox"
                                prop:checked=move || show_password.get()
                                on:change=move |ev| show_password.set(event_target_checked(&ev))
                            />
                            {text::SHOW_PASSWORD}
                        </label>
                    </Show>
                </div>
                <Show when=move || error().is_some()>
                    <p class="error" role="alert" id="sign-in-error">
                        {move || error().map(|e| e.to_string())}
                    </p>
                </Show>
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
