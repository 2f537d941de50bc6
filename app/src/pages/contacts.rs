use leptos::prelude::*;
use mayi_types::ContactKind;

use crate::{
    api::{
        my_contacts, AddContact, ConfirmContact, ContactView, ContactsView, Reauthenticate,
        RemoveContact, ResendContactCode, SetRecoveryAddress,
    },
    pages::{CodeField, Confirm, ConfirmPassword, DangerButton},
    text,
};

/// The actions of the contact list.
#[derive(Clone, Copy)]
struct ContactActions {
    add: ServerAction<AddContact>,
    confirm: ServerAction<ConfirmContact>,
    resend: ServerAction<ResendContactCode>,
    remove: ServerAction<RemoveContact>,
    recovery: ServerAction<SetRecoveryAddress>,
}

/// The account's email addresses and phone numbers: add (confirmed by a code sent there),
/// remove, choose the recovery address. Changes need a recent sign-in or password (RB-1).
#[component]
pub fn Contacts() -> impl IntoView {
    let reauth = ServerAction::<Reauthenticate>::new();
    let actions = ContactActions {
        add: ServerAction::new(),
        confirm: ServerAction::new(),
        resend: ServerAction::new(),
        remove: ServerAction::new(),
        recovery: ServerAction::new(),
    };
    let contacts = Resource::new_blocking(
        move || {
            (
                reauth.version().get(),
                actions.add.version().get(),
                actions.confirm.version().get(),
                actions.resend.version().get(),
                actions.remove.version().get(),
                actions.recovery.version().get(),
            )
        },
        |_| my_contacts(),
    );
    let error = move || {
        [
            actions.add.value().get().and_then(|r| r.err()),
            actions.confirm.value().get().and_then(|r| r.err()),
            actions.resend.value().get().and_then(|r| r.err()),
            actions.remove.value().get().and_then(|r| r.err()),
            actions.recovery.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let done = move || {
        let ok = |v: Option<Result<(), crate::AppError>>| matches!(v, Some(Ok(())));
        if ok(actions.add.value().get()) {
            Some(tr!(selfservice.contact_added))
        } else if ok(actions.confirm.value().get()) {
            Some(tr!(selfservice.contact_confirmed_done))
        } else if ok(actions.remove.value().get()) {
            Some(tr!(selfservice.contact_removed_done))
        } else if ok(actions.recovery.value().get()) {
            Some(tr!(selfservice.contact_recovery_done))
        } else if ok(actions.resend.value().get()) {
            Some(tr!(selfservice.code_resent))
        } else {
            None
        }
    };
    view! {
        <section class="contacts" aria-labelledby="contacts-heading">
            <h2 id="contacts-heading">{tr!(selfservice.contacts_heading)}</h2>
            <p>{tr!(selfservice.contacts_intro)}</p>
            {move || done().map(|message| view! { <p class="success" role="status">{message}</p> })}
            {move || error().map(|error| view! { <p class="error" role="alert">{error.to_string()}</p> })}
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match contacts.await {
                        Ok(view) => view! { <ContactList view actions reauth /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ContactList(
    view: ContactsView,
    actions: ContactActions,
    reauth: ServerAction<Reauthenticate>,
) -> impl IntoView {
    let may_change = view.may_change;
    let list = if view.contacts.is_empty() {
        view! { <p>{tr!(selfservice.contacts_none)}</p> }.into_any()
    } else {
        view! {
            <ul class="token-list" aria-label=tr!(selfservice.contacts_list)>
                {view
                    .contacts
                    .into_iter()
                    .map(|contact| view! { <ContactItem contact may_change actions /> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let change = if may_change {
        view! {
            <AddContactForm kind=ContactKind::Email actions />
            <AddContactForm kind=ContactKind::Phone actions />
        }
        .into_any()
    } else {
        view! { <ConfirmPassword action=reauth /> }.into_any()
    };
    view! { {list} {change} }
}

#[component]
fn ContactItem(contact: ContactView, may_change: bool, actions: ContactActions) -> impl IntoView {
    let kind = if contact.kind == ContactKind::Phone {
        tr!(selfservice.contact_kind_phone)
    } else {
        tr!(selfservice.contact_kind_email)
    };
    let mut states = vec![if contact.confirmed {
        tr!(selfservice.contact_confirmed)
    } else {
        tr!(selfservice.contact_unconfirmed)
    }];
    if contact.is_recovery {
        states.push(tr!(selfservice.contact_recovery));
    }
    let value = contact.value.clone();
    let code_id = format!("contact-{}-code", contact.id);
    let controls = may_change.then(|| {
        let code_label = format!("{} {}", tr!(selfservice.contact_code_for), value);
        let confirm_button = format!("{} {}", tr!(selfservice.confirm), value);
        let resend_button = format!("{} {}", tr!(selfservice.contact_resend), value);
        let recovery_button = format!("{} {}", tr!(selfservice.contact_make_recovery), value);
        let confirm = (!contact.confirmed).then(move || {
            view! {
                <ActionForm action=actions.confirm>
                    <input type="hidden" name="contact_id" value=contact.id.to_string() />
                    <CodeField id=code_id label=code_label />
                    <button type="submit" class="primary">{confirm_button}</button>
                </ActionForm>
                <ActionForm action=actions.resend>
                    <input type="hidden" name="contact_id" value=contact.id.to_string() />
                    <button type="submit">{resend_button}</button>
                </ActionForm>
            }
        });
        let recovery = (contact.confirmed
            && contact.kind == ContactKind::Email
            && !contact.is_recovery)
            .then(move || {
                view! {
                    <ActionForm action=actions.recovery>
                        <input type="hidden" name="contact_id" value=contact.id.to_string() />
                        <button type="submit">{recovery_button}</button>
                    </ActionForm>
                }
            });
        view! {
            {confirm}
            {recovery}
            <Confirm
                summary=format!("{} {}", tr!(tokens.remove), value)
                explained=text::remove_contact_explained(&value, contact.is_recovery)
            >
                <ActionForm action=actions.remove>
                    <DangerButton name="contact_id" value=contact.id.to_string()
                        caption=format!("{} {}", tr!(selfservice.contact_remove_confirm), value)
                        busy=actions.remove.pending() />
                </ActionForm>
            </Confirm>
        }
    });
    view! {
        <li class="token">
            <strong>{contact.value.clone()}</strong>
            <span class="muted">{format!(" ({kind}, {})", states.join(", "))}</span>
            {controls}
        </li>
    }
}

#[component]
fn AddContactForm(kind: ContactKind, actions: ContactActions) -> impl IntoView {
    let (heading, label, input_type) = if kind == ContactKind::Phone {
        (
            tr!(selfservice.add_contact_phone),
            tr!(selfservice.phone_number),
            "tel",
        )
    } else {
        (
            tr!(selfservice.add_contact_email),
            tr!(selfservice.email_address),
            "email",
        )
    };
    let heading_id = format!("add-contact-{kind}-heading");
    let labelled_by = heading_id.clone();
    let field_id = format!("add-contact-{kind}");
    view! {
        <section class="device" aria-labelledby=labelled_by>
            <h3 id=heading_id>{heading}</h3>
            <ActionForm action=actions.add>
                <input type="hidden" name="kind" value=kind.as_str() />
                <div class="field">
                    <label for=field_id.clone()>{label}</label>
                    <input id=field_id name="value" type=input_type autocomplete=input_type required maxlength="320" />
                </div>
                <button type="submit">{tr!(selfservice.contact_add_button)}</button>
            </ActionForm>
        </section>
    }
}
