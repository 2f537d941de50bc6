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
                .map(|(i, (heading, paragraphs, links, pictures))| {
                    let id = if heading.starts_with("No recovery") { "help-desk".to_string() } else { format!("section-{}", i + 1) };
                    view! {
                        <section aria-labelledby=format!("{id}-heading") id=id.clone()>
                            <h2 id=format!("{id}-heading")>{*heading}</h2>
                            {paragraphs.iter().map(|p| view! { <p>{*p}</p> }).collect_view()}
                            {pictures.iter().map(|(name, description)| view! { <HelpPicture name=*name description=*description /> }).collect_view()}
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

/// A picture of a real page, as a phone shows it (and, on wider screens, as a desktop shows it),
/// with its description as the caption and the alternative text.
#[component]
pub fn HelpPicture(name: &'static str, description: &'static str) -> impl IntoView {
    view! {
        <figure class="help-picture">
            <picture>
                <source media="(min-width: 48rem)" srcset=format!("/help/{name}-desktop.png") />
                <img src=format!("/help/{name}-phone.png") alt=description loading="lazy" />
            </picture>
            <figcaption>{description}</figcaption>
        </figure>
    }
}

/// Every picture the help pages show, by name (`public/help/{name}-phone.png` and
/// `-desktop.png` must exist: a test checks it).
pub fn help_pictures() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = [
        text::HELP_EMERGENCY,
        text::HELP_EMERGENCY_SIGN_IN,
        text::HELP_LOST_PHONE,
    ]
    .iter()
    .flat_map(|sections| sections.iter())
    .flat_map(|(_, _, _, pictures)| pictures.iter().map(|(name, _)| *name))
    .chain(text::HELP_EXTRA_PICTURES.iter().copied())
    .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// `/help`: the help center.
#[component]
pub fn HelpIndex() -> impl IntoView {
    view! {
        <Title text=text::HELP_INDEX_TITLE />
        <article class="card help" aria-labelledby="help-heading">
            <h1 id="help-heading">{text::HELP_INDEX_TITLE}</h1>
            <p class="lead">{text::HELP_INDEX_INTRO}</p>
            <ul class="help-index">
                {text::HELP_INDEX
                    .iter()
                    .map(|(href, title, summary)| view! {
                        <li>
                            <a href=*href>{*title}</a>
                            <p class="muted">{*summary}</p>
                        </li>
                    })
                    .collect_view()}
            </ul>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::help_pictures;

    #[test]
    fn every_picture_a_help_page_shows_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
        let names = help_pictures();
        assert!(names.len() >= 6, "{names:?}");
        for name in names {
            for size in ["phone", "desktop"] {
                let file = dir.join(format!("{name}-{size}.png"));
                let bytes = std::fs::read(&file).unwrap_or_else(|_| {
                    panic!("{} is missing: run `make help-pictures`", file.display())
                });
                assert!(
                    bytes.starts_with(b"\x89PNG"),
                    "{} is not a PNG",
                    file.display()
                );
            }
        }
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
