//! Server functions of contacts and the recovery address (page `contacts`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use mayi_types::ContactKind;

/// One email address or phone number of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: i64,
    /// "email" or "phone".
    pub kind: ContactKind,
    /// The address, or the number grouped for reading.
    pub value: String,
    pub confirmed: bool,
    pub is_recovery: bool,
}

/// The caller's contacts, and whether the session may change them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsView {
    pub contacts: Vec<ContactView>,
    /// The session's sign-in or password re-entry is recent enough (RB-1).
    pub may_change: bool,
}

/// The caller's email addresses and phone numbers.
///
/// Who may call it: a signed-in user; only their own contacts are listed.
#[server(prefix = "/api", endpoint = "my_contacts")]
pub async fn my_contacts() -> Result<ContactsView, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    let contacts = respond(state.enrolment.contacts(&caller).await)?;
    Ok(ContactsView {
        contacts: contacts.iter().map(contact_view).collect(),
        may_change: state.enrolment.is_recent(caller.session()),
    })
}

/// A contact as its owner sees it (a phone number grouped for reading).
#[cfg(feature = "ssr")]
fn contact_view(contact: &identity::Contact) -> ContactView {
    ContactView {
        id: contact.id.0,
        kind: contact.kind,
        value: identity::shown_stored_contact(contact.kind, &contact.value),
        confirmed: contact.confirmed,
        is_recovery: contact.is_recovery,
    }
}

/// Adds an email address (`kind` "email") or phone number (`kind` "phone") and sends a code
/// to it; it is used once confirmed.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent.
#[server(prefix = "/api", endpoint = "add_contact")]
pub async fn add_contact(kind: String, value: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let kind = match ContactKind::parse(&kind) {
        Ok(kind) => kind,
        Err(_) => return respond(Err(AppError::BadRequest)),
    };
    let added = state
        .enrolment
        .add_contact(&caller, kind, &value, &client())
        .await
        .map_err(map_contact);
    respond(added)?;
    Ok(())
}

/// Confirms one of the caller's contacts with the code sent to it.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "confirm_contact")]
pub async fn confirm_contact(contact_id: i64, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    super::typed_code(&code, identity::TYPED_CODE_MAX_BYTES)?;
    let confirmed = state
        .enrolment
        .confirm_contact(&caller, identity::ContactId(contact_id), &code, &client())
        .await
        .map_err(map_contact);
    respond(confirmed)?;
    Ok(())
}

/// Sends a new code to one of the caller's unconfirmed contacts.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "resend_contact_code")]
pub async fn resend_contact_code(contact_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let sent = state
        .enrolment
        .resend_contact_code(&caller, identity::ContactId(contact_id), &client())
        .await
        .map_err(map_contact);
    respond(sent)?;
    Ok(())
}

/// Removes one of the caller's contacts.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "remove_contact")]
pub async fn remove_contact(contact_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let removed = state
        .enrolment
        .remove_contact(&caller, identity::ContactId(contact_id), &client())
        .await
        .map_err(map_contact);
    respond(removed)?;
    Ok(())
}

/// Makes one of the caller's confirmed email addresses their recovery address.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "set_recovery_address")]
pub async fn set_recovery_address(contact_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let set = state
        .enrolment
        .set_recovery_address(&caller, identity::ContactId(contact_id), &client())
        .await
        .map_err(map_contact);
    respond(set)?;
    Ok(())
}
