use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{pending_sign_in, SecondStep, VerifyTotp},
    pages::kind_name,
    text, AppError,
};

/// Step 2 of signing in: the second factor. Reached only with a pending sign-in attempt; without
/// one, the page says so and leads back to step 1.
#[component]
pub fn VerifyPage() -> impl IntoView {
    // Blocking: the server renders the real form (or the "expired" message) in the first byte.
    let pending = Resource::new_blocking(|| (), |_| pending_sign_in());
    view! {
        <Title text=text::VERIFY_TITLE />
        <section class="card" aria-labelledby="verify-heading">
            <h1 id="verify-heading">{text::VERIFY_TITLE}</h1>
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(pending) => view! { <VerifyForm pending /> }.into_any(),
                        Err(error) => view! { <StartAgain error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn VerifyForm(pending: SecondStep) -> impl IntoView {
    let verify = ServerAction::<VerifyTotp>::new();
    let busy = verify.pending();
    let error = move || verify.value().get().and_then(|result| result.err());
    if pending.tokens.is_empty() {
        return view! { <p>{text::VERIFY_NO_TOKEN}</p> }.into_any();
    }
    let single = pending.tokens.len() == 1;
    view! {
        <p class="lead">{format!("{} {}.", text::ACCOUNT_GREETING, pending.display_name)}</p>
        <p>{text::VERIFY_INTRO}</p>
        <ActionForm action=verify>
            <fieldset class="choices">
                <legend>{text::VERIFY_CHOOSE_TOKEN}</legend>
                {pending
                    .tokens
                    .into_iter()
                    .enumerate()
                    .map(|(i, token)| {
                        let id = format!("token-{}", token.id);
                        let label_for = id.clone();
                        let device = token.device.clone().unwrap_or_default();
                        view! {
                            <label class="choice" for=label_for>
                                <input
                                    type="radio"
                                    id=id
                                    name="token_id"
                                    value=token.id.to_string()
                                    checked=single || i == 0
                                    required
                                />
                                <span>
                                    <strong>{token.label.clone()}</strong>
                                    " "
                                    <span class="muted">{format!("{}, {}", kind_name(&token.kind), device)}</span>
                                </span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="field">
                <label for="code">{text::VERIFY_CODE}</label>
                <input
                    id="code"
                    name="code"
                    type="text"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    pattern="[0-9 ]*"
                    maxlength="7"
                    required
                    aria-describedby=move || error().map(|_| "verify-error")
                />
            </div>
            <Show when=move || error().is_some()>
                <p class="error" role="alert" id="verify-error">
                    {move || error().map(|e| e.to_string())}
                </p>
            </Show>
            <Show when=move || matches!(error(), Some(AppError::SignInExpired))>
                <p><a href="/login">{text::START_AGAIN}</a></p>
            </Show>
            <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                {move || if busy.get() { text::SIGNING_IN } else { text::VERIFY_BUTTON }}
            </button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn StartAgain(error: AppError) -> impl IntoView {
    view! {
        <p class="error" role="alert">{error.to_string()}</p>
        <p>
            <a class="button" href="/login">{text::START_AGAIN}</a>
        </p>
    }
}
