//! MAYI ID's user interface: the HTML shell, the routes, the pages and the server functions.
//!
//! Pages render on the server (the HTML works before any WebAssembly runs) and hydrate in the
//! browser. Server functions are thin: they authorise the caller, validate, call one `identity`
//! operation and map its error to [`AppError`], whose messages are safe to show.

#![forbid(unsafe_code)]

pub mod api;
pub mod error;
pub mod pages;
pub mod text;

#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub use error::AppError;

/// The HTML document around every page: rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // In the document itself, never touched by hydration or navigation; the name
                // carries the build's content hash (`server::assets`), so browsers cache it.
                <link rel="stylesheet" href=format!("/pkg/{}.css", options.output_name) />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes, shared by the server renderer and the hydrating client.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run in the browser only, once the page is hydrated: the User Timing mark
    // `mayi-hydrated` tells when the page became interactive (`make bench` reads it).
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("mayi-hydrated");
        }
    });
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { text::PRODUCT.to_string() } else { format!("{page} · {}", text::PRODUCT) }
        } />
        <Router>
            <a class="skip-link" href="#main">{text::SKIP_TO_CONTENT}</a>
            <header class="site-header">
                <a class="brand" href="/login">{text::PRODUCT}</a>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/login") view=pages::SignInPage />
                    <Route path=path!("/help") view=pages::HelpIndex />
                    <Route path=path!("/help/signing-in") view=pages::HelpSignIn />
                    <Route path=path!("/help/emergency-access") view=pages::HelpEmergencyAccess />
                    <Route path=path!("/help/emergency-sign-in") view=pages::HelpEmergencySignIn />
                    <Route path=path!("/help/lost-phone") view=pages::HelpLostPhone />
                    <Route path=path!("/help/tokens") view=pages::HelpTokens />
                    <Route path=path!("/help/console") view=pages::HelpConsole />
                    <Route path=path!("/emergency") view=pages::EmergencyStartPage />
                    <Route path=path!("/emergency/cancel") view=pages::EmergencyCancelPage />
                    <Route path=path!("/freeze") view=pages::FreezeStartPage />
                    <Route path=path!("/freeze/done") view=pages::FreezeDonePage />
                    // Async: these pages wait for their data before the first byte, so they work
                    // without JavaScript and can still redirect (302) on the server.
                    <Route path=path!("/login/verify") view=pages::VerifyPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=pages::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/recovery-codes") view=pages::RecoveryCodesPage ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view=pages::TokensPage ssr=SsrMode::Async />
                    <Route path=path!("/freeze/device") view=pages::FreezeDevicePage ssr=SsrMode::Async />
                    <Route path=path!("/emergency/prove") view=pages::EmergencyProvePage ssr=SsrMode::Async />
                    <Route path=path!("/emergency/reason") view=pages::EmergencyReasonPage ssr=SsrMode::Async />
                    <Route path=path!("/emergency/code") view=pages::EmergencyCodePage ssr=SsrMode::Async />
                    // The operational console (issue 6).
                    <Route path=path!("/admin") view=pages::ConsoleSearchPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:id") view=pages::ConsoleUserPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/code") view=pages::ConsoleCodePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=pages::ConsoleAuditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/overview") view=pages::ConsoleOverviewPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>{text::FOOTER}</p>
            </footer>
        </Router>
    }
}
