//! Emergency Access: the four-step wizard (`/emergency`, `/emergency/prove`,
//! `/emergency/reason`, `/emergency/code`), the "this was not me" page (`/emergency/cancel`),
//! the "use an emergency code" form of sign-in step 2, and the restricted session's banner.
//!
//! Every step is its own URL with its state on the server: a refresh or the back button shows the
//! step the wizard is really at, a later step sends the browser back to the current one, and each
//! form is a plain HTML form (JavaScript only avoids the reloads).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use mayi_types::{EmergencyReason as EmergencyReasonName, RecoveryStep, WizardStep};

use crate::{
    api::emergency::{
        emergency_take_code, emergency_wizard, recovery_status, CancelResult, CodeMeta,
        EmergencyCancel, EmergencyProve, EmergencyReason, EmergencySendProof, EmergencyStart,
        FinishRecovery, VerifyEmergency, WizardInfo,
    },
    api::{ChangePassword, EndOtherSessions},
    pages::{go_to, ChangePasswordForm, CodeField, CopyButton, CredentialsFields, FormError},
    text, AppError,
};

/// The wizard's steps, for the stepper.
fn steps() -> [&'static str; 4] {
    [
        tr!(emergency.step_who),
        tr!(emergency.step_prove),
        tr!(emergency.step_why),
        tr!(emergency.step_code),
    ]
}

/// The visible stepper: "Step 2 of 4", the current step marked for screen readers too.
#[component]
fn Stepper(current: usize) -> impl IntoView {
    view! {
        <nav aria-label=tr!(emergency.emergency_steps_label)>
            <ol class="stepper">
                {steps()
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let n = i + 1;
                        let (class, note) = match n.cmp(&current) {
                            std::cmp::Ordering::Less => ("done", tr!(emergency.step_done)),
                            std::cmp::Ordering::Equal => ("current", tr!(emergency.step_current)),
                            std::cmp::Ordering::Greater => ("todo", ""),
                        };
                        view! {
                            <li class=class aria-current=(n == current).then_some("step")>
                                <span class="step-number" aria-hidden="true">{n.to_string()}</span>
                                <span class="step-name">{*name}</span>
                                <span class="visually-hidden">{format!(" {note}")}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}

/// The help links every step carries.
#[component]
fn EmergencyHelp() -> impl IntoView {
    view! {
        <p class="help-link">
            <a href="/help/emergency-access">{tr!(emergency.emergency_help_link)}</a>
            " · "
            <a href="/help/lost-phone">{tr!(emergency.lost_phone_help_link)}</a>
        </p>
    }
}

/// The URL of the page for a wizard step.
fn step_path(step: WizardStep) -> &'static str {
    match step {
        WizardStep::Prove => "/emergency/prove",
        WizardStep::Reason => "/emergency/reason",
        WizardStep::Done | WizardStep::Shown => "/emergency/code",
    }
}

/// The wizard's state for a step page.
fn wizard_resource<T>(
    source: impl Fn() -> T + Send + Sync + 'static,
) -> Resource<Result<WizardInfo, AppError>>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    Resource::new_blocking(source, |_| emergency_wizard())
}

/// Whether the wizard stands at one of `expected`; otherwise sends the browser to the step it
/// really is at (a 302 while rendering on the server). Called while rendering, where the
/// response can still be changed.
fn at_step(info: &WizardInfo, expected: &[WizardStep]) -> bool {
    if expected.contains(&info.step) {
        true
    } else {
        go_to(step_path(info.step));
        false
    }
}

/// The wizard expired or was never started: say so, and lead back to step 1.
#[component]
fn WizardGone(error: AppError) -> impl IntoView {
    view! {
        <p class="error" role="alert">{error.to_string()}</p>
        <p><a class="button" href="/emergency">{tr!(emergency.start_again_emergency)}</a></p>
    }
}

/// Step 1: username and password.
#[component]
pub fn EmergencyStartPage() -> impl IntoView {
    let start = ServerAction::<EmergencyStart>::new();
    let pending = start.pending();
    let error = move || start.value().get().and_then(|result| result.err());
    view! {
        <Title text=tr!(emergency.emergency_title) />
        <section class="card" aria-labelledby="emergency-heading">
            <h1 id="emergency-heading">{tr!(emergency.emergency_title)}</h1>
            <Stepper current=1 />
            <p class="lead">{tr!(emergency.emergency_intro)}</p>
            <ActionForm action=start>
                <CredentialsFields prefix="emergency" error_id="emergency-error" has_error=Signal::derive(move || error().is_some()) />
                <FormError error=Signal::derive(error) id="emergency-error" />
                <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                    {move || if pending.get() { tr!(emergency.emergency_starting) } else { tr!(emergency.emergency_start_button) }}
                </button>
            </ActionForm>
            <p class="muted">{tr!(emergency.emergency_expires_note)}</p>
            <p class="freeze-link"><a href="/freeze">{tr!(freeze.freeze_link)}</a></p>
            <EmergencyHelp />
        </section>
    }
}

/// Step 2: the code sent to the recovery address (or, without one, how the help desk helps).
#[component]
pub fn EmergencyProvePage() -> impl IntoView {
    let send = ServerAction::<EmergencySendProof>::new();
    let prove = ServerAction::<EmergencyProve>::new();
    let wizard = wizard_resource(move || send.version().get());
    view! {
        <Title text=tr!(emergency.emergency_title) />
        <section class="card" aria-labelledby="emergency-heading">
            <h1 id="emergency-heading">{tr!(emergency.emergency_title)}</h1>
            <Stepper current=2 />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match wizard.await {
                        Ok(info) if !at_step(&info, &[WizardStep::Prove]) => ().into_any(),
                        Ok(info) if info.channels.is_empty() => view! { <NoChannel /> }.into_any(),
                        Ok(info) => view! { <ProveForm info send prove /> }.into_any(),
                        Err(error) => view! { <WizardGone error /> }.into_any(),
                    }
                })}
            </Suspense>
            <EmergencyHelp />
        </section>
    }
}

#[component]
fn ProveForm(
    info: WizardInfo,
    send: ServerAction<EmergencySendProof>,
    prove: ServerAction<EmergencyProve>,
) -> impl IntoView {
    let busy = prove.pending();
    let sending = send.pending();
    let error = move || prove.value().get().and_then(|result| result.err());
    let send_error = move || send.value().get().and_then(|result| result.err());
    let sent = info.proof_sent;
    view! {
        <p class="lead">{format!("{} {}.", tr!(common.account_greeting), info.display_name)}</p>
        {if sent {
            view! {
                <p>{tr!(emergency.prove_intro)}</p>
                <ul class="channels">
                    {info.channels.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}
                </ul>
                <p class="muted" role="status">{tr!(emergency.prove_sent_hint)}</p>
            }
            .into_any()
        } else {
            view! { <p role="status">{tr!(emergency.prove_not_sent)}</p> }.into_any()
        }}
        <ActionForm action=prove>
            <CodeField id="proof-code" label=tr!(emergency.prove_code_label) error_id="proof-error" has_error=Signal::derive(move || error().is_some()) />
            <FormError error=Signal::derive(error) id="proof-error" />
            <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                {move || if busy.get() { tr!(emergency.prove_checking) } else { tr!(emergency.prove_button) }}
            </button>
        </ActionForm>
        <ActionForm action=send>
            <FormError error=Signal::derive(send_error) />
            <button type="submit" class="secondary" disabled=move || sending.get()>
                {move || if sending.get() { tr!(common.sending) } else if sent { tr!(emergency.prove_send_again) } else { tr!(emergency.prove_send) }}
            </button>
        </ActionForm>
    }
}

/// No recovery address: no dead end, the way through the help desk.
#[component]
fn NoChannel() -> impl IntoView {
    view! {
        <h2>{tr!(emergency.no_channel_heading)}</h2>
        <p>{tr!(emergency.no_channel_text)}</p>
        <p><a class="button" href="/login">{tr!(emergency.no_channel_sign_in)}</a></p>
        <p><a href="/help/emergency-access#help-desk">{tr!(emergency.emergency_help_link)}</a></p>
    }
}

/// Step 3: why.
#[component]
pub fn EmergencyReasonPage() -> impl IntoView {
    let wizard = wizard_resource(|| ());
    view! {
        <Title text=tr!(emergency.emergency_title) />
        <section class="card" aria-labelledby="emergency-heading">
            <h1 id="emergency-heading">{tr!(emergency.emergency_title)}</h1>
            <Stepper current=3 />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match wizard.await {
                        Ok(info) if !at_step(&info, &[WizardStep::Reason]) => ().into_any(),
                        Ok(_) => view! { <ReasonForm /> }.into_any(),
                        Err(error) => view! { <WizardGone error /> }.into_any(),
                    }
                })}
            </Suspense>
            <EmergencyHelp />
        </section>
    }
}

#[component]
fn ReasonForm() -> impl IntoView {
    let reason = ServerAction::<EmergencyReason>::new();
    let busy = reason.pending();
    let error = move || reason.value().get().and_then(|result| result.err());
    let options = [
        (
            EmergencyReasonName::LostPhone,
            tr!(emergency.reason_lost_phone),
        ),
        (
            EmergencyReasonName::StolenPhone,
            tr!(emergency.reason_stolen_phone),
        ),
        (
            EmergencyReasonName::NewPhoneNumber,
            tr!(emergency.reason_new_number),
        ),
        (
            EmergencyReasonName::NewEmail,
            tr!(emergency.reason_new_email),
        ),
        (
            EmergencyReasonName::Other,
            tr!(emergency.reason_something_else),
        ),
    ];
    view! {
        <p>{tr!(emergency.reason_intro)}</p>
        <ActionForm action=reason>
            <fieldset class="choices">
                <legend>{tr!(emergency.reason_legend)}</legend>
                {options
                    .into_iter()
                    .enumerate()
                    .map(|(i, (value, label))| {
                        let value = value.as_str();
                        let id = format!("reason-{value}");
                        let label_for = id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                <input type="radio" id=id name="reason" value=value checked=i == 0 required />
                                {label}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="field">
                <label for="reason-details">{tr!(emergency.reason_details)}</label>
                <textarea
                    id="reason-details"
                    name="details"
                    maxlength="200"
                    rows="3"
                    aria-describedby=move || error().map(|_| "reason-error")
                ></textarea>
            </div>
            <FormError error=Signal::derive(error) id="reason-error" />
            <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                {move || if busy.get() { tr!(emergency.reason_working) } else { tr!(emergency.reason_button) }}
            </button>
        </ActionForm>
    }
}

/// Step 4: the code, shown once.
#[component]
pub fn EmergencyCodePage() -> impl IntoView {
    // Taken first (it is gone afterwards), then the metadata.
    let page = Resource::new_blocking(
        || (),
        |_| async move {
            let shown = emergency_take_code().await;
            let info = emergency_wizard().await;
            info.map(|info| (info, shown.ok().flatten()))
        },
    );
    view! {
        <Title text=tr!(emergency.emergency_title) />
        <section class="card code-page" aria-labelledby="emergency-heading">
            <h1 id="emergency-heading">{tr!(emergency.emergency_title)}</h1>
            <Stepper current=4 />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok((info, _)) if !at_step(&info, &[WizardStep::Done, WizardStep::Shown]) => ().into_any(),
                        Ok((info, Some(code))) => view! { <ShownCodeView info code=code.grouped /> }.into_any(),
                        Ok((_, None)) => view! {
                            <p role="status">{tr!(emergency.code_already_shown)}</p>
                            <p><a class="button" href="/emergency">{tr!(emergency.start_again_emergency)}</a></p>
                            <p><a href="/login">{tr!(emergency.code_sign_in)}</a></p>
                        }.into_any(),
                        Err(error) => view! { <WizardGone error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="help-link no-print">
                <a href="/help/emergency-sign-in">{tr!(emergency.emergency_sign_in_help_link)}</a>
            </p>
        </section>
    }
}

#[component]
fn ShownCodeView(info: WizardInfo, code: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copy_text = code.clone();
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let meta = info.code.clone();
    view! {
        <p class="lead">{tr!(emergency.code_intro)}</p>
        <div class="code-box">
            <p class="code-label" id="code-label">{tr!(emergency.code_label)}</p>
            <p class="emergency-code" aria-labelledby="code-label"><code>{code}</code></p>
            {meta.map(|meta| view! { <CodeFacts meta /> })}
        </div>
        <Show when=move || hydrated.get()>
            <div class="actions no-print">
                <CopyButton value=copy_text.clone() label=tr!(emergency.code_copy) />
                <button type="button" class="secondary" on:click=print>{tr!(emergency.code_print)}</button>
            </div>
        </Show>
        {info.code.clone().and_then(|meta| {
            let wait = meta.unknown_browser_wait.clone()?;
            let utc = meta.valid_from_utc.clone()?;
            Some(view! {
                <p class="warning" role="status" id="code-waiting">
                    <strong>{tr!(browsers.code_waiting_prefix)}" "<LocalTime ms=meta.valid_from_ms utc />"."</strong>
                    " "{text::code_waiting_reason(&wait)}
                </p>
            })
        })}
        <p>{tr!(emergency.code_how)}</p>
        <p class="muted">{tr!(emergency.code_notice_sent)}</p>
        <p class="no-print"><a class="button primary" href="/login">{tr!(emergency.code_sign_in)}</a></p>
    }
}

/// Uses left and expiry (in the reader's local time once the page runs, UTC before).
#[component]
fn CodeFacts(meta: CodeMeta) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>{tr!(emergency.code_uses)}</dt>
            <dd>{format!("{} / {}", meta.uses_left, meta.max_uses)}</dd>
            <dt>{tr!(emergency.code_expires)}</dt>
            <dd><LocalTime ms=meta.expires_ms utc=meta.expires_utc.clone() /></dd>
            {meta.valid_from_utc.clone().map(|from| view! {
                <dt>{tr!(emergency.code_valid_from)}</dt>
                <dd>{from}</dd>
            })}
        </dl>
    }
}

/// A time: UTC as rendered on the server (in the page's language), replaced by the browser's
/// local time, written the page language's way, after hydration.
#[component]
pub fn LocalTime(ms: i64, utc: String) -> impl IntoView {
    let iso = mayi_types::UtcMinute::from_millis(ms).html_datetime();
    let shown = RwSignal::new(utc);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use crate::i18n::I18nLocaleTrait as _;
            let date = js_sys::Date::new_0();
            date.set_time(ms as f64);
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
            let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
            let local = date.to_locale_string(crate::i18n::locale().as_str(), &options);
            shown.set(String::from(local));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ms, shown);
    });
    view! { <time datetime=iso>{move || shown.get()}</time> }
}

/// "This was not me": the link from a notice, with one button that cancels the code.
#[component]
pub fn EmergencyCancelPage() -> impl IntoView {
    let cancel = ServerAction::<EmergencyCancel>::new();
    let busy = cancel.pending();
    let query = use_query_map();
    let token = move || query.with(|q| q.get("t").unwrap_or_default());
    // What the button did: the action's answer, or (after the redirect, and without
    // JavaScript) the `done` word of the address.
    let result = move || {
        cancel.value().get().or_else(|| {
            query.with(|q| {
                q.get("done")
                    .and_then(|done| CancelResult::parse(&done))
                    .map(Ok)
            })
        })
    };
    view! {
        <Title text=tr!(emergency.cancel_title) />
        <section class="card" aria-labelledby="cancel-heading">
            <h1 id="cancel-heading">{tr!(emergency.cancel_title)}</h1>
            {move || match result() {
                Some(Ok(CancelResult::Undone)) => view! {
                    <p class="success" role="status">{tr!(emergency.cancel_done)}</p>
                    <p>{tr!(emergency.cancel_locked)}</p>
                }.into_any(),
                Some(Ok(CancelResult::AlreadyUsed)) => view! { <p class="error" role="alert">{tr!(emergency.cancel_already)}</p> }.into_any(),
                Some(Ok(CancelResult::Unknown)) => view! { <p class="error" role="alert">{tr!(emergency.cancel_nothing)}</p> }.into_any(),
                Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                None => view! {
                    <p>{tr!(emergency.cancel_intro)}</p>
                    <ActionForm action=cancel>
                        <input type="hidden" name="t" value=token />
                        <button type="submit" class="danger" disabled=move || busy.get()>{tr!(emergency.cancel_button)}</button>
                    </ActionForm>
                }.into_any(),
            }}
            <p class="help-link"><a href="/help/emergency-access">{tr!(emergency.emergency_help_link)}</a></p>
        </section>
    }
}

/// Sign-in step 2's alternative: the emergency access code instead of the OTP.
#[component]
pub fn UseEmergencyCode() -> impl IntoView {
    let verify = ServerAction::<VerifyEmergency>::new();
    let busy = verify.pending();
    let error = move || verify.value().get().and_then(|result| result.err());
    view! {
        <section class="token-choice emergency-choice" aria-labelledby="use-emergency-heading">
            <h2 id="use-emergency-heading">{tr!(emergency.use_emergency_heading)}</h2>
            <p>{tr!(emergency.use_emergency_intro)}</p>
            <ActionForm action=verify>
                <div class="field">
                    <label for="emergency-code">{tr!(emergency.use_emergency_label)}</label>
                    <input
                        id="emergency-code"
                        name="code"
                        type="text"
                        autocomplete="off"
                        autocapitalize="characters"
                        spellcheck="false"
                        maxlength="40"
                        required
                        aria-describedby=move || error().map(|_| "emergency-code-error")
                    />
                </div>
                <FormError error=Signal::derive(error) id="emergency-code-error" />
                <button type="submit" class="secondary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                    {move || if busy.get() { tr!(common.signing_in) } else { tr!(emergency.use_emergency_button) }}
                </button>
            </ActionForm>
            <p>
                <a href="/emergency">{tr!(emergency.use_emergency_get)}</a>
                " · "
                <a href="/help/emergency-sign-in">{tr!(emergency.emergency_sign_in_help_link)}</a>
            </p>
        </section>
    }
}

/// The restricted session's banner (EC-12): uses left, validity, and the checklist of the
/// reason given in the wizard with "Finish recovery"; for a stolen phone also the password
/// change and "Sign out every other session" (issue 14 item 3). Renders nothing in a full
/// session. `version` refetches it after the page's own actions (a token removed or added).
#[component]
pub fn RecoveryBanner(#[prop(into)] version: Signal<usize>) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let sign_out = ServerAction::<EndOtherSessions>::new();
    let status = Resource::new_blocking(
        move || {
            (
                version.get(),
                change.version().get(),
                sign_out.version().get(),
            )
        },
        |_| recovery_status(),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(Some(view)) => Some(view! { <Banner view change sign_out /> }),
                    _ => None,
                }
            })}
        </Suspense>
    }
}

/// A checklist line's words.
fn step_label(step: RecoveryStep, reason: EmergencyReasonName) -> &'static str {
    match step {
        RecoveryStep::RemoveLost if reason == EmergencyReasonName::StolenPhone => {
            tr!(emergency.check_remove_stolen)
        }
        RecoveryStep::RemoveLost => tr!(emergency.check_remove),
        RecoveryStep::ChangePassword => tr!(emergency.check_password),
        RecoveryStep::SignOutEverywhere => tr!(emergency.check_sign_out),
        RecoveryStep::RemoveOldSms => tr!(emergency.check_remove_sms),
        RecoveryStep::AddSms => tr!(emergency.check_add_sms),
        RecoveryStep::RemoveOldEmail => tr!(emergency.check_remove_email),
        RecoveryStep::AddEmail => tr!(emergency.check_add_email),
        RecoveryStep::EnrolNew => tr!(emergency.check_enrol),
    }
}

#[component]
fn Banner(
    view: crate::api::emergency::RecoveryView,
    change: ServerAction<ChangePassword>,
    sign_out: ServerAction<EndOtherSessions>,
) -> impl IntoView {
    let finish = ServerAction::<FinishRecovery>::new();
    let busy = finish.pending();
    let error = move || finish.value().get().and_then(|result| result.err());
    let item = |done: bool, label: String| {
        view! {
            <li class=if done { "done" } else { "todo" }>
                {label}
                <span class="visually-hidden">{format!(" ({})", if done { tr!(emergency.check_done) } else { tr!(emergency.check_todo) })}</span>
            </li>
        }
    };
    let may_finish = view.may_finish;
    let reason = view.reason;
    let steps = view
        .steps
        .iter()
        .map(|s| {
            let label = step_label(s.step, reason);
            let label = if s.required {
                label.to_owned()
            } else {
                format!("{label} ({})", tr!(emergency.check_optional))
            };
            item(s.done, label)
        })
        .collect_view();
    let secure = view
        .may_secure_account
        .then(|| view! { <StolenPhone change sign_out other_sessions=view.other_sessions /> });
    view! {
        <aside class="recovery-banner" aria-labelledby="recovery-heading">
            <h2 id="recovery-heading">
                {if view.by_recovery_code {
                    format!("{}, {} ", tr!(emergency.banner_recovery_code), tr!(emergency.banner_until))
                } else {
                    format!("{}: {} {}, {} ", tr!(emergency.banner_heading), view.code.uses_left, tr!(emergency.banner_uses), tr!(emergency.banner_until))
                }}
                <LocalTime ms=view.code.expires_ms utc=view.code.expires_utc.clone() />
            </h2>
            <p class="muted">{tr!(emergency.banner_limits)}</p>
            <ol class="checklist">
                {steps}
                {item(false, tr!(emergency.check_finish).to_owned())}
            </ol>
            {secure}
            {if may_finish {
                view! {
                    <ActionForm action=finish>
                        {if view.may_secure_account {
                            view! {
                                <p>{tr!(emergency.finish_ends_others)}</p>
                                <input type="hidden" name="end_others" value="on" />
                            }
                            .into_any()
                        } else {
                            view! {
                                <label class="checkbox" for="finish-end-others">
                                    <input type="checkbox" id="finish-end-others" name="end_others" value="on" checked=true />
                                    {tr!(emergency.finish_end_others)}
                                </label>
                            }
                            .into_any()
                        }}
                        <FormError error=Signal::derive(error) />
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            {move || if busy.get() { tr!(emergency.finish_working) } else { tr!(emergency.finish_button) }}
                        </button>
                    </ActionForm>
                }
                .into_any()
            } else {
                view! { <p>{tr!(emergency.finish_needs_steps)}</p> }.into_any()
            }}
        </aside>
    }
}

/// A stolen phone's restricted session: change the password and sign out every other session
/// now (issue 14 item 3).
#[component]
fn StolenPhone(
    change: ServerAction<ChangePassword>,
    sign_out: ServerAction<EndOtherSessions>,
    other_sessions: usize,
) -> impl IntoView {
    let busy = sign_out.pending();
    let result = move || sign_out.value().get();
    view! {
        <section class="stolen-phone" aria-labelledby="stolen-heading">
            <h3 id="stolen-heading">{tr!(emergency.stolen_heading)}</h3>
            <p>{tr!(emergency.stolen_intro)}</p>
            <ChangePasswordForm change nested=true />
            <h4 id="sign-out-others-heading">{tr!(emergency.sign_out_others_button)}</h4>
            {if other_sessions == 0 {
                view! { <p role="status">{tr!(emergency.sign_out_others_none)}</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=sign_out attr:aria-labelledby="sign-out-others-heading">
                        {move || match result() {
                            Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }),
                            _ => None,
                        }}
                        <button type="submit" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                            {move || if busy.get() { tr!(emergency.sign_out_others_working) } else { tr!(emergency.sign_out_others_button) }}
                        </button>
                    </ActionForm>
                }
                .into_any()
            }}
        </section>
    }
}
