//! Passkeys and security keys (WebAuthn, issue 17): the relying party MAYI ID is, and its two
//! ceremonies, registration (adding a passkey or a security key) and authentication (signing
//! in with one), on top of the `webauthn-rs` crate (no hand-made cryptography here).
//!
//! The relying party's ID and origin come from `MAYI_PUBLIC_URL` ([`RelyingParty::from_public_url`]):
//! a domain name (WebAuthn refuses IP addresses: `http://localhost:3000` in development), over
//! https or on localhost. User verification is preferred, not required (a security key without
//! a PIN is still a second factor after the password), and the attestation asked for is
//! `none`. A credential whose signature counter goes backwards is refused as a possible clone
//! ([`Refusal::PossibleClone`]).
//!
//! Each ceremony starts with options for the browser (JSON for
//! `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON`) and a
//! state the server keeps; the browser's answer (`credential.toJSON()`) is checked against that
//! state. The state holds the challenge: whoever keeps it must bind it to its account and
//! session, use it at most once and only within [`CEREMONY_TTL`] (a replayed answer is then
//! refused because its state is gone; here, an answer to another challenge is refused).

use std::fmt;
use std::time::Duration;

use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, SecurityKey, SecurityKeyAuthentication,
    SecurityKeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::DomainError;

/// How long the browser has to answer a ceremony's challenge (the WebAuthn prompt's timeout,
/// and how long the server keeps the ceremony's state).
pub const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// The longest browser answer accepted (a registration with a large attestation is a few KB).
/// Half the server's whole request-body limit, so an answer too long is refused as such (not
/// cut off with the request).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024;

/// The relying party: MAYI ID as WebAuthn sees it. Cheap to clone.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: std::sync::Arc<Webauthn>,
    id: String,
    origin: Url,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .field("origin", &self.origin.as_str())
            .finish()
    }
}

/// Why a browser's answer to a ceremony was refused. Told to the person only as "that did not
/// work"; the reason goes to the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a WebAuthn answer (bad JSON, bad encoding, wrong type, too long).
    Malformed,
    /// Made for another site (the origin in the signed client data is not MAYI ID's).
    WrongOrigin,
    /// An answer to another challenge (or to none: a replay of an old answer).
    WrongChallenge,
    /// A credential that is not among the ones the challenge allowed.
    UnknownCredential,
    /// The authenticator's signature counter went backwards: the credential may have been
    /// copied (WebAuthn's clone warning). Refused and audited.
    PossibleClone,
    /// Anything else the library refused (a bad signature, an unsupported algorithm, the
    /// user-presence flag missing, ...).
    Invalid,
    /// No prompt was open where the answer came (never begun, expired, answered already, or
    /// replaced by a newer one): a replayed or late answer.
    NoOpenPrompt,
    /// A credential of the account whose token cannot sign in (blocked, removed).
    InactiveToken,
}

impl Refusal {
    /// The audit log's name of the refusal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::WrongOrigin => "wrong_origin",
            Self::WrongChallenge => "wrong_challenge",
            Self::UnknownCredential => "unknown_credential",
            Self::PossibleClone => "possible_clone",
            Self::Invalid => "invalid",
            Self::NoOpenPrompt => "no_open_prompt",
            Self::InactiveToken => "inactive_token",
        }
    }

    fn from_library(error: &WebauthnError) -> Self {
        match error {
            WebauthnError::InvalidRPOrigin => Self::WrongOrigin,
            WebauthnError::MismatchedChallenge => Self::WrongChallenge,
            WebauthnError::CredentialNotFound => Self::UnknownCredential,
            WebauthnError::CredentialPossibleCompromise => Self::PossibleClone,
            WebauthnError::ParseJSONFailure(_)
            | WebauthnError::ParseNOMFailure
            | WebauthnError::ParseInsufficientBytesAvailable
            | WebauthnError::InvalidClientDataType => Self::Malformed,
            _ => Self::Invalid,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered credential, as the store keeps it: the library's record (public key, counter,
/// flags; no secret: the private key never leaves the authenticator).
#[derive(Clone, Debug)]
pub struct Credential(SecurityKey);

impl Credential {
    /// The credential's ID (unique across accounts: the store refuses a second registration).
    pub fn id(&self) -> &[u8] {
        self.0.cred_id().as_ref()
    }

    /// The record as the store keeps it (JSON).
    pub fn to_stored(&self) -> Result<String, DomainError> {
        serde_json::to_string(&self.0)
            .map_err(|e| DomainError::Internal(format!("storing a credential: {e}")))
    }

    /// A record the store kept.
    pub fn from_stored(stored: &str) -> Result<Self, DomainError> {
        serde_json::from_str(stored)
            .map(Self)
            .map_err(|e| DomainError::Internal(format!("reading a stored credential: {e}")))
    }

    /// The signature counter last seen (0 for authenticators that keep none, such as synced
    /// passkeys).
    pub fn counter(&self) -> u32 {
        serde_json::to_value(&self.0)
            .ok()
            .and_then(|v| v["cred"]["counter"].as_u64())
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    }
}

/// A ceremony's server-side state: the challenge and what it allows. Never sent to the browser
/// (that would let an answer bring its own challenge); printed as `..`.
pub struct CeremonyState<S>(S);

impl<S> fmt::Debug for CeremonyState<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CeremonyState(..)")
    }
}

impl<S: serde::Serialize + serde::de::DeserializeOwned> CeremonyState<S> {
    /// The state as the store keeps it (JSON).
    pub fn to_stored(&self) -> Result<String, DomainError> {
        serde_json::to_string(&self.0)
            .map_err(|e| DomainError::Internal(format!("storing a ceremony: {e}")))
    }

    /// A state the store kept.
    pub fn from_stored(stored: &str) -> Result<Self, DomainError> {
        serde_json::from_str(stored)
            .map(Self)
            .map_err(|e| DomainError::Internal(format!("reading a stored ceremony: {e}")))
    }
}

/// A registration's server-side state.
pub type RegistrationState = CeremonyState<SecurityKeyRegistration>;
/// An authentication's server-side state.
pub type AuthenticationState = CeremonyState<SecurityKeyAuthentication>;

/// A ceremony begun: the options for the browser (JSON) and the state the server keeps.
#[derive(Debug)]
pub struct Challenge<S> {
    /// `publicKey` options as JSON, for `PublicKeyCredential.parse…OptionsFromJSON`.
    pub options: String,
    pub state: S,
}

/// A registration the browser completed: the credential, and what the token list shows of it.
#[derive(Debug)]
pub struct Registered {
    pub credential: Credential,
    /// The authenticator model's AAGUID, when the authenticator told it (many send zeros
    /// with attestation `none`: then `None`).
    pub aaguid: Option<[u8; 16]>,
    /// How the browser can reach the authenticator (`usb`, `nfc`, `ble`, `internal`,
    /// `hybrid`), as the browser reported them.
    pub transports: Vec<String>,
}

/// An authentication the browser completed.
#[derive(Debug)]
pub struct Asserted {
    /// The credential used (one of those the challenge allowed).
    pub credential_id: Vec<u8>,
    /// Its signature counter now (0 if it keeps none).
    pub counter: u32,
    /// Whether the authenticator verified the person (PIN, biometrics).
    pub user_verified: bool,
    result: AuthenticationResult,
}

impl Asserted {
    /// `credential` with this authentication's counter and flags, if they changed (the store
    /// writes it back then).
    pub fn updated(&self, credential: &Credential) -> Option<Credential> {
        let mut key = credential.0.clone();
        match key.update_credential(&self.result) {
            Some(true) => Some(Credential(key)),
            _ => None,
        }
    }
}

impl RelyingParty {
    /// MAYI ID at `public_url` (`MAYI_PUBLIC_URL`): the relying party ID is its host, the only
    /// origin accepted is its scheme, host and port. Refused: an IP address (WebAuthn needs a
    /// domain name; use `localhost` in development) and plain http anywhere but localhost.
    pub fn from_public_url(public_url: &str) -> Result<Self, DomainError> {
        let config = |why: &str| DomainError::Config(format!("passkeys: {why}"));
        let url = Url::parse(public_url).map_err(|_| config("the public URL is not a URL"))?;
        let host = match url.host() {
            Some(url::Host::Domain(host)) => host.to_ascii_lowercase(),
            Some(_) => {
                return Err(config(
                    "the public URL's host is an IP address; WebAuthn needs a domain name \
                     (use http://localhost:PORT in development)",
                ))
            }
            None => return Err(config("the public URL has no host")),
        };
        let local = host == "localhost" || host.ends_with(".localhost");
        match url.scheme() {
            "https" => {}
            "http" if local => {}
            _ => {
                return Err(config(
                    "the public URL must use https (plain http only on localhost)",
                ))
            }
        }
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|_| config("the public URL has no origin"))?;
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .and_then(|b| b.rp_name("MAYI ID").timeout(CEREMONY_TTL).build())
            .map_err(|e| config(&format!("the relying party was refused: {e}")))?;
        Ok(Self {
            webauthn: std::sync::Arc::new(webauthn),
            id: host,
            origin,
        })
    }

    /// The relying party ID (the public URL's host).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The one origin accepted.
    pub fn origin(&self) -> &Url {
        &self.origin
    }

    /// Begins adding a passkey or security key for the person whose WebAuthn user handle is
    /// `user` (a random UUID kept with the account: never the username), shown as `name` and
    /// `display_name` by the authenticator. `existing` are the account's credentials: the
    /// browser refuses to register one of them twice.
    pub fn start_registration(
        &self,
        user: Uuid,
        name: &str,
        display_name: &str,
        existing: &[Credential],
    ) -> Result<Challenge<RegistrationState>, DomainError> {
        let exclude: Vec<_> = existing.iter().map(|c| c.0.cred_id().clone()).collect();
        let (options, state) = self
            .webauthn
            .start_securitykey_registration(
                user,
                name,
                display_name,
                (!exclude.is_empty()).then_some(exclude),
                None,
                None,
            )
            .map_err(|e| DomainError::Internal(format!("starting a registration: {e}")))?;
        Ok(Challenge {
            options: creation_options(&options)?,
            state: CeremonyState(state),
        })
    }

    /// Checks the browser's answer `response` (JSON) to the registration `state`.
    pub fn finish_registration(
        &self,
        state: &RegistrationState,
        response: &str,
    ) -> Result<Registered, Refusal> {
        let answer: RegisterPublicKeyCredential = browser_answer(response)?;
        let key = self
            .webauthn
            .finish_securitykey_registration(&answer, &state.0)
            .map_err(|e| Refusal::from_library(&e))?;
        let transports = answer
            .response
            .transports
            .iter()
            .flatten()
            .filter_map(|t| serde_json::to_value(t).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        Ok(Registered {
            credential: Credential(key),
            aaguid: aaguid(&answer.response.attestation_object),
            transports,
        })
    }

    /// Begins signing in with one of `credentials` (the account's).
    pub fn start_authentication(
        &self,
        credentials: &[Credential],
    ) -> Result<Challenge<AuthenticationState>, DomainError> {
        let keys: Vec<SecurityKey> = credentials.iter().map(|c| c.0.clone()).collect();
        let (options, state) = self
            .webauthn
            .start_securitykey_authentication(&keys)
            .map_err(|e| DomainError::Internal(format!("starting an authentication: {e}")))?;
        Ok(Challenge {
            options: request_options(&options)?,
            state: CeremonyState(state),
        })
    }

    /// Checks the browser's answer `response` (JSON) to the authentication `state`: the origin,
    /// the challenge, the signature by one of the allowed credentials, and its counter.
    pub fn finish_authentication(
        &self,
        state: &AuthenticationState,
        response: &str,
    ) -> Result<Asserted, Refusal> {
        let answer: PublicKeyCredential = browser_answer(response)?;
        let result = self
            .webauthn
            .finish_securitykey_authentication(&answer, &state.0)
            .map_err(|e| Refusal::from_library(&e))?;
        Ok(Asserted {
            credential_id: result.cred_id().to_vec(),
            counter: result.counter(),
            user_verified: result.user_verified(),
            result,
        })
    }
}

/// The browser's answer `response` (JSON, at most [`MAX_RESPONSE_BYTES`]) as the library's type.
fn browser_answer<T: serde::de::DeserializeOwned>(response: &str) -> Result<T, Refusal> {
    if response.len() > MAX_RESPONSE_BYTES {
        return Err(Refusal::Malformed);
    }
    serde_json::from_str(response).map_err(|_| Refusal::Malformed)
}

/// The `publicKey` member of the creation options, without the library's "security-key" hint
/// (which would steer browsers away from passkeys on the phone or computer itself) and without
/// its credential-protection request: "user verification required" beside user verification
/// *preferred* and a non-discoverable credential is refused by Chromium as inconsistent
/// (`NotSupportedError`), and it is not enforced (the library does not require the answer to
/// honour it).
fn creation_options(options: &CreationChallengeResponse) -> Result<String, DomainError> {
    let mut json: serde_json::Value =
        serde_json::from_str(&public_key_json(serde_json::to_value(options))?)
            .map_err(|e| DomainError::Internal(format!("WebAuthn options: {e}")))?;
    if let Some(extensions) = json.get_mut("extensions").and_then(|e| e.as_object_mut()) {
        extensions.remove("credentialProtectionPolicy");
        extensions.remove("enforceCredentialProtectionPolicy");
    }
    Ok(json.to_string())
}

/// The `publicKey` member of the request options, without the "security-key" hint.
fn request_options(options: &RequestChallengeResponse) -> Result<String, DomainError> {
    public_key_json(serde_json::to_value(options))
}

fn public_key_json(
    value: Result<serde_json::Value, serde_json::Error>,
) -> Result<String, DomainError> {
    let mut value = value.map_err(|e| DomainError::Internal(format!("WebAuthn options: {e}")))?;
    let mut public_key = value
        .get_mut("publicKey")
        .map(serde_json::Value::take)
        .ok_or_else(|| DomainError::Internal("WebAuthn options without publicKey".into()))?;
    if let Some(options) = public_key.as_object_mut() {
        options.remove("hints");
    }
    Ok(public_key.to_string())
}

/// The AAGUID in a registration's attestation object (CBOR map with `authData`): bytes 37..53
/// of the authenticator data when its "attested credential data" flag (0x40) is set; `None`
/// when absent or all zeros.
fn aaguid(attestation_object: &[u8]) -> Option<[u8; 16]> {
    let map: std::collections::BTreeMap<String, serde_cbor_2::Value> =
        serde_cbor_2::from_slice(attestation_object).ok()?;
    let serde_cbor_2::Value::Bytes(auth_data) = map.get("authData")? else {
        return None;
    };
    aaguid_of_auth_data(auth_data)
}

fn aaguid_of_auth_data(auth_data: &[u8]) -> Option<[u8; 16]> {
    // rpIdHash (32) | flags (1) | signCount (4) | AAGUID (16) | ...
    const FLAGS: usize = 32;
    const AAGUID: std::ops::Range<usize> = 37..53;
    if auth_data.get(FLAGS)? & 0x40 == 0 {
        return None;
    }
    let aaguid: [u8; 16] = auth_data.get(AAGUID)?.try_into().ok()?;
    (aaguid != [0; 16]).then_some(aaguid)
}

#[cfg(test)]
pub(crate) mod tests;
