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
        <Title text=tr!(tokens.tokens_title) />
        <section class="card" aria-labelledby="tokens-heading">
            <h1 id="tokens-heading">{tr!(tokens.tokens_title)}</h1>
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
            <p class="lead">{tr!(tokens.tokens_intro)}</p>
            {move || match remove_result() {
                Some(Ok(label)) => Some(view! { <p class="success" role="status">{format!("{} {}.", tr!(tokens.token_removed), text::quoted(&label))}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match lost_result() {
                Some(Ok(done)) => Some(view! { <p class="success" role="status">{text::lost_device_done(&done.device, done.removed, done.sessions_ended)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match block.token.value().get() {
                Some(Ok(label)) => Some(view! { <p class="success" role="status">{format!("{} {}.", tr!(tokens.token_blocked), text::quoted(&label))}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match block.device.value().get() {
                Some(Ok(done)) => Some(view! { <p class="success" role="status">{text::block_device_done(&done.device, done.removed, done.sessions_ended)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || match unblock.value().get() {
                Some(Ok(label)) => Some(view! { <p class="success" role="status">{format!("{} {}.", tr!(freeze.token_unblocked), text::quoted(&label))}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
                None => None,
            }}
            {move || rename_error().map(|error| view! {
                <p class="error" role="alert">{error.to_string()}</p>
            })}
            {move || finish_result().map(|label| view! {
                <p class="success" role="status">{format!("{} {}.", tr!(tokens.token_added_done), text::quoted(&label))}</p>
            })}
            {move || passkey_done.get().map(|label| view! {
                <p class="success" role="status">{format!("{} {}.", tr!(tokens.passkey_added), text::quoted(&label))}</p>
            })}
            {move || oob_done().map(|label| view! {
                <p class="success" role="status">{format!("{} {}.", tr!(selfservice.add_token_done), text::quoted(&label))}</p>
            })}
            {move || oob_error().map(|error| view! {
                <p class="error" role="alert">{error.to_string()}</p>
            })}
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
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
            <p><a href="/help/tokens">{tr!(selfservice.tokens_help_link)}</a></p>
            <p><a href="/account">{tr!(tokens.back_to_account)}</a></p>
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
            <h2 id="blocked-heading">{tr!(freeze.blocked_heading)}</h2>
            <p>{tr!(freeze.blocked_intro)}</p>
            <ul class="token-list" aria-label=tr!(freeze.blocked_heading)>
                {blocked
                    .into_iter()
                    .map(|token| {
                        let unblock_busy = unblock.pending();
                        let remove_busy = remove.pending();
                        let id = token.id.to_string();
                        let unblock_id = id.clone();
                        let unblock_label = format!("{} {}", tr!(freeze.unblock), token.label);
                        let remove_label = format!("{} {}", tr!(tokens.remove), token.label);
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
        return view! { <p>{tr!(common.account_no_tokens)}</p> }.into_any();
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
        .unwrap_or_else(|| tr!(tokens.no_device).to_string());
    let heading_id = format!("device-{}", slug(&device_name));
    let count = group.tokens.len();
    let lost_form = group.device.clone().map(|device| {
        let busy = lost.pending();
        let block_busy = block.device.pending();
        let block_caption = format!("{} {device}", tr!(tokens.block_device_confirm));
        let lost_caption = format!("{} {device}", tr!(tokens.lost_device_confirm));
        let (block_value, lost_value) = (device.clone(), device.clone());
        view! {
            <Confirm
                summary=format!("{} ({device})", tr!(tokens.block_device))
                explained=text::block_device_explained(&device, count)
            >
                <ActionForm action=block.device>
                    <DangerButton name="device" value=block_value caption=block_caption busy=block_busy />
                </ActionForm>
            </Confirm>
            <Confirm
                summary=format!("{} ({device})", tr!(tokens.lost_device))
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
            <ul class="token-list" aria-label=format!("{} {}", tr!(tokens.tokens_on), device_name)>
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
    let block_summary = format!("{} {}", tr!(tokens.block), token.label);
    let block_confirm = format!(
        "{} {}",
        tr!(tokens.block_confirm),
        text::quoted(&token.label)
    );
    let block_text = text::block_explained(&token.label);
    let label_id = format!("rename-{}-label", token.id);
    let device_id = format!("rename-{}-device", token.id);
    let rename_summary = format!("{} {}", tr!(tokens.rename), token.label);
    let remove_summary = format!("{} {}", tr!(tokens.remove), token.label);
    let remove_confirm = format!(
        "{} {}",
        tr!(tokens.remove_confirm),
        text::quoted(&token.label)
    );
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
                <dt>{tr!(common.token_added)}</dt>
                <dd>{token.created.clone()}</dd>
                <dt>{tr!(common.token_last_used)}</dt>
                <dd>{token.last_used.clone().unwrap_or_else(|| tr!(common.never).into())}</dd>
            </dl>
            <details class="edit">
                <summary>{rename_summary}</summary>
                <ActionForm action=rename>
                    <input type="hidden" name="token_id" value=token.id.to_string() />
                    <div class="field">
                        <label for=label_id.clone()>{tr!(common.enrol_label)}</label>
                        <input id=label_id name="label" type="text" value=current_label required maxlength="64" />
                    </div>
                    <div class="field">
                        <label for=device_id.clone()>{tr!(common.enrol_device)}</label>
                        <input id=device_id name="device" type="text" value=current_device maxlength="64" />
                    </div>
                    <button type="submit">{tr!(tokens.rename_save)}</button>
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
                <CodeField id="add-code" label=tr!(tokens.enrol_code) />
                <FormError error=Signal::derive(finish_error) />
                <button type="submit" class="primary" disabled=move || busy.get()>{tr!(tokens.add_totp_finish)}</button>
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <Show when=move || elsewhere>
                <p class="hint" role="status">{tr!(tokens.add_totp_elsewhere)}</p>
            </Show>
            <ActionForm action=start>
                <TokenNameFields prefix="add" default_label=tr!(common.kind_totp) device device_hint=true />
                <FormError error=Signal::derive(start_error) />
                <button type="submit" class="primary">{tr!(tokens.add_totp_start)}</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="device" aria-labelledby="add-totp-heading">
            <h2 id="add-totp-heading">{tr!(tokens.add_totp_heading)}</h2>
            <p>{tr!(tokens.add_totp_intro)}</p>
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
        (
            tr!(selfservice.add_sms_heading),
            tr!(selfservice.add_sms_intro),
        )
    } else {
        (
            tr!(selfservice.add_email_heading),
            tr!(selfservice.add_email_intro),
        )
    };
    let id = move |field: &str| format!("add-{kind}-{field}");
    let busy = actions.finish.pending();
    let warning = sms.then(|| view! { <p class="warning">{tr!(selfservice.sms_weaker)}</p> });
    let body = match pending {
        Some(pending) => view! {
            <p role="status">{format!("{} {}.", tr!(common.verify_code_sent), pending.target)}</p>
            <p class="hint">{tr!(selfservice.oob_code_sent_hint)}</p>
            <ActionForm action=actions.finish>
                <input type="hidden" name="token_id" value=pending.token_id.to_string() />
                <CodeField id=id("code") label=tr!(selfservice.code_received) />
                <button type="submit" class="primary" disabled=move || busy.get()>{tr!(selfservice.confirm)}</button>
            </ActionForm>
            <ActionForm action=actions.resend>
                <input type="hidden" name="token_id" value=pending.token_id.to_string() />
                <button type="submit">{tr!(common.verify_send_again)}</button>
            </ActionForm>
        }
        .into_any(),
        None => {
            let (target_label, target_type, autocomplete, default_label) = if sms {
                (tr!(selfservice.phone_number), "tel", "tel", tr!(common.kind_sms))
            } else {
                (tr!(selfservice.email_address), "email", "email", tr!(common.kind_email))
            };
            view! {
                <ActionForm action=actions.start>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <div class="field">
                        <label for=id("target")>{target_label}</label>
                        <input id=id("target") name="target" type=target_type autocomplete=autocomplete required maxlength="320"
                            aria-describedby=sms.then(|| id("target-hint")) />
                        {sms.then(|| view! { <p id=id("target-hint") class="hint">{tr!(selfservice.phone_number_hint)}</p> })}
                    </div>
                    <TokenNameFields prefix=format!("add-{kind}") default_label device />
                    <button type="submit" class="primary">{tr!(selfservice.send_code)}</button>
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
