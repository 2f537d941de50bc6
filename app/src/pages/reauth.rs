use leptos::prelude::*;

use crate::{api::Reauthenticate, pages::FormError};

/// "Confirm your password to continue": shown instead of the add and change forms when the
/// session's sign-in (or last password re-entry) is 10 minutes old or more (RB-1).
#[component]
pub fn ConfirmPassword(action: ServerAction<Reauthenticate>) -> impl IntoView {
    let error = move || action.value().get().and_then(|r| r.err());
    let busy = action.pending();
    view! {
        <section class="device" aria-labelledby="reauth-heading">
            <h2 id="reauth-heading">{tr!(selfservice.reauth_heading)}</h2>
            <p>{tr!(selfservice.reauth_intro)}</p>
            <ActionForm action>
                <div class="field">
                    <label for="reauth-password">{tr!(common.password)}</label>
                    <input id="reauth-password" name="password" type="password" autocomplete="current-password" required />
                </div>
                <FormError error=Signal::derive(error) />
                <button type="submit" class="primary" disabled=move || busy.get()>{tr!(selfservice.reauth_button)}</button>
            </ActionForm>
        </section>
    }
}
