//! Czech and English over HTTP (issue 19), against the real router: which language a request
//! gets, the no-JavaScript language switch, Czech error messages from server functions, and
//! that a Czech page carries no English sentence the translation files know.

#[macro_use]
mod support;

use std::collections::BTreeMap;

use support::harness::*;

/// `namespace → key → text` of one language, as the translation files have it.
fn texts(locale: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/locales")
        .join(locale);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap(),
            )
        })
        .collect()
}

fn text(locale: &str, namespace: &str, key: &str) -> String {
    texts(locale)[namespace][key].clone()
}

/// As Leptos writes text into a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn with_headers(uri: &str, headers: &[(header::HeaderName, &str)]) -> Request<String> {
    let mut request = Request::get(uri).header(header::ACCEPT, "text/html");
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    request.body(String::new()).unwrap()
}

async fn sqlite() -> Harness {
    harness(identity::testing::sqlite().await).await
}

#[tokio::test]
async fn the_first_visit_follows_accept_language_and_sets_html_lang() {
    let h = sqlite().await;
    let (status, _, html) = send(
        &h.router,
        with_headers(
            "/login",
            &[(header::ACCEPT_LANGUAGE, "cs-CZ,cs;q=0.9,en;q=0.8")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<html lang="cs""#), "{html}");
    assert!(
        html.contains(&escaped(&text("cs", "common", "sign_in_heading"))),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<title>{} · MAYI ID</title>",
            escaped(&text("cs", "common", "sign_in_title"))
        )),
        "{html}"
    );
    assert!(
        !html.contains(&text("en", "common", "sign_in_heading")),
        "{html}"
    );

    // English when the browser prefers it, asks for a language MAYI ID lacks, or says nothing.
    for accept in [Some("en-GB,en;q=0.9,cs;q=0.5"), Some("de-DE"), None] {
        let headers: Vec<_> = accept
            .map(|a| (header::ACCEPT_LANGUAGE, a))
            .into_iter()
            .collect();
        let (_, _, html) = send(&h.router, with_headers("/login", &headers)).await;
        assert!(html.contains(r#"<html lang="en""#), "{accept:?}: {html}");
        assert!(
            html.contains(&text("en", "common", "sign_in_heading")),
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn the_cookie_chosen_with_the_switch_beats_accept_language() {
    let h = sqlite().await;
    let (_, _, html) = send(
        &h.router,
        with_headers(
            "/emergency",
            &[
                (header::ACCEPT_LANGUAGE, "en"),
                (header::COOKIE, "mayi_lang=cs"),
            ],
        ),
    )
    .await;
    assert!(html.contains(r#"<html lang="cs""#), "{html}");
    let (_, _, html) = send(
        &h.router,
        with_headers(
            "/emergency",
            &[
                (header::ACCEPT_LANGUAGE, "cs"),
                (header::COOKIE, "mayi_lang=en"),
            ],
        ),
    )
    .await;
    assert!(html.contains(r#"<html lang="en""#), "{html}");
}

#[tokio::test]
async fn the_header_switch_links_to_the_other_language_and_back_to_this_page() {
    let h = sqlite().await;
    let (_, _, html) = send(&h.router, with_headers("/help/lost-phone", &[])).await;
    assert!(
        html.contains(r#"href="/lang/cs?to=/help/lost-phone" rel="external" hreflang="cs" lang="cs">Čeština</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<span aria-current="true" lang="en">English</span>"#),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"<nav aria-label="{}" class="language-switch">"#,
            text("en", "common", "language_switch")
        )),
        "{html}"
    );

    let (_, _, html) = send(
        &h.router,
        with_headers("/help/lost-phone", &[(header::COOKIE, "mayi_lang=cs")]),
    )
    .await;
    assert!(html.contains(r#"href="/lang/en?to=/help/lost-phone" rel="external" hreflang="en" lang="en">English</a>"#), "{html}");
    assert!(
        html.contains(&format!(
            r#"<nav aria-label="{}" class="language-switch">"#,
            text("cs", "common", "language_switch")
        )),
        "{html}"
    );
}

#[tokio::test]
async fn switching_sets_the_cookie_and_goes_back_without_javascript() {
    let h = sqlite().await;
    let (status, headers, _) = send(&h.router, get("/lang/cs?to=/emergency%3Fstep%3D1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/emergency?step=1");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert_eq!(
        cookie,
        "mayi_lang=cs; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    let (status, headers, _) = send(&h.router, get("/lang/en?to=/help")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/help");
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("mayi_lang=en;"));

    // A path with letters a header cannot carry comes back encoded.
    let (_, headers, _) = send(&h.router, get("/lang/cs?to=/help%3Fq%3D%C4%8D%20x")).await;
    assert_eq!(headers[header::LOCATION], "/help?q=%C4%8D%20x");
}

#[tokio::test]
async fn the_switch_never_sends_anyone_to_another_site() {
    let h = sqlite().await;
    for to in [
        "//evil.example/",
        "/%5Cevil.example",
        "https://evil.example/",
        "evil",
        "%2F%2Fevil.example",
    ] {
        let (status, headers, _) = send(&h.router, get(&format!("/lang/cs?to={to}"))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
        assert_eq!(headers[header::LOCATION], "/login", "{to}");
    }
    let (status, headers, _) = send(&h.router, get("/lang/cs")).await;
    assert_eq!(
        (status, &headers[header::LOCATION]),
        (StatusCode::SEE_OTHER, &"/login".parse().unwrap())
    );
    // A language MAYI ID does not have: 404, and no cookie.
    for tag in ["de", "CS", "cs-CZ", "..%2F"] {
        let (status, headers, _) = send(&h.router, get(&format!("/lang/{tag}?to=/login"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tag}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "{tag}");
    }
}

#[tokio::test]
async fn the_language_cookie_is_secure_outside_development() {
    let h = outside_development_mode().await;
    let (_, headers, _) = send(&h.router, get("/lang/cs?to=/login")).await;
    assert_eq!(
        headers[header::SET_COOKIE],
        "mayi_lang=cs; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure"
    );
}

on_both_backends! {
    /// A server function answers with the error itself (JSON, no language): the page shows it
    /// in its own language. Without JavaScript the server renders it, in the request's language.
    async fn errors_are_shown_in_the_page_language(h: Harness) {
        let (status, _, body) = send(&h.router, sign_in("alice", "not the password")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("InvalidCredentials"), "{body}");
        let form = format!("username=alice&password={}", urlencode("not the password"));
        for (locale, cookie) in [("cs", "mayi_lang=cs"), ("en", "")] {
            let (status, headers, _) =
                send(&h.router, form_post("/api/sign_in", &form, cookie, "/login")).await;
            assert!(status.is_redirection(), "{status}");
            let back = headers[header::LOCATION].to_str().unwrap().to_owned();
            let back = back.trim_start_matches("http://127.0.0.1:3000");
            assert!(back.starts_with("/login?") && back.contains("__err="), "{back}");
            let (_, _, html) = send(&h.router, page(back, cookie)).await;
            let message = text(locale, "common", "err_invalid_credentials");
            assert!(html.contains(&escaped(&message)), "{locale}: {html}");
        }
    }
}

/// Every page anyone can open without signing in, in Czech: it shows Czech, and no English
/// sentence of the translation files (a text the code still wrote in English would be missed
/// here only if it never was in them: `app`'s tests keep the files complete).
#[tokio::test]
async fn czech_pages_carry_no_english_sentence() {
    let h = sqlite().await;
    let en = texts("en");
    let cs = texts("cs");
    let english: Vec<(String, &String)> = en
        .iter()
        .flat_map(|(namespace, keys)| {
            let cs = &cs[namespace];
            keys.iter()
                .filter(move |(key, value)| {
                    value.len() >= 12 && !value.contains("{{") && cs.get(*key) != Some(value)
                })
                .map(move |(key, value)| (format!("{namespace}.{key}"), value))
        })
        .collect();
    assert!(english.len() > 400, "{}", english.len());
    let pages = [
        ("/login", "common", "sign_in_heading"),
        ("/emergency", "emergency", "emergency_title"),
        ("/freeze", "freeze", "freeze_title"),
        ("/help", "emergency", "help_index_intro"),
        ("/help/signing-in", "tokens", "help_sign_in_intro"),
        (
            "/help/emergency-access",
            "emergency",
            "help_emergency_intro",
        ),
        (
            "/help/emergency-sign-in",
            "emergency",
            "help_emergency_sign_in_intro",
        ),
        ("/help/lost-phone", "emergency", "help_lost_phone_intro"),
        ("/help/tokens", "selfservice", "help_tokens_intro"),
        ("/help/console", "console", "help_console_title"),
        ("/no/such/page", "common", "not_found_body"),
    ];
    for (path, namespace, key) in pages {
        let (_, _, html) = send(
            &h.router,
            with_headers(path, &[(header::COOKIE, "mayi_lang=cs")]),
        )
        .await;
        let czech = &cs[namespace]
            .get(key)
            .unwrap_or_else(|| panic!("{namespace}.{key}"));
        assert!(
            html.contains(&escaped(czech)),
            "{path} shows {namespace}.{key} in Czech: {html}"
        );
        for (name, sentence) in &english {
            assert!(
                !html.contains(&escaped(sentence)),
                "{path} shows {name} in English: {sentence}"
            );
        }
    }
}
