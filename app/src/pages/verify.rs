use leptos::prelude::*;
use leptos_meta::Title;
use mayi_types::TokenKind;

use crate::{
    api::{
        pending_sign_in, EnrolmentView, FinishEnrolment, SecondStep, SendCode, StartEnrolment,
        TokenView, VerifyCode,
    },
    pages::{
        kind_name, CodeField, EnrolInstructions, FormError, PasskeyChoice, TokenNameFields,
        UseEmergencyCode,
    },
    AppError,
};

/// Step 2 of signing in: the second factor. Reached only with a pending sign-in attempt; without
/// one, the page says so and leads back to step 1.
///
/// Each active token has its own section: an authenticator app asks for its code at once; an
/// SMS or email token first sends a code, then asks for it. Every form is a plain HTML form.
#[component]
pub fn VerifyPage() -> impl IntoView {
    // Sending a code changes what the page shows (the code field appears): refetch after it.
    let send = ServerAction::<SendCode>::new();
    let start = ServerAction::<StartEnrolment>::new();
    let pending = Resource::new_blocking(
        move || (send.version().get(), start.version().get()),
        |_| pending_sign_in(),
    );
    view! {
        <Title text=tr!(common.verify_title) />
        <section class="card" aria-labelledby="verify-heading">
            <h1 id="verify-heading">{tr!(common.verify_title)}</h1>
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(step) if step.first_token => {
                            view! { <FirstToken step start /> }.into_any()
                        }
                        Ok(step) => view! { <Choices step send /> }.into_any(),
                        Err(error) => view! { <StartAgain error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="help-link">
                <a href="/help/signing-in">{tr!(tokens.help_link)}</a>
            </p>
        </section>
    }
}

#[component]
fn Choices(step: SecondStep, send: ServerAction<SendCode>) -> impl IntoView {
    if step.tokens.is_empty() {
        return view! {
            <p>{tr!(common.verify_no_token)}</p>
            <UseEmergencyCode />
        }
        .into_any();
    }
    let send_error = move || send.value().get().and_then(|result| result.err());
    let sent_for = step.code_sent_for;
    // One prompt serves every passkey of the account: one section for them, first.
    let (passkeys, others): (Vec<_>, Vec<_>) = step
        .tokens
        .into_iter()
        .partition(|t| t.kind == TokenKind::Webauthn);
    let passkey = match (passkeys.is_empty(), step.passkeys_available) {
        (true, _) => None,
        (false, true) => Some(view! { <PasskeyChoice /> }.into_any()),
        // The account has passkeys but this server's public URL cannot have them (changed
        // since they were added): said, and the other tokens still offered.
        (false, false) => Some(
            view! { <p class="hint">{tr!(selfservice.err_passkeys_unavailable)}</p> }.into_any(),
        ),
    };
    view! {
        <p class="lead">{format!("{} {}.", tr!(common.account_greeting), step.display_name)}</p>
        <p>{tr!(common.verify_intro)}</p>
        <FormError error=Signal::derive(send_error) />
        {passkey}
        {others
            .into_iter()
            .map(|token| {
                let sent = sent_for == Some(token.id);
                view! { <TokenChoice token sent send /> }
            })
            .collect_view()}
        <UseEmergencyCode />
    }
    .into_any()
}

/// One token: its name, and the form that uses it.
#[component]
fn TokenChoice(token: TokenView, sent: bool, send: ServerAction<SendCode>) -> impl IntoView {
    let heading_id = format!("token-{}-heading", token.id);
    let code_id = format!("token-{}-code", token.id);
    let error_id = format!("token-{}-error", token.id);
    let is_totp = token.kind == TokenKind::Totp;
    let description = match (&token.device, &token.target_hint) {
        (_, Some(hint)) => format!("{}, {}", kind_name(&token.kind), hint),
        (Some(device), None) => format!("{}, {}", kind_name(&token.kind), device),
        (None, None) => kind_name(&token.kind).to_string(),
    };
    let verify = ServerAction::<VerifyCode>::new();
    let busy = verify.pending();
    let error = move || verify.value().get().and_then(|result| result.err());
    let sending = send.pending();
    let code_form = {
        let code_label = if is_totp {
            tr!(common.verify_code).to_string()
        } else {
            format!(
                "{} ({})",
                tr!(common.verify_code),
                token.target_hint.clone().unwrap_or_default()
            )
        };
        view! {
            <ActionForm action=verify>
                <input type="hidden" name="token_id" value=token.id.to_string() />
                <input type="hidden" name="kind" value=token.kind.as_str() />
                <CodeField id=code_id label=code_label error_id=error_id.clone() has_error=Signal::derive(move || error().is_some()) or_emergency_code=true />
                <FormError error=Signal::derive(error) id=error_id.clone() />
                <Show when=move || matches!(error(), Some(AppError::SignInExpired))>
                    <p><a href="/login">{tr!(common.start_again)}</a></p>
                </Show>
                <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                    {move || if busy.get() { tr!(common.signing_in) } else { tr!(common.verify_button) }}
                </button>
            </ActionForm>
        }
    };
    let send_form = (!is_totp).then(|| {
        let label = if sent { tr!(common.verify_send_again) } else { tr!(common.verify_send_code) };
        view! {
            <ActionForm action=send>
                <input type="hidden" name="token_id" value=token.id.to_string() />
                <button type="submit" class=if sent { "secondary" } else { "primary" } disabled=move || sending.get()>
                    {move || if sending.get() { tr!(common.sending) } else { label }}
                </button>
            </ActionForm>
        }
    });
    let labelled_by = heading_id.clone();
    view! {
        <section class="token-choice" aria-labelledby=labelled_by>
            <h2 id=heading_id>{token.label.clone()}</h2>
            <p class="muted">{description}</p>
            {sent.then(|| view! {
                <p role="status">
                    {format!("{} {}. {}", tr!(common.verify_code_sent), token.target_hint.clone().unwrap_or_default(), tr!(common.verify_code_sent_hint))}
                </p>
            })}
            {(is_totp || sent).then_some(code_form)}
            {send_form}
        </section>
    }
}

/// An account that never had a token sets up its first authenticator app before it can sign in.
#[component]
fn FirstToken(step: SecondStep, start: ServerAction<StartEnrolment>) -> impl IntoView {
    let start_error = move || start.value().get().and_then(|result| result.err());
    let starting = start.pending();
    view! {
        <p class="lead">{format!("{} {}.", tr!(common.account_greeting), step.display_name)}</p>
        <h2>{tr!(common.enrol_heading)}</h2>
        <p>{tr!(common.enrol_intro)}</p>
        {match step.enrolment {
            Some(enrolment) => view! { <EnrolSteps enrolment /> }.into_any(),
            None => view! {
                <ActionForm action=start>
                    <TokenNameFields prefix="enrol" default_label=tr!(common.kind_totp) />
                    <FormError error=Signal::derive(start_error) />
                    <button type="submit" class="primary" disabled=move || starting.get()>{tr!(tokens.enrol_start)}</button>
                </ActionForm>
            }
            .into_any(),
        }}
    }
}

/// The set-up itself: scan (or open, or type), then confirm with the first code.
#[component]
fn EnrolSteps(enrolment: EnrolmentView) -> impl IntoView {
    let finish = ServerAction::<FinishEnrolment>::new();
    let busy = finish.pending();
    let error = move || finish.value().get().and_then(|result| result.err());
    view! {
        <ol class="steps">
            <li>
                <EnrolInstructions enrolment=enrolment.clone() />            </li>
            <li>
                <ActionForm action=finish>
                    <input type="hidden" name="token_id" value=enrolment.token_id.to_string() />
                    <CodeField id="enrol-code" label=tr!(tokens.enrol_code) error_id="enrol-error" has_error=Signal::derive(move || error().is_some()) />
                    <FormError error=Signal::derive(error) id="enrol-error" />
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        {move || if busy.get() { tr!(common.signing_in) } else { tr!(tokens.enrol_finish) }}
                    </button>
                </ActionForm>
            </li>
        </ol>
    }
}

#[component]
fn StartAgain(error: AppError) -> impl IntoView {
    view! {
        <p class="error" role="alert">{error.to_string()}</p>
        <p>
            <a class="button" href="/login">{tr!(common.start_again)}</a>
        </p>
    }
}
