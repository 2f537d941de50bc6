//! "Block my lost phone now" (issue 13 item 5): with the username and password alone (sign-in's
//! limits and uniform answers, through a sign-in attempt), every token of one device is blocked
//! and everyone is signed out. Nothing else is unlocked: no session, no code. Undoing a block
//! needs a recovery ([`crate::TokenService::unblock`]).

use crate::store::Blocked;
use crate::{
    notify, text::device_name, Attempt, AuditAction, AuditOutcome, Authenticator, Client,
    DomainError, NewAuditEvent,
};

impl Authenticator {
    /// Blocks every active token on `device` of the account whose password opened `attempt`,
    /// ends every session, pending attempt (this one included) and open wizard of the account,
    /// tells every confirmed contact and audits it. `None` when the account has no active token
    /// on that device (nothing changes).
    pub async fn freeze_device(
        &self,
        attempt: &Attempt,
        device: &str,
        client: &Client,
    ) -> Result<Option<Blocked>, DomainError> {
        let account = attempt.account();
        let Some(device) = device_name(device)? else {
            return Ok(None);
        };
        let public_url = self.public_url().to_owned();
        let blocked = self
            .store()
            .block_device(
                account.id,
                &device,
                |blocked| {
                    notify::device_blocked_notice(
                        &account.display_name,
                        &device,
                        blocked.tokens.len(),
                        &public_url,
                    )
                },
                |blocked| {
                    blocked
                        .tokens
                        .iter()
                        .map(|token| {
                            NewAuditEvent::new(AuditAction::TokenBlocked, AuditOutcome::Success)
                                .actor(account.id)
                                .subject(account.id)
                                .client(client.ip.clone(), client.user_agent.clone())
                                .details(serde_json::json!({
                                    "token_id": token.id.0,
                                    "kind": token.kind.as_str(),
                                    "device": device.as_str(),
                                    "sessions_ended": blocked.sessions_ended,
                                    "how": "password",
                                }))
                        })
                        .collect()
                },
            )
            .await?;
        Ok(blocked)
    }
}
