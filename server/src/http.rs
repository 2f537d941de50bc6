//! The HTTP surface: pages and server functions from `app`, static files, health checks and the
//! middleware around them. `router` is what `serve` runs and what the HTTP tests drive.

use std::{
    net::{IpAddr, SocketAddr},
    path::Path,
};

use app::{
    shell,
    ssr::{AppState, ClientAddress, TrustedProxy},
    App,
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect},
    routing::get,
    Router,
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{limit::RequestBodyLimitLayer, set_header::SetResponseHeaderLayer};

/// Largest request body accepted anywhere: forms are small; anything bigger is refused (413).
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let options_public_url = state.settings.public_url.clone();
    let origin_guard = OriginGuard::new(&state.settings.public_url, state.settings.dev);
    let routes = route_list();
    let settings = state.settings.clone();
    // All of `pkg/`: the build's directory lies inside it (`crate::assets`).
    let pkg_dir = Path::new(&*options.site_root).join("pkg");

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/", get(|| async { Redirect::to("/login") }))
        .route("/admin/audit.csv", get(crate::console_csv::audit_csv))
        .route("/lang/{locale}", get(switch_language))
        .leptos_routes(&state, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest_service("/pkg", crate::assets::PkgFiles::new(&pkg_dir))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(page_nonce))
        .layer(axum::middleware::from_fn(move |request, next| {
            let guard = origin_guard.clone();
            async move { guard.check(request, next).await }
        }))
        // The OpenID Connect endpoints, outside the cross-site POST guard: applications' servers
        // post to the token endpoint, and none of them acts on a cookie when posted to.
        .merge(crate::oidc::routes().with_state(state.clone()))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            // Same-origin keeps the Referer that no-JavaScript form posts are redirected back
            // to, and never sends one to another site (a documented deviation from
            // `no-referrer`: SECURITY.md).
            HeaderValue::from_static("same-origin"),
        ))
        // Pages get their policy with the request's nonce (`page_nonce`); every other response
        // (server functions, files, health checks) gets the strictest one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // Nothing dynamic is cached anywhere (SE-10); `/pkg` files set their own policy.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts(&options_public_url),
        ))
        // The client's address, once per request, for everything above (rate limits, audit,
        // sessions, the origin guard's log line) and for the request's span.
        .layer(axum::middleware::from_fn(
            move |mut request: axum::extract::Request, next: axum::middleware::Next| {
                let peer = request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip());
                if let Some(peer) = peer {
                    let address =
                        client_address(&settings.trusted_proxies, peer, request.headers());
                    tracing::Span::current().record("client", tracing::field::display(address));
                    request.extensions_mut().insert(ClientAddress(address));
                }
                next.run(request)
            },
        ))
        // Outermost: the request id, its span and the latency cover everything above.
        .layer(axum::middleware::from_fn(crate::observe::track))
        .with_state(state)
}

/// The application's routes, generated once per process.
///
/// Generating them renders the app with resource loading suppressed by a process-wide flag
/// (leptos_server's `SuppressResourceLoad`): a resource first polled by a page being rendered on
/// another thread at that moment never loads, and that response never ends (leptos issue
/// #4773). A server builds one router before it serves; the tests build many, concurrently, and
/// hung now and then until the list was made once, before any router can serve a request.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Every request gets a fresh nonce for its page (a request extension the shell hands to Leptos,
/// whose hydration scripts carry it), and every HTML response gets the page policy with that
/// nonce. The policy is set here, after the page is rendered, rather than through Leptos's
/// response options: the browser suite saw pages whose options had been dropped now and then,
/// served with the fallback policy below, which blocks the stylesheet.
async fn page_nonce(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let nonce = leptos::nonce::Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        if let Ok(value) = HeaderValue::from_str(&app::ssr::page_policy(&nonce)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// The Content-Security-Policy of every response that is not a page.
pub const FALLBACK_CSP: &str =
    "default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `Strict-Transport-Security` when the public URL is https (two years, subdomains); otherwise
/// none (a plain-http development server must not pin browsers to https).
fn hsts(public_url: &str) -> Option<HeaderValue> {
    public_url
        .to_ascii_lowercase()
        .starts_with("https://")
        .then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains"))
}

/// Refuses state-changing requests that a browser sends on behalf of another site (CSRF, login
/// CSRF included: CS-1, CS-2). Leptos server functions have no protection of their own.
///
/// A request with a method other than GET, HEAD or OPTIONS passes only if its `Origin` is the
/// configured public origin (in development mode also the origin the browser addressed, so that
/// both `localhost` and `127.0.0.1` work), or, without `Origin`, if `Sec-Fetch-Site` says
/// `same-origin` or `none`. Requests with neither header do not come from a browser page and
/// carry no ambient authority a third site could abuse, so they pass (scripts, tests, curl).
#[derive(Clone, Debug)]
pub struct OriginGuard {
    public_origin: String,
    dev: bool,
}

impl OriginGuard {
    pub fn new(public_url: &str, dev: bool) -> Self {
        Self {
            public_origin: origin_of(public_url),
            dev,
        }
    }

    /// Whether a request with these headers may change state.
    pub fn allows(&self, method: &axum::http::Method, headers: &axum::http::HeaderMap) -> bool {
        use axum::http::Method;
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            if origin == self.public_origin {
                return true;
            }
            // Development: the origin of the address the browser used for this very request.
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            return self.dev
                && host.is_some_and(|host| {
                    origin == format!("http://{host}") || origin == format!("https://{host}")
                });
        }
        match headers.get("sec-fetch-site").map(|v| v.to_str()) {
            Some(Ok("same-origin" | "none")) => true,
            Some(_) => false,
            None => true,
        }
    }

    async fn check(
        self,
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        if self.allows(request.method(), request.headers()) {
            next.run(request).await
        } else {
            tracing::warn!(
                method = %request.method(),
                path = %request.uri().path(),
                origin = ?request.headers().get(header::ORIGIN),
                "cross-site request refused"
            );
            (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
        }
    }
}

/// `scheme://host[:port]` of a URL, lower-cased, as browsers send it in `Origin`.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// The client's address of a request from socket peer `peer` (issue 13).
///
/// A peer that is not a trusted proxy is the client, whatever forwarding headers it sends. A
/// trusted peer's `Forwarded` (RFC 7239, its `for=` parameters) or `X-Forwarded-For` is read
/// from the right: each proxy appends the address it received the request from, so entries are
/// skipped while they are trusted proxies themselves and the first one that is not is the
/// client; anything to its left was written by the client and is never believed. If every
/// entry is a trusted proxy, the left-most is the client. An entry that names no address
/// (`unknown`, an obfuscated `_name`, garbage) ends the walk: the nearest trusted hop to its
/// right (or the peer) is used, since what lies beyond it cannot be vouched for.
///
/// A proxy maintains one of the two headers and passes the other through as the visitor sent
/// it, so when a request carries both and they name different clients, neither is believed and
/// the peer is used: a visitor cannot escape its own limit by adding the header its proxy does
/// not maintain. Without either header (or with empty ones), the peer is the client.
pub fn client_address(trusted: &[TrustedProxy], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let peer = peer.to_canonical();
    if !TrustedProxy::any_contains(trusted, peer) {
        return peer;
    }
    let walk = |hops: Vec<Hop>| {
        let mut nearest = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Hop::Address(ip) if TrustedProxy::any_contains(trusted, ip) => nearest = ip,
                Hop::Address(ip) => return ip,
                Hop::Unknown => return nearest,
            }
        }
        nearest
    };
    let forwarded = forwarded_hops(headers).map(walk);
    let x_forwarded_for = x_forwarded_for_hops(headers).map(walk);
    match (forwarded, x_forwarded_for) {
        (Some(a), Some(b)) if a != b => peer,
        (Some(client), _) | (None, Some(client)) => client,
        (None, None) => peer,
    }
}

/// One entry of a forwarding header: an address, or something that names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    Address(IpAddr),
    Unknown,
}

/// The `for=` nodes of every `Forwarded` element, left to right over all header lines; `None`
/// if no element has a `for` parameter. An element without one is an unknown hop.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    let mut any_for = false;
    for line in headers.get_all(header::FORWARDED) {
        let Ok(line) = line.to_str() else {
            hops.push(Hop::Unknown);
            any_for = true;
            continue;
        };
        for element in split_unquoted(line, ',') {
            if element.trim().is_empty() {
                continue;
            }
            let value = split_unquoted(element, ';').into_iter().find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim())
            });
            match value {
                Some(value) => {
                    any_for = true;
                    hops.push(unquote(value).map_or(Hop::Unknown, |node| parse_node(&node)));
                }
                None => hops.push(Hop::Unknown),
            }
        }
    }
    any_for.then_some(hops)
}

/// The entries of every `X-Forwarded-For` line, left to right; `None` without any.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for line in headers.get_all("x-forwarded-for") {
        match line.to_str() {
            Ok(line) => hops.extend(
                line.split(',')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(parse_node),
            ),
            Err(_) => hops.push(Hop::Unknown),
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// Splits at `separator` outside double quotes (a backslash escapes inside them).
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A token or a quoted string's content; `None` for a broken quoted string.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return Some(value.to_string());
    };
    let inner = inner.strip_suffix('"')?;
    let mut text = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        text.push(if c == '\\' { chars.next()? } else { c });
    }
    Some(text)
}

/// A node (`192.0.2.7`, `192.0.2.7:4711`, `[2001:db8::1]:4711`, a bare IPv6 address as
/// `X-Forwarded-For` writes it, ports obfuscated as `_name` included); anything else, `unknown`
/// and obfuscated identifiers included, is an unknown hop.
fn parse_node(text: &str) -> Hop {
    let text = text.trim();
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        match rest.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Hop::Unknown,
            },
            None => return Hop::Unknown,
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (text, None),
        }
    };
    let port_ok = port.is_none_or(|port| {
        port.parse::<u16>().is_ok()
            || port.strip_prefix('_').is_some_and(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            })
    });
    match host.parse::<IpAddr>() {
        Ok(ip) if port_ok && (ip.is_ipv6() || !text.starts_with('[')) => {
            Hop::Address(ip.to_canonical())
        }
        _ => Hop::Unknown,
    }
}

/// Liveness: the process answers.
/// The header's language switch (issue 19): `GET /lang/{locale}?to=/page` remembers the
/// language in a cookie for a year and goes back to the page (303), so it works without
/// JavaScript. An unknown language is 404; `to` outside this site goes to the sign-in page.
async fn switch_language(
    State(state): State<AppState>,
    axum::extract::Path(tag): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    use app::i18n::{
        safe_return_path, I18nLocaleTrait as _, Locale, LANG_COOKIE, LANG_COOKIE_MAX_AGE,
    };
    let Some(locale) = Locale::get_all().iter().find(|l| l.as_str() == tag) else {
        return (StatusCode::NOT_FOUND, "No such language.").into_response();
    };
    // The query was decoded: encode again what a Location header cannot carry as it is.
    let to: String = safe_return_path(query.get("to").map(String::as_str))
        .bytes()
        .map(|b| {
            if b.is_ascii_graphic() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age={LANG_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax",
        locale.as_str()
    );
    if !state.settings.dev {
        cookie.push_str("; Secure");
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, to),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.identity.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

#[cfg(test)]
mod client_address_tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> Vec<TrustedProxy> {
        list.iter()
            .map(|p| TrustedProxy::parse(p).unwrap())
            .collect()
    }

    /// The client of a request from `peer` with these header lines, `127.0.0.1` and
    /// `10.0.0.0/8` trusted.
    fn client(peer: &str, lines: &[(&str, &str)]) -> IpAddr {
        client_with(
            &["127.0.0.1", "10.0.0.0/8", "2001:db8:ffff::/48"],
            peer,
            lines,
        )
    }

    fn client_with(trusted: &[&str], peer: &str, lines: &[(&str, &str)]) -> IpAddr {
        let mut headers = HeaderMap::new();
        for (name, value) in lines {
            headers.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
        client_address(&proxies(trusted), ip(peer), &headers)
    }

    const XFF: &str = "x-forwarded-for";
    const FWD: &str = "forwarded";

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        for lines in [
            vec![],
            vec![(XFF, "198.51.100.7")],
            vec![(FWD, "for=198.51.100.7")],
            vec![(XFF, "198.51.100.7"), (FWD, "for=198.51.100.8")],
        ] {
            assert_eq!(client_with(&[], "127.0.0.1", &lines), ip("127.0.0.1"));
            assert_eq!(client("203.0.113.5", &lines), ip("203.0.113.5"));
        }
        // A peer outside the trusted network is not trusted.
        assert_eq!(client("11.0.0.1", &[(XFF, "198.51.100.7")]), ip("11.0.0.1"));
        assert_eq!(
            client("2001:db8::1", &[(XFF, "198.51.100.7")]),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn a_trusted_peer_without_headers_is_the_client() {
        assert_eq!(client("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(client("127.0.0.1", &[(XFF, "")]), ip("127.0.0.1"));
        assert_eq!(client("127.0.0.1", &[(XFF, " , ")]), ip("127.0.0.1"));
        assert_eq!(client("127.0.0.1", &[(FWD, "")]), ip("127.0.0.1"));
        assert_eq!(
            client("127.0.0.1", &[(FWD, "proto=https;host=id.example.org")]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn x_forwarded_for_is_read_from_the_right() {
        assert_eq!(
            client("127.0.0.1", &[(XFF, "198.51.100.7")]),
            ip("198.51.100.7")
        );
        // A spoofed left-most entry is ignored: the proxy appended the real one.
        assert_eq!(
            client("127.0.0.1", &[(XFF, "1.2.3.4, 198.51.100.7")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("127.0.0.1", &[(XFF, "1.2.3.4,198.51.100.7")]),
            ip("198.51.100.7")
        );
        // A chain of trusted proxies is skipped.
        assert_eq!(
            client(
                "127.0.0.1",
                &[(XFF, "1.2.3.4, 198.51.100.7, 10.0.0.2, 10.9.9.9")]
            ),
            ip("198.51.100.7")
        );
        // Every hop trusted: the left-most.
        assert_eq!(
            client("127.0.0.1", &[(XFF, "10.0.0.3, 10.0.0.2")]),
            ip("10.0.0.3")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            client(
                "127.0.0.1",
                &[(XFF, "1.2.3.4"), (XFF, "198.51.100.7, 10.0.0.2")]
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("127.0.0.1", &[(XFF, "198.51.100.7"), (XFF, "1.2.3.4")]),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn x_forwarded_for_entries_may_have_ports_and_be_ipv6() {
        assert_eq!(
            client("127.0.0.1", &[(XFF, "198.51.100.7:4711")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("127.0.0.1", &[(XFF, "2001:db8::7")]),
            ip("2001:db8::7")
        );
        assert_eq!(
            client("127.0.0.1", &[(XFF, "[2001:db8::7]:4711")]),
            ip("2001:db8::7")
        );
        assert_eq!(
            client("127.0.0.1", &[(XFF, "[2001:db8::7]")]),
            ip("2001:db8::7")
        );
        assert_eq!(
            client("127.0.0.1", &[(XFF, "::ffff:198.51.100.7")]),
            ip("198.51.100.7")
        );
        // An IPv6 peer, trusted by its network, and an IPv6 chain.
        assert_eq!(
            client(
                "2001:db8:ffff::1",
                &[(XFF, "2001:db8::7, 2001:db8:ffff::2")]
            ),
            ip("2001:db8::7")
        );
        // An IPv4-mapped peer counts as its IPv4 address.
        assert_eq!(
            client("::ffff:127.0.0.1", &[(XFF, "198.51.100.7")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("::ffff:203.0.113.5", &[(XFF, "198.51.100.7")]),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn garbage_never_becomes_the_client() {
        for garbage in [
            "nonsense",
            "unknown",
            "198.51.100.7:port",
            "198.51.100.7:",
            "198.51.100.7:99999",
            "[198.51.100.7]",
            "[2001:db8::7",
            "2001:db8::7]",
            "[2001:db8::7]x",
            "198.51.100.256",
            "\"198.51.100.7\"",
            "198.51.100.7 198.51.100.8",
        ] {
            assert_eq!(
                client("127.0.0.1", &[(XFF, garbage)]),
                ip("127.0.0.1"),
                "{garbage}"
            );
            // Garbage to the right of a real entry stops the walk there: nothing beyond an entry
            // that names no address can be vouched for.
            assert_eq!(
                client("127.0.0.1", &[(XFF, &format!("198.51.100.7, {garbage}"))]),
                ip("127.0.0.1"),
                "{garbage}"
            );
            assert_eq!(
                client(
                    "127.0.0.1",
                    &[(XFF, &format!("198.51.100.7, {garbage}, 10.0.0.2"))]
                ),
                ip("10.0.0.2"),
                "{garbage}"
            );
            // To the left of the client it does not matter.
            assert_eq!(
                client("127.0.0.1", &[(XFF, &format!("{garbage}, 198.51.100.7"))]),
                ip("198.51.100.7"),
                "{garbage}"
            );
        }
        // Not UTF-8 (an obs-text byte).
        assert_eq!(
            client("127.0.0.1", &[(XFF, "198.51.100.7\u{e9}")]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn forwarded_for_parameters_are_read_from_the_right() {
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=198.51.100.7")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("127.0.0.1", &[(FWD, "For=198.51.100.7")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=\"198.51.100.7:4711\"")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client(
                "127.0.0.1",
                &[(FWD, "for=\"[2001:db8::1]:4711\";proto=https;by=10.0.0.2")]
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=\"[2001:db8::1]\"")]),
            ip("2001:db8::1")
        );
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=\"[2001:db8::1]:_hidden\"")]),
            ip("2001:db8::1")
        );
        assert_eq!(
            client(
                "127.0.0.1",
                &[(FWD, "proto=https; for=198.51.100.7 ;host=id.example.org")]
            ),
            ip("198.51.100.7")
        );
        // Spoofed left-most elements, chains, several lines.
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=1.2.3.4, for=198.51.100.7")]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client(
                "127.0.0.1",
                &[(FWD, "for=1.2.3.4,for=198.51.100.7;proto=http, for=10.0.0.2")]
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client(
                "127.0.0.1",
                &[
                    (FWD, "for=1.2.3.4"),
                    (FWD, "for=198.51.100.7"),
                    (FWD, "for=10.0.0.2")
                ]
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=10.0.0.3, for=10.0.0.2")]),
            ip("10.0.0.3")
        );
        // A quoted comma does not split elements.
        assert_eq!(
            client(
                "127.0.0.1",
                &[(FWD, "for=1.2.3.4;host=\"a,b\", for=198.51.100.7")]
            ),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn forwarded_unknown_and_obfuscated_nodes_are_never_the_client() {
        for node in [
            "unknown",
            "_hidden",
            "\"_hidden\"",
            "\"[2001:db8::1\"",
            "\"[::1]:x\"",
        ] {
            assert_eq!(
                client("127.0.0.1", &[(FWD, &format!("for={node}"))]),
                ip("127.0.0.1"),
                "{node}"
            );
            assert_eq!(
                client(
                    "127.0.0.1",
                    &[(FWD, &format!("for=198.51.100.7, for={node}, for=10.0.0.2"))]
                ),
                ip("10.0.0.2"),
                "{node}"
            );
            assert_eq!(
                client(
                    "127.0.0.1",
                    &[(FWD, &format!("for={node}, for=198.51.100.7"))]
                ),
                ip("198.51.100.7"),
                "{node}"
            );
        }
        // An unterminated quoted string takes the rest of the line with it.
        assert_eq!(
            client(
                "127.0.0.1",
                &[(FWD, "for=198.51.100.7, for=\"unterminated, for=10.0.0.2")]
            ),
            ip("127.0.0.1")
        );
        // An element without `for` among others is an unknown hop.
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=198.51.100.7, proto=https")]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn both_headers_count_only_when_they_agree() {
        // nginx maintains X-Forwarded-For and passes the visitor's own Forwarded through.
        assert_eq!(
            client("127.0.0.1", &[(FWD, "for=1.2.3.4"), (XFF, "198.51.100.7")]),
            ip("127.0.0.1")
        );
        assert_eq!(
            client(
                "127.0.0.1",
                &[(FWD, "for=198.51.100.7"), (XFF, "5.6.7.8, 198.51.100.7")]
            ),
            ip("198.51.100.7")
        );
        // Forwarded without `for` names no client and is left aside.
        assert_eq!(
            client("127.0.0.1", &[(FWD, "proto=https"), (XFF, "198.51.100.7")]),
            ip("198.51.100.7")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::hsts;

    #[test]
    fn hsts_only_for_an_https_public_url() {
        assert_eq!(
            hsts("https://id.example.org").unwrap(),
            "max-age=63072000; includeSubDomains"
        );
        assert_eq!(
            hsts("HTTPS://ID.EXAMPLE.ORG").unwrap(),
            "max-age=63072000; includeSubDomains"
        );
        assert!(hsts("http://127.0.0.1:3000").is_none());
    }
}
