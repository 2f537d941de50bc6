//! Czech and English (issue 19): the generated translation module (from `locales/`, by
//! `build.rs`), which language a request gets, and the language switch's address.
//!
//! Every sentence lives in `app/locales/<locale>/<namespace>.json`; code names it with
//! [`tr!`](crate::tr) (`tr!(common.sign_in_title)`, `tr!(freeze.freeze_device_line, count = n,
//! device = name)`), checked at compile time. The language is fixed for a whole page load:
//! switching is a plain link to `/lang/{locale}` that sets a cookie and comes back, so it works
//! without JavaScript and nothing needs to re-render.
//!
//! - On the server: the `mayi_lang` cookie, else the best `Accept-Language` match, else English.
//!   The shell writes it into `<html lang>`.
//! - In the browser: `<html lang>`, as the server wrote it, so hydration renders the same text.

#[allow(missing_docs, unreachable_pub, clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
}
pub use generated::i18n::*;

/// The cookie that remembers the language chosen with the switch (a year).
pub const LANG_COOKIE: &str = "mayi_lang";
/// How long the choice is remembered, in seconds.
pub const LANG_COOKIE_MAX_AGE: u64 = 365 * 24 * 60 * 60;

/// Every language, in the order the switch shows them, with its name in itself.
pub const LANGUAGES: [(Locale, &str); 2] = [(Locale::en, "English"), (Locale::cs, "Čeština")];

/// The language of a language tag (`cs`, `cs-CZ`, `en-GB`, any case). Slovak readers get Czech,
/// which they read without effort, rather than English.
pub fn parse_tag(tag: &str) -> Option<Locale> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "en" => Some(Locale::en),
        "cs" | "sk" => Some(Locale::cs),
        _ => None,
    }
}

/// The language for a request: the cookie's if it names one we have, else the
/// `Accept-Language` entry with the highest quality we have (the first of equals), else English.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
    if let Some(locale) = cookie.and_then(parse_tag) {
        return locale;
    }
    let mut best: Option<(f32, Locale)> = None;
    for entry in accept_language.unwrap_or_default().split(',') {
        let mut parts = entry.split(';');
        let Some(locale) = parts.next().and_then(parse_tag) else {
            continue;
        };
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .unwrap_or(0.0);
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map_or(Locale::en, |(_, locale)| locale)
}

/// Where the switch sends the browser back to: `to` if it is a path on this site (`/…`, not
/// `//host` or `/\host`, no control characters), else the sign-in page.
pub fn safe_return_path(to: Option<&str>) -> &str {
    match to {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control()) =>
        {
            path
        }
        _ => "/login",
    }
}

/// The switch's link to `locale`, coming back to `here` (path and query).
pub fn switch_href(locale: Locale, here: &str) -> String {
    let mut href = format!("/lang/{}?to=", locale.as_str());
    for byte in here.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                href.push(byte as char)
            }
            _ => href.push_str(&format!("%{byte:02X}")),
        }
    }
    href
}

/// A moment as the language writes it, in UTC and labelled so: "2026-12-04 15:00 UTC",
/// "4. 12. 2026 15:00 UTC". Pages replace it with the browser's local time once JavaScript runs
/// ([`crate::pages::LocalTime`]).
pub fn format_utc(locale: Locale, at: mayi_types::UtcMinute) -> String {
    match locale {
        Locale::en => at.iso_utc(),
        Locale::cs => format!(
            "{}. {}. {} {:02}:{:02} UTC",
            at.day, at.month, at.year, at.hour, at.minute
        ),
    }
}

/// The language chosen for this request on the server, provided once by [`crate::App`].
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug)]
pub struct RequestLocale(pub Locale);

/// The language of the page being rendered or of the request being answered.
#[cfg(feature = "ssr")]
pub fn locale() -> Locale {
    use leptos::prelude::use_context;
    if let Some(RequestLocale(locale)) = use_context::<RequestLocale>() {
        return locale;
    }
    use_context::<axum::http::request::Parts>()
        .map(|parts| locale_of(&parts.headers))
        .unwrap_or(Locale::en)
}

/// The language these request headers ask for (cookie, then `Accept-Language`).
#[cfg(feature = "ssr")]
pub fn locale_of(headers: &axum::http::HeaderMap) -> Locale {
    let cookie = crate::ssr::cookie_in(headers, LANG_COOKIE);
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    negotiate(cookie, accept)
}

/// The language of the page: `<html lang>`, which the server wrote (read once per page load).
#[cfg(not(feature = "ssr"))]
pub fn locale() -> Locale {
    thread_local! {
        static PAGE: Locale = page_locale();
    }
    PAGE.with(|l| *l)
}

#[cfg(not(feature = "ssr"))]
fn page_locale() -> Locale {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::document()
            .document_element()
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|lang| parse_tag(&lang))
            .unwrap_or(Locale::en)
    }
    #[cfg(not(feature = "hydrate"))]
    Locale::en
}

#[cfg(test)]
mod tests;
