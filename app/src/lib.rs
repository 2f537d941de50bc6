//! MAYI ID's user interface: the HTML shell, the routes, the pages and the server functions.
//!
//! Pages render on the server (the HTML works before any WebAssembly runs) and hydrate in the
//! browser. Server functions are thin: they authorise the caller, validate, call one `identity`
//! operation and map its error to [`AppError`], whose messages are safe to show.

#![forbid(unsafe_code)]

/// A sentence in the page's (or the request's) language, from `locales/`: `tr!(ns.key)` gives a
/// `&'static str`; `tr!(ns.key, name = value, …)` something to `format!` or `.to_string()`
/// (plural keys take `count = n`). Keys and arguments are checked at compile time.
macro_rules! tr {
    ($namespace:ident . $key:ident) => {
        $crate::i18n::locale().get_keys_const().$namespace().$key().inner()
    };
    ($namespace:ident . $key:ident, $($arguments:tt)*) => {
        $crate::i18n::td_display!($crate::i18n::locale(), $namespace.$key, $($arguments)*)
    };
}

pub mod api;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod routes;
pub mod text;

#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

pub use error::AppError;
use i18n::I18nLocaleTrait as _;

/// The HTML document around every page: rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang=i18n::locale().as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // In the document itself, never touched by hydration or navigation; the name
                // is in the build's content-hashed directory (`server::assets`), so browsers cache it.
                <link rel="stylesheet" href=format!("/{}/{}.css", options.site_pkg_dir, options.output_name) />
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

/// Sets the User Timing mark `mayi-hydrated` once the page in view is interactive: called by
/// every route ([`routes`]) when its page's code has loaded, and by the not-found page (part of
/// the main module); effects run in the browser only,
/// after the page has hydrated. `make bench` and the browser suite read the mark.
pub(crate) fn mark_interactive() {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("mayi-hydrated");
        }
    });
}

/// The application: layout and routes, shared by the server renderer and the hydrating client.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    provide_context(i18n::RequestLocale(i18n::locale()));
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { tr!(common.product).to_string() } else { format!("{page} · {}", tr!(common.product)) }
        } />
        <Router>
            <a class="skip-link" href="#main">{tr!(common.skip_to_content)}</a>
            <header class="site-header">
                <a class="brand" href="/login">{tr!(common.product)}</a>
                <LanguageSwitch />
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/login") view={Lazy::<routes::SignIn>::new()} />
                    <Route path=path!("/help") view={Lazy::<routes::HelpIndex>::new()} />
                    <Route path=path!("/help/signing-in") view={Lazy::<routes::HelpSignIn>::new()} />
                    <Route path=path!("/help/emergency-access") view={Lazy::<routes::HelpEmergencyAccess>::new()} />
                    <Route path=path!("/help/emergency-sign-in") view={Lazy::<routes::HelpEmergencySignIn>::new()} />
                    <Route path=path!("/help/lost-phone") view={Lazy::<routes::HelpLostPhone>::new()} />
                    <Route path=path!("/help/tokens") view={Lazy::<routes::HelpTokens>::new()} />
                    <Route path=path!("/help/console") view={Lazy::<routes::HelpConsole>::new()} />
                    <Route path=path!("/emergency") view={Lazy::<routes::EmergencyStart>::new()} />
                    <Route path=path!("/emergency/cancel") view={Lazy::<routes::EmergencyCancel>::new()} />
                    <Route path=path!("/freeze") view={Lazy::<routes::FreezeStart>::new()} />
                    <Route path=path!("/freeze/done") view={Lazy::<routes::FreezeDone>::new()} />
                    // Async: these pages wait for their data before the first byte, so they work
                    // without JavaScript and can still redirect (302) on the server.
                    <Route path=path!("/login/verify") view={Lazy::<routes::Verify>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<routes::Account>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/recovery-codes") view={Lazy::<routes::RecoveryCodes>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view={Lazy::<routes::Tokens>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/freeze/device") view={Lazy::<routes::FreezeDevice>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/emergency/prove") view={Lazy::<routes::EmergencyProve>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/emergency/reason") view={Lazy::<routes::EmergencyReason>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/emergency/code") view={Lazy::<routes::EmergencyCode>::new()} ssr=SsrMode::Async />
                    // Between sign-in and an application signing in through MAYI ID (issue 18).
                    <Route path=path!("/authorize") view={Lazy::<routes::Authorize>::new()} ssr=SsrMode::Async />
                    // The operational console (issue 6).
                    <Route path=path!("/admin") view={Lazy::<routes::ConsoleSearch>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:id") view={Lazy::<routes::ConsoleUser>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/code") view={Lazy::<routes::ConsoleCode>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view={Lazy::<routes::ConsoleAudit>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/overview") view={Lazy::<routes::ConsoleOverview>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/applications") view={Lazy::<routes::ConsoleApplications>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>{tr!(common.footer)}</p>
            </footer>
        </Router>
    }
}

/// The header's language switch: plain links to `/lang/{locale}?to=<this page>`, which set the
/// cookie and come back (a full page load: `rel="external"` keeps the router out of it), so it
/// works without JavaScript.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let current = i18n::locale();
    let location = leptos_router::hooks::use_location();
    let here = move || {
        let (path, search) = (location.pathname.get(), location.search.get());
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    view! {
        <nav class="language-switch" aria-label=tr!(common.language_switch)>
            <ul>
                {i18n::LANGUAGES
                    .into_iter()
                    .map(|(locale, name)| {
                        if locale == current {
                            view! { <li><span aria-current="true" lang=locale.as_str()>{name}</span></li> }.into_any()
                        } else {
                            view! {
                                <li>
                                    <a href=move || i18n::switch_href(locale, &here()) rel="external" hreflang=locale.as_str() lang=locale.as_str()>{name}</a>
                                </li>
                            }.into_any()
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
