//! Signing in to other applications (issue 18): the page between MAYI ID's sign-in and the
//! application (consent for an application not run by the organisation, then back to the
//! provider's `/oauth2/authorize`), and the applications a person allowed.
//!
//! The page's form never redirects to the application itself: the pages' CSP says
//! `form-action 'self'`, which browsers apply to a form's redirects too. A decision comes back
//! to this page, which then leaves for `/oauth2/authorize` (or the application) as a fresh
//! navigation.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The longest authorization request (its query string) taken.
pub const AUTHORIZATION_REQUEST_MAX_BYTES: usize = 8 * 1024;
/// The query parameter a "Do not allow" adds to the request it comes back with.
pub const DENIED_PARAMETER: &str = "consent=denied";

/// What the page between sign-in and the application shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorizationView {
    /// Ask the person (an application not run by the organisation, not yet allowed these
    /// scopes).
    Consent {
        application: String,
        username: String,
        /// The scopes asked for, `openid` first.
        scopes: Vec<String>,
        /// Where the person goes afterwards (the redirect URI's host).
        destination: String,
    },
    /// Leave for `to` (the provider's authorize endpoint, or the application with an error).
    Continue { application: String, to: String },
    /// A restricted emergency session: finish recovery first.
    FinishRecovery,
    /// The request cannot go on; the reason is for the person.
    Refused { message: String },
}

/// The request's query without a decision this page added, and whether it had one.
#[cfg(feature = "ssr")]
fn request_only(request: &str) -> (String, bool) {
    let parts: Vec<&str> = request.trim_start_matches('?').split('&').collect();
    let denied = parts.contains(&DENIED_PARAMETER);
    let query = parts
        .into_iter()
        .filter(|p| *p != DENIED_PARAMETER)
        .collect::<Vec<_>>()
        .join("&");
    (query, denied)
}

/// An authorization request as this page reads it.
#[cfg(feature = "ssr")]
struct Checked {
    /// The request's query without this page's own parameter.
    query: String,
    /// "Do not allow" brought the person back ([`DENIED_PARAMETER`]).
    denied: bool,
    /// The provider's check of the request.
    result: Result<identity::oidc::Approval, identity::oidc::AuthorizeRefusal>,
}

/// Reads and checks the request `request` (a query string, at most
/// [`AUTHORIZATION_REQUEST_MAX_BYTES`]).
#[cfg(feature = "ssr")]
async fn checked(state: &crate::ssr::AppState, request: &str) -> Result<Checked, AppError> {
    if request.len() > AUTHORIZATION_REQUEST_MAX_BYTES {
        return crate::ssr::respond(Err(AppError::BadRequest));
    }
    let (query, denied) = request_only(request);
    let request = identity::oidc::AuthorizationRequest::from_query(&query);
    let result = state.oidc.check_request(&request).await;
    Ok(Checked {
        query,
        denied,
        result,
    })
}

/// What to show for the authorization request `request` (a query string).
///
/// Who may call it: anyone, for a request that is refused (an unregistered application or
/// redirect URI: the page says so); otherwise a signed-in user (others get `Unauthorized`), a
/// restricted emergency session being told to finish recovery first.
#[server(prefix = "/api", endpoint = "authorization")]
pub async fn authorization(request: String) -> Result<AuthorizationView, AppError> {
    use crate::ssr::*;
    use identity::oidc::AuthorizeRefusal;
    let state = state()?;
    no_store();
    let Checked {
        query,
        denied,
        result,
    } = checked(&state, &request).await?;
    let approval = match result {
        Ok(approval) => approval,
        Err(AuthorizeRefusal::Show(message)) => {
            return Ok(AuthorizationView::Refused {
                message: message.to_owned(),
            })
        }
        Err(AuthorizeRefusal::Redirect(to)) => {
            return Ok(AuthorizationView::Continue {
                application: tr!(oidc.authorize_an_application).to_owned(),
                to,
            })
        }
    };
    let caller = respond(require_session(&state).await)?;
    let Ok(caller) = caller.full() else {
        return Ok(AuthorizationView::FinishRecovery);
    };
    let application = approval.client.name.clone();
    if denied {
        return Ok(AuthorizationView::Continue {
            application,
            to: approval.refusal("access_denied"),
        });
    }
    if respond(state.oidc.needs_consent(&caller, &approval).await)? {
        return Ok(AuthorizationView::Consent {
            application,
            username: caller.account().username.to_string(),
            scopes: approval.scopes.iter().map(|s| (*s).to_owned()).collect(),
            destination: url::Url::parse(approval.redirect_uri.as_str())
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
        });
    }
    Ok(AuthorizationView::Continue {
        application,
        to: format!("/oauth2/authorize?{query}"),
    })
}

/// The person's answer to the consent page: `decision` is `allow` (remembered for this
/// application and these scopes) or `deny` (audited). Either way back to the page, which then
/// leaves for the application.
///
/// Who may call it: a signed-in user in a full session (a restricted session gets 403).
#[server(prefix = "/api", endpoint = "decide_authorization")]
pub async fn decide_authorization(request: String, decision: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    let checked = checked(&state, &request).await?;
    let (query, Ok(approval)) = (checked.query, checked.result) else {
        return respond(Err(AppError::BadRequest));
    };
    match decision.as_str() {
        "allow" => {
            respond(state.oidc.grant_consent(&caller, &approval).await)?;
            redirect(&format!("/authorize?{query}"));
        }
        "deny" => {
            respond(state.oidc.deny(&caller, &approval).await)?;
            redirect(&format!("/authorize?{query}&{DENIED_PARAMETER}"));
        }
        _ => return respond(Err(AppError::BadRequest)),
    }
    Ok(())
}

/// An application the person allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed: String,
}

/// The applications the caller allowed, newest first.
///
/// Who may call it: a signed-in user in a full session; only their own.
#[server(prefix = "/api", endpoint = "my_applications")]
pub async fn my_applications() -> Result<Vec<ApplicationView>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    no_store();
    let consents = respond(state.oidc.consents(&caller).await)?;
    Ok(consents
        .into_iter()
        .map(|c| ApplicationView {
            client_id: c.client_id.as_str().to_owned(),
            name: c.application,
            scopes: c.scopes,
            allowed: format_utc(c.granted_at.as_millis()),
        })
        .collect())
}

/// Takes back what the caller allowed the application `client_id`: its access stops now and it
/// asks again next time.
///
/// Who may call it: a signed-in user in a full session, for an application they allowed.
#[server(prefix = "/api", endpoint = "remove_application")]
pub async fn remove_application(client_id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    respond(state.oidc.revoke_consent(&caller, &client_id).await)
}
