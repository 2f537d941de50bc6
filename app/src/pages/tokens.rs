use leptos::prelude::*;
use leptos_meta::Title;
use mayi_types::TokenKind;

use crate::{
    api::{
        my_tokens, AddOobFinish, AddOobResend, AddOobStart, AddTotpFinish, AddTotpStart,
        BlockDevice, BlockToken, DeviceGroup, EnrolmentView, LostDevice, OobEnrolmentView,
        Reauthenticate, RemoveToken, RenameToken, TokenView, TokensView, UnblockToken,
    },
    pages::{
        kind_name, AddPasskey, CodeField, Confirm, ConfirmPassword, DangerButton,
        EnrolInstructions, FormError, ReadinessBanner, RecoveryBanner, TokenNameFields,
    },
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
    let unblock = ServerAction::<UnblockToken>::new();
    let block = Block {
        token: ServerAction::<BlockToken>::new(),
        device: ServerAction::<BlockDevice>::new(),
    };
    let reauth = ServerAction::<Reauthenticate>::new();
    // Bumped by "Add a passkey or security key" (its own calls, not a form action).
    let passkey_added = RwSignal::new(0u32);
    let passkey_done = RwSignal::new(None::<String>);
    let oob = OobActions {
        start: ServerAction::<AddOobStart>::new(),
        resend: ServerAction::<AddOobResend>::new(),
        finish: ServerAction::<AddOobFinish>::new(),
    };
    let tokens = Resource::new_blocking(
        move || {
            (
                (
                    remove.version().get(),
                    lost.version().get(),
                    start.version().get(),
                    finish.version().get(),
                    rename.version().get(),
                    unblock.version().get(),
                ),
                (
                    reauth.version().get(),
                    oob.start.version().get(),
                    oob.resend.version().get(),
                    oob.finish.version().get(),
                    block.token.version().get(),
                    block.device.version().get(),
                    passkey_added.get(),
                ),
            )
        },
        |_| my_tokens(),
    );
    let oob_error = move || {
        [
            oob.start.value().get().and_then(|r| r.err()),
            oob.resend.value().get().and_then(|r| r.err()),
            oob.finish.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let oob_done = move || oob.finish.value().get().and_then(|r| r.ok());
    let finish_result = move || finish.value().get().and_then(|r| r.ok());
    let rename_error = move || rename.value().get().and_then(|r| r.err());
    let remove_result = move || remove.value().get();
    let lost_result = move || lost.value().get();
    view! {
        <Title text=text::TOKENS_TITLE />
        <section class="card" aria-labelledby="tokens-heading">
            <h1 id="tokens-heading">{text::TOKENS_TITLE}</h1>
            <RecoveryBanner version=Signal::derive(move || {
                remove.version().get()
                    + lost.version().get()
                    + finish.version().get()
                    + passkey_added.get() as usize
                    + block.token.version().get()
                    + block.device.version().get()
            }) />
            <ReadinessBanner version=Signal::derive(move || {
                remove.version().get()
                    + lost.version().get()
                    + finish.version().get()
                    + passkey_added.get() as usize
                    + unblock.version().get()
                    + oob.finish.version().get()
                    + block.token.version().get()
                    + block.device.version().get()
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
            {move || match block.token.value().get() {
                Some(Ok(label)) => Some(view! { <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::TOKEN_BLOCKED)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match block.device.value().get() {
                Some(Ok(done)) => Some(view! { <p class="success" role="status">{text::block_device_done(&done.device, done.removed, done.sessions_ended)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match unblock.value().get() {
                Some(Ok(label)) => Some(view! { <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::TOKEN_UNBLOCKED)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || rename_error().map(|error| view! {
                <p class="error" role="alert">{error.to_string()}</p>
            })}
            {move || finish_result().map(|label| view! {
                <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::TOKEN_ADDED_DONE)}</p>
            })}
            {move || passkey_done.get().map(|label| view! {
                <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::PASSKEY_ADDED)}</p>
            })}
            {move || oob_done().map(|label| view! {
                <p class="success" role="status">{format!("{} \u{201c}{label}\u{201d}.", text::ADD_TOKEN_DONE)}</p>
            })}
            {move || oob_error().map(|error| view! {
                <p class="error" role="alert">{error.to_string()}</p>
            })}
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(view) => {
                            let add = if view.may_add {
                                let device = view.suggested_device.clone();
                                let sms = view.oob_enrolment.clone().filter(|e| e.kind == TokenKind::Sms);
                                let email = view.oob_enrolment.clone().filter(|e| e.kind == TokenKind::Email);
                                view! {
                                    <AddTotp enrolment=view.enrolment.clone() elsewhere=view.enrolment_elsewhere device=device.clone() start finish />
                                    <AddOob kind=TokenKind::Sms pending=sms device=device.clone() actions=oob />
                                    <AddOob kind=TokenKind::Email pending=email device=device.clone() actions=oob />
                                    {view.passkeys_available.then(|| view! { <AddPasskey device added=passkey_added done=passkey_done /> })}
                                }
                                    .into_any()
                            } else {
                                view! { <ConfirmPassword action=reauth /> }.into_any()
                            };
                            let blocked = view.blocked.clone();
                            view! { <Blocked blocked unblock remove /> <Groups view remove lost rename block /> {add} }.into_any()
                        }
                        Err(error) => view! { <crate::pages::PageError error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href="/help/tokens">{text::TOKENS_HELP_LINK}</a></p>
            <p><a href="/account">{text::BACK_TO_ACCOUNT}</a></p>
        </section>
    }
}

/// Blocked tokens ("Block my lost phone now"): when each was blocked, and Unblock or Remove.
#[component]
fn Blocked(
    blocked: Vec<TokenView>,
    unblock: ServerAction<UnblockToken>,
    remove: ServerAction<RemoveToken>,
) -> impl IntoView {
    if blocked.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="blocked" aria-labelledby="blocked-heading">
            <h2 id="blocked-heading">{text::BLOCKED_HEADING}</h2>
            <p>{text::BLOCKED_INTRO}</p>
            <ul class="token-list" aria-label=text::BLOCKED_HEADING>
                {blocked
                    .into_iter()
                    .map(|token| {
                        let unblock_busy = unblock.pending();
                        let remove_busy = remove.pending();
                        let id = token.id.to_string();
                        let unblock_id = id.clone();
                        let unblock_label = format!("{} {}", text::UNBLOCK, token.label);
                        let remove_label = format!("{} {}", text::REMOVE, token.label);
                        let line = text::blocked_line(
                            &token.label,
                            token.device.as_deref(),
                            token.blocked.as_deref().unwrap_or_default(),
                        );
                        view! {
                            <li>
                                <p>{line}</p>
                                <ActionForm action=unblock>
                                    <input type="hidden" name="token_id" value=unblock_id />
                                    <button type="submit" disabled=move || unblock_busy.get()>
                                        {unblock_label}
                                    </button>
                                </ActionForm>
                                <ActionForm action=remove>
                                    <input type="hidden" name="token_id" value=id />
                                    <button type="submit" class="danger" disabled=move || remove_busy.get()>
                                        {remove_label}
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn Groups(
    view: TokensView,
    remove: ServerAction<RemoveToken>,
    lost: ServerAction<LostDevice>,
    rename: ServerAction<RenameToken>,
    block: Block,
) -> impl IntoView {
    if view.groups.is_empty() {
        return view! { <p>{text::ACCOUNT_NO_TOKENS}</p> }.into_any();
    }
    view.groups
        .into_iter()
        .map(|group| view! { <Group group remove lost rename block /> })
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
    block: Block,
) -> impl IntoView {
    let device_name = group
        .device
        .clone()
        .unwrap_or_else(|| text::NO_DEVICE.to_string());
    let heading_id = format!("device-{}", slug(&device_name));
    let count = group.tokens.len();
    let lost_form = group.device.clone().map(|device| {
        let busy = lost.pending();
        let block_busy = block.device.pending();
        let block_caption = format!("{} {device}", text::BLOCK_DEVICE_CONFIRM);
        let lost_caption = format!("{} {device}", text::LOST_DEVICE_CONFIRM);
        let (block_value, lost_value) = (device.clone(), device.clone());
        view! {
            <Confirm
                summary=format!("{} ({device})", text::BLOCK_DEVICE)
                explained=text::block_device_explained(&device, count)
            >
                <ActionForm action=block.device>
                    <DangerButton name="device" value=block_value caption=block_caption busy=block_busy />
                </ActionForm>
            </Confirm>
            <Confirm
                summary=format!("{} ({device})", text::LOST_DEVICE)
                explained=text::lost_device_explained(&device, count)
            >
                <ActionForm action=lost>
                    <DangerButton name="device" value=lost_value caption=lost_caption busy />
                </ActionForm>
            </Confirm>
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
                    .map(|token| view! { <TokenItem token remove rename block=block.token /> })
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
    block: ServerAction<BlockToken>,
) -> impl IntoView {
    let busy = remove.pending();
    let block_busy = block.pending();
    let block_summary = format!("{} {}", text::BLOCK, token.label);
    let block_confirm = format!("{} \u{201c}{}\u{201d}", text::BLOCK_CONFIRM, token.label);
    let block_text = text::block_explained(&token.label);
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
            <Confirm summary=block_summary explained=block_text>
                <ActionForm action=block>
                    <DangerButton name="token_id" value=token.id.to_string() caption=block_confirm busy=block_busy />
                </ActionForm>
            </Confirm>
            <Confirm summary=remove_summary explained=text::remove_explained(&token.label, kind_name(&token.kind), &where_)>
                <ActionForm action=remove>
                    <DangerButton name="token_id" value=token.id.to_string() caption=remove_confirm busy />
                </ActionForm>
            </Confirm>
        </li>
    }
}

/// Setting up another authenticator app, on the phone the person holds now.
#[component]
fn AddTotp(
    enrolment: Option<EnrolmentView>,
    /// Another session is setting one up: said here, its secret never shown (issue 13).
    elsewhere: bool,
    device: String,
    start: ServerAction<AddTotpStart>,
    finish: ServerAction<AddTotpFinish>,
) -> impl IntoView {
    let start_error = move || start.value().get().and_then(|r| r.err());
    let finish_error = move || finish.value().get().and_then(|r| r.err());
    let busy = finish.pending();
    let body = match enrolment {
        Some(enrolment) => view! {
            <EnrolInstructions enrolment=enrolment.clone() />
            <ActionForm action=finish>
                <input type="hidden" name="token_id" value=enrolment.token_id.to_string() />
                <CodeField id="add-code" label=text::ENROL_CODE />
                <FormError error=Signal::derive(finish_error) />
                <button type="submit" class="primary" disabled=move || busy.get()>{text::ADD_TOTP_FINISH}</button>
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <Show when=move || elsewhere>
                <p class="hint" role="status">{text::ADD_TOTP_ELSEWHERE}</p>
            </Show>
            <ActionForm action=start>
                <TokenNameFields prefix="add" default_label=text::KIND_TOTP device device_hint=true />
                <FormError error=Signal::derive(start_error) />
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

/// Blocking one token, or every token of a device.
#[derive(Clone, Copy)]
struct Block {
    token: ServerAction<BlockToken>,
    device: ServerAction<BlockDevice>,
}

/// The three actions of adding an SMS or email token.
#[derive(Clone, Copy)]
struct OobActions {
    start: ServerAction<AddOobStart>,
    resend: ServerAction<AddOobResend>,
    finish: ServerAction<AddOobFinish>,
}

/// Adding an SMS or email token (`kind`): the number or address, then
/// the code sent to it.
#[component]
fn AddOob(
    kind: TokenKind,
    pending: Option<OobEnrolmentView>,
    device: String,
    actions: OobActions,
) -> impl IntoView {
    let sms = kind == TokenKind::Sms;
    let (heading, intro) = if sms {
        (text::ADD_SMS_HEADING, text::ADD_SMS_INTRO)
    } else {
        (text::ADD_EMAIL_HEADING, text::ADD_EMAIL_INTRO)
    };
    let id = move |field: &str| format!("add-{kind}-{field}");
    let busy = actions.finish.pending();
    let warning = sms.then(|| view! { <p class="warning">{text::SMS_WEAKER}</p> });
    let body = match pending {
        Some(pending) => view! {
            <p role="status">{format!("{} {}.", text::VERIFY_CODE_SENT, pending.target)}</p>
            <p class="hint">{text::OOB_CODE_SENT_HINT}</p>
            <ActionForm action=actions.finish>
                <input type="hidden" name="token_id" value=pending.token_id.to_string() />
                <CodeField id=id("code") label=text::CODE_RECEIVED />
                <button type="submit" class="primary" disabled=move || busy.get()>{text::CONFIRM}</button>
            </ActionForm>
            <ActionForm action=actions.resend>
                <input type="hidden" name="token_id" value=pending.token_id.to_string() />
                <button type="submit">{text::VERIFY_SEND_AGAIN}</button>
            </ActionForm>
        }
        .into_any(),
        None => {
            let (target_label, target_type, autocomplete, default_label) = if sms {
                (text::PHONE_NUMBER, "tel", "tel", text::KIND_SMS)
            } else {
                (text::EMAIL_ADDRESS, "email", "email", text::KIND_EMAIL)
            };
            view! {
                <ActionForm action=actions.start>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <div class="field">
                        <label for=id("target")>{target_label}</label>
                        <input id=id("target") name="target" type=target_type autocomplete=autocomplete required maxlength="320"
                            aria-describedby=sms.then(|| id("target-hint")) />
                        {sms.then(|| view! { <p id=id("target-hint") class="hint">{text::PHONE_NUMBER_HINT}</p> })}
                    </div>
                    <TokenNameFields prefix=format!("add-{kind}") default_label device />
                    <button type="submit" class="primary">{text::SEND_CODE}</button>
                </ActionForm>
            }
            .into_any()
        }
    };
    let heading_id = id("heading");
    let labelled_by = heading_id.clone();
    view! {
        <section class="device" aria-labelledby=labelled_by>
            <h2 id=heading_id>{heading}</h2>
            <p>{intro}</p>
            {warning}
            {body}
        </section>
    }
}
