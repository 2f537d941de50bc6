//! Signing in to other applications through MAYI ID (issue 18): the consent page, the step back
//! to the application, and the applications listed on the account page.

pub fn consent_heading(application: &str) -> String {
    tr!(oidc.consent_heading, application = application).to_string()
}
pub fn consent_intro(application: &str, username: &str) -> String {
    tr!(
        oidc.consent_intro,
        application = application,
        username = username
    )
    .to_string()
}
pub fn consent_destination(host: &str) -> String {
    tr!(oidc.consent_destination, host = host).to_string()
}
pub fn authorize_continue_heading(application: &str) -> String {
    tr!(oidc.authorize_continue_heading, application = application).to_string()
}
pub fn authorize_continue_link(application: &str) -> String {
    tr!(oidc.authorize_continue_link, application = application).to_string()
}

pub fn application_allowed(scopes: &str, when: &str) -> String {
    tr!(oidc.application_allowed, scopes = scopes, when = when).to_string()
}
pub fn application_remove_caption(application: &str) -> String {
    tr!(oidc.application_remove_caption, application = application).to_string()
}

/// The description of a scope a person allows.
pub fn scope_description(scope: &str) -> &'static str {
    match scope {
        "profile" => tr!(oidc.scope_profile),
        "email" => tr!(oidc.scope_email),
        _ => tr!(oidc.scope_openid),
    }
}

/// The scopes in a sentence: "your account identifier, your name and username".
pub fn scopes_sentence(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|s| scope_description(s).to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}
