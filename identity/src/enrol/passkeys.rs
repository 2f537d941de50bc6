//! Adding a passkey or security key (issue 17) from a session whose sign-in is recent, or from
//! the restricted emergency session (the moment a person with a lost phone sets up a factor
//! that is not on a phone). The browser's prompt is begun and answered in the same session; its
//! challenge is kept bound to that session and taken once. The new token is active at once (the
//! answer proved the authenticator), bound to the session like any token added there (so "this
//! was not me" undoes it), and its "token added" notice is queued in the same transaction.

use super::Enrolment;
use crate::store::{CeremonyPlace, NewCeremony, NewCredential};
use crate::{
    AuditAction, AuditOutcome, Client, DomainError, EnrolBinding, NewAuditEvent, NewToken,
    PasskeyCredential, PasskeyRefusal, RegistrationState, SignedIn, Token, TokenKind, TokenState,
    PASSKEY_CEREMONY_TTL,
};

impl Enrolment {
    /// Whether passkeys can be added on this server.
    pub fn passkeys_available(&self) -> bool {
        self.auth.passkeys_available()
    }

    /// Begins adding a passkey named `label` (on `device`) in the caller's session: the options
    /// for the browser's prompt (JSON). The account's passkeys (any state but removed) are
    /// excluded, so one authenticator is never added twice. Beginning again replaces the prompt
    /// before.
    pub async fn start_passkey(
        &self,
        caller: &SignedIn,
        label: &str,
        device: &str,
    ) -> Result<String, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        if !self.is_recent(session) {
            return Err(DomainError::NotRecent);
        }
        let rp = self.auth.relying_party()?;
        let label = crate::token_label(label)?;
        let device = crate::device_name(device)?;
        let handle = self.store.passkey_handle(account.id).await?;
        let existing = self
            .store
            .passkey_credentials(
                account.id,
                &[TokenState::Pending, TokenState::Active, TokenState::Blocked],
            )
            .await?
            .iter()
            .map(|c| PasskeyCredential::from_stored(&c.record))
            .collect::<Result<Vec<_>, _>>()?;
        let challenge = rp.start_registration(
            uuid_of(handle),
            account.username.as_str(),
            &account.display_name,
            &existing,
        )?;
        let ceremony = NewCeremony {
            account: account.id,
            place: CeremonyPlace::Session(session.id),
            state: challenge.state.to_stored()?,
            label: Some(label),
            device,
        };
        self.store
            .begin_passkey_ceremony(ceremony, PASSKEY_CEREMONY_TTL)
            .await?;
        Ok(challenge.options)
    }

    /// Finishes adding the passkey with the browser's answer `response` (JSON) to the prompt
    /// begun in this session: the new token, active. A refused answer (another site's, an old
    /// or replayed prompt's, an authenticator already added) adds nothing, is audited as
    /// `passkey.refused` and `token.added` failure, and is [`DomainError::PasskeyRefused`].
    pub async fn finish_passkey(
        &self,
        caller: &SignedIn,
        response: &str,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        if !self.is_recent(session) {
            return Err(DomainError::NotRecent);
        }
        let rp = self.auth.relying_party()?;
        let place = CeremonyPlace::Session(session.id);
        let Some(taken) = self.store.take_passkey_ceremony(account.id, place).await? else {
            return Err(self
                .registration_refused(caller, PasskeyRefusal::NoOpenPrompt, client)
                .await?);
        };
        let state = RegistrationState::from_stored(&taken.state)?;
        let registered = match rp.finish_registration(&state, response) {
            Ok(registered) => registered,
            Err(refusal) => return Err(self.registration_refused(caller, refusal, client).await?),
        };
        let label = taken
            .label
            .ok_or_else(|| DomainError::Internal("a registration without a name".into()))?;
        let notice =
            crate::notify::token_added_notice(&account.display_name, &label, self.public_url());
        let notices = crate::auth::notice_messages(&self.store, account.id, &notice).await?;
        let credential = NewCredential {
            credential_id: registered.credential.id().to_vec(),
            record: registered.credential.to_stored()?,
            counter: registered.credential.counter(),
            aaguid: registered.aaguid,
            transports: registered.transports,
        };
        let token = NewToken {
            account_id: account.id,
            kind: TokenKind::Webauthn,
            label,
            device: taken.device,
            state: TokenState::Active,
            secret_enc: None,
            target: None,
        };
        let by = EnrolBinding::Session(session.id);
        let id = match self
            .store
            .insert_passkey_token(token, credential, by, &notices)
            .await
        {
            Ok(id) => id,
            Err(DomainError::Conflict(_)) => {
                let refusal = PasskeyRefusal::UnknownCredential;
                return Err(self.registration_refused(caller, refusal, client).await?);
            }
            Err(other) => return Err(other),
        };
        let aaguid = registered.aaguid.map(|a| uuid_of(a).to_string());
        self.store
            .audit(
                NewAuditEvent::own(
                    AuditAction::TokenAdded,
                    AuditOutcome::Success,
                    account.id,
                    client,
                )
                .details(serde_json::json!({
                    "token_id": id.0,
                    "kind": TokenKind::Webauthn.as_str(),
                    "aaguid": aaguid,
                })),
            )
            .await?;
        self.stored_token(account, id).await
    }

    /// Audits a refused registration (`passkey.refused` with the reason, and `token.added`
    /// failure) and returns the error to answer.
    async fn registration_refused(
        &self,
        caller: &SignedIn,
        refusal: PasskeyRefusal,
        client: &Client,
    ) -> Result<DomainError, DomainError> {
        let account = caller.account_id();
        let refused = NewAuditEvent::own(
            AuditAction::PasskeyRefused,
            AuditOutcome::Denied,
            account,
            client,
        )
        .details(serde_json::json!({ "reason": refusal.as_str(), "step": "add" }));
        self.store.audit(refused).await?;
        let failed = NewAuditEvent::own(
            AuditAction::TokenAdded,
            AuditOutcome::Failure,
            account,
            client,
        )
        .details(serde_json::json!({ "kind": TokenKind::Webauthn.as_str() }));
        self.store.audit(failed).await?;
        Ok(DomainError::PasskeyRefused)
    }
}

/// A 16-byte value as the UUID WebAuthn carries it.
fn uuid_of(bytes: [u8; 16]) -> webauthn_rs::prelude::Uuid {
    webauthn_rs::prelude::Uuid::from_bytes(bytes)
}
