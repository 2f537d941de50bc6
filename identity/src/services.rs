//! [`Identity`]: every service of this crate, built once on one store, key, clock and policy.
//! The web layer and the command line hold one and call its services; they never assemble the
//! services themselves.

use std::sync::Arc;

use crate::auth::Base;
use crate::{
    Authenticator, Clock, Console, EmergencyAccess, EmergencyPolicy, Enrolment, Housekeeping,
    Outbox, PasswordHasher, Provisioning, Result, SeedCipher, Store, TokenService,
};

/// The services, sharing one store (cheap to clone).
#[derive(Clone, Debug)]
pub struct Identity {
    /// Sign-in, sessions, the capability types' source ([`Authenticator::authorize`]).
    pub auth: Authenticator,
    /// The token list and removal ("I lost this device"), block and unblock.
    pub tokens: TokenService,
    /// Adding tokens and contacts.
    pub enrolment: Enrolment,
    /// The Emergency Access wizard, codes and the restricted session.
    pub emergency: EmergencyAccess,
    /// The operational console.
    pub console: Console,
    /// Account creation, token import and role changes from the command line, audited.
    pub provisioning: Provisioning,
    /// The periodic purges of expired rows.
    pub housekeeping: Housekeeping,
    /// The delivery worker's side of the outbox (claim, mark sent or failed).
    pub outbox: Outbox,
    /// The OpenID Connect provider's clients and signing keys (issue 18).
    pub oidc: crate::oidc::OidcProvider,
    store: Store,
}

impl Identity {
    /// Builds every service. `public_url` is the configured base URL put in notices and links
    /// (never one taken from a request). Refuses an emergency `policy` outside its bounds.
    pub fn new(
        store: Store,
        hasher: PasswordHasher,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        public_url: &str,
        policy: EmergencyPolicy,
    ) -> Result<Self> {
        let oidc = crate::oidc::OidcProvider::new(
            store.clone(),
            cipher.clone(),
            clock.clone(),
            public_url,
        );
        let auth = Authenticator::new(Base {
            store: store.clone(),
            hasher: hasher.clone(),
            cipher: cipher.clone(),
            clock,
            public_url: public_url.into(),
            passkeys: match crate::RelyingParty::from_public_url(public_url) {
                Ok(rp) => Some(rp),
                Err(why) => {
                    tracing::warn!(
                        public_url,
                        "passkeys and security keys are off: {}",
                        why.detail()
                    );
                    None
                }
            },
        });
        let emergency = EmergencyAccess::new(auth.clone(), cipher.clone(), policy)?;
        Ok(Self {
            tokens: TokenService::new(store.clone(), public_url),
            provisioning: Provisioning::new(store.clone(), hasher, cipher, public_url),
            housekeeping: Housekeeping::new(store.clone()),
            outbox: Outbox::new(store.clone()),
            oidc,
            enrolment: Enrolment::new(&auth),
            console: Console::new(store.clone(), emergency.clone(), public_url),
            emergency,
            auth,
            store,
        })
    }

    /// Whether the database answers (the readiness check).
    pub async fn ping(&self) -> Result<()> {
        self.store.ping().await
    }
}
