use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        my_tokens, AddTotpFinish, AddTotpStart, DeviceGroup, EnrolmentView, LostDevice,
        RemoveToken, RenameToken, TokenView, TokensView,
    },
    pages::{kind_name, EnrolInstructions, RecoveryBanner},
    text,
};

/// The token list: every active token, grouped by the device it is on; remove one, or every
/// token of a lost device at once. Without a session it sends the browser to sign-in.
#[component]
pub fn TokensPage() -> impl IntoView {
    let remove = ServerAction::<RemoveToken>::new();
    let lost = ServerAction::<LostDevice>::new();
    let start = ServerAction::<AddTotpStart>::new();
    let finish = ServerAction::<AddTotpFinish>::new();
    let rename = ServerAction::<RenameToken>::new();
    let tokens = Resource::new_blocking(
        move || {
            (
                remove.version().get(),
                lost.version().get(),
                start.version().get(),
                finish.version().get(),
                rename.version().get(),
            )
        },
        |_| my_tokens(),
    );
    let finish_result = move || finish.value().get().and_then(|r| r.ok());
    let rename_error = move || rename.value().get().and_then(|r| r.err());
    let remove_result = move || remove.value().get();
    let lost_result = move || lost.value().get();
    view! {
        <Title text=text::TOKENS_TITLE />
        <section class="card" aria-labelledby="tokens-heading">
            <h1 id="tokens-heading">{text::TOKENS_TITLE}</h1>
            <RecoveryBanner version=Signal::derive(move || {
                remove.version().get() + lost.version().get() + finish.version().get()
            }) />
            <p class="lead">{text::TOKENS_INTRO}</p>
            {move || match remove_result() {
                Some(Ok(label)) => Some(view! { <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::TOKEN_REMOVED)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match lost_result() {
                Some(Ok(done)) => Some(view! { <p class="success" role="status">{text::lost_device_done(&done.device, done.removed, done.sessions_ended)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || rename_error().map(|error| view! {
                <p class="error" role="alert">{error.to_string()}</p>
            })}
            {move || finish_result().map(|label| view! {
                <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::TOKEN_ADDED_DONE)}</p>
            })}
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(view) => {
                            let add = view! { <AddTotp may_add=view.may_add enrolment=view.enrolment.clone() start finish /> };
                            view! { <Groups view remove lost rename /> {add} }.into_any()
                        }
                        Err(_) => {
                            crate::pages::go_to("/login");
                            view! { <p><a href="/login">{text::GO_TO_SIGN_IN}</a></p> }.into_any()
                        }
                    }
                })}
            </Suspense>
            <p><a href="/account">{text::BACK_TO_ACCOUNT}</a></p>
        </section>
    }
}

#[component]
fn Groups(
    view: TokensView,
    remove: ServerAction<RemoveToken>,
    lost: ServerAction<LostDevice>,
    rename: ServerAction<RenameToken>,
) -> impl IntoView {
    if view.groups.is_empty() {
        return view! { <p>{text::ACCOUNT_NO_TOKENS}</p> }.into_any();
    }
    view.groups
        .into_iter()
        .map(|group| view! { <Group group remove lost rename /> })
        .collect_view()
        .into_any()
}

/// One device and its tokens.
#[component]
fn Group(
    group: DeviceGroup,
    remove: ServerAction<RemoveToken>,
    lost: ServerAction<LostDevice>,
    rename: ServerAction<RenameToken>,
) -> impl IntoView {
    let device_name = group
        .device
        .clone()
        .unwrap_or_else(|| text::NO_DEVICE.to_string());
    let heading_id = format!("device-{}", slug(&device_name));
    let count = group.tokens.len();
    let lost_form = group.device.clone().map(|device| {
        let busy = lost.pending();
        view! {
            <details class="confirm">
                <summary>{format!("{} ({device})", text::LOST_DEVICE)}</summary>
                <p>{text::lost_device_explained(&device, count)}</p>
                <ActionForm action=lost>
                    <input type="hidden" name="device" value=device.clone() />
                    <button type="submit" class="danger" disabled=move || busy.get()>
                        {format!("{} {device}", text::LOST_DEVICE_CONFIRM)}
                    </button>
                </ActionForm>
            </details>
        }
    });
    let labelled_by = heading_id.clone();
    view! {
        <section class="device" aria-labelledby=labelled_by>
            <h2 id=heading_id>{device_name.clone()}</h2>
            <ul class="token-list" aria-label=format!("{} {}", text::TOKENS_ON, device_name)>
                {group
                    .tokens
                    .into_iter()
                    .map(|token| view! { <TokenItem token remove rename /> })
                    .collect_view()}
            </ul>
            {lost_form}
        </section>
    }
}

#[component]
fn TokenItem(
    token: TokenView,
    remove: ServerAction<RemoveToken>,
    rename: ServerAction<RenameToken>,
) -> impl IntoView {
    let busy = remove.pending();
    let label_id = format!("rename-{}-label", token.id);
    let device_id = format!("rename-{}-device", token.id);
    let rename_summary = format!("{} {}", text::RENAME, token.label);
    let remove_summary = format!("{} {}", text::REMOVE, token.label);
    let remove_confirm = format!("{} \u{201c}{}\u{201d}", text::REMOVE_CONFIRM, token.label);
    let current_label = token.label.clone();
    let current_device = token.device.clone().unwrap_or_default();
    let where_ = token
        .target_hint
        .clone()
        .or(token.device.clone())
        .unwrap_or_default();
    view! {
        <li class="token">
            <strong>{token.label.clone()}</strong>
            <span class="muted">{format!(" ({})", kind_name(&token.kind))}</span>
            <dl>
                <dt>{text::TOKEN_ADDED}</dt>
                <dd>{token.created.clone()}</dd>
                <dt>{text::TOKEN_LAST_USED}</dt>
                <dd>{token.last_used.clone().unwrap_or_else(|| text::NEVER.into())}</dd>
            </dl>
            <details class="edit">
                <summary>{rename_summary}</summary>
                <ActionForm action=rename>
                    <input type="hidden" name="token_id" value=token.id.to_string() />
                    <div class="field">
                        <label for=label_id.clone()>{text::ENROL_LABEL}</label>
                        <input id=label_id name="label" type="text" value=current_label required maxlength="64" />
                    </div>
                    <div class="field">
                        <label for=device_id.clone()>{text::ENROL_DEVICE}</label>
                        <input id=device_id name="device" type="text" value=current_device maxlength="64" />
                    </div>
                    <button type="submit">{text::RENAME_SAVE}</button>
                </ActionForm>
            </details>
            <details class="confirm">
                <summary>{remove_summary}</summary>
                <p>{text::remove_explained(&token.label, kind_name(&token.kind), &where_)}</p>
                <ActionForm action=remove>
                    <input type="hidden" name="token_id" value=token.id.to_string() />
                    <button type="submit" class="danger" disabled=move || busy.get()>
                        {remove_confirm}
                    </button>
                </ActionForm>
            </details>
        </li>
    }
}

/// Setting up another authenticator app, on the phone the person holds now.
#[component]
fn AddTotp(
    may_add: bool,
    enrolment: Option<EnrolmentView>,
    start: ServerAction<AddTotpStart>,
    finish: ServerAction<AddTotpFinish>,
) -> impl IntoView {
    let start_error = move || start.value().get().and_then(|r| r.err());
    let finish_error = move || finish.value().get().and_then(|r| r.err());
    let busy = finish.pending();
    let body = match (may_add, enrolment) {
        (false, _) => view! { <p>{text::ERR_NOT_RECENT}</p> }.into_any(),
        (true, Some(enrolment)) => view! {
            <EnrolInstructions enrolment=enrolment.clone() />
            <ActionForm action=finish>
                <input type="hidden" name="token_id" value=enrolment.token_id.to_string() />
                <div class="field">
                    <label for="add-code">{text::ENROL_CODE}</label>
                    <input id="add-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9 ]*" maxlength="7" required />
                </div>
                <Show when=move || finish_error().is_some()>
                    <p class="error" role="alert">{move || finish_error().map(|e| e.to_string())}</p>
                </Show>
                <button type="submit" class="primary" disabled=move || busy.get()>{text::ADD_TOTP_FINISH}</button>
            </ActionForm>
        }
        .into_any(),
        (true, None) => view! {
            <ActionForm action=start>
                <div class="field">
                    <label for="add-label">{text::ENROL_LABEL}</label>
                    <input id="add-label" name="label" type="text" value=text::KIND_TOTP required maxlength="64" />
                </div>
                <div class="field">
                    <label for="add-device">{text::ENROL_DEVICE}</label>
                    <input id="add-device" name="device" type="text" placeholder=text::ENROL_DEVICE_EXAMPLE maxlength="64" />
                </div>
                <Show when=move || start_error().is_some()>
                    <p class="error" role="alert">{move || start_error().map(|e| e.to_string())}</p>
                </Show>
                <button type="submit" class="primary">{text::ADD_TOTP_START}</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="device" aria-labelledby="add-totp-heading">
            <h2 id="add-totp-heading">{text::ADD_TOTP_HEADING}</h2>
            <p>{text::ADD_TOTP_INTRO}</p>
            {body}
        </section>
    }
}

/// An id fragment from a device name (ASCII letters and digits; others become `-`).
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
