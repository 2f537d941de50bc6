//! Remembered browsers (issue 13 item 5, "waiting period by trust"): the account page lists
//! the browsers that completed a full sign-in to the account, this one marked, and forgets any
//! of them. A self-service emergency code asked for from one of them is valid at once.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// A browser the account remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserView {
    pub id: i64,
    /// This very browser.
    pub current: bool,
    /// "Firefox on Linux" and the like, from its `User-Agent` at the last full sign-in.
    pub browser: String,
    /// The client address of the last full sign-in.
    pub ip: Option<String>,
    /// The first and the last full sign-in from it, in UTC.
    pub first_sign_in: String,
    pub last_sign_in: String,
}

/// The caller's remembered browsers, the most recently used first.
///
/// Who may call it: a signed-in user in a full session (a restricted emergency session gets
/// 403); only their own browsers are listed.
#[server(prefix = "/api", endpoint = "my_browsers")]
pub async fn my_browsers() -> Result<Vec<BrowserView>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    no_store();
    let list = respond(state.auth.browsers(&caller, &client()).await)?;
    Ok(browser_views(&list))
}

/// The remembered browsers of `list` as the page shows them.
#[cfg(feature = "ssr")]
fn browser_views(list: &identity::BrowserList) -> Vec<BrowserView> {
    use crate::ssr::{browser_name, format_utc};
    list.browsers
        .iter()
        .map(|b| BrowserView {
            id: b.id.0,
            current: Some(b.id) == list.current,
            browser: browser_name(b.user_agent.as_deref()),
            ip: b.ip.clone(),
            first_sign_in: format_utc(b.created_at.as_millis()),
            last_sign_in: format_utc(b.last_seen_at.as_millis()),
        })
        .collect()
}

/// "Forget": the account no longer remembers this browser (an emergency code asked for from
/// it then waits like one from an unknown browser). Forgetting this very browser also deletes
/// its cookie. Audited.
///
/// Who may call it: a signed-in user in a full session, for their own browsers only (another
/// account's browser is `NotFound`).
#[server(prefix = "/api", endpoint = "forget_browser")]
pub async fn forget_browser(browser_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    let client = client();
    // Read before forgetting: whether it is this one (then its cookie goes too).
    let current = respond(state.auth.browsers(&caller, &client).await)?.current;
    let id = identity::RememberedBrowserId(browser_id);
    let forgotten = state.auth.forget_browser(&caller, id, &client).await;
    if !respond(forgotten)? {
        return respond(Err(AppError::NotFound));
    }
    if current == Some(id) {
        clear_browser_cookie(&state);
    }
    Ok(())
}
