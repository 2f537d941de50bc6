//! Every page is a lazily loaded route (issue 15): the router loads a page's WebAssembly when
//! the page is first shown, so the first visit downloads the shell (router, layout, reactive
//! runtime) and the one page it opens, not every page of the site.
//!
//! `cargo xtask build` splits the wasm at these points (`wasm_split_cli_support`); the server
//! renders each page as before and adds `<link rel="preload">` hints for the page's chunks (from
//! the build's split manifest), so a first visit fetches them alongside the main module, and the
//! front end hydrates with `hydrate_lazy`, which waits for them. Code shared by several groups
//! goes into shared chunks, fetched by the groups that need it and by no other.

use leptos::prelude::{AnyView, IntoAny};
use leptos_router::LazyRoute;

/// A group of pages loaded together: `loader, preload, Selector { Route => Page, ... }` declares
/// the lazily loaded function `loader` that renders any page of the group (the chunk boundary),
/// the enum `Selector` naming them, and `pub struct Route` per page for the route table.
///
/// Pages are grouped by what a visit needs together: the sign-in form and the wizard's first
/// page (the two pages a new phone opens first) each alone; the rest of the public path (the
/// second step, the wizard's later steps, "this was not me", freezing); self-service; help; the
/// console. The splitter gives every set of splits that shares code its own chunk: one split
/// per page (25) made a first visit fetch 37 to 73 files, four groups 9 files but 381 KB for
/// `/login`; these six fetch 16 files and 224 KB for `/login` (`make bench-web`,
/// docs/capacity.md).
macro_rules! lazy_group {
    ($loader:ident, $preload:ident, $selector:ident { $($route:ident => $page:ident,)* }) => {
        #[doc = concat!("The pages `", stringify!($loader), "` renders.")]
        #[derive(Debug, Clone, Copy)]
        pub enum $selector {
            $(
                #[doc = concat!("[`", stringify!($page), "`](crate::pages::", stringify!($page), ")")]
                $route,
            )*
        }

        impl $selector {
            /// The group's split name, as the build's split manifest keys its chunks.
            pub const SPLIT: &str = stringify!($loader);
        }

        #[leptos::lazy]
        fn $loader(page: $selector) -> AnyView {
            match page {
                $($selector::$route => crate::pages::$page().into_any(),)*
            }
        }

        $(
            #[doc = concat!("The route of [`", stringify!($page), "`](crate::pages::", stringify!($page), "), loaded with its group.")]
            #[derive(Debug)]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_route: Self) -> AnyView {
                    let page = $loader($selector::$route).await;
                    crate::mark_interactive();
                    page
                }

                async fn preload() {
                    // Only the WebAssembly build has chunks to fetch ahead.
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

lazy_group! {
    sign_in_pages, __preload_sign_in_pages, SignInPages {
        SignIn => SignInPage,
    }
}

lazy_group! {
    wizard_start_pages, __preload_wizard_start_pages, WizardStartPages {
        EmergencyStart => EmergencyStartPage,
    }
}

lazy_group! {
    public_pages, __preload_public_pages, PublicPages {
        Verify => VerifyPage,
        EmergencyCancel => EmergencyCancelPage,
        EmergencyProve => EmergencyProvePage,
        EmergencyReason => EmergencyReasonPage,
        EmergencyCode => EmergencyCodePage,
        FreezeStart => FreezeStartPage,
        FreezeDone => FreezeDonePage,
        FreezeDevice => FreezeDevicePage,
        Authorize => AuthorizePage,
    }
}

lazy_group! {
    self_service_pages, __preload_self_service_pages, SelfServicePages {
        Tokens => TokensPage,
        Account => AccountPage,
        RecoveryCodes => RecoveryCodesPage,
    }
}

lazy_group! {
    help_pages, __preload_help_pages, HelpPages {
        HelpIndex => HelpIndex,
        HelpSignIn => HelpSignIn,
        HelpEmergencyAccess => HelpEmergencyAccess,
        HelpEmergencySignIn => HelpEmergencySignIn,
        HelpLostPhone => HelpLostPhone,
        HelpTokens => HelpTokens,
    }
}

lazy_group! {
    console_pages, __preload_console_pages, ConsolePages {
        ConsoleSearch => ConsoleSearchPage,
        ConsoleUser => ConsoleUserPage,
        ConsoleCode => ConsoleCodePage,
        ConsoleAudit => ConsoleAuditPage,
        ConsoleOverview => ConsoleOverviewPage,
        ConsoleApplications => ConsoleApplicationsPage,
        HelpConsole => HelpConsole,
    }
}
