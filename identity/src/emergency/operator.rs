//! Emergency codes issued by an operator in the console (EC-9, RB-4, AU-5): for a person who
//! lost every token and has no recovery address, after the operator verified who they are.

use std::time::Duration;

use super::{
    cancel_url, format_utc, CodeIssuer, EmergencyCode, EmergencyCodeInfo, EmergencyPolicy,
    NewEmergencyCode,
};
use crate::{
    auth::notice_messages, notify, Account, AccountState, AuditAction, AuditOutcome, Client,
    DomainError, NewAuditEvent, Role, SessionToken,
};

/// Longest verification note and reason an operator may type, in characters.
pub const OPERATOR_NOTE_MAX_CHARS: usize = 200;

/// What an operator asks for when issuing a code.
#[derive(Clone, Debug)]
pub struct OperatorIssue<'a> {
    /// How the identity was verified ("ID card checked at the desk"); required (RB-4).
    pub verification: &'a str,
    /// Why the code is needed; required (RB-4).
    pub reason: &'a str,
    /// Uses, within [`EmergencyPolicy::MIN_USES`]..=[`EmergencyPolicy::MAX_USES`].
    pub max_uses: u32,
    /// Lifetime, within [`EmergencyPolicy::MIN_LIFETIME`]..=[`EmergencyPolicy::MAX_LIFETIME`].
    pub lifetime: Duration,
}

impl super::EmergencyAccess {
    /// Issues an emergency code for `user` on behalf of `operator` (an account with the role
    /// operator or admin; the console made sure of that for this very request). Rules, checked
    /// before anything is written, each refusal audited as `emergency.code_issued` / denied:
    /// - verification and reason are required single lines of at most 200 characters (RB-4);
    /// - uses and lifetime within the policy bounds (EC-5);
    /// - not for oneself (EC-9);
    /// - only an admin may issue one for an operator or admin, and that issuance also writes an
    ///   `alert.privileged_code` event (AU-5);
    /// - the user's account must be active (a locked account gets nothing).
    ///
    /// The new code revokes the user's earlier one and the sessions it opened, and every
    /// confirmed contact is told (EC-13), in one transaction. Audited with operator, target,
    /// uses, lifetime, verification and reason (AU-5). Returns the code (to be shown once) and
    /// its metadata.
    pub(crate) async fn issue_by_operator(
        &self,
        operator: &Account,
        user: &Account,
        request: &OperatorIssue<'_>,
        client: &Client,
    ) -> Result<(EmergencyCode, EmergencyCodeInfo), DomainError> {
        let checked = self.check_operator_issue(operator, user, request);
        let (verification, reason) = match checked {
            Ok(ok) => ok,
            Err(error) => {
                let refused = match &error {
                    DomainError::Invalid(_) | DomainError::InvalidInput { .. } => "invalid",
                    DomainError::NotEmergency => "not_allowed",
                    _ => "error",
                };
                self.store
                    .audit(
                        NewAuditEvent::new(AuditAction::EmergencyCodeIssued, AuditOutcome::Denied)
                            .actor(operator.id)
                            .subject(user.id)
                            .client(client.ip.clone(), client.user_agent.clone())
                            .details(serde_json::json!({
                                "issuer": "operator",
                                "refused": refused,
                            })),
                    )
                    .await?;
                return Err(error);
            }
        };
        let code = EmergencyCode::generate();
        let cancel = SessionToken::generate();
        let now = self.now();
        let expires_at = now.plus(request.lifetime);
        let new = NewEmergencyCode {
            account_id: user.id,
            code_hash: code.hash(&self.codes, user.id),
            issuer: CodeIssuer::Operator,
            issued_by: Some(operator.id),
            reason: "operator".to_owned(),
            reason_text: Some(reason.clone()),
            verification: Some(verification.clone()),
            valid_from: now,
            expires_at,
            max_uses: request.max_uses,
            cancel_hash: Some(cancel.hash()),
            unknown_browser: false,
        };
        let notice = notify::emergency_code_issued_notice(
            &user.display_name,
            true,
            &format_utc(expires_at),
            None,
            &cancel_url(self.public_url(), &cancel),
        );
        let notices = notice_messages(&self.store, user.id, &notice).await?;
        let id = self.store.issue_emergency_code(&new, &notices).await?;
        let privileged = user.role != Role::User;
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::EmergencyCodeIssued, AuditOutcome::Success)
                    .actor(operator.id)
                    .subject(user.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({
                        "code_id": id.0,
                        "issuer": "operator",
                        "operator": operator.username.as_str(),
                        "target": user.username.as_str(),
                        "target_role": user.role.as_str(),
                        "max_uses": request.max_uses,
                        "lifetime_minutes": request.lifetime.as_secs() / 60,
                        "expires_at": expires_at.as_millis(),
                        "verification": verification,
                        "reason": reason,
                    })),
            )
            .await?;
        if privileged {
            self.store
                .audit(
                    NewAuditEvent::new(AuditAction::PrivilegedCodeAlert, AuditOutcome::Success)
                        .actor(operator.id)
                        .subject(user.id)
                        .client(client.ip.clone(), client.user_agent.clone())
                        .details(serde_json::json!({
                            "code_id": id.0,
                            "target_role": user.role.as_str(),
                        })),
                )
                .await?;
        }
        let info = self.store.emergency_code(id).await?.ok_or_else(|| {
            DomainError::Internal("an issued emergency code was not found".into())
        })?;
        Ok((code, info))
    }

    /// The checks of [`Self::issue_by_operator`]; returns the cleaned verification and reason.
    /// `NotEmergency` stands for "not allowed" here (self-issue, operator target).
    fn check_operator_issue(
        &self,
        operator: &Account,
        user: &Account,
        request: &OperatorIssue<'_>,
    ) -> Result<(String, String), DomainError> {
        if operator.role == Role::User || operator.state != AccountState::Active {
            return Err(DomainError::NotEmergency);
        }
        if operator.id == user.id {
            return Err(DomainError::Invalid(
                "you cannot issue an emergency access code for yourself: ask another operator"
                    .into(),
            ));
        }
        if user.role != Role::User && operator.role != Role::Admin {
            return Err(DomainError::Invalid(
                "only an administrator may issue an emergency access code for an operator".into(),
            ));
        }
        if user.state != AccountState::Active {
            return Err(DomainError::Invalid(
                "the account is locked: unlock it first".into(),
            ));
        }
        let verification = crate::text::single_line(
            "verification",
            request.verification,
            OPERATOR_NOTE_MAX_CHARS,
            false,
        )?;
        let reason =
            crate::text::single_line("reason", request.reason, OPERATOR_NOTE_MAX_CHARS, false)?;
        EmergencyPolicy {
            max_uses: request.max_uses,
            lifetime: request.lifetime,
            wait: Duration::ZERO,
            wait_unknown: Duration::ZERO,
        }
        .check()?;
        Ok((verification, reason))
    }

    /// Seals a code for the one-time hand-over to the operator's screen (see
    /// [`crate::Console::take_code`]); `aad` binds it to the operator's session and the code.
    pub(crate) fn seal_code(&self, code: &EmergencyCode, aad: &[u8]) -> crate::Result<Vec<u8>> {
        self.cipher.encrypt(code.as_str().as_bytes(), aad)
    }

    /// Opens a sealed hand-over code.
    pub(crate) fn open_code(&self, sealed: &[u8], aad: &[u8]) -> crate::Result<EmergencyCode> {
        let plain = self.cipher.decrypt(sealed, aad)?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| DomainError::Internal("sealed emergency code is not text".into()))?;
        EmergencyCode::parse(text)
            .ok_or_else(|| DomainError::Internal("sealed emergency code is malformed".into()))
    }
}
