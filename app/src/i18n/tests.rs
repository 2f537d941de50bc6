//! The translation files are complete (leptos_i18n only warns about a key missing in one
//! language and says nothing about a missing plural form), and the language choice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;

/// The CLDR cardinal plural forms each language must write for a plural key.
fn plural_forms(locale: &str) -> &'static [&'static str] {
    match locale {
        "en" => &["one", "other"],
        "cs" => &["one", "few", "many", "other"],
        other => panic!("no plural rules listed for {other}"),
    }
}

const ALL_FORMS: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// `namespace → key → text` of one language.
fn load(locale: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let dir = locales_dir().join(locale);
    let mut namespaces = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("json"),
            "only JSON files belong in {}",
            dir.display()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let keys: BTreeMap<String, String> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: every value must be a string: {e}", path.display()));
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        namespaces.insert(name, keys);
    }
    namespaces
}

/// A plural key's base and form (`items_few` → `("items", "few")`), if it is one.
fn plural(key: &str) -> Option<(&str, &str)> {
    let (base, form) = key.rsplit_once('_')?;
    ALL_FORMS.contains(&form).then_some((base, form))
}

/// The keys of a namespace with plural forms folded into one (`items_one`, `items_other` →
/// `items`), and the forms each plural key has.
fn fold(keys: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut folded: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for key in keys.keys() {
        match plural(key) {
            Some((base, form)) => {
                folded
                    .entry(base.to_owned())
                    .or_default()
                    .insert(form.to_owned());
            }
            None => {
                folded.entry(key.clone()).or_default();
            }
        }
    }
    folded
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").expect("an unclosed {{") + start;
        names.insert(rest[start + 2..end].trim().to_owned());
        rest = &rest[end + 2..];
    }
    names
}

#[test]
fn both_languages_have_the_same_namespaces_and_keys() {
    let en = load("en");
    let cs = load("cs");
    assert_eq!(
        en.keys().collect::<Vec<_>>(),
        cs.keys().collect::<Vec<_>>(),
        "the same namespace files in locales/en and locales/cs"
    );
    let mut problems = Vec::new();
    for (namespace, en_keys) in &en {
        let (en_folded, cs_folded) = (fold(en_keys), fold(&cs[namespace]));
        for key in en_folded.keys() {
            if !cs_folded.contains_key(key) {
                problems.push(format!("cs/{namespace}.json lacks {key}"));
            }
        }
        for key in cs_folded.keys() {
            if !en_folded.contains_key(key) {
                problems.push(format!("en/{namespace}.json lacks {key}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_plural_key_has_every_form_of_its_language() {
    let mut problems = Vec::new();
    let mut plurals = 0;
    for locale in ["en", "cs"] {
        let want: BTreeSet<String> = plural_forms(locale).iter().map(|f| f.to_string()).collect();
        for (namespace, keys) in load(locale) {
            for (key, forms) in fold(&keys) {
                if forms.is_empty() {
                    continue;
                }
                plurals += 1;
                if forms != want {
                    problems.push(format!(
                        "{locale}/{namespace}.json {key}: {forms:?}, want {want:?}"
                    ));
                }
            }
        }
    }
    assert!(plurals >= 20, "the plural keys were found ({plurals})");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn both_languages_use_the_same_placeholders_and_no_text_is_empty() {
    let en = load("en");
    let cs = load("cs");
    let mut problems = Vec::new();
    for (namespace, en_keys) in &en {
        let cs_keys = &cs[namespace];
        for (key, en_text) in en_keys {
            // A plural key's forms are compared with the English `other` form; Czech may write
            // `count` out in words in a form.
            let (cs_texts, en_names): (Vec<(&String, &String)>, BTreeSet<String>) =
                match plural(key) {
                    Some((base, "other")) => (
                        cs_keys
                            .iter()
                            .filter(|(k, _)| plural(k).is_some_and(|(b, _)| b == base))
                            .collect(),
                        placeholders(en_text)
                            .into_iter()
                            .filter(|n| n != "count")
                            .collect(),
                    ),
                    Some(_) => continue,
                    None => (
                        cs_keys.get_key_value(key).into_iter().collect(),
                        placeholders(en_text),
                    ),
                };
            if en_text.trim().is_empty() {
                problems.push(format!("en/{namespace}.json {key} is empty"));
            }
            for (cs_key, cs_text) in cs_texts {
                let mut cs_names = placeholders(cs_text);
                if plural(cs_key).is_some() {
                    cs_names.remove("count");
                }
                if cs_names != en_names {
                    problems.push(format!(
                        "cs/{namespace}.json {cs_key}: {cs_names:?}, en {en_names:?}"
                    ));
                }
                if cs_text.trim().is_empty() {
                    problems.push(format!("cs/{namespace}.json {cs_key} is empty"));
                }
                if cs_text.contains('"') {
                    problems.push(format!(
                        "cs/{namespace}.json {cs_key}: Czech quotes are „…“"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_czech_text_is_czech() {
    // A file copied from English would pass the checks above: most texts must differ, and
    // Czech has diacritics.
    let en = load("en");
    let cs = load("cs");
    for (namespace, en_keys) in &en {
        let cs_keys = &cs[namespace];
        let same: Vec<&String> = en_keys
            .iter()
            .filter(|(k, v)| cs_keys.get(*k) == Some(v))
            .map(|(k, _)| k)
            .collect();
        assert!(
            same.len() * 10 <= en_keys.len(),
            "cs/{namespace}.json: {} of {} texts are the English ones: {same:?}",
            same.len(),
            en_keys.len()
        );
        let accented = cs_keys
            .values()
            .filter(|v| {
                v.chars()
                    .any(|c| "áčďéěíňóřšťúůýž".contains(c.to_lowercase().next().unwrap()))
            })
            .count();
        assert!(
            accented * 2 >= cs_keys.len(),
            "cs/{namespace}.json: too few texts with Czech letters"
        );
    }
}

#[test]
fn czech_plurals_follow_cldr() {
    let line = |locale: Locale, n: u32| {
        td_display!(
            locale,
            freeze.freeze_device_line,
            count = n,
            device = "Pixel"
        )
        .to_string()
    };
    let cs = &load("cs")["freeze"];
    let form = |f: &str| cs[&format!("freeze_device_line_{f}")].replace("{{ device }}", "Pixel");
    for (n, f) in [
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "other"),
        (0, "other"),
        (22, "other"),
        (101, "other"),
    ] {
        let want = form(f).replace("{{ count }}", &n.to_string());
        assert_eq!(line(Locale::cs, n), want, "{n} takes the {f} form");
    }
    assert_ne!(form("one"), form("few"));
    assert_ne!(form("few"), form("other"));
    assert_eq!(line(Locale::en, 1), "Pixel (1 sign-in method)");
    assert_eq!(line(Locale::en, 2), "Pixel (2 sign-in methods)");
}

#[test]
fn the_cookie_wins_then_the_best_accept_language_then_english() {
    assert_eq!(negotiate(Some("cs"), Some("en")), Locale::cs);
    assert_eq!(negotiate(Some("en"), Some("cs")), Locale::en);
    // A cookie naming a language MAYI ID does not have is ignored.
    assert_eq!(negotiate(Some("de"), Some("cs-CZ,cs;q=0.9")), Locale::cs);
    assert_eq!(negotiate(None, Some("cs-CZ,cs;q=0.9,en;q=0.8")), Locale::cs);
    assert_eq!(negotiate(None, Some("en-GB,en;q=0.9,cs;q=0.8")), Locale::en);
    // Quality, not order, decides; unknown languages are skipped; q=0 means "not this".
    assert_eq!(negotiate(None, Some("en;q=0.5, cs;q=0.8")), Locale::cs);
    assert_eq!(
        negotiate(None, Some("de-DE, fr;q=0.9, cs;q=0.3")),
        Locale::cs
    );
    assert_eq!(negotiate(None, Some("cs;q=0, en;q=0.1")), Locale::en);
    assert_eq!(negotiate(None, Some("sk-SK")), Locale::cs);
    assert_eq!(negotiate(None, Some("de")), Locale::en);
    assert_eq!(negotiate(None, Some("")), Locale::en);
    assert_eq!(negotiate(None, Some("cs;q=banana, en;q=0.2")), Locale::en);
    assert_eq!(negotiate(None, Some("*")), Locale::en);
    assert_eq!(negotiate(None, None), Locale::en);
    assert_eq!(negotiate(None, Some("CS")), Locale::cs);
}

#[test]
fn the_switch_comes_back_only_to_this_site() {
    assert_eq!(
        safe_return_path(Some("/emergency?step=2")),
        "/emergency?step=2"
    );
    assert_eq!(safe_return_path(Some("/")), "/");
    for bad in [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "evil",
        "",
        "/a\r\nSet-Cookie: x=1",
    ] {
        assert_eq!(safe_return_path(Some(bad)), "/login", "{bad:?}");
    }
    assert_eq!(safe_return_path(None), "/login");
}

#[test]
fn the_switch_link_carries_the_page_encoded() {
    assert_eq!(switch_href(Locale::cs, "/login"), "/lang/cs?to=/login");
    assert_eq!(
        switch_href(Locale::en, "/authorize?client_id=a&state=x y"),
        "/lang/en?to=/authorize%3Fclient_id%3Da%26state%3Dx%20y"
    );
    assert_eq!(switch_href(Locale::cs, "/č"), "/lang/cs?to=/%C4%8D");
}

#[test]
fn every_language_has_a_switch_entry_and_a_tag() {
    for locale in Locale::get_all() {
        let (l, name) = LANGUAGES
            .iter()
            .find(|(l, _)| l == locale)
            .expect("in the switch");
        assert!(!name.is_empty());
        assert_eq!(parse_tag(l.as_str()), Some(*l));
    }
    assert_eq!(LANGUAGES.len(), Locale::get_all().len());
}

#[test]
fn dates_are_written_the_language_s_way_in_utc() {
    let at = mayi_types::UtcMinute::from_millis(1_796_396_400_000 + 5 * 60_000);
    assert_eq!(format_utc(Locale::en, at), "2026-12-04 15:05 UTC");
    assert_eq!(format_utc(Locale::cs, at), "4. 12. 2026 15:05 UTC");
}
