//! MAYI ID as an OpenID Connect provider (issue 18), so that other applications sign their
//! users in with MAYI ID's password and second factor: clients and their exact redirect URIs
//! ([`client`], [`redirect`]), PKCE S256 ([`pkce`]), the ID-token signing keys ([`keys`]), the
//! authorization code flow ([`flow`]) and consent ([`consent`]).

mod client;
mod consent;
mod flow;
#[cfg(test)]
mod flow_tests;
mod keys;
mod pkce;
mod redirect;
mod service;
#[cfg(test)]
mod tests;

pub use client::{
    Client, ClientId, ClientSecret, NewClient, CLIENT_SECRET_KEY_LABEL, MAX_REDIRECT_URIS,
};
pub use consent::Consent;
pub use flow::{
    amr, Approval, AuthorizationRequest, AuthorizeRefusal, TokenRefusal, Tokens, UserInfo, ACR_MFA,
    CODE_TTL, SCOPES, STATE_MAX_BYTES, TOKEN_TTL,
};
pub use keys::{jwks, IdTokenClaims, SigningKey, ID_TOKEN_ALG};
pub use pkce::CodeChallenge;
pub use redirect::{RedirectUri, REDIRECT_URI_MAX_BYTES};
pub use service::{OidcProvider, RETIRED_KEY_PUBLISHED};
