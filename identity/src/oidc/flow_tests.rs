//! The authorization code flow, rule by rule, on both backends (issue 18): what an application
//! and an attacker holding a stolen code, a phished redirect or a signed-out session can do.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation};

use super::*;
use crate::testing::{self, ManualClock, TestStore};
use crate::{AccountState, Role, SeedCipher, SessionScope, Timestamp};

on_both_backends!(
    a_first_party_sign_in_gives_a_verifiable_id_token_and_userinfo,
    a_code_works_once_and_a_replay_revokes_its_tokens,
    pkce_is_required_of_public_clients_and_checked,
    the_client_and_redirect_uri_must_match_exactly,
    request_errors_redirect_with_state_only_to_a_verified_uri,
    an_expired_code_an_ended_session_or_a_locked_account_gets_nothing,
    concurrent_exchanges_of_one_code_succeed_once,
    consent_is_asked_once_per_scope_and_taken_back_with_the_tokens,
    an_administrator_disables_a_client_and_its_tokens_stop,
    a_rotated_key_signs_and_the_old_one_stays_published,
);

const ISSUER: &str = "https://id.example.org";
const CB: &str = "https://wiki.example.org/cb";

struct World {
    oidc: OidcProvider,
    clock: Arc<ManualClock>,
    store: crate::Store,
    caller: crate::FullSession,
    session_token: crate::SessionToken,
    account: crate::Account,
    _db: TestStore,
}

async fn world(db: TestStore) -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(1_800_000_000)));
    let store = db.store.clone().with_clock(clock.clone());
    let cipher = Arc::new(SeedCipher::from_key_bytes([6; 32]));
    let oidc = OidcProvider::new(
        store.clone(),
        cipher,
        clock.clone(),
        "https://id.example.org/",
    );
    let account = testing::account_in(
        &store,
        "alice",
        "Alice Example",
        Role::User,
        testing::fake_password_hash(),
        vec![testing::contact("alice@example.org", true)],
    )
    .await;
    let (session_token, caller) = testing::session_in(&store, &account, SessionScope::Full).await;
    World {
        oidc,
        clock,
        store,
        caller: caller.full().expect("a full session"),
        session_token,
        account,
        _db: db,
    }
}

async fn client(w: &World, public: bool, first_party: bool) -> (Client, Option<ClientSecret>) {
    let new = NewClient::parse("Wiki", &[CB.to_string()], public, first_party).unwrap();
    w.oidc.create_client(new).await.unwrap()
}

fn request(client: &Client) -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: Some(client.id.as_str().to_owned()),
        redirect_uri: Some(CB.into()),
        response_type: Some("code".into()),
        scope: Some("openid profile email unknown".into()),
        state: Some("af0ifjsldkj".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: None,
        code_challenge_method: None,
    }
}

/// The `code` (and `state`) of a redirect.
fn code_of(location: &str) -> String {
    let url = url::Url::parse(location).unwrap();
    assert!(location.starts_with(CB), "{location}");
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

async fn approved(w: &World, request: &AuthorizationRequest) -> String {
    let approval = w.oidc.check_request(request).await.unwrap();
    code_of(&w.oidc.approve(&w.caller, &approval).await.unwrap())
}

async fn a_first_party_sign_in_gives_a_verifiable_id_token_and_userinfo(db: TestStore) {
    let w = world(db).await;
    let (client, secret) = client(&w, false, true).await;
    let approval = w.oidc.check_request(&request(&client)).await.unwrap();
    assert!(!w.oidc.needs_consent(&w.caller, &approval).await.unwrap());
    assert_eq!(
        approval.scopes,
        ["openid", "profile", "email"],
        "unknown scopes dropped"
    );
    let location = w.oidc.approve(&w.caller, &approval).await.unwrap();
    let url = url::Url::parse(&location).unwrap();
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "af0ifjsldkj");
    assert_eq!(params["iss"], ISSUER);
    // The client authenticates, then exchanges.
    let authenticated = w
        .oidc
        .authenticate_client(client.id.as_str(), Some(secret.unwrap().expose()))
        .await
        .unwrap();
    let tokens = w
        .oidc
        .exchange_code(&authenticated, &params["code"], Some(CB), None)
        .await
        .unwrap();
    assert_eq!(tokens.scope, "openid profile email");
    assert_eq!(tokens.expires_in, TOKEN_TTL.as_secs());
    assert!(!format!("{tokens:?}").contains(&tokens.access_token));
    // The ID token verifies against the published JWKS, and says who, for whom, how.
    let header = jsonwebtoken::decode_header(&tokens.id_token).unwrap();
    let jwks = w.oidc.jwks().await.unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[client.id.as_str()]);
    let claims = jsonwebtoken::decode::<IdTokenClaims>(
        &tokens.id_token,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims.sub, w.account.id.0.to_string());
    assert_eq!(claims.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(
        claims.auth_time,
        w.caller.session().created_at.unix_secs() as i64
    );
    assert_eq!(claims.amr, ["pwd", "mfa"]);
    assert_eq!(claims.acr, ACR_MFA);
    // Userinfo.
    let info = w.oidc.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(info.sub, claims.sub);
    assert_eq!(info.name.as_deref(), Some("Alice Example"));
    assert_eq!(info.preferred_username.as_deref(), Some("alice"));
    assert_eq!(info.email.as_deref(), Some("alice@example.org"));
    assert!(w.oidc.userinfo("not-a-token").await.is_err());
}

async fn a_code_works_once_and_a_replay_revokes_its_tokens(db: TestStore) {
    let w = world(db).await;
    let (client, _) = client(&w, false, true).await;
    let code = approved(&w, &request(&client)).await;
    let tokens = w
        .oidc
        .exchange_code(&client, &code, Some(CB), None)
        .await
        .unwrap();
    assert!(w.oidc.userinfo(&tokens.access_token).await.is_ok());
    assert_eq!(
        w.oidc
            .exchange_code(&client, &code, Some(CB), None)
            .await
            .unwrap_err(),
        TokenRefusal::InvalidGrant
    );
    assert!(
        w.oidc.userinfo(&tokens.access_token).await.is_err(),
        "the tokens the code gave are revoked"
    );
    let replays = w
        .store
        .audit_events(crate::AuditQuery {
            action: Some(crate::AuditAction::OidcCodeReplayed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(replays.len(), 1);
    assert_eq!(replays[0].details["tokens_revoked"], 1);
    // Garbage codes.
    for bad in ["", "nope", &"x".repeat(200)] {
        assert!(w
            .oidc
            .exchange_code(&client, bad, Some(CB), None)
            .await
            .is_err());
    }
}

async fn pkce_is_required_of_public_clients_and_checked(db: TestStore) {
    let w = world(db).await;
    let (public, _) = client(&w, true, true).await;
    // Without a challenge, or with `plain`: refused (redirected, with state).
    let mut r = request(&public);
    let refusal = w.oidc.check_request(&r).await.unwrap_err();
    assert_eq!(
        refusal,
        AuthorizeRefusal::Redirect(format!("{CB}?error=invalid_request&state=af0ifjsldkj"))
    );
    r.code_challenge = Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into());
    r.code_challenge_method = Some("plain".into());
    assert!(w.oidc.check_request(&r).await.is_err());
    r.code_challenge_method = Some("S256".into());
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    for wrong in [None, Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXz")] {
        let code = approved(&w, &r).await;
        assert_eq!(
            w.oidc
                .exchange_code(&public, &code, Some(CB), wrong)
                .await
                .unwrap_err(),
            TokenRefusal::InvalidGrant,
            "{wrong:?}"
        );
    }
    let code = approved(&w, &r).await;
    assert!(w
        .oidc
        .exchange_code(&public, &code, Some(CB), Some(verifier))
        .await
        .is_ok());
    // A confidential client that sent a challenge must prove it too (no downgrade), and one
    // that sent none cannot bring a verifier.
    let (confidential, _) = client(&w, false, true).await;
    let mut r = request(&confidential);
    r.code_challenge = Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into());
    r.code_challenge_method = Some("S256".into());
    let code = approved(&w, &r).await;
    assert!(w
        .oidc
        .exchange_code(&confidential, &code, Some(CB), None)
        .await
        .is_err());
    let code = approved(&w, &request(&confidential)).await;
    assert!(w
        .oidc
        .exchange_code(&confidential, &code, Some(CB), Some(verifier))
        .await
        .is_err());
}

async fn the_client_and_redirect_uri_must_match_exactly(db: TestStore) {
    let w = world(db).await;
    let (wiki, _) = client(&w, false, true).await;
    let (other, _) = client(&w, false, true).await;
    for uri in [
        "https://wiki.example.org/cb/",
        "https://wiki.example.org/cb?x=1",
        "https://evil.example/cb",
    ] {
        let mut r = request(&wiki);
        r.redirect_uri = Some(uri.into());
        assert!(
            matches!(
                w.oidc.check_request(&r).await,
                Err(AuthorizeRefusal::Show(_))
            ),
            "{uri}: never redirected to"
        );
    }
    let mut r = request(&wiki);
    r.redirect_uri = None;
    assert!(matches!(
        w.oidc.check_request(&r).await,
        Err(AuthorizeRefusal::Show(_))
    ));
    // A code is its client's, for its redirect URI.
    let code = approved(&w, &request(&wiki)).await;
    assert_eq!(
        w.oidc
            .exchange_code(&other, &code, Some(CB), None)
            .await
            .unwrap_err(),
        TokenRefusal::InvalidGrant
    );
    let code = approved(&w, &request(&wiki)).await;
    assert!(w
        .oidc
        .exchange_code(&wiki, &code, Some("https://wiki.example.org/cb/"), None)
        .await
        .is_err());
    let code = approved(&w, &request(&wiki)).await;
    assert!(w
        .oidc
        .exchange_code(&wiki, &code, None, None)
        .await
        .is_err());
}

async fn request_errors_redirect_with_state_only_to_a_verified_uri(db: TestStore) {
    let w = world(db).await;
    let (wiki, _) = client(&w, false, false).await;
    let mut r = request(&wiki);
    r.client_id = Some("aaaaaaaaaaaaaaaaaaaa".into());
    assert!(matches!(
        w.oidc.check_request(&r).await,
        Err(AuthorizeRefusal::Show(_))
    ));
    let mut r = request(&wiki);
    r.response_type = Some("token".into());
    assert_eq!(
        w.oidc.check_request(&r).await.unwrap_err(),
        AuthorizeRefusal::Redirect(format!(
            "{CB}?error=unsupported_response_type&state=af0ifjsldkj"
        ))
    );
    let mut r = request(&wiki);
    r.scope = Some("profile email".into());
    assert_eq!(
        w.oidc.check_request(&r).await.unwrap_err(),
        AuthorizeRefusal::Redirect(format!("{CB}?error=invalid_scope&state=af0ifjsldkj"))
    );
    let mut r = request(&wiki);
    r.state = Some("x".repeat(STATE_MAX_BYTES + 1));
    assert_eq!(
        w.oidc.check_request(&r).await.unwrap_err(),
        AuthorizeRefusal::Redirect(format!("{CB}?error=invalid_request"))
    );
    // A third-party client asks for consent; refusing it goes back as access_denied.
    let approval = w.oidc.check_request(&request(&wiki)).await.unwrap();
    assert!(w.oidc.needs_consent(&w.caller, &approval).await.unwrap());
    assert_eq!(
        approval.refusal("access_denied"),
        format!("{CB}?error=access_denied&state=af0ifjsldkj")
    );
}

async fn an_expired_code_an_ended_session_or_a_locked_account_gets_nothing(db: TestStore) {
    let w = world(db).await;
    let (wiki, _) = client(&w, false, true).await;
    let code = approved(&w, &request(&wiki)).await;
    w.clock.advance(CODE_TTL + Duration::from_secs(1));
    assert!(w
        .oidc
        .exchange_code(&wiki, &code, Some(CB), None)
        .await
        .is_err());

    // Signed out between the approval and the exchange.
    let code = approved(&w, &request(&wiki)).await;
    w.store.end_session(&w.session_token).await.unwrap();
    assert_eq!(
        w.oidc
            .exchange_code(&wiki, &code, Some(CB), None)
            .await
            .unwrap_err(),
        TokenRefusal::InvalidGrant
    );

    // Locked: new tokens stop, and the live ones with them.
    let (_, caller) = testing::session_in(&w.store, &w.account, SessionScope::Full).await;
    let caller = caller.full().unwrap();
    let approval = w.oidc.check_request(&request(&wiki)).await.unwrap();
    let code = code_of(&w.oidc.approve(&caller, &approval).await.unwrap());
    let tokens = w
        .oidc
        .exchange_code(&wiki, &code, Some(CB), None)
        .await
        .unwrap();
    let code = code_of(&w.oidc.approve(&caller, &approval).await.unwrap());
    assert!(w
        .store
        .change_account_state(
            w.account.id,
            AccountState::Active,
            AccountState::Locked,
            false,
            &[],
            &[]
        )
        .await
        .unwrap());
    assert!(w
        .oidc
        .exchange_code(&wiki, &code, Some(CB), None)
        .await
        .is_err());
    assert!(w.oidc.userinfo(&tokens.access_token).await.is_err());
}

async fn concurrent_exchanges_of_one_code_succeed_once(db: TestStore) {
    let w = world(db).await;
    let (wiki, _) = client(&w, false, true).await;
    let code = approved(&w, &request(&wiki)).await;
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (oidc, wiki, code) = (w.oidc.clone(), wiki.clone(), code.clone());
            tokio::spawn(async move {
                oidc.exchange_code(&wiki, &code, Some(CB), None)
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 1);
}

async fn audited(w: &World, action: crate::AuditAction) -> Vec<crate::AuditEvent> {
    w.store
        .audit_events(crate::AuditQuery {
            action: Some(action),
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn consent_is_asked_once_per_scope_and_taken_back_with_the_tokens(db: TestStore) {
    let w = world(db).await;
    let (forum, _) = client(&w, false, false).await;
    let mut narrow = request(&forum);
    narrow.scope = Some("openid profile".into());
    let approval = w.oidc.check_request(&narrow).await.unwrap();
    assert!(w.oidc.needs_consent(&w.caller, &approval).await.unwrap());
    // "Do not allow": audited, nothing remembered, access_denied with the state.
    let denied = w.oidc.deny(&w.caller, &approval).await.unwrap();
    assert_eq!(
        denied,
        format!("{CB}?error=access_denied&state=af0ifjsldkj")
    );
    assert_eq!(audited(&w, crate::AuditAction::OidcDenied).await.len(), 1);
    assert!(w.oidc.needs_consent(&w.caller, &approval).await.unwrap());
    // "Allow": not asked again for these scopes, asked again for more.
    w.oidc.grant_consent(&w.caller, &approval).await.unwrap();
    assert!(!w.oidc.needs_consent(&w.caller, &approval).await.unwrap());
    let wide = w.oidc.check_request(&request(&forum)).await.unwrap();
    assert!(
        w.oidc.needs_consent(&w.caller, &wide).await.unwrap(),
        "email was not allowed"
    );
    w.oidc.grant_consent(&w.caller, &wide).await.unwrap();
    assert!(!w.oidc.needs_consent(&w.caller, &approval).await.unwrap());
    let consents = w.oidc.consents(&w.caller).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].application, "Wiki");
    assert_eq!(consents[0].scopes, ["openid", "profile", "email"]);
    assert_eq!(
        audited(&w, crate::AuditAction::OidcConsented).await.len(),
        2
    );
    // Another person's consent is their own.
    let bob = testing::account_in(
        &w.store,
        "bob",
        "Bob Example",
        Role::User,
        testing::fake_password_hash(),
        vec![],
    )
    .await;
    let (_, bob) = testing::session_in(&w.store, &bob, SessionScope::Full).await;
    let bob = bob.full().unwrap();
    assert!(w.oidc.needs_consent(&bob, &approval).await.unwrap());
    assert!(w.oidc.consents(&bob).await.unwrap().is_empty());
    assert!(w
        .oidc
        .revoke_consent(&bob, forum.id.as_str())
        .await
        .is_err());
    // Taking it back stops the application's access tokens and asks again.
    let code = code_of(&w.oidc.approve(&w.caller, &wide).await.unwrap());
    let tokens = w
        .oidc
        .exchange_code(&forum, &code, Some(CB), None)
        .await
        .unwrap();
    assert!(w.oidc.userinfo(&tokens.access_token).await.is_ok());
    w.oidc
        .revoke_consent(&w.caller, forum.id.as_str())
        .await
        .unwrap();
    assert!(w.oidc.userinfo(&tokens.access_token).await.is_err());
    assert!(w.oidc.needs_consent(&w.caller, &wide).await.unwrap());
    assert!(matches!(
        w.oidc.revoke_consent(&w.caller, forum.id.as_str()).await,
        Err(crate::DomainError::NotFound(_))
    ));
    assert!(w.oidc.revoke_consent(&w.caller, "../etc").await.is_err());
    assert_eq!(
        audited(&w, crate::AuditAction::OidcConsentRevoked)
            .await
            .len(),
        1
    );
    // The organisation's own applications never ask.
    let (wiki, _) = client(&w, false, true).await;
    let own = w.oidc.check_request(&request(&wiki)).await.unwrap();
    assert!(!w.oidc.needs_consent(&bob, &own).await.unwrap());
}

async fn an_administrator_disables_a_client_and_its_tokens_stop(db: TestStore) {
    let w = world(db).await;
    let (wiki, secret) = client(&w, false, true).await;
    let secret = secret.unwrap();
    let code = approved(&w, &request(&wiki)).await;
    let tokens = w
        .oidc
        .exchange_code(&wiki, &code, Some(CB), None)
        .await
        .unwrap();
    let unused = approved(&w, &request(&wiki)).await;
    let session = w.caller.session().id;
    let operator = crate::Operator::for_tests(
        crate::Account {
            role: Role::Operator,
            ..w.account.clone()
        },
        session,
    );
    assert_eq!(w.oidc.clients_for(&operator).await.unwrap().len(), 1);
    // An operator who is not an administrator may list, not disable.
    assert!(matches!(
        w.oidc
            .disable_client(&operator, wiki.id.as_str(), "retired")
            .await,
        Err(crate::DomainError::Forbidden)
    ));
    let admin = crate::Operator::for_tests(
        crate::Account {
            role: Role::Admin,
            ..w.account.clone()
        },
        session,
    );
    assert!(
        w.oidc
            .disable_client(&admin, wiki.id.as_str(), " ")
            .await
            .is_err(),
        "a reason is required"
    );
    w.oidc
        .disable_client(&admin, wiki.id.as_str(), "the wiki was retired")
        .await
        .unwrap();
    assert!(w.oidc.userinfo(&tokens.access_token).await.is_err());
    assert!(w
        .oidc
        .exchange_code(&wiki, &unused, Some(CB), None)
        .await
        .is_err());
    assert!(matches!(
        w.oidc.check_request(&request(&wiki)).await,
        Err(AuthorizeRefusal::Show(_))
    ));
    assert!(w
        .oidc
        .authenticate_client(wiki.id.as_str(), Some(secret.expose()))
        .await
        .is_err());
    assert!(w.oidc.clients_for(&admin).await.unwrap()[0]
        .disabled_at
        .is_some());
    assert!(matches!(
        w.oidc
            .disable_client(&admin, wiki.id.as_str(), "again")
            .await,
        Err(crate::DomainError::NotFound(_))
    ));
    assert_eq!(
        audited(&w, crate::AuditAction::OidcClientDisabled)
            .await
            .len(),
        1
    );
}

async fn a_rotated_key_signs_and_the_old_one_stays_published(db: TestStore) {
    let w = world(db).await;
    let (wiki, _) = client(&w, false, true).await;
    let code = approved(&w, &request(&wiki)).await;
    let old = w
        .oidc
        .exchange_code(&wiki, &code, Some(CB), None)
        .await
        .unwrap();
    let old_kid = w.oidc.signing_key().await.unwrap().kid().to_owned();
    let new_kid = w.oidc.rotate_signing_key().await.unwrap();
    assert_ne!(old_kid, new_kid);
    assert_eq!(w.oidc.signing_key().await.unwrap().kid(), new_kid);
    let kids = |set: jsonwebtoken::jwk::JwkSet| -> Vec<String> {
        set.keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect()
    };
    let published = kids(w.oidc.jwks().await.unwrap());
    assert!(published.contains(&old_kid) && published.contains(&new_kid));
    // A token signed before the rotation still verifies against the JWKS.
    let set = w.oidc.jwks().await.unwrap();
    let header = jsonwebtoken::decode_header(&old.id_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(old_kid.as_str()));
    let key = DecodingKey::from_jwk(set.find(&old_kid).unwrap()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[wiki.id.as_str()]);
    validation.validate_exp = false;
    assert!(jsonwebtoken::decode::<serde_json::Value>(&old.id_token, &key, &validation).is_ok());
    // New tokens carry the new kid; a day later the old key is gone from the JWKS.
    let code = approved(&w, &request(&wiki)).await;
    let new = w
        .oidc
        .exchange_code(&wiki, &code, Some(CB), None)
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(&new.id_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    w.clock
        .advance(RETIRED_KEY_PUBLISHED + Duration::from_secs(1));
    assert_eq!(kids(w.oidc.jwks().await.unwrap()), [new_kid]);
    assert_eq!(
        audited(&w, crate::AuditAction::OidcKeyRotated).await.len(),
        1
    );
}

#[test]
fn amr_names_the_kind_of_second_factor() {
    assert_eq!(amr(Some("totp")), ["pwd", "otp", "mfa"]);
    assert_eq!(amr(Some("email")), ["pwd", "otp", "mfa"]);
    assert_eq!(amr(Some("sms")), ["pwd", "sms", "mfa"]);
    assert_eq!(amr(Some("webauthn")), ["pwd", "hwk", "mfa"]);
    assert_eq!(amr(None), ["pwd", "mfa"]);
    assert_eq!(amr(Some("something new")), ["pwd", "mfa"]);
}

#[test]
fn a_request_is_read_from_its_query_string() {
    let r = AuthorizationRequest::from_query(
        "?response_type=code&client_id=abc&redirect_uri=https%3A%2F%2Fa.test%2Fcb\
         &scope=openid+email&state=s%26t&client_id=second&prompt=none",
    );
    assert_eq!(
        r.client_id.as_deref(),
        Some("abc"),
        "the first value is kept"
    );
    assert_eq!(r.redirect_uri.as_deref(), Some("https://a.test/cb"));
    assert_eq!(r.scope.as_deref(), Some("openid email"));
    assert_eq!(r.state.as_deref(), Some("s&t"));
    assert_eq!(r.nonce, None);
    assert!(AuthorizationRequest::from_query("").client_id.is_none());
}
