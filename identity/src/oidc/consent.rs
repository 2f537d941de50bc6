//! Consent (issue 18): an application not run by the organisation signs a person in only after
//! that person allowed it, once per application and set of scopes, until they take it back on
//! their account page (which also revokes the application's access tokens). Operators list the
//! registered applications; an administrator disables one.

use serde_json::json;

use super::{Approval, ClientId, OidcProvider, SigningKey};
use crate::{AuditAction, AuditOutcome, DomainError, FullSession, NewAuditEvent, Operator};

/// An application a person allowed to sign them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub client_id: ClientId,
    /// The application's name, as registered.
    pub application: String,
    /// The scopes allowed (`openid` first).
    pub scopes: Vec<String>,
    pub granted_at: crate::Timestamp,
}

impl OidcProvider {
    /// Whether `caller` must be asked before `approval` goes on: never for the organisation's
    /// own applications; otherwise unless they allowed this application every scope it asks
    /// for now.
    pub async fn needs_consent(
        &self,
        caller: &FullSession,
        approval: &Approval,
    ) -> Result<bool, DomainError> {
        if approval.client.first_party {
            return Ok(false);
        }
        let allowed = self
            .store
            .oidc_consent(caller.account_id(), &approval.client.id)
            .await?;
        Ok(match allowed {
            Some(allowed) => {
                let allowed: Vec<&str> = allowed.split(' ').collect();
                !approval.scopes.iter().all(|s| allowed.contains(s))
            }
            None => true,
        })
    }

    /// `caller` allows the application of `approval` its scopes (with those it was allowed
    /// before), audited as `oidc.consented`.
    pub async fn grant_consent(
        &self,
        caller: &FullSession,
        approval: &Approval,
    ) -> Result<(), DomainError> {
        let before = self
            .store
            .oidc_consent(caller.account_id(), &approval.client.id)
            .await?
            .unwrap_or_default();
        let scopes: Vec<&str> = super::SCOPES
            .iter()
            .copied()
            .filter(|s| approval.scopes.contains(s) || before.split(' ').any(|b| b == *s))
            .collect();
        let scope = scopes.join(" ");
        let event = NewAuditEvent::new(AuditAction::OidcConsented, AuditOutcome::Success)
            .actor(caller.account_id())
            .subject(caller.account_id())
            .details(json!({ "client_id": approval.client.id.as_str(), "scope": scope }));
        self.store
            .grant_oidc_consent(caller.account_id(), &approval.client.id, &scope, &event)
            .await
    }

    /// `caller` does not allow the application of `approval`: audited as `oidc.denied`; the
    /// redirect that tells the application (`access_denied`).
    pub async fn deny(
        &self,
        caller: &FullSession,
        approval: &Approval,
    ) -> Result<String, DomainError> {
        let event = NewAuditEvent::new(AuditAction::OidcDenied, AuditOutcome::Denied)
            .actor(caller.account_id())
            .subject(caller.account_id())
            .details(json!({ "client_id": approval.client.id.as_str() }));
        self.store.audit(event).await?;
        Ok(approval.refusal("access_denied"))
    }

    /// The applications `caller` allowed, newest first.
    pub async fn consents(&self, caller: &FullSession) -> Result<Vec<Consent>, DomainError> {
        Ok(self
            .store
            .oidc_consents(caller.account_id())
            .await?
            .into_iter()
            .map(|c| Consent {
                client_id: c.client_id,
                application: c.client_name,
                scopes: c.scope.split(' ').map(str::to_owned).collect(),
                granted_at: c.granted_at,
            })
            .collect())
    }

    /// `caller` takes back what they allowed the application `client` (a client ID as
    /// typed): it must ask again, and its access tokens stop now. Audited as
    /// `oidc.consent_revoked`. [`DomainError::NotFound`] when there was nothing to take back.
    pub async fn revoke_consent(
        &self,
        caller: &FullSession,
        client: &str,
    ) -> Result<(), DomainError> {
        let none = || DomainError::NotFound("no application of that name was allowed".into());
        let id = ClientId::parse(client).ok_or_else(none)?;
        let event = NewAuditEvent::new(AuditAction::OidcConsentRevoked, AuditOutcome::Success)
            .actor(caller.account_id())
            .subject(caller.account_id())
            .details(json!({ "client_id": id.as_str() }));
        if self
            .store
            .revoke_oidc_consent(caller.account_id(), &id, &event)
            .await?
        {
            Ok(())
        } else {
            Err(none())
        }
    }

    /// Every registered application, for the console (any operator).
    pub async fn clients_for(
        &self,
        _operator: &Operator,
    ) -> Result<Vec<super::Client>, DomainError> {
        self.store.oidc_clients().await
    }

    /// An administrator disables the application `client` for `reason` (required, one line):
    /// no new sign-in or token from now, its unused codes and its access tokens revoked.
    /// Audited as `oidc.client_disabled`. [`DomainError::Forbidden`] for an operator who is not
    /// an administrator, [`DomainError::NotFound`] for an unknown or already disabled client.
    pub async fn disable_client(
        &self,
        operator: &Operator,
        client: &str,
        reason: &str,
    ) -> Result<(), DomainError> {
        if !operator.is_admin() {
            return Err(DomainError::Forbidden);
        }
        let reason = crate::console::action_reason(reason)?;
        self.disable(client, Some((operator.id(), reason))).await
    }

    /// The same from the command line (the machine's administrator; `"via": "cli"`).
    pub async fn disable_client_from_cli(&self, client: &str) -> Result<(), DomainError> {
        self.disable(client, None).await
    }

    async fn disable(
        &self,
        client: &str,
        by: Option<(crate::AccountId, String)>,
    ) -> Result<(), DomainError> {
        let none = || DomainError::NotFound("no such application, or it is disabled".into());
        let id = ClientId::parse(client).ok_or_else(none)?;
        let mut event = NewAuditEvent::new(AuditAction::OidcClientDisabled, AuditOutcome::Success);
        event = match by {
            Some((actor, reason)) => event
                .actor(actor)
                .details(json!({ "client_id": id.as_str(), "reason": reason })),
            None => event.details(json!({ "client_id": id.as_str(), "via": "cli" })),
        };
        if self.store.disable_oidc_client(&id, &event).await? {
            Ok(())
        } else {
            Err(none())
        }
    }

    /// Replaces the ID-token signing key (from the command line): a new key signs from now;
    /// the old one stays in the JWKS for [`super::RETIRED_KEY_PUBLISHED`], longer than any
    /// token it signed lives. Audited as `oidc.key_rotated`; returns the new key's `kid`.
    pub async fn rotate_signing_key(&self) -> Result<String, DomainError> {
        let old = self.signing_key().await?;
        let key = SigningKey::generate()?;
        let event = NewAuditEvent::new(AuditAction::OidcKeyRotated, AuditOutcome::Success)
            .details(json!({ "via": "cli", "retired_kid": old.kid(), "kid": key.kid() }));
        self.store
            .rotate_signing_key(key.kid(), &key.seal(self.cipher())?, &event)
            .await?;
        Ok(key.kid().to_owned())
    }
}
