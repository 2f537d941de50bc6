//! The pages, one module each.

mod account;
// Signing in to other applications (issue 18).
mod applications;
mod authorize;
mod browsers;
mod contacts;
mod copy;
mod emergency;
mod enrol;
mod fields;
mod freeze;
mod help;
mod help_emergency;
mod not_found;
mod passkey;
mod reauth;
mod recovery;
mod sign_in;
mod tokens;
mod verify;
// The operational console (issue 6).
mod console;

pub use account::{AccountPage, ChangePasswordForm};
pub use applications::AllowedApplications;
pub use authorize::AuthorizePage;
pub use browsers::RememberedBrowsers;
pub use console::{
    ConsoleApplicationsPage, ConsoleAuditPage, ConsoleCodePage, ConsoleOverviewPage,
    ConsoleSearchPage, ConsoleUserPage, HelpConsole,
};
pub use contacts::Contacts;
pub use copy::CopyButton;
pub use emergency::{
    EmergencyCancelPage, EmergencyCodePage, EmergencyProvePage, EmergencyReasonPage,
    EmergencyStartPage, LocalTime, RecoveryBanner, UseEmergencyCode,
};
pub use enrol::EnrolInstructions;
pub use fields::{CodeField, Confirm, CredentialsFields, DangerButton, FormError, TokenNameFields};
pub use freeze::{FreezeDevicePage, FreezeDonePage, FreezeStartPage};
pub use help::{HelpSignIn, HelpTokens};
pub use help_emergency::{
    help_pictures, HelpEmergencyAccess, HelpEmergencySignIn, HelpIndex, HelpLostPhone, HelpPicture,
};
pub use not_found::NotFound;
pub use passkey::{AddPasskey, PasskeyChoice};
pub use reauth::ConfirmPassword;
pub use recovery::{ReadinessBanner, RecoveryCodesPage, RecoveryCodesSection};
pub use sign_in::SignInPage;
pub use tokens::TokensPage;
pub use verify::VerifyPage;

use mayi_types::TokenKind;

/// The name of a token kind as people say it.
pub fn kind_name(kind: &TokenKind) -> &'static str {
    match kind {
        TokenKind::Sms => tr!(common.kind_sms),
        TokenKind::Email => tr!(common.kind_email),
        TokenKind::Totp => tr!(common.kind_totp),
        TokenKind::Webauthn => tr!(common.kind_webauthn),
    }
}

/// Sends the browser elsewhere: a 302 while rendering on the server, a navigation once hydrated.
pub fn go_to(path: &str) {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(path);
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        navigate(path, Default::default());
    }
}

/// What a signed-in page shows when its data cannot be had: without a session, the way to
/// sign in (and, while rendering on the server, a redirect there); otherwise the error's safe
/// message (never server detail, see [`crate::AppError`]) and a way to try again.
#[leptos::component]
pub fn PageError(error: crate::AppError) -> impl leptos::IntoView {
    use leptos::prelude::*;
    if matches!(error, crate::AppError::Unauthorized) {
        go_to("/login");
        return view! { <p><a href="/login">{tr!(common.go_to_sign_in)}</a></p> }.into_any();
    }
    view! {
        <p class="error" role="alert">{error.to_string()}</p>
        <p><a href="/account">{tr!(tokens.back_to_account)}</a></p>
    }
    .into_any()
}
