//! The authorization code flow (issue 18; RFC 6749 §4.1, OIDC Core §3.1, RFC 7636, RFC 9700):
//! checking an authorization request, approving it from a full session (a code), exchanging
//! the code for an ID token and an access token, and the userinfo claims.
//!
//! A restricted emergency session never approves anything (the capability is a
//! [`FullSession`]); a code is used once, within [`CODE_TTL`], by the client it was issued to,
//! with the same redirect URI and, if it was asked with a PKCE challenge, the verifier; a code
//! presented twice revokes the tokens it gave. A session that has ended, or an account that is
//! locked, gets no new token.

use std::time::Duration;

use super::{Client, ClientId, CodeChallenge, IdTokenClaims, OidcProvider, RedirectUri};
use crate::store::{NewCode, Redemption};
use crate::{AuditAction, AuditOutcome, DomainError, FullSession, NewAuditEvent, SessionToken};

/// How long a code may wait for its token request (RFC 6749 §4.1.2: "shortly"; 10 minutes at
/// most).
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long an access token (for userinfo) and an ID token are valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(10 * 60);
/// The scopes MAYI ID knows; others are ignored.
pub const SCOPES: &[&str] = &["openid", "profile", "email"];
/// The longest `state` and `nonce` taken.
pub const STATE_MAX_BYTES: usize = 1024;

/// An authorization request's parameters, as the client sent them.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request is refused, and how to say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeRefusal {
    /// The client or redirect URI cannot be trusted: tell the person, never redirect
    /// (RFC 6749 §4.1.2.1). The text is for the person.
    Show(&'static str),
    /// Send the browser back to the client's verified redirect URI with an OAuth error.
    Redirect(String),
}

/// A checked authorization request, waiting for the person's approval.
#[derive(Clone, Debug)]
pub struct Approval {
    pub client: Client,
    pub redirect_uri: RedirectUri,
    /// The known scopes asked for, `openid` first.
    pub scopes: Vec<&'static str>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub challenge: Option<CodeChallenge>,
}

impl AuthorizationRequest {
    /// The request in a query string (`client_id=…&redirect_uri=…`, form-url-encoded). A
    /// parameter given twice keeps its first value (RFC 6749 §3.1 forbids repeating one; the
    /// first is the one every later check reads).
    pub fn from_query(query: &str) -> Self {
        let mut request = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let slot = match key.as_ref() {
                "client_id" => &mut request.client_id,
                "redirect_uri" => &mut request.redirect_uri,
                "response_type" => &mut request.response_type,
                "scope" => &mut request.scope,
                "state" => &mut request.state,
                "nonce" => &mut request.nonce,
                "code_challenge" => &mut request.code_challenge,
                "code_challenge_method" => &mut request.code_challenge_method,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        request
    }
}

impl Approval {
    /// The redirect back to the client with `error` (`access_denied`, `login_required`, …).
    pub fn refusal(&self, error: &str) -> String {
        error_redirect(&self.redirect_uri, error, self.state.as_deref())
    }
}

/// Why a token request is refused (RFC 6749 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// A parameter is missing or malformed.
    InvalidRequest,
    /// The code is unknown, expired, used, another client's, for another redirect URI, its
    /// PKCE verifier is wrong, or its session or account has ended.
    InvalidGrant,
}

impl TokenRefusal {
    /// The `error` value of the JSON answer.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidGrant => "invalid_grant",
        }
    }
}

/// What a token request gets.
pub struct Tokens {
    pub access_token: String,
    pub id_token: String,
    pub expires_in: u64,
    pub scope: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The claims the userinfo endpoint returns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

/// A fresh code or access token (256 random bits, base64url) and the hash the store keeps: the
/// session token's generator and hash (SE-1).
fn random_token() -> (String, [u8; 32]) {
    let token = SessionToken::generate();
    (token.as_str().to_owned(), token.hash())
}

/// The stored hash of a presented code or access token; `None` when it cannot be one.
fn token_hash(token: &str) -> Option<[u8; 32]> {
    SessionToken::parse(token).map(|t| t.hash())
}

fn error_redirect(to: &RedirectUri, error: &str, state: Option<&str>) -> String {
    // Registration parsed it; should a stored one ever not parse, the error goes nowhere.
    let Ok(mut url) = url::Url::parse(to.as_str()) else {
        return "/".to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("error", error);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    url.into()
}

impl OidcProvider {
    /// Checks an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636): the
    /// client and its exact redirect URI first (refusals of those are shown, never redirected),
    /// then `response_type=code`, the `openid` scope, PKCE S256 (required of public clients),
    /// and the length of `state` and `nonce` (refusals redirected with `state`).
    pub async fn check_request(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<Approval, AuthorizeRefusal> {
        let unknown = AuthorizeRefusal::Show("This application is not registered with MAYI ID.");
        let id = request
            .client_id
            .as_deref()
            .and_then(ClientId::parse)
            .ok_or(unknown.clone())?;
        let Ok(Some((client, _))) = self.store.oidc_client(&id).await else {
            return Err(unknown);
        };
        if client.disabled_at.is_some() {
            return Err(unknown);
        }
        let redirect_uri = request
            .redirect_uri
            .as_deref()
            .and_then(|r| client.redirect_uri(r))
            .cloned()
            .ok_or(AuthorizeRefusal::Show(
                "The application asked to send you to an address it did not register with \
                 MAYI ID, so you are not sent there.",
            ))?;
        let state = request.state.clone().filter(|s| s.len() <= STATE_MAX_BYTES);
        let refuse = |error: &str| {
            AuthorizeRefusal::Redirect(error_redirect(&redirect_uri, error, state.as_deref()))
        };
        if request
            .state
            .as_ref()
            .is_some_and(|s| s.len() > STATE_MAX_BYTES)
        {
            return Err(refuse("invalid_request"));
        }
        if request.response_type.as_deref() != Some("code") {
            return Err(refuse("unsupported_response_type"));
        }
        let asked: Vec<&str> = request
            .scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if !asked.contains(&"openid") {
            return Err(refuse("invalid_scope"));
        }
        let scopes: Vec<&'static str> = SCOPES
            .iter()
            .copied()
            .filter(|s| asked.contains(s))
            .collect();
        let challenge = match (&request.code_challenge, &request.code_challenge_method) {
            (None, None) if !client.public => None,
            (None, _) => return Err(refuse("invalid_request")),
            (Some(challenge), method) => Some(
                CodeChallenge::parse(challenge, method.as_deref())
                    .ok_or_else(|| refuse("invalid_request"))?,
            ),
        };
        if request
            .nonce
            .as_ref()
            .is_some_and(|n| n.len() > STATE_MAX_BYTES)
        {
            return Err(refuse("invalid_request"));
        }
        Ok(Approval {
            client,
            redirect_uri,
            scopes,
            state,
            nonce: request.nonce.clone(),
            challenge,
        })
    }

    /// The signed-in person approves `approval` (consented, or a first-party client): a code
    /// for the client, bound to this session, and the redirect that carries it (with `state`
    /// and `iss`, RFC 9207). Audited as `oidc.authorized`.
    pub async fn approve(
        &self,
        caller: &FullSession,
        approval: &Approval,
    ) -> Result<String, DomainError> {
        let (code, code_hash) = random_token();
        let now = self.clock.now();
        let session = caller.session();
        let new = NewCode {
            code_hash,
            client_id: approval.client.id.clone(),
            account_id: caller.account_id(),
            session_id: session.id,
            redirect_uri: approval.redirect_uri.as_str().to_owned(),
            scope: approval.scopes.join(" "),
            nonce: approval.nonce.clone(),
            code_challenge: approval.challenge.as_ref().map(|c| c.as_str().to_owned()),
            auth_time: session.created_at,
            expires_at: now.plus(CODE_TTL),
        };
        let event = NewAuditEvent::new(AuditAction::OidcAuthorized, AuditOutcome::Success)
            .actor(caller.account_id())
            .subject(caller.account_id())
            .details(serde_json::json!({
                "client_id": approval.client.id.as_str(),
                "scope": new.scope,
            }));
        self.store.insert_oidc_code(&new, &event).await?;
        let mut url = url::Url::parse(approval.redirect_uri.as_str())
            .map_err(|e| DomainError::Internal(format!("a stored redirect URI: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("code", &code);
            if let Some(state) = &approval.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.issuer);
        }
        Ok(url.into())
    }

    /// Exchanges `code` for tokens (RFC 6749 §4.1.3, OIDC Core §3.1.3): `client` is already
    /// authenticated. The code is used up by this request whatever else is wrong with it.
    pub async fn exchange_code(
        &self,
        client: &Client,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Tokens, TokenRefusal> {
        if code.is_empty() || code.len() > 128 {
            return Err(TokenRefusal::InvalidRequest);
        }
        let internal = |_| TokenRefusal::InvalidGrant;
        let hash = token_hash(code).ok_or(TokenRefusal::InvalidGrant)?;
        let redemption = self.store.redeem_oidc_code(&hash).await.map_err(internal)?;
        let code = match redemption {
            Redemption::Fresh(code) => code,
            Redemption::Replayed { code, revoked } => {
                let event = NewAuditEvent::new(AuditAction::OidcCodeReplayed, AuditOutcome::Denied)
                    .details(serde_json::json!({
                        "client_id": client.id.as_str(),
                        "code_id": code,
                        "tokens_revoked": revoked,
                    }));
                self.audit_refusal(event).await;
                return Err(TokenRefusal::InvalidGrant);
            }
            Redemption::Unknown => return Err(TokenRefusal::InvalidGrant),
        };
        let refused = |why: &'static str| {
            NewAuditEvent::new(AuditAction::OidcTokenIssued, AuditOutcome::Denied)
                .subject(code.account_id)
                .details(serde_json::json!({ "client_id": client.id.as_str(), "reason": why }))
        };
        let mismatch = if code.client_id != client.id {
            Some("another_client")
        } else if redirect_uri != Some(code.redirect_uri.as_str()) {
            Some("redirect_uri")
        } else {
            match (&code.code_challenge, verifier) {
                (None, None) => None,
                (Some(challenge), Some(verifier))
                    if CodeChallenge::from_challenge(challenge).verified_by(verifier) =>
                {
                    None
                }
                _ => Some("pkce"),
            }
        };
        if let Some(why) = mismatch {
            self.audit_refusal(refused(why)).await;
            return Err(TokenRefusal::InvalidGrant);
        }
        let account = self
            .store
            .account_by_id(code.account_id)
            .await
            .map_err(internal)?
            .ok_or(TokenRefusal::InvalidGrant)?;
        let (access_token, access_hash) = random_token();
        let event = NewAuditEvent::new(AuditAction::OidcTokenIssued, AuditOutcome::Success)
            .subject(account.id)
            .details(serde_json::json!({ "client_id": client.id.as_str(), "scope": code.scope }));
        let issued = self
            .store
            .insert_oidc_access_token(&access_hash, &code, TOKEN_TTL, &event)
            .await
            .map_err(internal)?;
        let Some(second_factor) = issued else {
            self.audit_refusal(refused("session_ended")).await;
            return Err(TokenRefusal::InvalidGrant);
        };
        let now = self.clock.now();
        let claims = IdTokenClaims {
            iss: self.issuer.to_string(),
            sub: account.id.0.to_string(),
            aud: client.id.as_str().to_owned(),
            exp: now.plus(TOKEN_TTL).unix_secs() as i64,
            iat: now.unix_secs() as i64,
            auth_time: code.auth_time.unix_secs() as i64,
            nonce: code.nonce.clone(),
            amr: amr(second_factor.as_deref()),
            acr: ACR_MFA.into(),
        };
        let key = self.signing_key().await.map_err(internal)?;
        let id_token = key.sign(&claims).map_err(internal)?;
        Ok(Tokens {
            access_token,
            id_token,
            expires_in: TOKEN_TTL.as_secs(),
            scope: code.scope,
        })
    }

    /// Audits a refused token request. The request is refused either way; a failure to write
    /// the event is logged (the token endpoint's answer has no room for a storage error).
    async fn audit_refusal(&self, event: NewAuditEvent) {
        if let Err(error) = self.store.audit(event).await {
            tracing::error!(error = %error.detail(), "could not audit a refused token request");
        }
    }

    /// The claims for the access token `token` (OIDC Core §5.3): `sub` always, `name` and
    /// `preferred_username` with `profile`, the recovery (or first confirmed) e-mail address
    /// with `email`. [`DomainError::NotSignedIn`] for a token that is unknown, expired,
    /// revoked, or whose session or account has ended.
    pub async fn userinfo(&self, token: &str) -> Result<UserInfo, DomainError> {
        if token.is_empty() || token.len() > 128 {
            return Err(DomainError::NotSignedIn);
        }
        let hash = token_hash(token).ok_or(DomainError::NotSignedIn)?;
        let grant = self
            .store
            .oidc_access_token(&hash)
            .await?
            .ok_or(DomainError::NotSignedIn)?;
        let account = self
            .store
            .account_by_id(grant.account_id)
            .await?
            .ok_or(DomainError::NotSignedIn)?;
        let scopes: Vec<&str> = grant.scope.split(' ').collect();
        let mut info = UserInfo {
            sub: account.id.0.to_string(),
            name: None,
            preferred_username: None,
            email: None,
            email_verified: None,
        };
        if scopes.contains(&"profile") {
            info.name = Some(account.display_name.clone());
            info.preferred_username = Some(account.username.as_str().to_owned());
        }
        if scopes.contains(&"email") {
            let contacts = self.store.contacts(account.id).await?;
            let email = contacts
                .iter()
                .filter(|c| c.kind == crate::ContactKind::Email && c.confirmed)
                .max_by_key(|c| c.is_recovery);
            if let Some(email) = email {
                info.email = Some(email.value.clone());
                info.email_verified = Some(true);
            }
        }
        Ok(info)
    }
}

/// The `acr` of every MAYI ID sign-in: a password and a second factor.
pub const ACR_MFA: &str = "urn:mayi-id:acr:mfa";

/// An ID token's `amr` (RFC 8176) for a session whose second step passed with a token of kind
/// `second_factor`: the password, the kind of second factor, and `mfa`. An authenticator app's
/// or e-mailed code is `otp`, a texted code `sms`, a passkey or security key `hwk`; a session
/// that recorded none (opened before this was recorded) says only `pwd` and `mfa`.
pub fn amr(second_factor: Option<&str>) -> Vec<String> {
    let method = match second_factor {
        Some("totp" | "hotp" | "email") => Some("otp"),
        Some("sms") => Some("sms"),
        Some("webauthn") => Some("hwk"),
        _ => None,
    };
    ["pwd"]
        .into_iter()
        .chain(method)
        .chain(["mfa"])
        .map(str::to_owned)
        .collect()
}
