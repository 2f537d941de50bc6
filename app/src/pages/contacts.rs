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
            Some(text::CONTACT_ADDED)
        } else if ok(actions.confirm.value().get()) {
            Some(text::CONTACT_CONFIRMED_DONE)
        } else if ok(actions.remove.value().get()) {
            Some(text::CONTACT_REMOVED_DONE)
        } else if ok(actions.recovery.value().get()) {
            Some(text::CONTACT_RECOVERY_DONE)
        } else if ok(actions.resend.value().get()) {
            Some(text::CODE_RESENT)
        } else {
            None
        }
    };
    view! {
        <section class="contacts" aria-labelledby="contacts-heading">
            <h2 id="contacts-heading">{text::CONTACTS_HEADING}</h2>
            <p>{text::CONTACTS_INTRO}</p>
            {move || done().map(|message| view! { <p class="success" role="status">{message}</p> })}
            {move || error().map(|error| view! { <p class="error" role="alert">{error.to_string()}</p> })}
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
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
        view! { <p>{text::CONTACTS_NONE}</p> }.into_any()
    } else {
        view! {
            <ul class="token-list" aria-label=text::CONTACTS_LIST>
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
        text::CONTACT_KIND_PHONE
    } else {
        text::CONTACT_KIND_EMAIL
    };
    let mut states = vec![if contact.confirmed {
        text::CONTACT_CONFIRMED
    } else {
        text::CONTACT_UNCONFIRMED
    }];
    if contact.is_recovery {
        states.push(text::CONTACT_RECOVERY);
    }
    let value = contact.value.clone();
    let code_id = format!("contact-{}-code", contact.id);
    let controls = may_change.then(|| {
        let code_label = format!("{} {}", text::CONTACT_CODE_FOR, value);
        let confirm_button = format!("{} {}", text::CONFIRM, value);
        let resend_button = format!("{} {}", text::CONTACT_RESEND, value);
        let recovery_button = format!("{} {}", text::CONTACT_MAKE_RECOVERY, value);
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
                summary=format!("{} {}", text::REMOVE, value)
                explained=text::remove_contact_explained(&value, contact.is_recovery)
            >
                <ActionForm action=actions.remove>
                    <DangerButton name="contact_id" value=contact.id.to_string()
                        caption=format!("{} {}", text::CONTACT_REMOVE_CONFIRM, value)
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
        (text::ADD_CONTACT_PHONE, text::PHONE_NUMBER, "tel")
    } else {
        (text::ADD_CONTACT_EMAIL, text::EMAIL_ADDRESS, "email")
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
                <button type="submit">{text::CONTACT_ADD_BUTTON}</button>
            </ActionForm>
        </section>
    }
}
