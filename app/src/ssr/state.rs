//! The shared state handed to every server function: the identity services and the settings.

use super::*;

/// Everything a request handler needs, handed to server functions by `leptos_routes`: the
/// identity services (reached through `Deref`: `state.auth`, `state.tokens`, ...) and the
/// settings.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub identity: Identity,
    pub settings: Arc<Settings>,
}

impl std::ops::Deref for AppState {
    type Target = Identity;

    fn deref(&self) -> &Identity {
        &self.identity
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds every service on one store, key and clock ([`Identity::new`]). Refuses an
    /// emergency `policy` outside its bounds (checked at start).
    pub fn build(
        leptos_options: LeptosOptions,
        store: Store,
        hasher: PasswordHasher,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        policy: EmergencyPolicy,
    ) -> Result<Self, DomainError> {
        let identity = Identity::new(store, hasher, cipher, clock, &settings.public_url, policy)?;
        Ok(Self {
            leptos_options,
            identity,
            settings: Arc::new(settings),
        })
    }
}

/// The parts of the configuration that pages and server functions need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public base URL (used in links sent by mail; never taken from the Host header).
    pub public_url: String,
    /// Development mode: plain-http cookies on localhost, undelivered messages in the log.
    pub dev: bool,
    /// The reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
    /// (`MAYI_TRUSTED_PROXIES`); empty: the TCP peer is the client.
    pub trusted_proxies: Vec<TrustedProxy>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The application state, provided as context by `leptos_routes`.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}
