use leptos::prelude::*;

use crate::{api::Reauthenticate, text};

/// "Confirm your password to continue": shown instead of the add and change forms when the
/// session's sign-in (or last password re-entry) is 10 minutes old or more (RB-1).
#[component]
pub fn ConfirmPassword(action: ServerAction<Reauthenticate>) -> impl IntoView {
    let error = move || action.value().get().and_then(|r| r.err());
    let busy = action.pending();
    view! {
        <section class="device" aria-labelledby="reauth-heading">
            <h2 id="reauth-heading">{text::REAUTH_HEADING}</h2>
            <p>{text::REAUTH_INTRO}</p>
            <ActionForm action>
                <div class="field">
                    <label for="reauth-password">{text::PASSWORD}</label>
                    <input id="reauth-password" name="password" type="password" autocomplete="current-password" required />
                </div>
                <Show when=move || error().is_some()>
                    <p class="error" role="alert">{move || error().map(|e| e.to_string())}</p>
                </Show>
                <button type="submit" class="primary" disabled=move || busy.get()>{text::REAUTH_BUTTON}</button>
            </ActionForm>
        </section>
    }
}

/// The username and password fields of a front-door form (Emergency Access step 1, "Block my
/// lost phone now"): labelled, with the browser's autocomplete hints, and described by the
/// form's error message (`error_id`) while `has_error` is true.
#[component]
pub fn CredentialsFields(
    /// Prefix of the fields' ids (`<prefix>-username`, `<prefix>-password`).
    prefix: &'static str,
    /// The id of the form's error message.
    error_id: &'static str,
    has_error: Signal<bool>,
) -> impl IntoView {
    let described = move || has_error.get().then_some(error_id);
    let username_id = format!("{prefix}-username");
    let password_id = format!("{prefix}-password");
    view! {
        <div class="field">
            <label for=username_id.clone()>{crate::text::USERNAME}</label>
            <input
                id=username_id
                name="username"
                type="text"
                autocomplete="username"
                autocapitalize="none"
                spellcheck="false"
                required
                maxlength="256"
                aria-describedby=described
            />
        </div>
        <div class="field">
            <label for=password_id.clone()>{crate::text::PASSWORD}</label>
            <input
                id=password_id
                name="password"
                type="password"
                autocomplete="current-password"
                required
                aria-describedby=described
            />
        </div>
    }
}
