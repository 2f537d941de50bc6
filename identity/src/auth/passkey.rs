//! Step 2 with a passkey or security key (issue 17): the browser's WebAuthn prompt instead of a
//! code. The prompt's challenge is kept bound to the sign-in attempt and taken once; the answer
//! must come from MAYI ID's origin, be signed by an active passkey of the attempt's account, and
//! move its signature counter on (a counter that goes backwards is a possible clone: refused and
//! audited). The new counter is written by one conditional UPDATE in the transaction that opens
//! the session, so two sign-ins with one reading of the counter open at most one session.
//!
//! Every answer counts as a guess on the account's `passkey` limit before it is checked, like a
//! code; each refusal is audited as `passkey.refused` with its reason.

use super::{Authenticator, Client};
use crate::store::{CeremonyPlace, CounterMove, NewCeremony, Spend};
use crate::{
    Account, Attempt, AuditAction, AuditOutcome, AuthenticationState, DomainError, Factor,
    NewAuditEvent, PasskeyCredential, PasskeyRefusal, SessionToken, TokenId, TokenState,
    PASSKEY_CEREMONY_TTL,
};

impl Authenticator {
    /// Begins a passkey sign-in in `attempt`: the options for the browser's prompt (JSON),
    /// allowing the account's active passkeys. Beginning again replaces the prompt before (its
    /// answer is then refused). [`DomainError::UnusableToken`] when the account has none.
    pub async fn start_passkey(&self, attempt: &Attempt) -> Result<String, DomainError> {
        let rp = self.relying_party()?;
        let account = attempt.account();
        let credentials = self
            .store
            .passkey_credentials(account.id, &[TokenState::Active])
            .await?
            .iter()
            .map(|c| PasskeyCredential::from_stored(&c.record))
            .collect::<Result<Vec<_>, _>>()?;
        if credentials.is_empty() {
            return Err(DomainError::UnusableToken);
        }
        let challenge = rp.start_authentication(&credentials)?;
        let ceremony = NewCeremony {
            account: account.id,
            place: CeremonyPlace::Attempt(attempt.row().id),
            state: challenge.state.to_stored()?,
            label: None,
            device: None,
        };
        self.store
            .begin_passkey_ceremony(ceremony, PASSKEY_CEREMONY_TTL)
            .await
            .map_err(|e| match e {
                DomainError::NotFound(_) => DomainError::AttemptExpired,
                other => other,
            })?;
        Ok(challenge.options)
    }

    /// Step 2 with the browser's answer `response` (JSON) to the prompt begun in `attempt`:
    /// opens a full session, or [`DomainError::PasskeyRefused`] (counted as a failed guess,
    /// audited with its reason).
    pub async fn verify_passkey(
        &self,
        attempt: &Attempt,
        response: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        let rp = self.relying_party()?.clone();
        let result = self
            .guess(attempt, Factor::Passkey, client, async |row, account| {
                let place = CeremonyPlace::Attempt(row.id);
                let Some(taken) = self.store.take_passkey_ceremony(account.id, place).await? else {
                    return self
                        .passkey_refused(account, None, PasskeyRefusal::NoOpenPrompt, client)
                        .await;
                };
                let state = AuthenticationState::from_stored(&taken.state)?;
                let asserted = match rp.finish_authentication(&state, response) {
                    Ok(asserted) => asserted,
                    Err(refusal) => {
                        return self.passkey_refused(account, None, refusal, client).await;
                    }
                };
                let stored = self
                    .store
                    .passkey_credential(account.id, &asserted.credential_id)
                    .await?;
                let Some(stored) = stored else {
                    let refusal = PasskeyRefusal::UnknownCredential;
                    return self.passkey_refused(account, None, refusal, client).await;
                };
                if stored.state != TokenState::Active {
                    let refusal = PasskeyRefusal::InactiveToken;
                    return self
                        .passkey_refused(account, Some(stored.token), refusal, client)
                        .await;
                }
                // The prompt's copy of the credential may be older than the stored one (another
                // sign-in since): the counter must move on from the stored one too, unless the
                // authenticator keeps none (both zero).
                if (asserted.counter, stored.counter) != (0, 0)
                    && asserted.counter <= stored.counter
                {
                    let refusal = PasskeyRefusal::PossibleClone;
                    return self
                        .passkey_refused(account, Some(stored.token), refusal, client)
                        .await;
                }
                let credential = PasskeyCredential::from_stored(&stored.record)?;
                let record = match asserted.updated(&credential) {
                    Some(updated) => Some(updated.to_stored()?),
                    None => None,
                };
                Ok(Some(super::second_factor::Pass {
                    token: stored.token,
                    spend: Some(Spend::PasskeyCounter(CounterMove {
                        token: stored.token,
                        was: stored.counter,
                        now: asserted.counter,
                        record,
                    })),
                }))
            })
            .await;
        result.map_err(|e| match e {
            DomainError::InvalidCode => DomainError::PasskeyRefused,
            other => other,
        })
    }

    /// Audits a refused passkey answer (`passkey.refused`, with the reason and the token when
    /// known) and says "no pass" to [`Self::guess`], which counts and audits the failure.
    async fn passkey_refused(
        &self,
        account: &Account,
        token: Option<TokenId>,
        refusal: PasskeyRefusal,
        client: &Client,
    ) -> Result<Option<super::second_factor::Pass>, DomainError> {
        let event = NewAuditEvent::own(
            AuditAction::PasskeyRefused,
            AuditOutcome::Denied,
            account.id,
            client,
        )
        .details(serde_json::json!({
            "reason": refusal.as_str(),
            "token_id": token.map(|t| t.0),
            "step": "sign_in",
        }));
        self.store.audit(event).await?;
        Ok(None)
    }
}
