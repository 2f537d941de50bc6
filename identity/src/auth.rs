//! Signing in: the password step, the second-factor step, and the sessions they lead to.
//!
//! This owns the order of the steps and the rules between them: a correct password opens only a
//! short-lived sign-in attempt (not a session, SE-8); the second factor is checked for the
//! account of that attempt only; a TOTP code is accepted once (OTP-6); a session is a fresh
//! random token (SE-2). Unknown users and wrong passwords are indistinguishable, in answer and
//! in cost (the dummy hash). The web layer only carries tokens between these calls and cookies.

use std::sync::Arc;

use crate::{
    Account, AccountId, AccountState, Clock, DomainError, NewSession, Password, PasswordHasher,
    SeedCipher, Session, SessionScope, SessionToken, Store, Token, TokenId, TokenKind, TotpSecret,
    Username, LOGIN_ATTEMPT_TTL,
};

/// Why a sign-in step failed, as far as the person signing in may know.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user, wrong password, or an account that may not sign in: one answer for all.
    #[error("wrong username or password")]
    InvalidCredentials,
    /// The one-time code is wrong, expired or already used: one answer for all.
    #[error("the code is not valid")]
    InvalidCode,
    /// The sign-in attempt is unknown or has expired: start again with the password.
    #[error("the sign-in has expired")]
    AttemptExpired,
    /// The session is unknown, expired or ended.
    #[error("not signed in")]
    NotSignedIn,
    /// Anything else (storage, busy hashing pool, bad input shape).
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// The result of a correct password: the attempt's token (for a cookie) and what the second
/// step may offer.
pub struct PasswordOk {
    pub attempt: SessionToken,
    pub account: Account,
}

/// The sign-in service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    hasher: PasswordHasher,
    cipher: Arc<SeedCipher>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(
        store: Store,
        hasher: PasswordHasher,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            hasher,
            cipher,
            clock,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Step 1: username and password. Every failure costs one argon2 run and reads the same.
    pub async fn check_password(
        &self,
        username: &str,
        password: String,
    ) -> Result<PasswordOk, AuthError> {
        // PW-2: an over-long password is refused before any hashing; it cannot be right.
        let password = Password::new(password).map_err(|_| AuthError::InvalidCredentials)?;
        let account = match Username::parse(username) {
            Ok(username) => self.store.account_by_username(&username).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            self.hasher.verify_dummy(&password).await?;
            return Err(AuthError::InvalidCredentials);
        };
        let ok = self
            .hasher
            .verify(&password, &account.password_hash)
            .await?;
        if !ok || account.state != AccountState::Active {
            return Err(AuthError::InvalidCredentials);
        }
        let attempt = self
            .store
            .create_login_attempt(account.id, LOGIN_ATTEMPT_TTL)
            .await?;
        Ok(PasswordOk { attempt, account })
    }

    /// The account behind a pending sign-in attempt and the tokens it may use for step 2.
    pub async fn pending(
        &self,
        attempt: &SessionToken,
    ) -> Result<(Account, Vec<Token>), AuthError> {
        let attempt = self
            .store
            .login_attempt(attempt)
            .await?
            .ok_or(AuthError::AttemptExpired)?;
        let account = self.active_account(attempt.account_id).await?;
        let tokens = self.store.active_tokens(account.id).await?;
        Ok((account, tokens))
    }

    /// Step 2 with an authenticator app: checks the code for the attempt's own token, records
    /// its time step (so the same code never works twice), ends the attempt and opens a session.
    pub async fn verify_totp(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        code: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(Account, SessionToken), AuthError> {
        let pending = self
            .store
            .login_attempt(attempt)
            .await?
            .ok_or(AuthError::AttemptExpired)?;
        let account = self.active_account(pending.account_id).await?;
        // Scoped by the attempt's account: another account's token id is simply not found.
        let token = self
            .store
            .token(account.id, token)
            .await?
            .filter(|t| t.kind == TokenKind::Totp && t.state == crate::TokenState::Active)
            .ok_or(AuthError::InvalidCode)?;
        let sealed = self
            .store
            .token_secret(token.id)
            .await?
            .ok_or(AuthError::InvalidCode)?;
        let secret = TotpSecret::open(&self.cipher, &sealed, account.id)?;
        let now = self.clock.now().unix_secs();
        let step = secret
            .verify(code, now, token.last_totp_step)
            .ok_or(AuthError::InvalidCode)?;
        // OTP-6: the conditional update lets exactly one of two racing submissions through.
        if !self
            .store
            .record_totp_use(token.id, account.id, step)
            .await?
        {
            return Err(AuthError::InvalidCode);
        }
        self.store.finish_login_attempt(attempt).await?;
        let session = self
            .store
            .create_session(NewSession {
                account_id: account.id,
                scope: SessionScope::Full,
                ip,
                user_agent,
            })
            .await?;
        Ok((account, session))
    }

    /// The signed-in account behind a session cookie.
    pub async fn session(&self, token: &SessionToken) -> Result<(Session, Account), AuthError> {
        let session = self
            .store
            .session(token)
            .await?
            .ok_or(AuthError::NotSignedIn)?;
        // A locked or disabled account loses its sessions at once (checked on every request).
        let account = self
            .active_account(session.account_id)
            .await
            .map_err(|_| AuthError::NotSignedIn)?;
        Ok((session, account))
    }

    /// Ends a session on the server (SE-5): the cookie is worthless afterwards.
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), AuthError> {
        self.store.end_session(token).await?;
        Ok(())
    }

    async fn active_account(&self, id: AccountId) -> Result<Account, AuthError> {
        self.store
            .account_by_id(id)
            .await?
            .filter(|a| a.state == AccountState::Active)
            .ok_or(AuthError::AttemptExpired)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        testing::{self, ManualClock, TestStore},
        NewAccount, NewToken, Role, Timestamp, TokenState,
    };

    const PASSWORD: &str = "correct horse battery staple";
    const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    // RFC 6238's T = 1111111109: a fixed instant, so the expected codes are known.
    const T0: i64 = 1_111_111_109;

    struct Fixture {
        auth: Authenticator,
        clock: Arc<ManualClock>,
        alice: AccountId,
        alice_token: TokenId,
        bob_token: TokenId,
        _db: TestStore,
    }

    async fn fixture(db: TestStore) -> Fixture {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(T0)));
        let store = db.store.clone().with_clock(clock.clone());
        let hasher = PasswordHasher::new(None).unwrap();
        let cipher = Arc::new(SeedCipher::from_key_bytes([7; 32]));
        let mut ids = Vec::new();
        for name in ["alice", "bob"] {
            let hash = hasher
                .hash(&Password::new(PASSWORD.into()).unwrap())
                .await
                .unwrap();
            let account = store
                .create_account(NewAccount {
                    username: Username::parse(name).unwrap(),
                    display_name: name.into(),
                    password_hash: hash,
                    role: Role::User,
                    state: AccountState::Active,
                })
                .await
                .unwrap();
            let sealed = TotpSecret::from_base32(SECRET)
                .unwrap()
                .seal(&cipher, account)
                .unwrap();
            let token = store
                .insert_token(NewToken {
                    account_id: account,
                    kind: TokenKind::Totp,
                    label: "Authenticator app".into(),
                    device: Some("Pixel 7".into()),
                    state: TokenState::Active,
                    secret_enc: Some(sealed),
                    target: None,
                })
                .await
                .unwrap();
            ids.push((account, token));
        }
        Fixture {
            auth: Authenticator::new(store, hasher, cipher, clock.clone()),
            clock,
            alice: ids[0].0,
            alice_token: ids[0].1,
            bob_token: ids[1].1,
            _db: db,
        }
    }

    fn code_at(secs: i64) -> String {
        TotpSecret::from_base32(SECRET)
            .unwrap()
            .code_at(secs as u64)
    }

    #[tokio::test]
    async fn unknown_user_and_wrong_password_read_the_same() {
        let f = fixture(testing::sqlite().await).await;
        for (user, password) in [
            ("alice", "wrong password!"),
            ("nobody", PASSWORD),
            ("no body", PASSWORD),
            ("alice", "short"),
        ] {
            let err = f
                .auth
                .check_password(user, password.into())
                .await
                .err()
                .unwrap();
            assert!(
                matches!(err, AuthError::InvalidCredentials),
                "{user}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn se_8_a_correct_password_opens_an_attempt_not_a_session() {
        let f = fixture(testing::sqlite().await).await;
        let ok = f
            .auth
            .check_password("ALICE", PASSWORD.into())
            .await
            .unwrap();
        assert_eq!(ok.account.id, f.alice);
        assert!(matches!(
            f.auth.session(&ok.attempt).await,
            Err(AuthError::NotSignedIn)
        ));
        let (account, tokens) = f.auth.pending(&ok.attempt).await.unwrap();
        assert_eq!(account.id, f.alice);
        assert_eq!(tokens.len(), 1);
    }

    #[tokio::test]
    async fn otp_6_a_totp_code_opens_one_session_and_never_works_again() {
        let f = fixture(testing::sqlite().await).await;
        let code = code_at(T0);
        assert_eq!(code, "081804"); // RFC 6238 vector, 6 digits
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into())
            .await
            .unwrap();
        let (_, session) = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, &code, None, None)
            .await
            .unwrap();
        let (_, account) = f.auth.session(&session).await.unwrap();
        assert_eq!(account.id, f.alice);
        // SE-2: the session token is not the attempt token, and the attempt is spent.
        assert_ne!(session.as_str(), ok.attempt.as_str());
        assert!(matches!(
            f.auth.pending(&ok.attempt).await,
            Err(AuthError::AttemptExpired)
        ));

        // The same code in a new attempt: refused, as is the previous step's code.
        let again = f
            .auth
            .check_password("alice", PASSWORD.into())
            .await
            .unwrap();
        for code in [code_at(T0), code_at(T0 - 30)] {
            assert!(matches!(
                f.auth
                    .verify_totp(&again.attempt, f.alice_token, &code, None, None)
                    .await,
                Err(AuthError::InvalidCode)
            ));
        }
        // The next step's code works (OTP-5 window, later than the last accepted step).
        f.clock.advance(Duration::from_secs(30));
        f.auth
            .verify_totp(&again.attempt, f.alice_token, &code_at(T0 + 30), None, None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn ac_2_another_accounts_token_is_never_checked() {
        let f = fixture(testing::sqlite().await).await;
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into())
            .await
            .unwrap();
        assert!(matches!(
            f.auth
                .verify_totp(&ok.attempt, f.bob_token, &code_at(T0), None, None)
                .await,
            Err(AuthError::InvalidCode)
        ));
    }

    #[tokio::test]
    async fn an_expired_attempt_must_start_again() {
        let f = fixture(testing::sqlite().await).await;
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into())
            .await
            .unwrap();
        f.clock.advance(LOGIN_ATTEMPT_TTL + Duration::from_secs(1));
        let now = T0 + LOGIN_ATTEMPT_TTL.as_secs() as i64 + 1;
        assert!(matches!(
            f.auth
                .verify_totp(&ok.attempt, f.alice_token, &code_at(now), None, None)
                .await,
            Err(AuthError::AttemptExpired)
        ));
    }

    #[tokio::test]
    async fn se_5_sign_out_ends_the_session_on_the_server() {
        let Some(db) = testing::postgres().await else {
            return;
        };
        let f = fixture(db).await;
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into())
            .await
            .unwrap();
        let (_, session) = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), None, None)
            .await
            .unwrap();
        f.auth.session(&session).await.unwrap();
        f.auth.sign_out(&session).await.unwrap();
        assert!(matches!(
            f.auth.session(&session).await,
            Err(AuthError::NotSignedIn)
        ));
    }
}
