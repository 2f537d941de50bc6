//! Help for the lost-phone paths: `/help/emergency-access`, `/help/emergency-sign-in` and
//! `/help/lost-phone`, each step linking to the real page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::text::{self, HelpSection};

#[component]
fn HelpPage(
    title: &'static str,
    intro: &'static str,
    sections: Vec<HelpSection>,
    /// The section others link to as `#help-desk` (the way through the help desk).
    #[prop(optional)]
    help_desk: Option<usize>,
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
                    let id = if help_desk == Some(i) { "help-desk".to_string() } else { format!("section-{}", i + 1) };
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
    let dir = picture_dir(crate::i18n::locale());
    view! {
        <figure class="help-picture">
            <picture>
                <source media="(min-width: 48rem)" srcset=format!("{dir}/{name}-desktop.png") />
                <img src=format!("{dir}/{name}-phone.png") alt=description loading="lazy" />
            </picture>
            <figcaption>{description}</figcaption>
        </figure>
    }
}

/// Where a language's pictures are: English in `public/help/`, others in `public/help/<tag>/`
/// (`make help-pictures` makes both).
pub fn picture_dir(locale: crate::i18n::Locale) -> &'static str {
    match locale {
        crate::i18n::Locale::en => "/help",
        crate::i18n::Locale::cs => "/help/cs",
    }
}

/// Every picture the help pages show, by name (`public/help/{name}-phone.png` and
/// `-desktop.png` must exist: a test checks it).
pub fn help_pictures() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = [
        text::help_emergency(),
        text::help_emergency_sign_in(),
        text::help_lost_phone(),
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
        <Title text=tr!(emergency.help_index_title) />
        <article class="card help" aria-labelledby="help-heading">
            <h1 id="help-heading">{tr!(emergency.help_index_title)}</h1>
            <p class="lead">{tr!(emergency.help_index_intro)}</p>
            <ul class="help-index">
                {text::help_index()
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
    fn every_picture_a_help_page_shows_exists_in_every_language() {
        let public = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public");
        let names = help_pictures();
        assert!(names.len() >= 6, "{names:?}");
        for (locale, name, size) in crate::i18n::LANGUAGES.iter().flat_map(|(locale, _)| {
            names
                .iter()
                .flat_map(move |name| ["phone", "desktop"].map(move |size| (*locale, *name, size)))
        }) {
            let dir = public.join(super::picture_dir(locale).trim_start_matches('/'));
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

/// `/help/emergency-access`: the wizard, step by step.
#[component]
pub fn HelpEmergencyAccess() -> impl IntoView {
    view! { <HelpPage title=tr!(emergency.help_emergency_title) intro=tr!(emergency.help_emergency_intro) sections=text::help_emergency() help_desk=text::HELP_EMERGENCY_HELP_DESK /> }
}

/// `/help/emergency-sign-in`: signing in with the code, the limited uses, what to do first.
#[component]
pub fn HelpEmergencySignIn() -> impl IntoView {
    view! { <HelpPage title=tr!(emergency.help_emergency_sign_in_title) intro=tr!(emergency.help_emergency_sign_in_intro) sections=text::help_emergency_sign_in() /> }
}

/// `/help/lost-phone`: the whole procedure, both paths.
#[component]
pub fn HelpLostPhone() -> impl IntoView {
    view! { <HelpPage title=tr!(emergency.help_lost_phone_title) intro=tr!(emergency.help_lost_phone_intro) sections=text::help_lost_phone() /> }
}
