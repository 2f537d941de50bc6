//! Help for the lost-phone paths: `/help/emergency-access`, `/help/emergency-sign-in` and
//! `/help/lost-phone`, each step linking to the real page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::text::{self, HelpSection};

#[component]
fn HelpPage(
    title: &'static str,
    intro: &'static str,
    sections: &'static [HelpSection],
) -> impl IntoView {
    view! {
        <Title text=title />
        <article class="card help" aria-labelledby="help-heading">
            <h1 id="help-heading">{title}</h1>
            <p class="lead">{intro}</p>
            {sections
                .iter()
                .enumerate()
                .map(|(i, (heading, paragraphs, links))| {
                    let id = if heading.starts_with("No recovery") { "help-desk".to_string() } else { format!("section-{}", i + 1) };
                    view! {
                        <section aria-labelledby=format!("{id}-heading") id=id.clone()>
                            <h2 id=format!("{id}-heading")>{*heading}</h2>
                            {paragraphs.iter().map(|p| view! { <p>{*p}</p> }).collect_view()}
                            {(!links.is_empty()).then(|| view! {
                                <ul class="help-links">
                                    {links.iter().map(|(href, label)| view! { <li><a href=*href>{*label}</a></li> }).collect_view()}
                                </ul>
                            })}
                        </section>
                    }
                })
                .collect_view()}
        </article>
    }
}

/// `/help/emergency-access`: the wizard, step by step.
#[component]
pub fn HelpEmergencyAccess() -> impl IntoView {
    view! { <HelpPage title=text::HELP_EMERGENCY_TITLE intro=text::HELP_EMERGENCY_INTRO sections=text::HELP_EMERGENCY /> }
}

/// `/help/emergency-sign-in`: signing in with the code, the limited uses, what to do first.
#[component]
pub fn HelpEmergencySignIn() -> impl IntoView {
    view! { <HelpPage title=text::HELP_EMERGENCY_SIGN_IN_TITLE intro=text::HELP_EMERGENCY_SIGN_IN_INTRO sections=text::HELP_EMERGENCY_SIGN_IN /> }
}

/// `/help/lost-phone`: the whole procedure, both paths.
#[component]
pub fn HelpLostPhone() -> impl IntoView {
    view! { <HelpPage title=text::HELP_LOST_PHONE_TITLE intro=text::HELP_LOST_PHONE_INTRO sections=text::HELP_LOST_PHONE /> }
}
